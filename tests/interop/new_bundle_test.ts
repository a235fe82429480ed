/**
 * Sigstore bundles (`sign-blob --new-bundle-format --bundle`, `verify-blob --bundle
 * --trusted-root`) with a real local Rekor and a trusted_root.json made for it: bundles made by
 * the Go cosign verify with ours and the other way round; a bundle with one significant field
 * changed, or with an entry spliced in from another blob's bundle, is rejected by both.
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
const dir = await suiteDir("cosign-interop-new-bundle-");
globalThis.addEventListener("unload", () => void rekor.stop());

const opts = suiteOptions(dir);

await writeTrustedRoot(join(dir, "trusted_root.json"), {
  baseUrl: rekor.url,
  spki: parsePublicKeyPem(rekor.publicKeyPem).spki,
});

expectSuccess(await run("go", ["generate-key-pair"], opts), "keys");
const signArgs = (bundle: string, blob: string, upload = true) => [
  "sign-blob",
  "--key",
  "cosign.key",
  ...(upload ? ["--rekor-url", rekor.url, "--yes"] : ["--tlog-upload=false"]),
  "--new-bundle-format",
  "--bundle",
  bundle,
  blob,
];
// b and c first, so that a's entry has a proof with hashes in a tree of size > 1.
for (const name of ["b", "c", "a"]) {
  await Deno.writeTextFile(join(dir, `${name}.txt`), `artifact ${name}\n`);
  expectSuccess(await run("go", signArgs(`go-${name}.json`, `${name}.txt`), opts), `go ${name}`);
}
expectSuccess(await run("ours", signArgs("ours-a.json", "a.txt"), opts), "ours signs a");
expectSuccess(await run("go", signArgs("go-n.json", "a.txt", false), opts), "go, no upload");
expectSuccess(await run("ours", signArgs("ours-n.json", "a.txt", false), opts), "ours, no upload");

const verify = (tool: "go" | "ours", bundle: string, blob = "a.txt", extra: string[] = []) =>
  run(tool, [
    "verify-blob",
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

/** The shape of a JSON value: object keys in order, recursively; leaves by type. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (typeof v === "object" && v !== null) {
    return Object.entries(v).map(([k, x]) => [k, shape(x)]);
  }
  return typeof v;
}

Deno.test("bundles made by either tool verify with both", async () => {
  for (const bundle of ["go-a.json", "ours-a.json"]) {
    for (const tool of TOOLS) {
      expectVerified(await verify(tool, bundle), `${tool} verifies ${bundle}`);
    }
  }
});

Deno.test("our bundle has exactly the Go cosign's structure, key hint and entry fields", async () => {
  const go = await read("go-a.json");
  const ours = await read("ours-a.json");
  assert.deepEqual(shape(ours), shape(go));
  assert.equal(ours.mediaType, "application/vnd.dev.sigstore.bundle.v0.3+json");
  assert.deepEqual(ours.verificationMaterial.publicKey, go.verificationMaterial.publicKey);
  const [o, g] = [ours, go].map((b) => b.verificationMaterial.tlogEntries[0]);
  assert.deepEqual(o.logId, g.logId);
  assert.deepEqual(o.kindVersion, { kind: "hashedrekord", version: "0.0.1" });
  assert.deepEqual(ours.messageSignature.messageDigest, go.messageSignature.messageDigest);
  assert.ok(g.inclusionProof.hashes.length >= 1, "a's proof has hashes");
  // Without upload: the same bytes but for the (randomised ECDSA) signature.
  const [gn, on] = [await read("go-n.json"), await read("ours-n.json")];
  assert.deepEqual(shape(on), shape(gn));
  assert.deepEqual({ ...on, messageSignature: null }, { ...gn, messageSignature: null });
});

Deno.test("a bundle without log entry verifies with both only with --insecure-ignore-tlog", async () => {
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

const flip = (b64: string, at = 0.5) => {
  const bytes = Uint8Array.fromBase64(b64);
  bytes[Math.floor(bytes.length * at)] ^= 1;
  return bytes.toBase64();
};

Deno.test("a bundle with one significant field changed is rejected by both tools", async () => {
  const original = await read("go-a.json");
  // deno-lint-ignore no-explicit-any
  const entry = (b: any) => b.verificationMaterial.tlogEntries[0];
  // deno-lint-ignore no-explicit-any
  const cases: [string, RegExp, (b: any) => void][] = [
    [
      "signature",
      /cannot verify signature: invalid signature/,
      (b) => (b.messageSignature.signature = flip(b.messageSignature.signature)),
    ],
    ["SET", /unable to verify SET/, (b) => {
      const p = entry(b).inclusionPromise;
      p.signedEntryTimestamp = flip(p.signedEntryTimestamp);
    }],
    ["inclusion hash", /cannot verify inclusion proof: calculated root/, (b) => {
      const p = entry(b).inclusionProof;
      p.hashes[0] = flip(p.hashes[0]);
    }],
    [
      "root hash",
      /cannot verify inclusion proof: calculated root/,
      (b) => (entry(b).inclusionProof.rootHash = flip(entry(b).inclusionProof.rootHash)),
    ],
    ["checkpoint signature", /cannot verify checkpoint: no signature by the log key/, (b) => {
      const c = entry(b).inclusionProof.checkpoint;
      const lines = c.envelope.split("\n");
      const sig = lines.at(-2).split(" ");
      sig[2] = flip(sig[2], 0.8);
      lines[lines.length - 2] = sig.join(" ");
      c.envelope = lines.join("\n");
    }],
    ["checkpoint tree size", /cannot verify checkpoint: no signature by the log key/, (b) => {
      const c = entry(b).inclusionProof.checkpoint;
      c.envelope = c.envelope.replace(/\n(\d+)\n/, (_: string, n: string) => `\n${+n + 1}\n`);
    }],
    ["body", /unable to verify SET/, (b) => {
      // Another digest in a body that still parses.
      const e = entry(b);
      const body = new TextDecoder().decode(Uint8Array.fromBase64(e.canonicalizedBody));
      const changed = body.replace(/"value":"(.)/, (_, c) => `"value":"${c === "0" ? "1" : "0"}`);
      assert.notEqual(changed, body);
      e.canonicalizedBody = new TextEncoder().encode(changed).toBase64();
    }],
    [
      "log index",
      /unable to verify SET/,
      (b) => (entry(b).logIndex = String(+entry(b).logIndex + 1)),
    ],
    [
      "proof log index",
      /cannot verify inclusion proof/,
      (b) => (entry(b).inclusionProof.logIndex = "1"),
    ],
    [
      "integrated time",
      /unable to verify SET/,
      (b) => (entry(b).integratedTime = String(+entry(b).integratedTime + 1)),
    ],
    [
      "log ID",
      /no transparency log with key ID/,
      (b) => (entry(b).logId.keyId = flip(entry(b).logId.keyId)),
    ],
  ];
  for (const [what, ours, change] of cases) {
    const b = structuredClone(original);
    change(b);
    await Deno.writeTextFile(join(dir, "changed.json"), JSON.stringify(b));
    const results = await Promise.all(TOOLS.map((t) => verify(t, "changed.json")));
    expectSameFailure(results, what);
    assert.equal(results[0].code, 1, `${what}: ${describe(results[0])}`);
    assert.match(results[1].stderr, ours, `${what}: ${describe(results[1])}`);
  }
});

Deno.test("a message digest that is not the blob's: the Go cosign ignores it, ours refuses", async () => {
  const b = await read("go-a.json");
  b.messageSignature.messageDigest.digest = flip(b.messageSignature.messageDigest.digest);
  await Deno.writeTextFile(join(dir, "digest.json"), JSON.stringify(b));
  expectVerified(await verify("go", "digest.json"), "go ignores the message digest");
  const ours = await verify("ours", "digest.json");
  assert.equal(ours.code, 1);
  assert.match(ours.stderr, /error: cannot verify the bundle: artifact does not match digest\n/);
});

Deno.test("a valid entry spliced in from another blob's bundle is rejected by both tools", async () => {
  const a = await read("go-a.json");
  const b = await read("go-b.json");
  a.verificationMaterial.tlogEntries = b.verificationMaterial.tlogEntries;
  await Deno.writeTextFile(join(dir, "spliced.json"), JSON.stringify(a));
  const results = await Promise.all(TOOLS.map((t) => verify(t, "spliced.json")));
  expectSameFailure(results, "spliced entry");
  assert.match(results[1].stderr, /transparency log signature does not match/);
  // b's bundle and blob are fine; b's bundle with a's blob is not.
  for (const tool of TOOLS) expectVerified(await verify(tool, "go-b.json", "b.txt"), tool);
  expectSameFailure(
    await Promise.all(TOOLS.map((t) => verify(t, "go-b.json", "a.txt"))),
    "b's bundle, a's blob",
  );
});

Deno.test("cosign's errors for the new bundle format", async () => {
  const cases: [string[], Record<string, string>, string][] = [
    [
      [],
      { SIGSTORE_REKOR_PUBLIC_KEY: rekor.publicKeyPath },
      "trusted root is required when using new bundle format",
    ],
    [
      ["--trusted-root", "trusted_root.json", "--signature", "x"],
      {},
      "when using --new-bundle-format, please supply signed content with --bundle and verification content with --trusted-root",
    ],
  ];
  for (const [args, env, message] of cases) {
    const go = await run("go", [
      "verify-blob",
      "--key",
      "cosign.pub",
      "--bundle",
      "go-a.json",
      ...args,
      "a.txt",
    ], { ...opts, env: { ...opts.env, ...env } });
    const ours = await run("ours", [
      "verify-blob",
      "--key",
      "cosign.pub",
      "--bundle",
      "go-a.json",
      ...args,
      "a.txt",
    ], { ...opts, env: { ...opts.env, ...env } });
    assert.equal(go.code, 1);
    assert.ok(go.stderr.includes(`Error: ${message}\n`), describe(go));
    // A usage error: ours exits 1, as cosign does for every bad flag combination.
    assert.equal(ours.code, 1, describe(ours));
    assert.equal(ours.stderr, `error: ${message}\n`);
  }
  // The old bundle format with --trusted-root.
  const old = join(dir, "old.bundle");
  expectSuccess(
    await run("go", [
      "sign-blob",
      "--key",
      "cosign.key",
      "--tlog-upload=false",
      "--bundle",
      old,
      "a.txt",
    ], opts),
    "old bundle",
  );
  const go = await run("go", [
    "verify-blob",
    "--key",
    "cosign.pub",
    "--bundle",
    old,
    "--trusted-root",
    "trusted_root.json",
    "--insecure-ignore-tlog",
    "a.txt",
  ], opts);
  assert.ok(
    go.stderr.includes("Error: --trusted-root only supported with --new-bundle-format\n"),
    describe(go),
  );
  const ours = await run("ours", [
    "verify-blob",
    "--key",
    "cosign.pub",
    "--bundle",
    old,
    "--trusted-root",
    "trusted_root.json",
    "--insecure-ignore-tlog",
    "a.txt",
  ], opts);
  assert.equal(ours.stderr, "error: --trusted-root only supported with --new-bundle-format\n");
});
