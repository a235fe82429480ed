/**
 * Bundles and attestations that must not verify (issue 11, hardening), against the Go cosign
 * v2.6.4 with a real local Rekor and registry: the same command, the same outcome.
 *
 * - an integrated time no SET signs is not used (edited times change nothing)
 * - Sigstore bundles carry exactly one DSSE signature, of in-toto payload type, within
 *   sigstore-go's subject and digest limits; a message signature names its digest
 * - a log entry spliced from another bundle, or of another kind or version, fails
 * - a predicate that does not read as `--type slsaprovenance` fails on every path (Sigstore
 *   bundle, cosign's blob bundle, an image attestation; GHSA-w6c6-c85g-mmv6)
 * - cosign's old `.att` layers keep go-securesystemslib's threshold-1 rule (one signature by the
 *   key suffices, a signature that is not base64 fails the envelope), as the Go cosign does
 *
 * Where ours is deliberately stricter than Go, the test says so and asserts both outcomes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { generateKeyPairSync, sign } from "node:crypto";
import { keyDsseBundle, marshalBundle } from "../../lib/bundle/marshal_bundle.ts";
import { sha256 } from "../../lib/digest.ts";
import { loadPrivateKey } from "../../lib/keys/private_key.ts";
import { parsePublicKeyPem } from "../../lib/keys/public_key.ts";
import { INTOTO_PAYLOAD_TYPE, pae, signDsse } from "../../lib/payload/dsse.ts";
import { createRegistry } from "../../lib/registry/client.ts";
import { envelopeUploader } from "../../lib/sign/envelope_uploader.ts";
import { keySigner } from "../../lib/signature/signer.ts";
import { startRegistry } from "../peers/registry.ts";
import { startRekor } from "../peers/rekor.ts";
import { pushImage } from "../registry/_helpers.ts";
import {
  describe,
  expectSameFailure,
  expectSuccess,
  expectVerified,
  run,
  type RunResult,
  suiteDir,
  suiteOptions,
  type Tool,
  TOOLS,
  writeTrustedRoot,
} from "./_run.ts";

const registry = await startRegistry({ mode: "http" });
const rekor = await startRekor();
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-hardening-");
addEventListener("unload", () => client.close());
globalThis.addEventListener("unload", () => void rekor.stop().then(() => registry.stop()));
const selfCheck = Deno.env.get("INTEROP_SELF_CHECK") === "go";

const opts = suiteOptions(dir, { SIGSTORE_REKOR_PUBLIC_KEY: rekor.publicKeyPath });
expectSuccess(await run("go", ["generate-key-pair"], opts), "keys");
const file = (name: string) => join(dir, name);
const logSpki = parsePublicKeyPem(new TextEncoder().encode(rekor.publicKeyPem)).spki;
await writeTrustedRoot(file("root.json"), { baseUrl: rekor.url, spki: logSpki });
// The same log, its key retired at the start of 2026 (the machine's clock is later).
await Deno.writeTextFile(
  file("retired.json"),
  (await Deno.readTextFile(file("root.json"))).replace(
    '"validFor":{"start":"2020-01-01T00:00:00Z"}',
    '"validFor":{"start":"2020-01-01T00:00:00Z","end":"2026-01-01T00:00:00Z"}',
  ),
);
assert.match(await Deno.readTextFile(file("retired.json")), /"end":"2026-01-01T00:00:00Z"/);
await Deno.writeTextFile(file("a.txt"), `artifact a ${crypto.randomUUID()}\n`);
await Deno.writeTextFile(file("b.txt"), `artifact b ${crypto.randomUUID()}\n`);
const blobDigest = sha256(await Deno.readFile(file("a.txt"))).toHex();
const signer = keySigner(
  await loadPrivateKey(await Deno.readFile(file("cosign.key")), new Uint8Array()),
);

// Go-made bundles, logged in the real Rekor.
for (const name of ["a", "b"]) {
  expectSuccess(
    await run("go", [
      "sign-blob",
      "--key",
      "cosign.key",
      "--rekor-url",
      rekor.url,
      "--yes",
      "--new-bundle-format",
      "--bundle",
      `${name}.msg.json`,
      `${name}.txt`,
    ], opts),
    `go signs ${name}`,
  );
}
await Deno.writeTextFile(file("predicate.json"), '{"hello":"world"}\n');
expectSuccess(
  await run("go", [
    "attest-blob",
    "--key",
    "cosign.key",
    "--rekor-url",
    rekor.url,
    "--yes",
    "--predicate",
    "predicate.json",
    "--type",
    "custom",
    "--new-bundle-format",
    "--bundle",
    "a.dsse.json",
    "a.txt",
  ], opts),
  "go attests a",
);

// deno-lint-ignore no-explicit-any
type Json = any;
const readJson = async (name: string): Promise<Json> =>
  JSON.parse(await Deno.readTextFile(file(name)));
async function variant(from: string, to: string, change: (b: Json) => void): Promise<string> {
  const b = await readJson(from);
  change(b);
  await Deno.writeTextFile(file(to), JSON.stringify(b));
  return to;
}

/** A DSSE envelope of `statement` signed with cosign.key, logged, as a v0.3 bundle file. */
async function loggedDsseBundle(
  name: string,
  statement: Uint8Array,
  payloadType = INTOTO_PAYLOAD_TYPE,
) {
  const envelope = await signDsse(statement, payloadType, signer);
  const entry = await envelopeUploader(rekor.url, signer.publicKey, "dsse", {
    logKey: parsePublicKeyPem(new TextEncoder().encode(rekor.publicKeyPem)),
  })(envelope);
  await Deno.writeTextFile(
    file(name),
    marshalBundle(await keyDsseBundle({ spki: signer.publicKey.spki, envelope, entry })),
  );
  return name;
}

