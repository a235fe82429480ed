/**
 * Attestations logged in a real local Rekor, both directions: each tool attests (images and blobs)
 * with an upload as a dsse or intoto entry, and both verify the entry offline with the log's key —
 * the `dev.sigstore.cosign/bundle` annotation of the attestation layer, or the `rekorBundle` of
 * `attest-blob --bundle`. Spliced and altered entries are rejected by both.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createRegistry } from "../../lib/registry/client.ts";
import { startRegistry } from "../peers/registry.ts";
import { startRekor } from "../peers/rekor.ts";
import { pushImage } from "../registry/_helpers.ts";
import {
  describe,
  expectSameFailure,
  expectSuccess,
  expectVerified,
  run,
  suiteDir,
  suiteOptions,
  TOOLS,
} from "./_run.ts";

const registry = await startRegistry({ mode: "http" });
const rekor = await startRekor();
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-rekor-att-");
addEventListener("unload", () => client.close());
globalThis.addEventListener("unload", () => void rekor.stop().then(() => registry.stop()));

const opts = suiteOptions(dir, { SIGSTORE_REKOR_PUBLIC_KEY: rekor.publicKeyPath });
expectSuccess(await run("go", ["generate-key-pair"], opts), "keys");
await Deno.writeTextFile(join(dir, "predicate.json"), '{"builder":{"id":"https://example.com"}}');
await Deno.writeTextFile(join(dir, "blob.txt"), "some blob\n");

let n = 0;
async function image(): Promise<string> {
  const repo = `rekor-att/app${++n}`;
  const { digest } = await pushImage(client, { registry: registry.host, repository: repo }, "v1");
  return `${registry.host}/${repo}@${digest}`;
}

const attestArgs = (ref: string, extra: string[] = []) => [
  "attest",
  "--key",
  "cosign.key",
  "--predicate",
  "predicate.json",
  "--rekor-url",
  rekor.url,
  "--yes",
  ...extra,
  ref,
];
const verifyArgs = (ref: string) => [
  "verify-attestation",
  "--key",
  "cosign.pub",
  "--rekor-url",
  rekor.url,
  ref,
];

type Manifest = { layers: { annotations: Record<string, string> }[] };
const repoOf = (ref: string) => ({
  registry: registry.host,
  repository: ref.slice(registry.host.length + 1).split("@")[0],
});
const tagOf = (ref: string) => `${ref.split("@")[1].replace(":", "-")}.att`;

async function editBundle(ref: string, edit: (bundle: string) => string): Promise<void> {
  const m = await client.getManifest(repoOf(ref), tagOf(ref));
  const man = structuredClone(m.manifest) as Manifest;
  const a = man.layers[0].annotations;
  a["dev.sigstore.cosign/bundle"] = edit(a["dev.sigstore.cosign/bundle"]);
  await client.putManifest(
    repoOf(ref),
    tagOf(ref),
    new TextEncoder().encode(JSON.stringify(man)),
    m.mediaType,
  );
}

/** Flips one bit of one byte in the middle of a base64 value. */
function flipBase64(b64: string): string {
  const bytes = Uint8Array.fromBase64(b64);
  bytes[bytes.length >> 1] ^= 0x01;
  return bytes.toBase64();
}

/** Rewrites the SET or the body of a RekorBundle JSON. */
function tamper(bundle: string, field: "SET" | "body"): string {
  const v = JSON.parse(bundle);
  if (field === "SET") v.SignedEntryTimestamp = flipBase64(v.SignedEntryTimestamp);
  else v.Payload.body = flipBase64(v.Payload.body);
  return JSON.stringify(v);
}

Deno.test("image attestations logged by either tool (dsse and intoto entries) verify offline in both", async () => {
  for (const signer of TOOLS) {
    for (const type of ["dsse", "intoto"]) {
      const ref = await image();
      const a = expectSuccess(
        await run(signer, attestArgs(ref, ["--rekor-entry-type", type]), opts),
        `${signer} attests with a ${type} Rekor entry`,
      );
      assert.match(a.stderr, /tlog entry created with index: \d+/, describe(a));
      const m = await client.getManifest(repoOf(ref), tagOf(ref));
      const bundle = JSON.parse(
        (m.manifest as Manifest).layers[0].annotations["dev.sigstore.cosign/bundle"],
      );
      const body = JSON.parse(new TextDecoder().decode(Uint8Array.fromBase64(bundle.Payload.body)));
      assert.equal(body.kind, type);
      const stderr = [];
      for (const verifier of TOOLS) {
        const v = expectSuccess(
          await run(verifier, verifyArgs(ref), opts),
          `${verifier} verifies ${signer}'s ${type} attestation`,
        );
        assert.match(
          v.stderr,
          /Existence of the claims in the transparency log was verified offline/,
          describe(v),
        );
        stderr.push(v.stderr);
      }
      assert.equal(stderr[0], stderr[1]);
    }
  }
});

