/**
 * Ours and the real Go cosign v2.6.4 against the same hostile registry
 * (tests/helpers/hostile_registry.ts): signature layers longer or shorter than their descriptor,
 * with or without Content-Length, endless, or declaring more than COSIGN_MAX_ATTACHMENT_SIZE; a
 * referrer bundle layer declaring 200 MiB. Both refuse every one the same way (same exit code);
 * ours never reads past the declared size (go-containerregistry stops at it too, with
 * `io.LimitReader`, then fails the digest), and never downloads what declares too much.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { OCI_EMPTY, OCI_MANIFEST } from "../../lib/registry/media_types.ts";
import type { Descriptor, ImageManifest } from "../../lib/registry/types.ts";
import { IMAGES, pushTestImages } from "../helpers/oci_images.ts";
import { type BlobFault, startHostileRegistry } from "../helpers/hostile_registry.ts";
import {
  expectSameFailure,
  FIXTURES,
  run,
  type RunResult,
  suiteDir,
  suiteOptions,
  TOOLS,
} from "./_run.ts";

const hostile = startHostileRegistry();
globalThis.addEventListener("unload", () => void hostile.stop());
const dir = await suiteDir("cosign-interop-hostile-");
const opts = suiteOptions(dir);
const OCI = join(FIXTURES, "cosign-oci");
await Deno.copyFile(join(OCI, "cosign.pub"), join(dir, "cosign.pub"));
await Deno.copyFile(
  join(FIXTURES, "new_bundle", "trusted_root.json"),
  join(dir, "trusted_root.json"),
);
const MiB = 1024 * 1024;

const golden = JSON.parse(
  await Deno.readTextFile(join(OCI, "oci-two-signatures", "manifest.json")),
) as ImageManifest;
const payload = await Deno.readFile(join(OCI, "oci-two-signatures", "layer-0.json"));
const config = await Deno.readFile(join(OCI, "oci-two-signatures", "config.json"));
const [layer] = golden.layers;

let n = 0;
/** A repository whose amd64 image has one signature layer, `declared` bytes, served by `fault`. */
async function signedWith(declared: number, fault: BlobFault | undefined): Promise<string> {
  const name = `interop/app${++n}`;
  const repo = hostile.repo(name);
  await pushTestImages(hostile.store, repo);
  await hostile.store.putBlob(repo, config);
  await hostile.store.putBlob(repo, payload);
  const manifest = { ...golden, layers: [{ ...layer, size: declared }] };
  const tag = `sha256-${IMAGES.amd64.slice(7)}.sig`;
  await hostile.store.putManifest(
    repo,
    tag,
    new TextEncoder().encode(JSON.stringify(manifest)),
    OCI_MANIFEST,
  );
  if (fault) hostile.faults.set(layer.digest, fault);
  else hostile.faults.delete(layer.digest);
  return `${hostile.host}/${name}@${IMAGES.amd64}`;
}

const verify = (
  ref: string,
) => ["verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", ref];

async function both(args: string[]): Promise<RunResult[]> {
  const out = [];
  for (const tool of TOOLS) out.push(await run(tool, args, opts));
  return out;
}

Deno.test("interop: both verify the golden signature through the hostile registry when it is honest", async () => {
  const ref = await signedWith(layer.size, undefined);
  for (const r of await both(verify(ref))) assert.equal(r.code, 0, `${r.tool}: ${r.stderr}`);
});

Deno.test("interop: both refuse a signature layer that lies about its size", async () => {
  const cases: Array<[string, number, BlobFault]> = [
    ["longer, with Content-Length", layer.size - 1, { kind: "body", bytes: payload }],
    [
      "longer, chunked",
      layer.size - 1,
      { kind: "body", bytes: payload, contentLength: null },
    ],
    ["shorter, with Content-Length", layer.size + 1, { kind: "body", bytes: payload }],
    [
      "shorter, chunked",
      layer.size + 1,
      { kind: "body", bytes: payload, contentLength: null },
    ],
    ["endless, declaring 260 bytes", 260, { kind: "endless" }],
  ];
  try {
    for (const [what, declared, fault] of cases) {
      const results = await both(verify(await signedWith(declared, fault)));
      expectSameFailure(results, what);
      assert.equal(results[0].code, 12, what);
      const ours = results.find((r) => r.tool === "ours")!;
      assert.match(
        ours.stderr,
        /error: no matching signatures: Cannot fetch blob .*: (Content-Length \d+ does not match the declared size \d+|the content is longer than its declared size \d+|the content has \d+ bytes, its descriptor declares \d+)\n$/,
        what,
      );
    }
  } finally {
    hostile.faults.delete(layer.digest);
  }
});

Deno.test("interop: both refuse a layer declaring more than COSIGN_MAX_ATTACHMENT_SIZE without fetching it", async () => {
  const ref = await signedWith(200 * MiB, { kind: "endless" });
  const before = hostile.requests.length;
  const results = await both(verify(ref));
  expectSameFailure(results, "200 MiB declared");
  for (const r of results) {
    assert.match(r.stderr, /size of layer \(209715200\) exceeded the limit \(134217728\)/, r.tool);
  }
  const blobGets = hostile.requests.slice(before).filter((r) => r.path.includes("/blobs/"));
  assert.deepEqual(blobGets, []);
  hostile.faults.delete(layer.digest);
});

Deno.test("interop: both find no valid bundle when the referrer bundle layer declares 200 MiB", async () => {
  const name = `interop/bundle${++n}`;
  const repo = hostile.repo(name);
  await pushTestImages(hostile.store, repo);
  const empty = await hostile.store.putBlob(repo, new TextEncoder().encode("{}"));
  const digest = `sha256:${"b".repeat(64)}`;
  hostile.store.setBlobUnchecked(repo, digest, new Uint8Array());
  // Served honestly short: whoever fetches it gets 0 bytes, not 200 MiB.
  hostile.faults.set(digest, { kind: "body", bytes: new Uint8Array(), contentLength: null });
  const m = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json",
    config: { mediaType: OCI_EMPTY, ...empty },
    layers: [
      { mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json", size: 200 * MiB, digest },
    ] satisfies Descriptor[],
    subject: { mediaType: OCI_MANIFEST, digest: IMAGES.amd64, size: 100 },
  }));
  await hostile.store.putManifest(repo, "referrer", m, OCI_MANIFEST);
  const ref = `${hostile.host}/${name}@${IMAGES.amd64}`;
  const args = [
    "verify",
    "--key",
    "cosign.pub",
    "--new-bundle-format",
    "--trusted-root",
    "trusted_root.json",
    ref,
  ];
  const results: RunResult[] = [];
  const fetched: Record<string, number> = {};
  for (const tool of TOOLS) {
    const before = hostile.requests.length;
    results.push(await run(tool, args, opts));
    fetched[tool] = hostile.requests.slice(before).filter((r) => r.path.endsWith(digest)).length;
  }
  expectSameFailure(results, "200 MiB bundle");
  for (const r of results) assert.match(r.stderr, /no valid bundles exist in registry/, r.tool);
  // Ours skips it before any download (the 4 MiB bundle cap); Go has no cap on referrer bundles:
  // it fetches the layer and skips it only because its 0 bytes are not the 200 MiB declared (an
  // endless body would be read up to those 200 MiB).
  assert.deepEqual(fetched, { go: 1, ours: 0 });
});
