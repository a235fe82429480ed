/**
 * Appending a layer to a cosign attachment image (`sha256-<hex>.sig` or `.att`) without losing
 * another writer's layer: the one merge-and-retry loop behind `sign`, `attach signature`, `attest`
 * and `attach attestation`.
 *
 * cosign's append (pkg/oci/mutate `AppendSignatures`, `ReplaceSignatures`) is a plain
 * read-modify-write of the tag, so of two concurrent writers the last one wins. Here the writer
 * re-reads the tag after writing and, while a layer it wrote or saw earlier is missing, merges
 * (union by layer identity) and writes again, with bounded, jittered retries. Layers it did not
 * add are never dropped, but for those a `replace` callback removed on the first read.
 *
 * @module
 */

import { SigstoreError } from "../errors.ts";
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
  let justWrote = false;
  // After a write, the layer must still be there after a settle delay: another writer whose read
  // preceded our write may still be about to write its (stale) image. Registries offer no
  // compare-and-swap, so the delay is twice our own read-to-write time — another writer's window.
  let settled = true;
  let window = 0;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  // Upload our payload before reading the tag, so that the read-to-write window (the one other
  // writers' stale writes fall into, and that we wait out after writing) covers only the manifest
  // and config round trips rather than the payload upload too.
  await registry.putBlob(repo, layer.payload);
  for (;;) {
    const started = Date.now();
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
    const present = new Set(layers.map(layerKey));
    const missing = [...required.values()].filter((l) => !present.has(layerKey(l)));
    const stale = layers.some((l) => removed.has(layerKey(l)));
    if (missing.length === 0 && !stale) {
      if (settled) return { layer: ours, duplicate, replaced: [...removed.values()], writes };
      settled = true;
      justWrote = false;
      await sleep(Math.max(baseDelay, 2 * window) * (1 + Math.random()));
      continue;
    }
    if (justWrote) {
      // Someone replaced the tag between our write and this read: back off, then merge.
      justWrote = false;
      await sleep(Math.random() * baseDelay * 2 ** Math.min(writes, 6));
      continue;
    }
    if (writes >= attempts) {
      throw new SigstoreError(
        "REGISTRY",
        `Cannot write ${opts.kind} to ${repo.registry}/${repo.repository}:${tag}: concurrent writers kept replacing it after ${attempts} attempts`,
      );
    }
    if (replace) {
      // ReplaceSignatures: a new image from cosign's empty one, ours first, then the others.
      const kept = layers.filter((l) => !removed.has(layerKey(l)) && layerKey(l) !== oursKey);
      const others = missing.filter((l) => layerKey(l) !== oursKey);
      await writeSignatureImage(registry, repo, tag, {
        add: [
          { descriptor: ours, payload: layer.payload },
          ...[...kept, ...others].map((descriptor) => ({ descriptor })),
        ],
        dockerMediaTypes: opts.dockerMediaTypes,
      });
    } else {
      await writeSignatureImage(registry, repo, tag, {
        base,
        // uploaded before the loop, or already there (another writer's)
        add: missing.map((descriptor) => ({ descriptor })),
        dockerMediaTypes: opts.dockerMediaTypes,
        created: opts.recordCreationTimestamp ? (opts.now ?? (() => new Date()))() : undefined,
      });
    }
    window = Math.max(window, Date.now() - started);
    writes++;
    justWrote = true;
    settled = false;
  }
}