Deno.test("a bundle annotation spliced from another attestation is rejected by both", async () => {
  const first = await image();
  const second = await image();
  for (const ref of [first, second]) {
    expectSuccess(await run("ours", attestArgs(ref), opts), "ours attests");
  }
  const a = await client.getManifest(repoOf(first), tagOf(first));
  const bundleA = (a.manifest as Manifest).layers[0].annotations["dev.sigstore.cosign/bundle"];
  await editBundle(second, () => bundleA);
  const results = await Promise.all(TOOLS.map((t) => run(t, verifyArgs(second), opts)));
  expectSameFailure(results, "spliced bundle annotation");
  assert.match(results[TOOLS.indexOf("ours")].stderr, /matching bundle to payload/);
});

Deno.test("one bit changed in the SET or the body of an attestation's bundle is rejected by both", async () => {
  for (const field of ["SET", "body"] as const) {
    const ref = await image();
    expectSuccess(await run("go", attestArgs(ref), opts), "go attests");
    await editBundle(ref, (b) => tamper(b, field));
    const results = await Promise.all(TOOLS.map((t) => run(t, verifyArgs(ref), opts)));
    expectSameFailure(results, `altered ${field}`);
  }
});

Deno.test("an attestation without a bundle is not accepted when the log is checked", async () => {
  const ref = await image();
  expectSuccess(
    await run("go", attestArgs(ref, ["--tlog-upload=false"]), opts),
    "go attests without the log",
  );
  // Both look it up online (tests/interop/rekor_online_attestations_test.ts) and find nothing.
  const results = await Promise.all(TOOLS.map((t) => run(t, verifyArgs(ref), opts)));
  expectSameFailure(results, "attestation never logged");
  for (const r of results) {
    assert.match(r.stderr, /signature not found in transparency log/, describe(r));
  }
});

const attestBlobArgs = (bundle: string, type = "dsse") => [
  "attest-blob",
  "--key",
  "cosign.key",
  "--predicate",
  "predicate.json",
  "--rekor-url",
  rekor.url,
  "--rekor-entry-type",
  type,
  "--yes",
  "--bundle",
  bundle,
  "--output-signature",
  `${bundle}.sig`,
  "blob.txt",
];
const verifyBlobArgs = (bundle: string) => [
  "verify-blob-attestation",
  "--key",
  "cosign.pub",
  "--bundle",
  bundle,
  "--rekor-url",
  rekor.url,
  "blob.txt",
];

Deno.test("attest-blob --bundle by either tool verifies with verify-blob-attestation --bundle in both", async () => {
  const shapes: string[] = [];
  for (const signer of TOOLS) {
    for (const type of ["dsse", "intoto"]) {
      const bundle = `${signer}-${type}.bundle`;
      const a = expectSuccess(
        await run(signer, attestBlobArgs(bundle, type), opts),
        `${signer} attest-blob --bundle (${type})`,
      );
      assert.match(a.stderr, /tlog entry created with index: \d+/, describe(a));
      assert.match(a.stderr, new RegExp(`Bundle wrote in the file  ${bundle}`), describe(a));
      const b = JSON.parse(await Deno.readTextFile(join(dir, bundle)));
      // The envelope in the bundle is the one written with --output-signature.
      assert.equal(
        new TextDecoder().decode(Uint8Array.fromBase64(b.base64Signature)),
        (await Deno.readTextFile(join(dir, `${bundle}.sig`))).trimEnd(),
      );
      shapes.push(
        JSON.stringify([Object.keys(b), Object.keys(b.rekorBundle), b.cert, signer === "go"]),
      );
      for (const verifier of TOOLS) {
        expectVerified(
          await run(verifier, verifyBlobArgs(bundle), opts),
          `${verifier} verifies ${signer}'s ${type} blob bundle`,
        );
      }
    }
  }
  // Same fields in the same order, and the same `cert` (the public key PEM), in both tools.
  assert.equal(new Set(shapes.map((s) => s.replace(/,(true|false)\]$/, "]"))).size, 1);
});

