import assert from "node:assert/strict";
import { RegistryError } from "../errors.ts";
import { sha256Digest } from "./sha256_digest.ts";
import { MemoryRegistry } from "./memory_registry.ts";

const repo = { registry: "mem.test", repository: "app" };
const enc = new TextEncoder();

async function pushImage(reg: MemoryRegistry, tag: string, subject?: string) {
  const config = await reg.putBlob(repo, enc.encode("{}"));
  const layer = await reg.putBlob(repo, enc.encode(`layer ${tag}`));
  const m: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.example+json", ...config },
    layers: [{ mediaType: "application/octet-stream", ...layer }],
  };
  if (subject) {
    m.subject = {
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: subject,
      size: 1,
    };
  }
  const bytes = enc.encode(JSON.stringify(m));
  return await reg.putManifest(repo, tag, bytes, "application/vnd.oci.image.manifest.v1+json");
}

Deno.test("MemoryRegistry serves manifests by tag and digest with their exact bytes", async () => {
  const reg = new MemoryRegistry();
  const digest = await pushImage(reg, "v1");
  const byTag = await reg.getManifest(repo, "v1");
  assert.equal(byTag.digest, digest);
  assert.equal(await sha256Digest(byTag.bytes), digest);
  assert.deepEqual((await reg.getManifest(repo, digest)).bytes, byTag.bytes);
  assert.deepEqual(await reg.headManifest(repo, "v1"), {
    digest,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    size: byTag.bytes.length,
  });
  assert.equal(await reg.headManifest(repo, "nope"), undefined);
  assert.deepEqual(await reg.listTags(repo), ["v1"]);
  await reg.deleteManifest(repo, digest);
  assert.deepEqual(await reg.listTags(repo), []);
});

Deno.test("MemoryRegistry answers 404 with OCI codes", async () => {
  const reg = new MemoryRegistry();
  await assert.rejects(reg.getManifest(repo, "v1"), { code: "NAME_UNKNOWN", status: 404 });
  await pushImage(reg, "v1");
  await assert.rejects(reg.getManifest(repo, "v2"), (e) => {
    assert.ok(e instanceof RegistryError);
    assert.equal(e.code, "MANIFEST_UNKNOWN");
    assert.equal(e.status, 404);
    return true;
  });
  await assert.rejects(reg.getBlobBytes(repo, `sha256:${"0".repeat(64)}`, 10), {
    code: "BLOB_UNKNOWN",
  });
});

Deno.test("MemoryRegistry rejects manifests a registry would reject", async () => {
  const reg = new MemoryRegistry();
  const mt = "application/vnd.oci.image.manifest.v1+json";
  const missing = enc.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: mt,
    config: { mediaType: "x", digest: `sha256:${"1".repeat(64)}`, size: 2 },
    layers: [],
  }));
  const cases: Array<[string, Uint8Array, string, string]> = [
    ["tag", missing, mt, "BLOB_UNKNOWN"],
    ["tag", enc.encode("{"), mt, "REGISTRY"],
    ["tag", enc.encode('{"schemaVersion":2,"mediaType":"a"}'), mt, "REGISTRY"],
    ["tag", enc.encode("{}"), "text/plain", "REGISTRY"],
    [`sha256:${"2".repeat(64)}`, missing, mt, "DIGEST_MISMATCH"],
  ];
  for (const [ref, bytes, type, code] of cases) {
    await assert.rejects(reg.putManifest(repo, ref, bytes, type), { code }, `${ref} ${type}`);
  }
});

Deno.test("MemoryRegistry checks blob digests and bounds reads", async () => {
  const reg = new MemoryRegistry();
  const bytes = enc.encode("hello");
  const d = await sha256Digest(bytes);
  const stream = () => new Blob([bytes]).stream();
  await assert.rejects(reg.putBlob(repo, { stream, digest: `sha256:${"3".repeat(64)}`, size: 5 }), {
    code: "DIGEST_MISMATCH",
  });
  assert.deepEqual(await reg.putBlob(repo, { stream, digest: d, size: 5 }), { digest: d, size: 5 });
  assert.equal(await reg.hasBlob(repo, d), true);
  assert.deepEqual(await reg.getBlobBytes(repo, d, 5), bytes);
  await assert.rejects(reg.getBlobBytes(repo, d, 4), { code: "TOO_LARGE" });
  const s = await reg.getBlob(repo, d, { maxSize: 4 });
  await assert.rejects(new Response(s).arrayBuffer(), { code: "TOO_LARGE" });
  const other = { registry: "mem.test", repository: "other" };
  await reg.putBlob(other, { stream, digest: d, size: 5 }, { mountFrom: repo });
  assert.equal(await reg.hasBlob(other, d), true);
});

Deno.test("MemoryRegistry lists referrers by subject and artifact type", async () => {
  const reg = new MemoryRegistry();
  const subject = await pushImage(reg, "v1");
  const referrer = await pushImage(reg, "ref", subject);
  const found = await reg.referrers(repo, subject);
  assert.equal(found.length, 1);
  assert.equal(found[0].digest, referrer);
  assert.equal(found[0].artifactType, "application/vnd.example+json");
  assert.deepEqual(await reg.referrers(repo, subject, "other/type"), []);
});

Deno.test("MemoryRegistry calls the hook before every operation (fault injection)", async () => {
  const ops: string[] = [];
  const reg = new MemoryRegistry({
    hook: (op, _repo, target) => {
      ops.push(`${op} ${target ?? ""}`.trim());
      if (target === "boom") throw new RegistryError("REGISTRY", "injected", { status: 500 });
    },
  });
  await assert.rejects(reg.getManifest(repo, "boom"), { message: "injected", status: 500 });
  assert.deepEqual(ops, ["getManifest boom"]);
});
