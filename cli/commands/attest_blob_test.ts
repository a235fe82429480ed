/**
 * In-process CLI tests for attest-blob and verify-blob-attestation: round trips for every --type,
 * and a table of bad inputs pinned to their message and exit code.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Command } from "../command.ts";
import { fakeIo, type FakeIoOptions } from "../_test_io.ts";
import { run } from "../run.ts";
import { attestBlobCommand } from "./attest_blob.ts";
import { verifyBlobAttestationCommand } from "./verify_blob_attestation.ts";
import { FIXTURES } from "../../tests/interop/_run.ts";

const ROOT: Command = {
  name: "cosign",
  short: "",
  subcommands: [attestBlobCommand, verifyBlobAttestationCommand],
};
const F = join(FIXTURES, "attest");
const KEY = join(F, "cosign.key");
const PUB = join(F, "cosign.pub");
const BLOB = join(F, "blob");
const ENV = { COSIGN_PASSWORD: "" };

async function cosign(argv: string[], options: FakeIoOptions = {}) {
  const io = fakeIo({ env: ENV, ...options });
  const code = await run(ROOT, argv, io, { normalize: true });
  return { code, io };
}

const dir = await Deno.makeTempDir({ prefix: "cosign-attest-test-" });
addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

const attest = (type: string, predicate: string, extra: string[] = []) =>
  cosign([
    "attest-blob",
    "--key",
    KEY,
    "--type",
    type,
    "--predicate",
    join(F, predicate),
    "--tlog-upload=false",
    "--yes",
    ...extra,
    BLOB,
  ]);

const verify = (envelope: string, extra: string[] = [], blob: string[] = [BLOB]) =>
  cosign([
    "verify-blob-attestation",
    "--key",
    PUB,
    "--signature",
    envelope,
    "--insecure-ignore-tlog=true",
    ...extra,
    ...blob,
  ]);

const TYPES: [string, string][] = [
  ["custom", "custom.txt"],
  ["slsaprovenance", "slsaprovenance.json"],
  ["slsaprovenance02", "slsaprovenance.json"],
  ["slsaprovenance1", "slsaprovenance1.json"],
  ["link", "link.json"],
  ["spdx", "spdx.txt"],
  ["spdxjson", "spdxjson.json"],
  ["cyclonedx", "cyclonedx.json"],
  ["vuln", "vuln.json"],
  ["openvex", "openvex.json"],
  ["https://example.com/predicate/v1", "predicate.json"],
];

for (const [type, predicate] of TYPES) {
  Deno.test(`attest-blob --type ${type} prints an envelope that verify-blob-attestation accepts`, async () => {
    const { code, io } = await attest(type, predicate);
    assert.equal(code, 0, io.err());
    assert.equal(
      io.err(),
      `Using payload from: ${BLOB}\nUsing payload from: ${join(F, predicate)}\n`,
    );
    assert.match(
      io.out(),
      /^\{"payloadType":"application\/vnd\.in-toto\+json","payload":"[^"]+","signatures":\[\{"keyid":"","sig":"[^"]+"\}\]\}\n$/,
    );
    const path = join(dir, `${type.replace(/\W/g, "_")}.json`);
    await Deno.writeTextFile(path, io.out());
    const v = await verify(path, ["--type", type]);
    assert.equal(v.code, 0, v.io.err());
    assert.match(v.io.err(), /Verified OK\n$/);
  });
}

Deno.test("attest-blob writes --output-signature and --output-attestation files", async () => {
  const sig = join(dir, "out.sig");
  const att = join(dir, "out.att");
  const { code, io } = await attest("link", "link.json", [
    "--output-signature",
    sig,
    "--output-attestation",
    att,
  ]);
  assert.equal(code, 0, io.err());
  assert.equal(io.out(), "");
  assert.match(
    io.err(),
    new RegExp(`Signature written in ${sig}\nAttestation written in ${att}\n$`),
  );
  assert.deepEqual(
    await Deno.readFile(att),
    await Deno.readFile(join(F, "go-link.statement.json")),
  );
  assert.equal((await Deno.stat(sig)).mode! & 0o777, 0o600);
});

Deno.test("attest-blob --hash names the subject without reading the blob", async () => {
  const { code, io } = await cosign([
    "attest-blob",
    "--key",
    KEY,
    "--predicate",
    join(F, "predicate.json"),
    "--type",
    "https://a/b",
    "--hash",
    "ABC",
    "--tlog-upload=false",
    join(dir, "no", "such-blob"),
  ]);
  assert.equal(code, 0, io.err());
  const statement = new TextDecoder().decode(Uint8Array.fromBase64(JSON.parse(io.out()).payload));
  assert.match(statement, /"subject":\[\{"name":"such-blob","digest":\{"sha256":"ABC"\}\}\]/);
});

Deno.test("attest-blob --statement signs the file as is; --digest verifies without the blob", async () => {
  const statement = join(F, "go-vuln.statement.json");
  const { code, io } = await cosign([
    "attest-blob",
    "--key",
    KEY,
    "--statement",
    statement,
    "--tlog-upload=false",
  ]);
  assert.equal(code, 0, io.err());
  assert.equal(io.err(), `Using statement from: ${statement}\n`);
  const env = JSON.parse(io.out());
  assert.deepEqual(Uint8Array.fromBase64(env.payload), await Deno.readFile(statement));
  const path = join(dir, "statement.json");
  await Deno.writeTextFile(path, io.out());
  const digest = "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447";
  const v = await verify(path, ["--type", "vuln", "--digest", digest, "--digestAlg", "sha256"], []);
  assert.equal(v.code, 0, v.io.err());
  const wrongAlg = await verify(path, [
    "--type",
    "vuln",
    "--digest",
    digest,
    "--digestAlg",
    "sha512",
  ], []);
  assert.equal(wrongAlg.code, 1);
  assert.match(wrongAlg.io.err(), /no matching subject digest found/);
  const noClaims = await verify(path, ["--type", "vuln", "--check-claims=false"], []);
  assert.equal(noClaims.code, 0, noClaims.io.err());
});

Deno.test("verify-blob-attestation accepts the predicate-type URI for --type", async () => {
  const v = await verify(join(F, "go-slsaprovenance1.intoto.json"), [
    "--type",
    "https://slsa.dev/provenance/v1",
  ]);
  assert.equal(v.code, 0, v.io.err());
});

const tampered = join(dir, "tampered.json");
const otherPayloadType = join(dir, "payload-type.json");
const big = join(dir, "big.json");
{
  const env = JSON.parse(await Deno.readTextFile(join(F, "go-link.intoto.json")));
  const body = new TextDecoder().decode(Uint8Array.fromBase64(env.payload)).replace(
    '"name":"n"',
    '"name":"m"',
  );
  await Deno.writeTextFile(
    tampered,
    JSON.stringify({ ...env, payload: new TextEncoder().encode(body).toBase64() }),
  );
  await Deno.writeTextFile(
    otherPayloadType,
    JSON.stringify({ ...env, payloadType: "https://slsa.dev/provenance/v0.2" }),
  );
  await Deno.writeTextFile(big, JSON.stringify(env) + " ".repeat(2048));
  await Deno.writeTextFile(join(dir, "other-blob"), "other\n");
  await Deno.writeTextFile(join(dir, "bad.txt"), "not json");
}

/** [name, argv, exit code, exact stderr line, env] */
const BAD: [string, string[], number, string, Record<string, string>?][] = [
  [
    "predicate not JSON for --type spdxjson",
    [
      "attest-blob",
      "--key",
      KEY,
      "--type",
      "spdxjson",
      "--predicate",
      join(dir, "bad.txt"),
      "--tlog-upload=false",
      BLOB,
    ],
    1,
    `error: cannot read predicate ${
      join(dir, "bad.txt")
    }: not valid JSON: invalid character 'o' in literal null (expecting 'u')`,
  ],
  [
    "SLSA predicate without builder",
    [
      "attest-blob",
      "--key",
      KEY,
      "--type",
      "slsaprovenance",
      "--predicate",
      join(F, "predicate.json"),
      "--tlog-upload=false",
      BLOB,
    ],
    1,
    `error: cannot read predicate ${
      join(F, "predicate.json")
    }: provenance predicate: required field builder missing`,
  ],
  [
    "missing predicate file",
    [
      "attest-blob",
      "--key",
      KEY,
      "--predicate",
      join(dir, "nope.json"),
      "--tlog-upload=false",
      BLOB,
    ],
    1,
    `error: cannot read predicate ${join(dir, "nope.json")}: no such file or directory`,
  ],
  [
    "missing blob",
    [
      "attest-blob",
      "--key",
      KEY,
      "--predicate",
      join(F, "predicate.json"),
      "--tlog-upload=false",
      join(dir, "nope"),
    ],
    1,
    `error: cannot read blob ${join(dir, "nope")}: no such file or directory`,
  ],
  [
    "attest-blob uploads to the tlog by default: declining the privacy question stops it",
    ["attest-blob", "--key", KEY, "--predicate", join(F, "predicate.json"), BLOB],
    1,
    "error: user declined the prompt",
  ],
  [
    "an unreachable --rekor-url: nothing is printed or written",
    [
      "attest-blob",
      "--key",
      KEY,
      "--predicate",
      join(F, "predicate.json"),
      "--yes",
      "--rekor-url",
      "http://127.0.0.1:9",
      "--bundle",
      join(dir, "never.bundle"),
      BLOB,
    ],
    1,
    "",
  ],
  [
    "--use-signing-config with --rekor-url (cosign refuses service URLs with a signing config)",
    [
      "attest-blob",
      "--key",
      KEY,
      "--predicate",
      join(F, "predicate.json"),
      "--use-signing-config",
      "--rekor-url",
      "http://127.0.0.1:9",
      "--bundle",
      join(dir, "never.bundle"),
      BLOB,
    ],
    1,
    "error: cannot specify service URLs and use signing config",
  ],
  [
    "--signing-config without --bundle",
    [
      "attest-blob",
      "--key",
      KEY,
      "--predicate",
      join(F, "predicate.json"),
      "--signing-config",
      join(F, "predicate.json"),
      BLOB,
    ],
    1,
    "error: must provide --bundle with --signing-config or --use-signing-config",
  ],
  [
    "neither --predicate nor --statement",
    ["attest-blob", "--key", KEY, "--tlog-upload=false", BLOB],
    1,
    "error: at least one of the flags in the group [predicate statement] is required",
  ],
  [
    "both --predicate and --statement",
    [
      "attest-blob",
      "--key",
      KEY,
      "--predicate",
      "a",
      "--statement",
      "b",
      "--tlog-upload=false",
      BLOB,
    ],
    1,
    "error: one of --predicate or --statement must be set",
  ],
  [
    "no blob argument",
    ["attest-blob", "--key", KEY, "--predicate", "a", "--tlog-upload=false"],
    1,
    "error: accepts 1 arg(s), received 0",
  ],
  [
    "a bare predicate is a valid v1 Statement for Go (signed as is)",
    ["attest-blob", "--key", KEY, "--statement", join(F, "predicate.json"), "--tlog-upload=false"],
    0,
    "",
  ],
  [
    "envelope with a wrong signature",
    [
      "verify-blob-attestation",
      "--key",
      PUB,
      "--signature",
      tampered,
      "--type",
      "link",
      "--insecure-ignore-tlog",
      BLOB,
    ],
    1,
    "error: cannot verify attestation: accepted signatures do not match threshold, Found: 0, Expected 1",
  ],
  [
    "envelope signed by another key",
    [
      "verify-blob-attestation",
      "--key",
      join(F, "ed25519.pub"),
      "--signature",
      join(F, "go-link.intoto.json"),
      "--type",
      "link",
      "--insecure-ignore-tlog",
      BLOB,
    ],
    1,
    "error: cannot verify attestation: accepted signatures do not match threshold, Found: 0, Expected 1",
  ],
  [
    "mismatched subject digest",
    [
      "verify-blob-attestation",
      "--key",
      PUB,
      "--signature",
      join(F, "go-link.intoto.json"),
      "--type",
      "link",
      "--insecure-ignore-tlog",
      join(dir, "other-blob"),
    ],
    1,
    "error: cannot verify attestation: no matching subject digest found",
  ],
  [
    "predicate type not matching --type",
    [
      "verify-blob-attestation",
      "--key",
      PUB,
      "--signature",
      join(F, "go-link.intoto.json"),
      "--type",
      "slsaprovenance",
      "--insecure-ignore-tlog",
      BLOB,
    ],
    1,
    "error: cannot verify attestation: invalid predicate type, expected slsaprovenance got https://in-toto.io/Link/v1",
  ],
  [
    "default --type custom against a link attestation",
    [
      "verify-blob-attestation",
      "--key",
      PUB,
      "--signature",
      join(F, "go-link.intoto.json"),
      "--insecure-ignore-tlog",
      BLOB,
    ],
    1,
    "error: cannot verify attestation: invalid predicate type, expected custom got https://in-toto.io/Link/v1",
  ],
  [
    "payloadType other than in-toto's",
    [
      "verify-blob-attestation",
      "--key",
      PUB,
      "--signature",
      otherPayloadType,
      "--type",
      "link",
      "--insecure-ignore-tlog",
      BLOB,
    ],
    1,
    // A URI payloadType is read as cosign 1.3/1.4 wrote it, so the edited envelope fails at its signature.
    "error: cannot verify attestation: accepted signatures do not match threshold, Found: 0, Expected 1",
  ],
  [
    "oversized envelope",
    [
      "verify-blob-attestation",
      "--key",
      PUB,
      "--signature",
      big,
      "--type",
      "link",
      "--insecure-ignore-tlog",
      BLOB,
    ],
    1,
    `error: cannot read attestation ${big}: larger than the limit of 1024 bytes`,
    { COSIGN_MAX_ATTACHMENT_SIZE: "1KiB" },
  ],
  [
    "envelope that is not JSON",
    ["verify-blob-attestation", "--key", PUB, "--signature", BLOB, "--insecure-ignore-tlog", BLOB],
    1,
    `error: cannot read attestation ${BLOB}: not valid JSON: invalid character 'h' looking for beginning of value`,
  ],
  [
    "missing envelope",
    [
      "verify-blob-attestation",
      "--key",
      PUB,
      "--signature",
      join(dir, "nope"),
      "--insecure-ignore-tlog",
      BLOB,
    ],
    1,
    `error: cannot read attestation ${join(dir, "nope")}: no such file or directory`,
  ],
  [
    "digest that is not hex",
    [
      "verify-blob-attestation",
      "--key",
      PUB,
      "--signature",
      join(F, "go-link.intoto.json"),
      "--digest",
      "zz",
      "--digestAlg",
      "sha256",
      "--insecure-ignore-tlog",
    ],
    1,
    "error: cannot verify attestation: unable to decode provided digest: encoding/hex: invalid byte",
  ],
  [
    "no blob and no digest",
    [
      "verify-blob-attestation",
      "--key",
      PUB,
      "--signature",
      join(F, "go-link.intoto.json"),
      "--insecure-ignore-tlog",
    ],
    1,
    "error: must provide path to blob or digest and digestAlg; run `cosign verify-blob-attestation -h` for more help",
  ],
  [
    "transparency log not skipped",
    [
      "verify-blob-attestation",
      "--key",
      PUB,
      "--signature",
      join(F, "go-link.intoto.json"),
      "--type",
      "link",
      BLOB,
    ],
    1,
    "error: cannot verify the transparency log entries: set SIGSTORE_REKOR_PUBLIC_KEY to the log's public key, or pass --insecure-ignore-tlog=true to verify without the log",
  ],
  [
    "no bundle, and --offline forbids looking the entry up",
    [
      "verify-blob-attestation",
      "--key",
      PUB,
      "--signature",
      join(F, "go-link.intoto.json"),
      "--type",
      "link",
      "--offline",
      BLOB,
    ],
    1,
    "error: cannot verify the transparency log entry: offline verification failed (the attestation has no bundle, and --offline forbids looking it up in the log)",
    { SIGSTORE_REKOR_PUBLIC_KEY: PUB },
  ],
  [
    "empty --type",
    [
      "verify-blob-attestation",
      "--key",
      PUB,
      "--signature",
      join(F, "go-link.intoto.json"),
      "--type",
      "",
      "--insecure-ignore-tlog",
      BLOB,
    ],
    1,
    "error: cannot verify attestation: missing predicate type",
  ],
  [
    "Ed25519 attestation from Go (Ed25519ph) against Go's pure Ed25519 verifier",
    [
      "verify-blob-attestation",
      "--key",
      join(F, "ed25519.pub"),
      "--signature",
      join(F, "go-ed25519-link.intoto.json"),
      "--type",
      "link",
      "--insecure-ignore-tlog",
      BLOB,
    ],
    1,
    "error: cannot verify attestation: accepted signatures do not match threshold, Found: 0, Expected 1",
  ],
];