function statementOf(predicateType: string, predicate: unknown, subject?: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({
    _type: "https://in-toto.io/Statement/v0.1",
    predicateType,
    subject: subject ?? [{ name: "a.txt", digest: { sha256: blobDigest } }],
    predicate,
  }));
}

const verifyBlob = (tool: Tool, bundle: string, root = "root.json", extra: string[] = []) =>
  run(tool, [
    "verify-blob",
    "--key",
    "cosign.pub",
    "--bundle",
    bundle,
    "--trusted-root",
    root,
    "--new-bundle-format",
    ...extra,
    "a.txt",
  ], opts);

const verifyBlobAtt = (tool: Tool, bundle: string, type = "custom", extra: string[] = []) =>
  run(tool, [
    "verify-blob-attestation",
    "--key",
    "cosign.pub",
    "--bundle",
    bundle,
    "--trusted-root",
    "root.json",
    "--new-bundle-format",
    "--type",
    type,
    ...extra,
    "a.txt",
  ], opts);

async function both(f: (tool: Tool) => Promise<RunResult>): Promise<RunResult[]> {
  const out = [];
  for (const tool of TOOLS) out.push(await f(tool));
  return out;
}

Deno.test("the Go cosign's bundles verify in both (the baseline of every case below)", async () => {
  for (const r of await both((t) => verifyBlob(t, "a.msg.json"))) expectVerified(r, "a.msg.json");
  for (const r of await both((t) => verifyBlobAtt(t, "a.dsse.json"))) {
    expectVerified(r, "a.dsse.json");
  }
});

Deno.test("an integrated time without a SET changes nothing: stripped and edited, both verify", async () => {
  for (const time of ["4102444800", "1", "1735689600"]) {
    const name = await variant("a.msg.json", `nosets-${time}.json`, (b) => {
      const e = b.verificationMaterial.tlogEntries[0];
      delete e.inclusionPromise;
      e.integratedTime = time;
    });
    for (const r of await both((t) => verifyBlob(t, name))) {
      expectVerified(r, `no SET, time ${time}`);
    }
  }
});

