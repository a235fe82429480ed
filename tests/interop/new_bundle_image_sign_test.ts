/**
 * `cosign sign --new-bundle-format` for images with a key, against a real local Rekor and
 * go-containerregistry's registry (OCI 1.1 referrers): both tools push an artifact manifest of the
 * same shape referring to the image, and the Go cosign verifies the bundles of both
 * (`verify --new-bundle-format --trusted-root`); a bundle for another image is rejected.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createRegistry } from "../../lib/registry/client.ts";
import type { ImageManifest } from "../../lib/registry/types.ts";
import { parsePublicKeyPem } from "../../lib/keys/public_key.ts";
import { startRegistry } from "../peers/registry.ts";
import { startRekor } from "../peers/rekor.ts";
import { pushImage } from "../registry/_helpers.ts";
import {
  describe,
  expectSameFailure,
  expectSuccess,
  run,
  suiteDir,
  suiteOptions,
  TOOLS,
  writeTrustedRoot,
} from "./_run.ts";

const registry = await startRegistry({ mode: "referrers" });
const plain = await startRegistry({ mode: "http" });
const rekor = await startRekor();
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-new-bundle-img-");
addEventListener("unload", () => client.close());
globalThis.addEventListener(
  "unload",
  () => void rekor.stop().then(() => registry.stop()).then(() => plain.stop()),
);

const opts = suiteOptions(dir);
await writeTrustedRoot(join(dir, "trusted_root.json"), {
  baseUrl: rekor.url,
  spki: parsePublicKeyPem(rekor.publicKeyPem).spki,
});
expectSuccess(await run("go", ["generate-key-pair"], opts), "keys");

const BUNDLE_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";
let n = 0;
async function image(): Promise<{ ref: string; repo: string; digest: string }> {
  const repo = `nb/app${++n}`;
  const { digest } = await pushImage(client, { registry: registry.host, repository: repo }, "v1");
  return { ref: `${registry.host}/${repo}@${digest}`, repo, digest };
}

const signArgs = (ref: string) => [
  "sign",
  "--key",
  "cosign.key",
  "--rekor-url",
  rekor.url,
  "--yes",
  "--new-bundle-format",
  ref,
];
const verifyArgs = (ref: string) => [
  "verify",
  "--key",
  "cosign.pub",
  "--new-bundle-format",
  "--trusted-root",
  "trusted_root.json",
  ref,
];

/** The one bundle referrer of an image: its manifest and the bundle JSON. */
async function bundleReferrer(repo: string, digest: string) {
  const r = { registry: registry.host, repository: repo };
  // As cosign's GetBundles: every referrer (go-containerregistry's registry reports the config
  // media type as the artifact type), kept when its one layer is a bundle.
  const refs = await client.referrers(r, digest);
  assert.equal(refs.length, 1, JSON.stringify(refs));
  const m = await client.getManifest(r, refs[0].digest);
  const manifest = m.manifest as ImageManifest;
  assert.equal(manifest.artifactType, BUNDLE_TYPE);
  assert.equal(manifest.layers.length, 1);
  assert.equal(manifest.layers[0].mediaType, BUNDLE_TYPE);
  const bundle = JSON.parse(
    new TextDecoder().decode(await client.getBlobBytes(r, manifest.layers[0].digest, 1 << 20)),
  );
  return { manifest, bytes: new TextDecoder().decode(m.bytes), bundle };
}