for (const [name, argv, want, line, env] of BAD) {
  Deno.test(`${argv[0]}: ${name} → exit ${want}`, async () => {
    const { code, io } = await cosign(argv, { env: { ...ENV, ...env } });
    assert.equal(code, want, io.err());
    if (line) assert.ok(io.err().split("\n").includes(line), `stderr was:\n${io.err()}`);
    if (want !== 0) assert.doesNotMatch(io.err(), /Verified OK/);
    if (argv[0] === "attest-blob" && want !== 0) assert.equal(io.out(), "");
  });
}

Deno.test("verify-blob-attestation reads cosign 1.3/1.4 envelopes whose payloadType is the predicate type", async () => {
  const { loadSigner } = await import("../../lib/sign/load_signer.ts");
  const { signDsse } = await import("../../lib/payload/dsse.ts");
  const goEnvelope = JSON.parse(await Deno.readTextFile(join(F, "go-link.intoto.json")));
  const statement = Uint8Array.fromBase64(goEnvelope.payload);
  const predicateType = JSON.parse(new TextDecoder().decode(statement)).predicateType;
  const signer = await loadSigner(KEY, {
    getEnv: () => undefined,
    getPassword: () => Promise.resolve(new Uint8Array()),
  });
  const legacy = join(dir, "legacy.json");
  await Deno.writeFile(legacy, await signDsse(statement, predicateType, signer));
  const ok = await verify(legacy, ["--type", "link"]);
  assert.equal(ok.code, 0, ok.io.err());
  // A payloadType naming another predicate than the statement's is still refused.
  const other = join(dir, "legacy-other.json");
  await Deno.writeFile(other, await signDsse(statement, "https://example.com/other/v1", signer));
  const bad = await verify(other, ["--type", "link"]);
  assert.equal(bad.code, 1);
  assert.match(bad.io.err(), /invalid payloadType https:\/\/example\.com\/other\/v1 on envelope/);
});