Deno.test({
  name: "a retired log key: an unsigned time edited into its validity is refused (Go: accepted)",
  ignore: selfCheck,
  async fn() {
    // With its SET the signed time is after the key's end: both refuse.
    expectSameFailure(
      await both((t) => verifyBlob(t, "a.msg.json", "retired.json")),
      "retired, SET",
    );
    const name = await variant("a.msg.json", "retired-edited.json", (b) => {
      const e = b.verificationMaterial.tlogEntries[0];
      delete e.inclusionPromise;
      e.integratedTime = "1735689600"; // 2025-01-01, inside the key's validity
    });
    const [go, ours] = await both((t) => verifyBlob(t, name, "retired.json"));
    // The difference: sigstore-go does not check a log key's validity for an entry without a
    // SET; we check it at the current time, the only trusted time there is.
    expectVerified(go, "go takes an unsigned time (known difference)");
    assert.equal(ours.code, 1, describe(ours));
    assert.match(ours.stderr, /rekor log public key not valid now/, describe(ours));
  },
});

Deno.test("a message signature without its digest, or a spliced entry: both refuse", async () => {
  const b = await readJson("b.msg.json");
  const cases: [string, (x: Json) => void][] = [
    ["no messageDigest", (x) => delete x.messageSignature.messageDigest],
    [
      "b's entry spliced in",
      (x) => (x.verificationMaterial.tlogEntries = b.verificationMaterial.tlogEntries),
    ],
  ];
  for (const [what, change] of cases) {
    const name = await variant("a.msg.json", `msg-${what.replaceAll(" ", "-")}.json`, change);
    expectSameFailure(await both((t) => verifyBlob(t, name)), what);
  }
});

Deno.test({
  name: "an entry whose kindVersion is not its body's kind and version is refused (Go: accepted)",
  ignore: selfCheck,
  async fn() {
    const cases: [string, (x: Json) => void, string][] = [
      ["kind dsse", (x) => (x.kindVersion.kind = "dsse"), "hashedrekord/0.0.1 != dsse/0.0.1"],
      [
        "version 0.0.2",
        (x) => (x.kindVersion.version = "0.0.2"),
        "hashedrekord/0.0.1 != hashedrekord/0.0.2",
      ],
    ];
    for (const [what, change, message] of cases) {
      const name = await variant("a.msg.json", `msg-${what.replaceAll(" ", "-")}.json`, (b) => {
        change(b.verificationMaterial.tlogEntries[0]);
      });
      const [go, ours] = await both((t) => verifyBlob(t, name));
      // The difference: sigstore-go v1.1.4 reads a Rekor v1 body without comparing its kind and
      // version with the bundle's kindVersion; we (as sigstore-js) refuse a bundle that
      // misdescribes its entry.
      expectVerified(go, `go takes the mislabelled entry, ${what} (known difference)`);
      assert.equal(ours.code, 1, describe(ours));
      assert.ok(ours.stderr.includes(`kind and version mismatch: ${message}`), describe(ours));
    }
  },
});

Deno.test("Sigstore bundles with more than one DSSE signature: both refuse, with or without the log", async () => {
  const env = (await readJson("a.dsse.json")).dsseEnvelope;
  const valid = env.signatures[0];
  const payload = Uint8Array.fromBase64(env.payload);
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const attacker = {
    sig: new Uint8Array(sign("sha256", pae(env.payloadType, payload), privateKey)).toBase64(),
  };
  const garbage = { sig: new Uint8Array(71).fill(7).toBase64() };
  const cases: [string, Json[]][] = [
    ["valid + garbage", [valid, garbage]],
    ["garbage + valid", [garbage, valid]],
    ["attacker + valid", [attacker, valid]],
    ["valid + attacker", [valid, attacker]],
    ["valid twice", [valid, valid]],
  ];
  for (const [what, signatures] of cases) {
    const name = await variant("a.dsse.json", `sigs-${what.replaceAll(" ", "")}.json`, (b) => {
      b.dsseEnvelope.signatures = signatures;
    });
    expectSameFailure(await both((t) => verifyBlobAtt(t, name)), what);
    expectSameFailure(
      await both((t) => verifyBlobAtt(t, name, "custom", ["--insecure-ignore-tlog"])),
      `${what}, --insecure-ignore-tlog`,
    );
  }
});

