import assert from "node:assert/strict";
import { RegistryError } from "../errors.ts";
import { addFallbackReferrer } from "./fallback_referrer.ts";
import { MemoryRegistry } from "./memory_registry.ts";
import { OCI_INDEX } from "./media_types.ts";
import type { Registry, Repository } from "./types.ts";
import { IMAGES, pushTestImages } from "../../tests/helpers/oci_images.ts";

const repo: Repository = { registry: "127.0.0.1:5000", repository: "a/b" };
const subject = "sha256:" + "a".repeat(64);
const tag = "sha256-" + "a".repeat(64);
// The test images stand in for referrers (the memory registry checks that index entries exist).
const REAL: Record<string, { digest: string; size: number }> = {};
const d = (c: string) => ({
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  size: REAL[c].size,
  digest: REAL[c].digest,
  artifactType: "application/vnd.oci.empty.v1+json",
});
async function withImages<T extends MemoryRegistry>(reg: T): Promise<T> {
  await pushTestImages(reg, repo);
  for (const [c, digest] of [["b", IMAGES.amd64], ["c", IMAGES.arm64]]) {
    REAL[c] = { digest, size: (await reg.headManifest(repo, digest))!.size };
  }
  if (REAL.b.digest > REAL.c.digest) [REAL.b, REAL.c] = [REAL.c, REAL.b];
  return reg;
}

/** A memory registry that says whether it has the referrers API. */
class Api extends MemoryRegistry {
  asked = 0;
  constructor(readonly api: boolean) {
    super();
  }
  referrersApi(): Promise<boolean> {
    this.asked++;
    return Promise.resolve(this.api);
  }
}
const noApi = () => withImages(new Api(false));

const text = async (r: Registry) =>
  new TextDecoder().decode((await r.getManifest(repo, tag)).bytes);

Deno.test("addFallbackReferrer() creates, appends sorted, and skips what is listed", async () => {
  const reg = await noApi();
  await addFallbackReferrer(reg, repo, subject, d("c"));
  const one = `{"mediaType":"${d("c").mediaType}","size":${d("c").size},"digest":"${
    d("c").digest
  }","artifactType":"${d("c").artifactType}"}`;
  assert.equal(
    await text(reg),
    `{"schemaVersion":2,"mediaType":"${OCI_INDEX}","manifests":[${one}]}`,
  );
  await addFallbackReferrer(reg, repo, subject, d("b"));
  await addFallbackReferrer(reg, repo, subject, d("c"));
  const m = JSON.parse(await text(reg));
  assert.deepEqual(m.manifests.map((x: { digest: string }) => x.digest), [
    d("b").digest,
    d("c").digest,
  ]);
  assert.equal(reg.asked, 3);
});

Deno.test("addFallbackReferrer() leaves registries with the referrers API alone", async () => {
  const mem = await withImages(new MemoryRegistry());
  await addFallbackReferrer(mem, repo, subject, d("c"));
  await assert.rejects(mem.getManifest(repo, tag), RegistryError);
  const yes = await withImages(new Api(true));
  await addFallbackReferrer(yes, repo, subject, d("c"));
  assert.equal(yes.asked, 1);
  await assert.rejects(yes.getManifest(repo, tag), RegistryError);
});

Deno.test("addFallbackReferrer() refuses a fallback tag that is not an OCI index", async () => {
  const reg = await noApi();
  const bad = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.docker.distribution.manifest.list.v2+json",
    manifests: [],
  });
  await reg.putManifest(
    repo,
    tag,
    new TextEncoder().encode(bad),
    "application/vnd.docker.distribution.manifest.list.v2+json",
  );
  await assert.rejects(
    addFallbackReferrer(reg, repo, subject, d("c")),
    /fallback tag manifest is not an OCI image index/,
  );
});