Deno.test("blob bundles: a spliced entry and one bit changed in the SET or body are rejected by both", async () => {
  expectSuccess(await run("go", attestBlobArgs("one.bundle"), opts), "go attest-blob");
  await Deno.writeTextFile(join(dir, "predicate2.json"), '{"other":true}');
  const args = attestBlobArgs("two.bundle");
  args[args.indexOf("predicate.json")] = "predicate2.json";
  expectSuccess(await run("ours", args, opts), "ours attest-blob");
  const one = JSON.parse(await Deno.readTextFile(join(dir, "one.bundle")));
  const two = JSON.parse(await Deno.readTextFile(join(dir, "two.bundle")));
  const cases: [string, unknown][] = [
    ["spliced", { ...two, rekorBundle: one.rekorBundle }],
    ["SET", {
      ...one,
      rekorBundle: JSON.parse(tamper(JSON.stringify(one.rekorBundle), "SET")),
    }],
    ["body", {
      ...one,
      rekorBundle: JSON.parse(tamper(JSON.stringify(one.rekorBundle), "body")),
    }],
  ];
  for (const [what, bundle] of cases) {
    const file = `bad-${what}.bundle`;
    await Deno.writeTextFile(join(dir, file), JSON.stringify(bundle));
    const results = await Promise.all(TOOLS.map((t) => run(t, verifyBlobArgs(file), opts)));
    expectSameFailure(results, `blob bundle: ${what}`);
  }
});

Deno.test("attest-blob --tlog-upload=false --bundle: the same bundle fields in both, verified with --insecure-ignore-tlog", async () => {
  const texts: Record<string, string> = {};
  for (const signer of TOOLS) {
    const bundle = `nolog-${signer}.bundle`;
    expectSuccess(
      await run(signer, [
        "attest-blob",
        "--key",
        "cosign.key",
        "--predicate",
        "predicate.json",
        "--tlog-upload=false",
        "--bundle",
        bundle,
        "blob.txt",
      ], opts),
      `${signer} attest-blob without the log`,
    );
    texts[signer] = await Deno.readTextFile(join(dir, bundle));
    for (const verifier of TOOLS) {
      expectVerified(
        await run(verifier, [
          "verify-blob-attestation",
          "--key",
          "cosign.pub",
          "--bundle",
          bundle,
          "--insecure-ignore-tlog=true",
          "blob.txt",
        ], opts),
        `${verifier} verifies ${signer}'s bundle without a log entry`,
      );
    }
    // Without --insecure-ignore-tlog, a bundle with no rekorBundle is looked up online by both.
    const without = await Promise.all(TOOLS.map((t) => run(t, verifyBlobArgs(bundle), opts)));
    expectSameFailure(without, "blob bundle never logged");
    for (const r of without) {
      assert.match(r.stderr, /signature not found in transparency log/, describe(r));
    }
  }
  // Byte for byte but the envelope (ECDSA signatures differ): `{"base64Signature":…,"cert":…}`.
  const shape = (t: string) => t.replace(/"base64Signature":"[^"]+"/, '"base64Signature":""');
  assert.equal(shape(texts.ours), shape(texts.go));
});

Deno.test("verify-blob-attestation --bundle with another --key: ours rejects it (cosign 2.6.4 verifies with the bundle's key)", async () => {
  await Deno.mkdir(join(dir, "other"), { recursive: true });
  expectSuccess(
    await run("go", ["generate-key-pair"], { ...opts, cwd: join(dir, "other") }),
    "other keys",
  );
  expectSuccess(await run("go", attestBlobArgs("by-first-key.bundle"), opts), "go attest-blob");
  const argv = verifyBlobArgs("by-first-key.bundle");
  argv[argv.indexOf("cosign.pub")] = join("other", "cosign.pub");
  const ours = await run("ours", argv, opts);
  assert.equal(ours.code, 1, describe(ours));
  assert.match(ours.stderr, /public key in the entry does not match the verification key/);
  // The deviation, pinned: Go accepts, because the bundle's `cert` replaces the --key verifier.
  expectVerified(await run("go", argv, opts), "go with the other key");
});