/** The manifest with its timestamp and content digests blanked, for comparing shapes. */
function shape(text: string): string {
  return text
    .replace(/"org\.opencontainers\.image\.created":"[^"]*"/, '"created":"T"')
    .replace(/"layers":\[\{"mediaType":"[^"]*","size":\d+,"digest":"[^"]*"/, '"layers":[{"L"');
}

Deno.test("both tools push the same referrer shape and Go verifies both", async () => {
  const shapes: string[] = [];
  const stderrs: string[] = [];
  for (const signer of TOOLS) {
    const img = await image();
    const s = await run(signer, signArgs(img.ref), opts);
    expectSuccess(s, `${signer} signs into a bundle`);
    stderrs.push(s.stderr);
    const got = await bundleReferrer(img.repo, img.digest);
    shapes.push(shape(got.bytes).replace(img.digest, "SUBJECT"));
    assert.equal(got.manifest.subject?.digest, img.digest);
    // The registry has the referrers API: no fallback tag is written.
    const tags = await client.listTags({ registry: registry.host, repository: img.repo });
    assert.deepEqual(tags, ["v1"]);
    assert.match(got.manifest.annotations!["org.opencontainers.image.created"], /^\d{4}-.*Z$/);
    // The DSSE payload: cosign's sign/v1 statement about the image digest.
    const statement = JSON.parse(atob(got.bundle.dsseEnvelope.payload));
    assert.deepEqual(statement, {
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ digest: { sha256: img.digest.slice("sha256:".length) } }],
      predicateType: "https://sigstore.dev/cosign/sign/v1",
    });
    assert.equal(got.bundle.verificationMaterial.tlogEntries[0].kindVersion.kind, "dsse");
    assert.deepEqual(Object.keys(got.bundle), [
      "mediaType",
      "verificationMaterial",
      "dsseEnvelope",
    ]);
    const v = await run("go", verifyArgs(img.ref), opts);
    expectSuccess(v, `go verifies ${signer}'s bundle`);
    assert.match(v.stdout, /sigstore\.dev\/cosign\/sign\/v1/, describe(v));
  }
  assert.equal(shapes[1], shapes[0]);
  assert.equal(stderrs[1], stderrs[0]);
});

Deno.test("both reject a bundle moved to another image", async () => {
  // Ours signs image a; its bundle is re-attached, unchanged, as a referrer of image b.
  const a = await image();
  const b = await image();
  expectSuccess(await run("ours", signArgs(a.ref), opts), "ours signs a");
  const got = await bundleReferrer(a.repo, a.digest);
  expectSuccess(await run("go", verifyArgs(a.ref), opts), "go verifies a");
  const rb = { registry: registry.host, repository: b.repo };
  const head = await client.headManifest(rb, b.digest);
  const moved = JSON.parse(got.bytes);
  moved.subject = { mediaType: head!.mediaType, size: head!.size, digest: head!.digest };
  const bytes = new TextEncoder().encode(JSON.stringify(moved));
  const ra = { registry: registry.host, repository: a.repo };
  for (const l of [moved.config, ...moved.layers]) {
    await client.putBlob(rb, await client.getBlobBytes(ra, l.digest, 1 << 20));
  }
  const { digestOf } = await import("../../lib/registry/verifying_stream.ts");
  await client.putManifest(rb, await digestOf(bytes), bytes, moved.mediaType);
  const v = await run("go", verifyArgs(b.ref), opts);
  assert.notEqual(v.code, 0, describe(v));
  assert.match(v.stderr, /provided artifact digest does not match any digest in statement/);
  const ours = await run("ours", verifyArgs(b.ref), opts);
  expectSameFailure([v, ours], "a bundle moved to another image");
  assert.match(ours.stderr, /provided artifact digest does not match any digest in statement/);
});

