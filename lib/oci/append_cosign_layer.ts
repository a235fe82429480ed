/**
 * Appending a layer to a cosign attachment image (`sha256-<hex>.sig` or `.att`) without losing
 * another writer's layer: the one merge-and-retry loop behind `sign`, `attach signature`, `attest`
 * and `attach attestation`.
 *
 * cosign's append (pkg/oci/mutate `AppendSignatures`, `ReplaceSignatures`) is a plain
 * read-modify-write of the tag, so of two concurrent writers the last one wins. Registries offer no
 * compare-and-swap on a tag (the distribution spec has no conditional PUT), so this narrows the
 * race to two small requests and waits that out:
 *
 * 1. Read the tag, merge what is missing (union by layer identity), upload the config.
 * 2. Check: HEAD the tag right before the manifest PUT; if it no longer names the manifest the
 *    merge was based on, write nothing and go back to 1. A writer of ours can therefore only
 *    overwrite a newer image with a stale one when that newer write landed inside its
 *    check-to-write interval D (one HEAD and one PUT round trip), not its whole read-merge-upload.
 * 3. Settle: sleep at least 2 × our own D (jittered), then HEAD the tag once. If it still names
 *    what we wrote, nothing can have dropped our layer: a writer B whose write could drop it
 *    checked before our write landed (otherwise its base would hold our layer), so its write
 *    landed within D_B of that check, before our write returned + D_B, that is before our HEAD
 *    (assuming D_B ≤ 2·D_A, both being the same two small requests); and a write after that HEAD
 *    could only come from a writer that checked after our write, whose base holds our layer. If
 *    the tag moved, read it again: a layer missing is merged back in (after a jittered backoff).
 *
 * Before, the writer re-read the image right after writing, slept twice its whole
 * read-to-write time and read once more; the check in step 2 is what lets the wait shrink to
 * twice D and the post-write reads to one HEAD. A writer that does not check (Go cosign) can still
 * overwrite a signature within its own, longer read-to-write window, as it does between two Go
 * signers. Layers the writer did not add are never dropped, but for those a `replace` callback
 * removed on the first read.
 *
 * @module
 */

import { SigstoreError } from "../errors.ts";
import { sleep } from "../timers.ts";
import { readSignatureImage, writeSignatureImage } from "./cosign_signatures.ts";
import type { Descriptor, Registry, Repository } from "../registry/types.ts";

/** Where the attachment image is: its repository and tag. */
export interface CosignLayerTarget {
  repo: Repository;
  tag: string;
}

/** The layer to append: its descriptor and content. */
export interface CosignLayer {
  descriptor: Descriptor;
  payload: Uint8Array;
}

/** How {@link appendCosignLayer} merges, writes and retries. */
export interface AppendCosignLayerOptions {
  /** What the layer is ("signature", "attestation"), for the error message. */
  kind: string;
  /** Identity of a layer for merging: equal keys are one layer. */
  layerKey: (d: Descriptor) => string;
  /**
   * Called once with the layers first read: an existing layer that stands for ours (cosign's dupe
   * detector); ours is then not written.
   */
  findDuplicate?: (layers: Descriptor[]) => Promise<Descriptor | undefined>;
  /**
   * Called once with the layers first read: the layers to remove (`--replace`). With it, every
   * write rebuilds the image from cosign's empty one, ours first, then every kept layer in order
   * (pkg/oci/mutate `ReplaceSignatures`), without a creation time.
   */
  replace?: (layers: Descriptor[]) => Promise<Descriptor[]>;
  /** `COSIGN_DOCKER_MEDIA_TYPES`: Docker schema 2 types for a new (or rebuilt) image. */
  dockerMediaTypes?: boolean;
  /** `--record-creation-timestamp`: set the config's `created` to `now()` (not with `replace`). */
  recordCreationTimestamp?: boolean;
  /** The clock. */
  now?: () => Date;
  /** Concurrent-writer retries: attempts (default 20) and base delay in ms (default 25). */
  retry?: { attempts?: number; baseDelayMs?: number };
}

/** The result of {@link appendCosignLayer}. */
export interface AppendCosignLayerResult {
  /** Our layer, or the existing layer `findDuplicate` returned. */
  layer: Descriptor;
  /** Whether `findDuplicate` found an existing layer. */
  duplicate: boolean;
  /** The layers `replace` removed (ours excepted). */
  replaced: Descriptor[];
  /** How many times the tag was written (0 when nothing was missing). */
  writes: number;
}