Deno.test("logged Sigstore bundles of a text/plain envelope, or too many subjects or digests: both refuse", async () => {
  const custom = "https://cosign.sigstore.dev/attestation/v1";
  const predicate = { Data: "x", Timestamp: "2026-01-01T00:00:00Z" };
  const many = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`sha${i}x`, "00"]));
  const cases: [string, Uint8Array, string?][] = [
    ["text/plain", statementOf(custom, predicate), "text/plain"],
    [
      "33 digests",
      statementOf(custom, predicate, [{ name: "a.txt", digest: { sha256: blobDigest, ...many } }]),
    ],
    [
      "1025 subjects",
      statementOf(custom, predicate, [
        { name: "a.txt", digest: { sha256: blobDigest } },
        ...Array.from({ length: 1024 }, (_, i) => ({ name: `x${i}`, digest: { sha256: "00" } })),
      ]),
    ],
  ];
  for (const [what, statement, type] of cases) {
    const name = await loggedDsseBundle(
      `content-${what.replaceAll(/[ /]/g, "")}.json`,
      statement,
      type,
    );
    expectSameFailure(await both((t) => verifyBlobAtt(t, name)), what);
    // Without claims, sigstore-go still reads the statement (text/plain fails) but sets no limit.
    const unchecked = await both((t) => verifyBlobAtt(t, name, "custom", ["--check-claims=false"]));
    if (type) expectSameFailure(unchecked, `${what}, --check-claims=false`);
    else for (const r of unchecked) expectVerified(r, `${what}, --check-claims=false`);
  }
  // The limits themselves pass: 32 digests (sha256 and 31 others), 1024 subjects.
  const fine = await loggedDsseBundle(
    "content-limits.json",
    statementOf(custom, predicate, [
      {
        name: "a.txt",
        digest: { sha256: blobDigest, ...Object.fromEntries(Object.entries(many).slice(1)) },
      },
      ...Array.from({ length: 1023 }, (_, i) => ({ name: `x${i}`, digest: { sha256: "00" } })),
    ]),
  );
  for (const r of await both((t) => verifyBlobAtt(t, fine))) expectVerified(r, "at the limits");
});

Deno.test("a SLSA predicate with a malformed builder fails --type slsaprovenance on every path", async () => {
  const slsa = "https://slsa.dev/provenance/v0.2";
  const good = { builder: { id: "https://example.com/builder" }, buildType: "x" };
  const bad = { builder: "https://example.com/builder", buildType: "x" };
  for (const [which, predicate] of [["good", good], ["bad", bad]] as const) {
    await Deno.writeFile(file(`${which}.statement.json`), statementOf(slsa, predicate));
    // A Sigstore bundle (made by Go from the statement, logged).
    expectSuccess(
      await run("go", [
        "attest-blob",
        "--key",
        "cosign.key",
        "--rekor-url",
        rekor.url,
        "--yes",
        "--statement",
        `${which}.statement.json`,
        "--new-bundle-format",
        "--bundle",
        `${which}.slsa.sigstore.json`,
        "a.txt",
      ], opts),
      `go attests the ${which} statement (new bundle)`,
    );
    // cosign's own blob bundle.
    expectSuccess(
      await run("go", [
        "attest-blob",
        "--key",
        "cosign.key",
        "--rekor-url",
        rekor.url,
        "--yes",
        "--statement",
        `${which}.statement.json`,
        "--bundle",
        `${which}.slsa.bundle`,
        "--output-signature",
        `${which}.slsa.envelope`,
        "a.txt",
      ], opts),
      `go attests the ${which} statement (cosign bundle)`,
    );
    // An image attestation: the envelope attached to an image.
    const repository = `hardening/slsa-${which}`;
    const { digest } = await pushImage(client, { registry: registry.host, repository }, "v1");
    const ref = `${registry.host}/${repository}@${digest}`;
    const stmt = new TextEncoder().encode(JSON.stringify({
      _type: "https://in-toto.io/Statement/v0.1",
      predicateType: slsa,
      subject: [{ name: `${registry.host}/${repository}`, digest: { sha256: digest.slice(7) } }],
      predicate,
    }));
    await Deno.writeFile(
      file(`${which}.img.envelope`),
      await signDsse(stmt, INTOTO_PAYLOAD_TYPE, signer),
    );
    expectSuccess(
      await run(
        "go",
        ["attach", "attestation", "--attestation", `${which}.img.envelope`, ref],
        opts,
      ),
      "go attaches",
    );
    const paths: [string, (t: Tool) => Promise<RunResult>][] = [
      ["Sigstore bundle", (t) => verifyBlobAtt(t, `${which}.slsa.sigstore.json`, "slsaprovenance")],
      [
        "cosign bundle",
        (t) =>
          run(t, [
            "verify-blob-attestation",
            "--key",
            "cosign.pub",
            "--bundle",
            `${which}.slsa.bundle`,
            "--type",
            "slsaprovenance",
            "a.txt",
          ], opts),
      ],
      [
        "image attestation",
        (t) =>
          run(t, [
            "verify-attestation",
            "--key",
            "cosign.pub",
            "--insecure-ignore-tlog",
            "--type",
            "slsaprovenance",
            ref,
          ], opts),
      ],
    ];
    for (const [path, f] of paths) {
      const results = await both(f);
      if (which === "good") {
        for (const r of results) expectSuccess(r, `${path}: good predicate`);
      } else expectSameFailure(results, `${path}: malformed builder`);
    }
  }
});

