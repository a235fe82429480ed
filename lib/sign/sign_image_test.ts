import assert from "node:assert/strict";
import { loadPrivateKey } from "../keys/private_key.ts";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import { MemoryRegistry } from "../registry/memory_registry.ts";
import type { ImageManifest, Registry, Repository } from "../registry/types.ts";
import { IMAGES, pushTestImages } from "../../tests/helpers/oci_images.ts";
import { signImage } from "./sign_image.ts";
import { keySigner, type Signer } from "../signature/signer.ts";

const FIXTURES = new URL("../../tests/fixtures/cosign-oci/", import.meta.url);
const dec = new TextDecoder();
const read = (p: string) => Deno.readFile(new URL(p, FIXTURES));
const app: Repository = { registry: "127.0.0.1:5077", repository: "test/app" };
const hex = (d: string) => d.slice("sha256:".length);

const publicKey = parsePublicKeyPem(await read("cosign.pub"));
const realSigner = keySigner(await loadPrivateKey(await read("cosign.key"), new Uint8Array()));

/** A signer replaying the signatures cosign made (ECDSA is randomised, so goldens need these). */
async function replaySigner(...dirs: string[]): Promise<Signer> {
  const sigs: string[] = [];
  for (const d of dirs) {
    const m = JSON.parse(dec.decode(await read(`${d}/manifest.json`))) as ImageManifest;
    for (const l of m.layers) sigs.push(l.annotations!["dev.cosignproject.cosign/signature"]);
  }
  return {
    publicKey,
    hash: "sha256",
    sign: () => Promise.resolve(Uint8Array.fromBase64(sigs.shift()!)),
  };
}

async function assertGolden(reg: Registry, repo: Repository, tag: string, dir: string) {
  const m = await reg.getManifest(repo, tag);
  assert.equal(dec.decode(m.bytes), dec.decode(await read(`${dir}/manifest.json`)), dir);
  const cfg = (m.manifest as ImageManifest).config;
  assert.equal(
    dec.decode(await reg.getBlobBytes(repo, cfg.digest, 10000)),
    dec.decode(await read(`${dir}/config.json`)),
  );
  for (const [i, l] of (m.manifest as ImageManifest).layers.entries()) {
    assert.deepEqual(
      await reg.getBlobBytes(repo, l.digest, 10000),
      await read(`${dir}/layer-${i}.json`),
    );
  }
}

Deno.test("signImage() writes the signature image cosign v2.6.4 writes, and dedups a re-sign", async () => {
  const reg = new MemoryRegistry();
  const ref = { ...app, digest: IMAGES.amd64 };
  const signer = await replaySigner("oci-two-signatures");
  const first = await signImage({ registry: reg, ref, signer });
  assert.equal(first.resolvedFromTag, false);
  assert.equal(first.signatures[0].uploaded, true);
  await signImage({ registry: reg, ref, signer, annotations: { foo: "bar", html: "<a&b>" } });
  const tag = `sha256-${hex(IMAGES.amd64)}.sig`;
  await assertGolden(reg, app, tag, "oci-two-signatures");
  // a fresh (different) ECDSA signature over the same payload is a duplicate, as in cosign
  const again = await signImage({
    registry: reg,
    ref,
    signer: realSigner,
    annotations: { foo: "bar", html: "<a&b>" },
  });
  assert.equal(again.signatures[0].duplicate, true);
  assert.equal(again.signatures[0].uploaded, false);
  await assertGolden(reg, app, tag, "oci-two-signatures");
});

Deno.test("signImage() uses Docker media types for a new signature image when asked", async () => {
  const reg = new MemoryRegistry();
  await signImage({
    registry: reg,
    ref: { ...app, digest: IMAGES.arm64 },
    signer: await replaySigner("docker-media-types"),
    dockerMediaTypes: true,
  });
  await assertGolden(reg, app, `sha256-${hex(IMAGES.arm64)}.sig`, "docker-media-types");
});

Deno.test("signImage() stores in COSIGN_REPOSITORY and keeps the image's docker-reference", async () => {
  const reg = new MemoryRegistry();
  const sigs = { registry: "127.0.0.1:5077", repository: "test/sigs" };
  const r = await signImage({
    registry: reg,
    ref: { ...app, digest: IMAGES.index },
    signer: await replaySigner("target-repository"),
    targetRepository: sigs,
  });
  assert.deepEqual(r.signatures[0].location.repo, sigs);
  assert.deepEqual(reg.tags(app), []);
  await assertGolden(reg, sigs, `sha256-${hex(IMAGES.index)}.sig`, "target-repository");
});

Deno.test("signImage() honours --attachment-tag-prefix", async () => {
  const reg = new MemoryRegistry();
  await signImage({
    registry: reg,
    ref: { ...app, digest: IMAGES.arm64 },
    signer: await replaySigner("tag-prefix"),
    tagPrefix: "pfx-",
  });
  assert.deepEqual(reg.tags(app), [`pfx-sha256-${hex(IMAGES.arm64)}.sig`]);
  await assertGolden(reg, app, `pfx-sha256-${hex(IMAGES.arm64)}.sig`, "tag-prefix");
});

Deno.test("signImage() records the creation timestamp in the config when asked", async () => {
  const reg = new MemoryRegistry();
  const other = { registry: "127.0.0.1:5077", repository: "test/other" };
  await signImage({
    registry: reg,
    ref: { ...other, digest: IMAGES.amd64 },
    signer: await replaySigner("record-creation-timestamp"),
    recordCreationTimestamp: true,
    now: () => new Date(1700000000 * 1000),
  });
  await assertGolden(reg, other, `sha256-${hex(IMAGES.amd64)}.sig`, "record-creation-timestamp");
});

