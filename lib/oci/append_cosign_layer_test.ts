import assert from "node:assert/strict";
import { SigstoreError } from "../errors.ts";
import { sha256Digest } from "../registry/sha256_digest.ts";
import { appendCosignLayer, type AppendCosignLayerOptions } from "./append_cosign_layer.ts";
import { readSignatureImage } from "./cosign_signatures.ts";
import { MemoryRegistry } from "../registry/memory_registry.ts";
import type { Descriptor, ImageManifest, Registry } from "../registry/types.ts";

const repo = { registry: "registry.test", repository: "app" };
const target = { repo, tag: "sha256-0000.sig" };
const enc = new TextEncoder();

/** A layer whose identity is its `n` annotation and whose content is `content`. */
async function layer(n: string, content = `payload ${n}`) {
  const payload = enc.encode(content);
  const descriptor: Descriptor = {
    mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
    size: payload.length,
    digest: await sha256Digest(payload),
    annotations: { n },
  };
  return { descriptor, payload };
}

const opts: AppendCosignLayerOptions = {
  kind: "signature",
  layerKey: (d) => `${d.digest} ${d.annotations?.n ?? ""}`,
  retry: { baseDelayMs: 1 },
};

async function storedNames(reg: Registry): Promise<string[]> {
  const image = await readSignatureImage(reg, repo, target.tag);
  return (image?.manifest.layers ?? []).map((l) => l.annotations!.n);
}

Deno.test("appendCosignLayer() creates the image with one write and uploads the payload", async () => {
  const reg = new MemoryRegistry();
  const a = await layer("a");
  const r = await appendCosignLayer(reg, target, a, opts);
  assert.deepEqual(r, { layer: a.descriptor, duplicate: false, replaced: [], writes: 1 });
  assert.deepEqual(await storedNames(reg), ["a"]);
  assert.deepEqual(await reg.getBlobBytes(repo, a.descriptor.digest, 1000), a.payload);
});

Deno.test("appendCosignLayer() appends after the existing layers, keeping their order", async () => {
  const reg = new MemoryRegistry();
  for (const n of ["a", "b", "c"]) await appendCosignLayer(reg, target, await layer(n), opts);
  assert.deepEqual(await storedNames(reg), ["a", "b", "c"]);
});

Deno.test("appendCosignLayer() does not write when a layer of the same key is there", async () => {
  const reg = new MemoryRegistry();
  await appendCosignLayer(reg, target, await layer("a"), opts);
  const before = (await reg.getManifest(repo, target.tag)).digest;
  const r = await appendCosignLayer(reg, target, await layer("a"), opts);
  assert.equal(r.writes, 0);
  assert.equal((await reg.getManifest(repo, target.tag)).digest, before);
});

Deno.test("appendCosignLayer() keeps an existing layer findDuplicate returns instead of ours", async () => {
  const reg = new MemoryRegistry();
  const a = await layer("a");
  await appendCosignLayer(reg, target, a, opts);
  const seen: string[][] = [];
  const r = await appendCosignLayer(reg, target, await layer("a2", "payload a"), {
    ...opts,
    findDuplicate: (layers) => {
      seen.push(layers.map((l) => l.annotations!.n));
      return Promise.resolve(layers[0]);
    },
  });
  assert.deepEqual(seen, [["a"]]);
  assert.equal(r.duplicate, true);
  assert.equal(r.writes, 0);
  assert.deepEqual(r.layer, a.descriptor);
  assert.deepEqual(await storedNames(reg), ["a"]);
});

Deno.test("appendCosignLayer() with replace rebuilds the image: ours first, then the kept layers", async () => {
  const reg = new MemoryRegistry();
  for (const n of ["a", "b", "c"]) {
    await appendCosignLayer(reg, target, await layer(n), {
      ...opts,
      recordCreationTimestamp: true,
      now: () => new Date("2020-01-02T03:04:05Z"),
    });
  }
  const d = await layer("d");
  const r = await appendCosignLayer(reg, target, d, {
    ...opts,
    recordCreationTimestamp: true, // ignored by replace, as in cosign
    replace: (layers) => Promise.resolve(layers.filter((l) => l.annotations!.n !== "b")),
  });
  assert.deepEqual(r.replaced.map((l) => l.annotations!.n), ["a", "c"]);
  assert.equal(r.writes, 1);
  assert.deepEqual(await storedNames(reg), ["d", "b"]);
  const image = await readSignatureImage(reg, repo, target.tag);
  const config = JSON.parse(
    new TextDecoder().decode(
      await reg.getBlobBytes(repo, image!.manifest.config.digest, 100_000),
    ),
  );
  assert.equal(config.created, "0001-01-01T00:00:00Z");
});

Deno.test("appendCosignLayer() with replace does not count an identical layer of ours as replaced", async () => {
  const reg = new MemoryRegistry();
  await appendCosignLayer(reg, target, await layer("a"), opts);
  const r = await appendCosignLayer(reg, target, await layer("a"), {
    ...opts,
    replace: (layers) => Promise.resolve(layers),
  });
  assert.deepEqual(r.replaced, []);
  assert.deepEqual(await storedNames(reg), ["a"]);
});

