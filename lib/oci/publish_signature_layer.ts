/**
 * Publishing one signature layer under cosign's `.sig` tag without losing another writer's layer
 * (through {@link appendCosignLayer}), with cosign's dupe detector.
 *
 * @module
 */
import type { Descriptor, Registry, Repository } from "../registry/types.ts";
import { verifySignature } from "../signature/verify_signature.ts";
import type { Signer } from "../signature/signer.ts";
import { bytesReader } from "../stream.ts";
import { appendCosignLayer } from "./append_cosign_layer.ts";
import { SIGNATURE_ANNOTATION } from "./cosign_signatures.ts";

/** Identity of a layer for merging: payload digest and signature. */
function layerKey(d: Descriptor): string {
  return `${d.digest} ${d.annotations?.[SIGNATURE_ANNOTATION] ?? ""}`;
}

/** What {@link publishSignatureLayer} needs: the registry, retries, media types, the clock. */
export interface PublishSignatureOptions {
  registry: Registry;
  /** `COSIGN_DOCKER_MEDIA_TYPES`: create signature images with Docker schema 2 media types. */
  dockerMediaTypes?: boolean;
  /** `--record-creation-timestamp`: set the signature image config's `created` to `now()`. */
  recordCreationTimestamp?: boolean;
  /** The clock (`SOURCE_DATE_EPOCH` in cosign). */
  now?: () => Date;
  /** Concurrent-writer retries: attempts (default 20) and base delay in ms (default 25). */
  retry?: { attempts?: number; baseDelayMs?: number };
  /** With a signer, an equivalent existing layer is reused (cosign's dupe detector). */
  signer?: Signer;
}

/** The layer being published and where; `duplicate`, `layer` and `uploaded` are updated. */
export interface PublishedSignatureLayer {
  /** The signature layer's descriptor (an equal existing layer's when `duplicate`). */
  layer: Descriptor;
  /** Where the signature image is. */
  location: { repo: Repository; tag: string };
  /** Whether an equivalent signature was already stored (cosign's dupe detector). */
  duplicate: boolean;
  /** Whether the registry was written to. */
  uploaded: boolean;
}

/**
 * Writes the signature layer under the tag and makes sure it (and every layer seen there) stays
 * ({@link appendCosignLayer}, layers merged by payload digest and signature). Used by
 * `cosign sign` (lib/sign) and `cosign attach signature`.
 *
 * @param opts the registry and write options
 * @param payload the layer's content
 * @param result the layer and its location; `duplicate`, `layer` and `uploaded` are updated
 * @throws {SigstoreError} `REGISTRY` when concurrent writers kept replacing the tag
 */
export async function publishSignatureLayer(
  opts: PublishSignatureOptions,
  payload: Uint8Array,
  result: PublishedSignatureLayer,
): Promise<void> {
  const { signer } = opts;
  const stored = await appendCosignLayer(
    opts.registry,
    result.location,
    { descriptor: result.layer, payload },
    {
      kind: "signature",
      layerKey,
      findDuplicate: signer && !result.duplicate
        ? (layers) => findDuplicate(layers, result.layer, payload, signer)
        : undefined,
      dockerMediaTypes: opts.dockerMediaTypes,
      recordCreationTimestamp: opts.recordCreationTimestamp,
      now: opts.now,
      retry: opts.retry,
    },
  );
  result.layer = stored.layer;
  result.duplicate ||= stored.duplicate;
  if (stored.writes > 0) result.uploaded = true;
}

/**
 * Cosign's dupe detector (pkg/cosign/remote/remote.go `dd.Find`): an existing layer with the same
 * digest and media type, every annotation of ours (but the signature) equal, and a signature that
 * verifies over our payload with our key.
 *
 * @param layers the stored layers
 * @param ours the new layer
 * @param payload its payload
 * @param signer the signer, whose public key checks the stored signatures
 * @returns the equivalent stored layer, if any
 */
export async function findDuplicate(
  layers: Descriptor[],
  ours: Descriptor,
  payload: Uint8Array,
  signer: Signer,
): Promise<Descriptor | undefined> {
  next: for (const l of layers) {
    for (const [k, v] of Object.entries(ours.annotations ?? {})) {
      if (k !== SIGNATURE_ANNOTATION && l.annotations?.[k] !== v) continue next;
    }
    if (l.digest !== ours.digest || l.mediaType !== ours.mediaType) continue;
    const b64 = l.annotations?.[SIGNATURE_ANNOTATION];
    if (!b64) continue;
    try {
      await verifySignature({
        publicKey: signer.publicKey,
        hash: signer.hash,
        signature: Uint8Array.fromBase64(b64),
        reader: bytesReader(payload),
      });
      return l;
    } catch {
      // not ours
    }
  }
  return undefined;
}
