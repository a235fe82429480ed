/**
 * Sigstore bundles of blob attestations (`attest-blob --new-bundle-format --bundle`,
 * `verify-blob-attestation --bundle --trusted-root`) with a real local Rekor and a
 * trusted_root.json made for it: bundles made by the Go cosign (dsse and intoto entries) verify
 * with ours and the other way round; one changed field, another blob, another predicate type or a
 * spliced entry is rejected by both; `--trusted-root` with cosign's old bundle is refused alike.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parsePublicKeyPem } from "../../lib/keys/public_key.ts";
import { startRekor } from "../peers/rekor.ts";
import {
  describe,
  expectSameFailure,
  expectSuccess,
  expectVerified,
  run,
  suiteDir,
  suiteOptions,
  TOOLS,
  writeTrustedRoot,
} from "./_run.ts";

const rekor = await startRekor();
const dir = await suiteDir("cosign-interop-new-bundle-attest-");
globalThis.addEventListener("unload", () => void rekor.stop());

const opts = suiteOptions(dir);

await writeTrustedRoot(join(dir, "trusted_root.json"), {
  baseUrl: rekor.url,
  spki: parsePublicKeyPem(rekor.publicKeyPem).spki,
});
await Deno.writeTextFile(join(dir, "rekor.pub"), rekor.publicKeyPem);
await Deno.writeTextFile(join(dir, "predicate.json"), '{"builder":{"id":"interop"}}');

expectSuccess(await run("go", ["generate-key-pair"], opts), "keys");
const attestArgs = (bundle: string, blob: string, extra: string[] = ["--rekor-url", rekor.url]) => [
  "attest-blob",
  "--key",
  "cosign.key",
  "--predicate",
  "predicate.json",
  "--yes",
  ...extra,
  "--new-bundle-format",
  "--bundle",
  bundle,
  blob,
];
for (const name of ["b", "a"]) {
  await Deno.writeTextFile(join(dir, `${name}.txt`), `artifact ${name}\n`);
  expectSuccess(await run("go", attestArgs(`go-${name}.json`, `${name}.txt`), opts), `go ${name}`);
}
const intoto = ["--rekor-url", rekor.url, "--rekor-entry-type", "intoto"];
for (const tool of TOOLS) {
  if (tool === "ours") {
    expectSuccess(await run(tool, attestArgs("ours-a.json", "a.txt"), opts), "ours attests a");
  }
  expectSuccess(
    await run(tool, attestArgs(`${tool}-intoto.json`, "a.txt", intoto), opts),
    `${tool} intoto`,
  );
  expectSuccess(
    await run(tool, attestArgs(`${tool}-n.json`, "a.txt", ["--tlog-upload=false"]), opts),
    `${tool} without upload`,
  );
}

const verify = (tool: "go" | "ours", bundle: string, blob = "a.txt", extra: string[] = []) =>
  run(tool, [
    "verify-blob-attestation",
    "--key",
    "cosign.pub",
    "--bundle",
    bundle,
    "--trusted-root",
    "trusted_root.json",
    ...extra,
    blob,
  ], opts);

// deno-lint-ignore no-explicit-any
const read = async (name: string): Promise<any> =>
  JSON.parse(await Deno.readTextFile(join(dir, name)));

function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (typeof v === "object" && v !== null) {
    return Object.entries(v).map(([k, x]) => [k, shape(x)]);
  }
  return typeof v;
}

const flip = (b64: string, at = 0.5) => {
  const bytes = Uint8Array.fromBase64(b64);
  bytes[Math.floor(bytes.length * at)] ^= 1;
  return bytes.toBase64();
};

Deno.test("attestation bundles made by either tool verify with both", async () => {
  for (const bundle of ["go-a.json", "ours-a.json"]) {
    for (const tool of TOOLS) {
      expectVerified(await verify(tool, bundle), `${tool} verifies ${bundle}`);
    }
  }
});

Deno.test("an intoto 0.0.1 entry (--rekor-entry-type intoto) in a Sigstore bundle: refused by both", async () => {
  for (const bundle of ["go-intoto.json", "ours-intoto.json"]) {
    const results = await Promise.all(TOOLS.map((t) => verify(t, bundle)));
    expectSameFailure(results, bundle);
    assert.match(results[0].stderr, /unsupported entry type: \*intoto.V001Entry/);
    assert.match(results[1].stderr, /unsupported entry type: intoto 0.0.1/);
    // Without the log, the envelope itself verifies with both.
    for (const tool of TOOLS) {
      expectVerified(
        await verify(tool, bundle, "a.txt", ["--insecure-ignore-tlog=true"]),
        `${tool} verifies ${bundle} without the log`,
      );
    }
  }
});

Deno.test("our attestation bundle has the Go cosign's structure, key hint, entry kind and envelope", async () => {
  for (const [g, o, kind] of [["go-a", "ours-a", "dsse"], ["go-intoto", "ours-intoto", "intoto"]]) {
    const go = await read(`${g}.json`);
    const ours = await read(`${o}.json`);
    assert.deepEqual(shape(ours), shape(go), g);
    assert.equal(ours.mediaType, "application/vnd.dev.sigstore.bundle.v0.3+json");
    assert.deepEqual(ours.verificationMaterial.publicKey, go.verificationMaterial.publicKey);
    const [oe, ge] = [ours, go].map((b) => b.verificationMaterial.tlogEntries[0]);
    assert.deepEqual(oe.kindVersion, ge.kindVersion);
    assert.deepEqual(oe.kindVersion, { kind, version: "0.0.1" });
    assert.equal(ours.dsseEnvelope.payloadType, go.dsseEnvelope.payloadType);
    assert.equal(ours.dsseEnvelope.signatures.length, 1);
    assert.deepEqual(Object.keys(ours.dsseEnvelope.signatures[0]), ["sig"]);
  }
  // Without upload: no entry; the statement is the same (a's digest, the predicate) but for the
  // time cosign puts in it.
  const [gn, on] = [await read("go-n.json"), await read("ours-n.json")];
  assert.deepEqual(shape(on), shape(gn));
  assert.deepEqual(on.verificationMaterial, gn.verificationMaterial);
  const statement = (b: { dsseEnvelope: { payload: string } }) =>
    JSON.parse(new TextDecoder().decode(Uint8Array.fromBase64(b.dsseEnvelope.payload)));
  const [so, sg] = [statement(on), statement(gn)];
  assert.match(so.predicate.Timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  so.predicate.Timestamp = sg.predicate.Timestamp;
  assert.deepEqual(so, sg);
});

Deno.test("an attestation bundle without log entry verifies with both only with --insecure-ignore-tlog", async () => {
  for (const bundle of ["go-n.json", "ours-n.json"]) {
    expectSameFailure(await Promise.all(TOOLS.map((t) => verify(t, bundle))), `${bundle} tlog`);
    for (const tool of TOOLS) {
      expectVerified(
        await verify(tool, bundle, "a.txt", ["--insecure-ignore-tlog=true"]),
        `${tool} verifies ${bundle} without the log`,
      );
    }
  }
});

Deno.test("an attestation bundle with one field changed is rejected by both tools", async () => {
  // deno-lint-ignore no-explicit-any
  const entry = (b: any) => b.verificationMaterial.tlogEntries[0];
  const statementOf = (b: { dsseEnvelope: { payload: string } }) =>
    JSON.parse(new TextDecoder().decode(Uint8Array.fromBase64(b.dsseEnvelope.payload)));
  const setStatement = (
    b: { dsseEnvelope: { payload: string } },
    s: unknown,
  ) => (b.dsseEnvelope.payload = new TextEncoder().encode(JSON.stringify(s)).toBase64());
  // deno-lint-ignore no-explicit-any
  const cases: [string, string, RegExp, (b: any) => void][] = [
    ["signature", "go-a.json", /TLOG|signature does not match/, (b) => {
      b.dsseEnvelope.signatures[0].sig = flip(b.dsseEnvelope.signatures[0].sig);
    }],
    ["payload type", "go-a.json", /accepted signatures do not match threshold/, (b) => {
      b.dsseEnvelope.payloadType = "application/json";
    }],
    ["statement subject", "go-a.json", /DSSE payload does not match/, (b) => {
      const s = statementOf(b);
      s.subject[0].digest.sha256 = "0".repeat(64);
      setStatement(b, s);
    }],
    ["SET", "go-a.json", /unable to verify SET/, (b) => {
      const p = entry(b).inclusionPromise;
      p.signedEntryTimestamp = flip(p.signedEntryTimestamp);
    }],
    ["body", "go-a.json", /unable to verify SET/, (b) => {
      const e = entry(b);
      const body = new TextDecoder().decode(Uint8Array.fromBase64(e.canonicalizedBody));
      const changed = body.replace(/"value":"(.)/, (_, c) => `"value":"${c === "0" ? "1" : "0"}`);
      assert.notEqual(changed, body);
      e.canonicalizedBody = new TextEncoder().encode(changed).toBase64();
    }],
    ["inclusion hash", "go-a.json", /cannot verify inclusion proof/, (b) => {
      const p = entry(b).inclusionProof;
      p.rootHash = flip(p.rootHash);
    }],
    ["predicate", "go-a.json", /DSSE payload does not match/, (b) => {
      const s = statementOf(b);
      s.predicate.Data = "{}";
      setStatement(b, s);
    }],
    ["spliced entry", "go-a.json", /payload does not match|signature does not match/, (b) => {
      b.verificationMaterial.tlogEntries = [];
    }],
  ];
  const b = await read("go-b.json");
  cases[cases.length - 1][3] = (
    a,
  ) => (a.verificationMaterial.tlogEntries = b.verificationMaterial.tlogEntries);
  for (const [what, source, ours, change] of cases) {
    const changed = await read(source);
    change(changed);
    await Deno.writeTextFile(join(dir, "changed.json"), JSON.stringify(changed));
    const results = await Promise.all(TOOLS.map((t) => verify(t, "changed.json")));
    expectSameFailure(results, what);
    assert.equal(results[0].code, 1, `${what}: ${describe(results[0])}`);
    assert.match(results[1].stderr, ours, `${what}: ${describe(results[1])}`);
  }
});

Deno.test("another blob, another predicate type: rejected by both; --check-claims=false skips the blob", async () => {
  const other = await Promise.all(TOOLS.map((t) => verify(t, "go-a.json", "b.txt")));
  expectSameFailure(other, "another blob");
  assert.match(other[1].stderr, /provided artifact digest does not match any digest in statement/);
  const type = await Promise.all(
    TOOLS.map((t) => verify(t, "ours-a.json", "a.txt", ["--type", "slsaprovenance"])),
  );
  expectSameFailure(type, "another predicate type");
  assert.match(type[1].stderr, /invalid predicate type, expected slsaprovenance got/);
  for (const tool of TOOLS) {
    expectVerified(
      await verify(tool, "ours-a.json", "b.txt", ["--check-claims=false"]),
      `${tool} without claims`,
    );
  }
});

Deno.test("--trusted-root with cosign's old attestation bundle: refused by both", async () => {
  expectSuccess(
    await run("go", [
      "attest-blob",
      "--key",
      "cosign.key",
      "--predicate",
      "predicate.json",
      "--yes",
      "--rekor-url",
      rekor.url,
      "--bundle",
      "old.json",
      "a.txt",
    ], opts),
    "old bundle",
  );
  const env = { ...opts.env, SIGSTORE_REKOR_PUBLIC_KEY: join(dir, "rekor.pub") };
  const results = await Promise.all(
    TOOLS.map((t) =>
      run(t, [
        "verify-blob-attestation",
        "--key",
        "cosign.pub",
        "--bundle",
        "old.json",
        "--trusted-root",
        "trusted_root.json",
        "a.txt",
      ], { ...opts, env })
    ),
  );
  assert.ok(
    results[0].stderr.includes("Error: --trusted-root only supported with --new-bundle-format\n"),
    describe(results[0]),
  );
  assert.equal(
    results[1].stderr,
    "error: --trusted-root only supported with --new-bundle-format\n",
  );
  // Without --trusted-root the old bundle verifies with both, the log key from the environment.
  for (const tool of TOOLS) {
    expectVerified(
      await run(tool, [
        "verify-blob-attestation",
        "--key",
        "cosign.pub",
        "--bundle",
        "old.json",
        "a.txt",
      ], { ...opts, env }),
      `${tool} old bundle`,
    );
  }
});