/**
 * Writes the layer under the tag and makes sure it (and every layer seen there, but those
 * `replace` removed) stays: read → merge what is missing → write → read again, until nothing is
 * missing and the tag has stayed so for a settle delay.
 *
 * @param registry the registry client
 * @param target the attachment image's repository and tag
 * @param layer the layer to append
 * @param opts merge, write and retry options
 * @returns the stored layer, whether it was a duplicate, what was replaced and the write count
 * @throws {SigstoreError} `REGISTRY` when concurrent writers kept replacing the tag past the
 *   retries; whatever `findDuplicate` or `replace` throw; registry errors
 */
export async function appendCosignLayer(
  registry: Registry,
  target: CosignLayerTarget,
  layer: CosignLayer,
  opts: AppendCosignLayerOptions,
): Promise<AppendCosignLayerResult> {
  const { repo, tag } = target;
  const { layerKey, replace } = opts;
  const attempts = opts.retry?.attempts ?? 20;
  const baseDelay = opts.retry?.baseDelayMs ?? 25;
  let ours = layer.descriptor;
  let duplicate = false;
  const required = new Map<string, Descriptor>();
  const removed = new Map<string, Descriptor>();
  let first = true;
  let writes = 0;
  let tries = 0; // writes attempted, with those the check in step 2 stopped
  // Our last write, while its settle check is pending: its digest and check-to-write time.
  let wrote: { digest: string; ms: number } | undefined;
  const done = () => ({ layer: ours, duplicate, replaced: [...removed.values()], writes });
  // Upload our payload before reading the tag: the blob is then known to be there, and the
  // manifest write does not check it again.
  await registry.putBlob(repo, layer.payload);
  const present = new Set([layer.descriptor.digest]);
  for (;;) {
    let backoff = false;
    if (wrote) {
      // Step 3 (module comment): wait out other writers' check-to-write windows, then one HEAD.
      await sleep(Math.max(baseDelay, 2 * wrote.ms) * (1 + Math.random()));
      const now = await registry.headManifest(repo, tag);
      if (now?.digest === wrote.digest) return done();
      wrote = undefined;
      backoff = true;
    }
    const base = await readSignatureImage(registry, repo, tag);
    const layers = base?.manifest.layers ?? [];
    if (first) {
      first = false;
      const dup = opts.findDuplicate ? await opts.findDuplicate(layers) : undefined;
      if (dup) {
        ours = dup;
        duplicate = true;
      }
      for (const l of replace ? await replace(layers) : []) {
        // An identical layer (deterministic signatures) is ours: replaced by itself.
        if (layerKey(l) !== layerKey(ours)) removed.set(layerKey(l), l);
      }
    }
    const oursKey = layerKey(ours);
    for (const l of layers) {
      const k = layerKey(l);
      if (!removed.has(k) && !required.has(k)) required.set(k, l);
    }
    if (!required.has(oursKey)) required.set(oursKey, ours);
    const inTag = new Set(layers.map(layerKey));
    const missing = [...required.values()].filter((l) => !inTag.has(layerKey(l)));
    const stale = layers.some((l) => removed.has(layerKey(l)));
    // Nothing missing: either nothing needed writing, or another writer merged ours in after our
    // write (any writer that could still drop it checked before our write and has landed).
    if (missing.length === 0 && !stale) return done();
    if (backoff) {
      // Someone replaced the tag after our write: back off, then read again and merge.
      await sleep(Math.random() * baseDelay * 2 ** Math.min(writes, 6));
      continue;
    }
    if (tries >= attempts) {
      throw new SigstoreError(
        "REGISTRY",
        `Cannot write ${opts.kind} to ${repo.registry}/${repo.repository}:${tag}: concurrent writers kept replacing it after ${attempts} attempts`,
      );
    }
    tries++;
    const checked = { ifTagIs: base?.digest ?? null, present };
    let written;
    if (replace) {
      // ReplaceSignatures: a new image from cosign's empty one, ours first, then the others.
      const kept = layers.filter((l) => !removed.has(layerKey(l)) && layerKey(l) !== oursKey);
      const others = missing.filter((l) => layerKey(l) !== oursKey);
      written = await writeSignatureImage(registry, repo, tag, {
        add: [
          { descriptor: ours, payload: layer.payload },
          ...[...kept, ...others].map((descriptor) => ({ descriptor })),
        ],
        dockerMediaTypes: opts.dockerMediaTypes,
        ...checked,
      });
    } else {
      written = await writeSignatureImage(registry, repo, tag, {
        base,
        // uploaded before the loop, or already there (another writer's)
        add: missing.map((descriptor) => ({ descriptor })),
        dockerMediaTypes: opts.dockerMediaTypes,
        created: opts.recordCreationTimestamp ? (opts.now ?? (() => new Date()))() : undefined,
        ...checked,
      });
    }
    if (written === undefined) continue; // the tag moved since our read (step 2): merge again
    writes++;
    wrote = { digest: written.digest, ms: written.checkMs ?? 0 };
  }
}