Deno.test("cosign's old .att layers keep the Go cosign's threshold-1 rule for extra signatures", async () => {
  const repository = "hardening/att-sigs";
  const { digest } = await pushImage(client, { registry: registry.host, repository }, "v1");
  const ref = `${registry.host}/${repository}@${digest}`;
  const stmt = new TextEncoder().encode(JSON.stringify({
    _type: "https://in-toto.io/Statement/v0.1",
    predicateType: "https://cosign.sigstore.dev/attestation/v1",
    subject: [{ name: `${registry.host}/${repository}`, digest: { sha256: digest.slice(7) } }],
    predicate: { Data: "x", Timestamp: "2026-01-01T00:00:00Z" },
  }));
  const env = JSON.parse(
    new TextDecoder().decode(await signDsse(stmt, INTOTO_PAYLOAD_TYPE, signer)),
  );
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const attacker = {
    keyid: "",
    sig: new Uint8Array(sign("sha256", pae(INTOTO_PAYLOAD_TYPE, stmt), privateKey)).toBase64(),
  };
  const verify = (t: Tool) =>
    run(t, [
      "verify-attestation",
      "--key",
      "cosign.pub",
      "--insecure-ignore-tlog",
      "--type",
      "custom",
      ref,
    ], opts);
  // One signature by the key among others: accepted by both (the payload is the key's).
  await Deno.writeTextFile(
    file("att-two.json"),
    JSON.stringify({ ...env, signatures: [attacker, env.signatures[0]] }),
  );
  expectSuccess(
    await run("go", ["attach", "attestation", "--attestation", "att-two.json", ref], opts),
    "go attaches",
  );
  for (const r of await both(verify)) expectSuccess(r, "attacker + valid in an .att layer");
  // Another image, whose envelope has a signature that is not base64 before the valid one.
  const { digest: d2 } = await pushImage(client, { registry: registry.host, repository }, "other");
  const ref2 = `${registry.host}/${repository}@${d2}`;
  const stmt2 = new TextEncoder().encode(
    new TextDecoder().decode(stmt).replace(digest.slice(7), d2.slice(7)),
  );
  const env2 = JSON.parse(
    new TextDecoder().decode(await signDsse(stmt2, INTOTO_PAYLOAD_TYPE, signer)),
  );
  // A signature that is not base64 fails the whole envelope, in both.
  await Deno.writeTextFile(
    file("att-bad.json"),
    JSON.stringify({
      ...env2,
      signatures: [{ keyid: "", sig: "!!not base64!!" }, env2.signatures[0]],
    }),
  );
  expectSuccess(
    await run("go", ["attach", "attestation", "--attestation", "att-bad.json", ref2], opts),
    "go attaches",
  );
  const verify2 = (t: Tool) =>
    run(t, [
      "verify-attestation",
      "--key",
      "cosign.pub",
      "--insecure-ignore-tlog",
      "--type",
      "custom",
      ref2,
    ], opts);
  expectSameFailure(await both(verify2), "non-base64 + valid in an .att layer");
});