Deno.test("signImage() resolves a tag and says so; recursive signs the index then each child", async () => {
  const reg = new MemoryRegistry();
  await pushTestImages(reg, app);
  const byTag = await signImage({
    registry: reg,
    ref: { ...app, tag: "amd64" },
    signer: realSigner,
  });
  assert.equal(byTag.resolvedFromTag, true);
  assert.equal(byTag.signatures[0].digest, IMAGES.amd64);
  const rec = await signImage({
    registry: reg,
    ref: { ...app, tag: "multi" },
    signer: realSigner,
    recursive: true,
  });
  assert.deepEqual(rec.signatures.map((s) => s.digest), [IMAGES.index, IMAGES.amd64, IMAGES.arm64]);
  const nonRec = await signImage({
    registry: reg,
    ref: { ...app, tag: "multi" },
    signer: realSigner,
  });
  assert.deepEqual(nonRec.signatures.map((s) => s.digest), [IMAGES.index]);
  await assert.rejects(
    signImage({ registry: reg, ref: { ...app, tag: "missing" }, signer: realSigner }),
    { code: "MANIFEST_UNKNOWN" },
  );
});

Deno.test("signImage() with upload false signs without writing", async () => {
  const reg = new MemoryRegistry();
  const r = await signImage({
    registry: reg,
    ref: { ...app, digest: IMAGES.amd64 },
    signer: realSigner,
    upload: false,
  });
  assert.equal(r.signatures[0].uploaded, false);
  assert.equal(
    dec.decode(r.signatures[0].payload),
    dec.decode(await read("oci-two-signatures/layer-0.json")),
  );
  assert.deepEqual(reg.tags(app), []);
});

Deno.test("signImage() by 20 concurrent signers keeps all 20 signatures", async () => {
  const reg = new MemoryRegistry({
    // jitter each operation so reads and writes of different signers interleave
    hook: () => new Promise((r) => setTimeout(r, Math.random() * 3)),
  });
  const ref = { ...app, digest: IMAGES.amd64 };
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      signImage({
        registry: reg,
        ref,
        signer: realSigner,
        annotations: { signer: String(i) },
        retry: { baseDelayMs: 5 },
      })),
  );
  const m = (await reg.getManifest(app, `sha256-${hex(IMAGES.amd64)}.sig`))
    .manifest as ImageManifest;
  assert.equal(m.layers.length, 20);
  const stored = new Set(m.layers.map((l) => l.annotations!["dev.cosignproject.cosign/signature"]));
  for (const r of results) assert.ok(stored.has(r.signatures[0].base64Signature));
});

Deno.test("signImage() re-merges when another writer overwrites the tag with an older image", async () => {
  const tag = `sha256-${hex(IMAGES.amd64)}.sig`;
  const state: { stale?: Uint8Array } = {};
  let clobbered = false;
  let inHook = false;
  const reg: MemoryRegistry = new MemoryRegistry({
    hook: async (op, repo, target) => {
      // right after our write lands, a slow cosign writes back the one-layer image it read earlier
      // (seen by our next read of the tag, GET or HEAD)
      const read = op === "getManifest" || op === "headManifest";
      if (read && target === tag && state.stale && !clobbered && !inHook) {
        inHook = true;
        const now = await reg.getManifest(repo, tag).catch(() => undefined);
        if (now && (now.manifest as ImageManifest).layers.length === 2) {
          clobbered = true;
          await reg.putManifest(
            repo,
            tag,
            state.stale,
            "application/vnd.oci.image.manifest.v1+json",
          );
        }
        inHook = false;
      }
    },
  });
  const ref = { ...app, digest: IMAGES.amd64 };
  await signImage({ registry: reg, ref, signer: realSigner, annotations: { n: "1" } });
  state.stale = (await reg.getManifest(app, tag)).bytes;
  const r = await signImage({
    registry: reg,
    ref,
    signer: realSigner,
    annotations: { n: "2" },
    retry: { baseDelayMs: 1 },
  });
  assert.equal(clobbered, true);
  const m = (await reg.getManifest(app, tag)).manifest as ImageManifest;
  assert.deepEqual(
    m.layers.map((l) => l.annotations!["dev.cosignproject.cosign/signature"]).at(-1),
    r.signatures[0].base64Signature,
  );
  assert.equal(m.layers.length, 2);
});

Deno.test("signImage() never drops layers it did not add and can counter-sign a signature image", async () => {
  const reg = new MemoryRegistry();
  const ref = { ...app, digest: IMAGES.amd64 };
  await signImage({ registry: reg, ref, signer: await replaySigner("oci-two-signatures") });
  const r = await signImage({ registry: reg, ref, signer: realSigner, annotations: { x: "y" } });
  const tag = r.signatures[0].location.tag;
  const sigImage = await reg.getManifest(app, tag);
  assert.equal((sigImage.manifest as ImageManifest).layers.length, 2);
  const counter = await signImage({
    registry: reg,
    ref: { ...app, digest: sigImage.digest },
    signer: realSigner,
  });
  assert.equal(counter.signatures[0].location.tag, `sha256-${hex(sigImage.digest)}.sig`);
  assert.equal((await reg.getManifest(app, tag)).digest, sigImage.digest);
});