Deno.test("without the referrers API both tools list the bundle in the sha256-<hex> tag index", async () => {
  const indexes: string[] = [];
  for (const signer of TOOLS) {
    const repo = `plain/app-${signer}`;
    const r = { registry: plain.host, repository: repo };
    const { digest } = await pushImage(client, r, "v1");
    const ref = `${plain.host}/${repo}@${digest}`;
    // Signed twice: the second referrer is added to the index, sorted by digest. (Our ECDSA is
    // deterministic (RFC 6979): the creation time, which ours takes from SOURCE_DATE_EPOCH, keeps
    // the two manifests apart; Go's signatures are randomised.)
    for (let i = 0; i < 2; i++) {
      const at = suiteOptions(dir, { SOURCE_DATE_EPOCH: String(1700000000 + i) });
      expectSuccess(
        await run(signer, [...signArgs(ref).slice(0, -1), "--tlog-upload=false", ref], at),
        `${signer} signs`,
      );
    }
    const fallback = await client.getManifest(r, digest.replace(":", "-"));
    const text = new TextDecoder().decode(fallback.bytes);
    const listed = (fallback.manifest as { manifests: { digest: string }[] }).manifests;
    assert.equal(listed.length, 2, `${signer}: ${text}`);
    assert.ok(listed[0].digest < listed[1].digest, text);
    for (const d of listed) {
      const m = (await client.getManifest(r, d.digest)).manifest as ImageManifest;
      assert.equal(m.subject?.digest, digest);
      assert.equal(m.layers[0].mediaType, BUNDLE_TYPE);
    }
    // Both verify through the tag index (no log entries: --insecure-ignore-tlog).
    for (const verifier of TOOLS) {
      const args = verifyArgs(ref).slice(0, -1);
      const v = await run(verifier, [...args, "--insecure-ignore-tlog", ref], opts);
      expectSuccess(v, `${verifier} verifies ${signer}'s bundles on a plain registry`);
      assert.equal(JSON.parse(v.stdout).length, 2, describe(v));
    }
    indexes.push(text.replace(/sha256:[0-9a-f]{64}/g, "D").replace(/"size":\d+/g, '"size":N'));
  }
  assert.equal(indexes[1], indexes[0]);
});

Deno.test("verify --new-bundle-format: both tools verify both tools' bundles, byte for byte alike", async () => {
  for (const signer of TOOLS) {
    const img = await image();
    expectSuccess(await run(signer, signArgs(img.ref), opts), `${signer} signs`);
    const byTag = `${registry.host}/${img.repo}:v1`;
    for (const target of [img.ref, byTag]) {
      const extras = [[], ["--insecure-ignore-tlog"], ["-o", "text"], ["-a", "k=v"], [
        "--check-claims=false",
      ]];
      for (const extra of extras) {
        const runs = [];
        for (const verifier of TOOLS) {
          const v = await run(
            verifier,
            [...verifyArgs(target).slice(0, -1), ...extra, target],
            opts,
          );
          expectSuccess(v, `${verifier} verifies ${signer}'s bundle of ${target} ${extra}`);
          runs.push(v);
        }
        assert.equal(runs[1].stdout, runs[0].stdout, describe(runs[1]));
        // One difference: with --insecure-ignore-tlog, Go still says the log was checked; ours
        // does not claim a check it did not make.
        const goStderr = extra[0] === "--insecure-ignore-tlog"
          ? runs[0].stderr.replace(
            "  - Existence of the claims in the transparency log was verified offline\n",
            "",
          )
          : runs[0].stderr;
        assert.equal(runs[1].stderr, goStderr, describe(runs[1]));
      }
    }
  }
});

Deno.test("verify --new-bundle-format: both tools refuse the same cases", async () => {
  const a = await image();
  const unsigned = await image();
  expectSuccess(await run("go", signArgs(a.ref), opts), "go signs a");
  expectSuccess(
    await run("go", ["generate-key-pair", "--output-key-prefix", "other"], opts),
    "other keys",
  );
  const cases: [string, string[]][] = [
    ["an image without bundles", verifyArgs(unsigned.ref)],
    ["another key", ["verify", "--key", "other.pub", ...verifyArgs(a.ref).slice(3)]],
    ["a missing tag", verifyArgs(`${registry.host}/${a.repo}:nope`)],
  ];
  for (const [what, args] of cases) {
    const runs = [];
    for (const tool of TOOLS) runs.push(await run(tool, args, opts));
    expectSameFailure(runs, what);
  }
  // A trusted root whose log has another key: the entry's log is unknown.
  await writeTrustedRoot(join(dir, "wrong_root.json"), {
    baseUrl: rekor.url,
    spki: parsePublicKeyPem(await Deno.readFile(join(dir, "other.pub"))).spki,
  });
  const wrong = verifyArgs(a.ref).map((x) => (x === "trusted_root.json" ? "wrong_root.json" : x));
  const runs = [];
  for (const tool of TOOLS) runs.push(await run(tool, wrong, opts));
  expectSameFailure(runs, "a root without the bundle's log");
});
