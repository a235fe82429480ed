import assert from "node:assert/strict";
import { MemoryRegistry } from "../registry/memory_registry.ts";
import type { Repository } from "../registry/types.ts";
import { IMAGES, pushTestImages } from "../../tests/helpers/oci_images.ts";
import { imagesToSign } from "./_images_to_sign.ts";

const app: Repository = { registry: "127.0.0.1:5077", repository: "test/app" };
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

/** Pushes an index whose only entry is `child`, returning its digest. */
async function wrap(reg: MemoryRegistry, child: { digest: string; mediaType: string }) {
  const bytes = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [{ ...child, size: (await reg.getManifest(app, child.digest)).bytes.length }],
  }));
  return { digest: await reg.putManifest(app, "nest", bytes, OCI_INDEX), mediaType: OCI_INDEX };
}

Deno.test("imagesToSign() takes a digest as is, resolves a tag, and walks an index when recursive", async () => {
  const reg = new MemoryRegistry();
  await pushTestImages(reg, app);
  const missing = `sha256:${"0".repeat(64)}`;
  const cases: [object, boolean, string[], boolean][] = [
    [{ digest: missing }, false, [missing], false],
    [{ tag: "amd64" }, false, [IMAGES.amd64], true],
    [{ tag: "multi" }, false, [IMAGES.index], true],
    [{ tag: "multi" }, true, [IMAGES.index, IMAGES.amd64, IMAGES.arm64], true],
    [{ digest: IMAGES.index }, true, [IMAGES.index, IMAGES.amd64, IMAGES.arm64], false],
  ];
  for (const [ref, recursive, digests, resolvedFromTag] of cases) {
    assert.deepEqual(
      await imagesToSign(reg, { ...app, ...ref }, recursive),
      { digests, resolvedFromTag },
      JSON.stringify([ref, recursive]),
    );
  }
  await assert.rejects(imagesToSign(reg, { ...app, tag: "missing" }), {
    code: "MANIFEST_UNKNOWN",
  });
});

Deno.test("imagesToSign() refuses indexes nested deeper than 8", async () => {
  const reg = new MemoryRegistry();
  await pushTestImages(reg, app);
  let top = { digest: IMAGES.index, mediaType: OCI_INDEX };
  for (let i = 0; i < 7; i++) top = await wrap(reg, top);
  // The top index and seven below it: depth 8 is walked.
  const ok = await imagesToSign(reg, { ...app, digest: top.digest }, true);
  assert.deepEqual(ok.digests.slice(-2), [IMAGES.amd64, IMAGES.arm64]);
  top = await wrap(reg, top);
  await assert.rejects(imagesToSign(reg, { ...app, digest: top.digest }, true), {
    name: "SigstoreError",
    code: "TOO_MANY",
    message: "Cannot sign recursively: indexes nested deeper than 8",
  });
});
