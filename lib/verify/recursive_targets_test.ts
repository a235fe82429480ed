import assert from "node:assert/strict";
import { SigstoreError, VerificationError } from "../errors.ts";
import { MemoryRegistry } from "../registry/memory_registry.ts";
import type { Repository } from "../registry/types.ts";
import { IMAGES, pushTestImages } from "../../tests/helpers/oci_images.ts";
import { platformName, recursiveTargets } from "./recursive_targets.ts";

const repo: Repository = { registry: "127.0.0.1:5078", repository: "test/multi" };
const INDEX = "application/vnd.oci.image.index.v1+json";
const MANIFEST = "application/vnd.oci.image.manifest.v1+json";

Deno.test("recursiveTargets() lists the index, then each platform manifest in order", async () => {
  const reg = new MemoryRegistry();
  await pushTestImages(reg, repo);
  assert.deepEqual(await recursiveTargets(reg, { ...repo, tag: "multi" }), [
    { digest: IMAGES.index, mediaType: INDEX, index: true },
    { digest: IMAGES.amd64, mediaType: MANIFEST, index: false, platform: "linux/amd64" },
    { digest: IMAGES.arm64, mediaType: MANIFEST, index: false, platform: "linux/arm64" },
  ]);
  // An image is only itself.
  assert.deepEqual(await recursiveTargets(reg, { ...repo, digest: IMAGES.arm64 }), [
    { digest: IMAGES.arm64, mediaType: MANIFEST, index: false },
  ]);
});

Deno.test("recursiveTargets() refuses what it cannot walk, with codes", async () => {
  const reg = new MemoryRegistry();
  await pushTestImages(reg, repo);
  // deno-lint-ignore no-explicit-any
  const cases: [string, () => Promise<unknown>, new (...a: any[]) => Error, string, RegExp][] = [
    [
      "a missing tag",
      () => recursiveTargets(reg, { ...repo, tag: "nope" }),
      VerificationError,
      "TAG_NOT_FOUND",
      /^image tag not found: /,
    ],
    [
      "an index listing an unknown media type",
      async () => {
        const bytes = new TextEncoder().encode(JSON.stringify({
          schemaVersion: 2,
          mediaType: INDEX,
          manifests: [{ mediaType: "text/plain", digest: IMAGES.amd64, size: 1 }],
        }));
        await reg.putManifest(repo, "odd", bytes, INDEX);
        return recursiveTargets(reg, { ...repo, tag: "odd" });
      },
      SigstoreError,
      "UNSUPPORTED",
      /^unknown mime type: text\/plain$/,
    ],
  ];
  for (const [what, fn, cls, code, message] of cases) {
    await assert.rejects(fn, (e: unknown) => {
      assert.ok(e instanceof cls, what);
      assert.equal((e as SigstoreError).code, code, what);
      assert.match((e as Error).message, message, what);
      return true;
    });
  }
});

Deno.test("platformName() is os/architecture[/variant]", () => {
  assert.equal(platformName({ os: "linux", architecture: "arm", variant: "v7" }), "linux/arm/v7");
  assert.equal(platformName({ os: "linux", architecture: "amd64" }), "linux/amd64");
  assert.equal(platformName(undefined), undefined);
});