/**
 * A registry where, once `armed`, the first read of the tag after a write (GET or HEAD) finds
 * `clobber()`'s image instead: another writer's stale or narrower write landing right after ours.
 */
function clobberingRegistry(clobber: (reg: MemoryRegistry) => Promise<Uint8Array>) {
  const state = { armed: false, clobbered: false, wrote: false };
  const reg: MemoryRegistry = new MemoryRegistry({
    hook: async (op, _repo, ref) => {
      if (!state.armed || state.clobbered || ref !== target.tag) return;
      if (op === "putManifest") state.wrote = true;
      else if ((op === "getManifest" || op === "headManifest") && state.wrote) {
        state.clobbered = true;
        const bytes = await clobber(reg);
        await reg.putManifest(
          repo,
          target.tag,
          bytes,
          "application/vnd.oci.image.manifest.v1+json",
        );
      }
    },
  });
  return { reg, state };
}

Deno.test("appendCosignLayer() re-merges when another writer puts back an older image", async () => {
  let stale: Uint8Array = new Uint8Array();
  const { reg, state } = clobberingRegistry(() => Promise.resolve(stale));
  await appendCosignLayer(reg, target, await layer("a"), opts);
  stale = (await reg.getManifest(repo, target.tag)).bytes;
  state.armed = true;
  const r = await appendCosignLayer(reg, target, await layer("b"), opts);
  assert.equal(state.clobbered, true);
  assert.equal(r.writes, 2);
  assert.deepEqual(await storedNames(reg), ["a", "b"]);
});

Deno.test("appendCosignLayer() restores a layer another writer dropped", async () => {
  const { reg, state } = clobberingRegistry(async (reg) => {
    // a writer that replaced the image with one holding only its own layer
    await appendCosignLayer(reg, { ...target, tag: "other" }, await layer("x"), opts);
    return (await reg.getManifest(repo, "other")).bytes;
  });
  await appendCosignLayer(reg, target, await layer("a"), opts);
  state.armed = true;
  const r = await appendCosignLayer(reg, target, await layer("b"), opts);
  assert.equal(state.clobbered, true);
  assert.equal(r.writes, 2);
  assert.deepEqual(await storedNames(reg), ["x", "a", "b"]);
});

Deno.test("appendCosignLayer() writes nothing when the tag moved between its read and its write, and merges again", async () => {
  const state = { armed: false, moved: false, puts: 0 };
  const reg: MemoryRegistry = new MemoryRegistry({
    hook: async (op, _repo, ref) => {
      if (!state.armed || ref !== target.tag) return;
      if (op === "putManifest") state.puts++;
      if (op === "headManifest" && !state.moved) {
        // another writer's image lands right before our check
        state.moved = true;
        state.armed = false;
        await appendCosignLayer(reg, target, await layer("x"), opts);
        state.armed = true;
      }
    },
  });
  await appendCosignLayer(reg, target, await layer("a"), opts);
  state.armed = true;
  const r = await appendCosignLayer(reg, target, await layer("b"), opts);
  assert.equal(state.moved, true);
  assert.equal(r.writes, 1);
  assert.equal(state.puts, 1);
  assert.deepEqual(await storedNames(reg), ["a", "x", "b"]);
});

Deno.test("appendCosignLayer(): 20 concurrent writers keep all 20 layers", async () => {
  const reg = new MemoryRegistry({
    hook: () => new Promise((r) => setTimeout(r, Math.random() * 3)),
  });
  const layers = await Promise.all(Array.from({ length: 20 }, (_, i) => layer(String(i))));
  await Promise.all(layers.map((l) => appendCosignLayer(reg, target, l, opts)));
  assert.deepEqual(
    (await storedNames(reg)).sort(),
    layers.map((l) => l.descriptor.annotations!.n).sort(),
  );
});

Deno.test("appendCosignLayer() gives up with REGISTRY naming the kind when the tag keeps being replaced", async () => {
  const state: { older?: { bytes: Uint8Array; mediaType: string } } = {};
  const reg: MemoryRegistry = new MemoryRegistry({
    hook: async (op, _repo, ref) => {
      // every read (GET or HEAD) finds the older image, without our layer
      if ((op === "getManifest" || op === "headManifest") && ref === target.tag && state.older) {
        await reg.putManifest(repo, target.tag, state.older.bytes, state.older.mediaType);
      }
    },
  });
  await appendCosignLayer(reg, target, await layer("a"), opts);
  const first = await reg.getManifest(repo, target.tag);
  state.older = { bytes: first.bytes, mediaType: first.mediaType };
  await assert.rejects(
    appendCosignLayer(reg, target, await layer("b"), {
      ...opts,
      kind: "attestation",
      retry: { attempts: 3, baseDelayMs: 1 },
    }),
    (e) =>
      e instanceof SigstoreError && e.code === "REGISTRY" &&
      e.message ===
        "Cannot write attestation to registry.test/app:sha256-0000.sig: concurrent writers kept replacing it after 3 attempts",
  );
  const m = (await reg.getManifest(repo, target.tag)).manifest as ImageManifest;
  assert.equal(m.layers.length, 1);
});
