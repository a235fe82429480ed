/**
 * Signing container images the way `cosign sign --key` does (cmd/cosign/cli/sign/sign.go
 * `SignCmd` / `signDigest`): build the simple signing payload for the image digest, sign it, and
 * append the signature as a layer of the signature image under `sha256-<hex>.sig`.
 *
 * One deliberate difference: cosign's append is a plain read-modify-write of the tag, so two
 * concurrent signers lose one signature (last writer wins). Here the append goes through
 * lib/oci/append_cosign_layer.ts, which merges (union by payload digest and signature annotation)
 * and retries until no layer it wrote or saw is missing.
 *
 * @module
 */

import { type NewSignatureLayer, signatureLayerDescriptor } from "../oci/cosign_signatures.ts";
import { publishSignatureLayer } from "../oci/publish_signature_layer.ts";
import { cosignAttachmentLocation, type CosignTagOptions } from "../oci/cosign_tags.ts";
import type { Descriptor, Reference, Registry, Repository } from "../registry/types.ts";
import { simpleSigningPayload } from "../payload/simple_signing.ts";
import { bytesReader } from "../stream.ts";
import type { Signer } from "../signature/signer.ts";
import { imagesToSign } from "./_images_to_sign.ts";
import { isCertifiedSigner } from "./_uploaded_verifier.ts";

/** Proofs added to a signature before it is stored (Rekor bundle, timestamp, certificate). */
export type SignatureWitness = (
  signed: { digest: string; payload: Uint8Array; signature: Uint8Array },
) => Promise<Omit<NewSignatureLayer, "payload" | "base64Signature">>;

/** What {@link signImage} signs and where it stores the signatures. */
export interface SignImageOptions extends CosignTagOptions {
  registry: Registry;
  /** The image; with a digest it is signed as is, a tag is resolved to a digest first. */
  ref: Reference;
  signer: Signer;
  /** `-a key=value`: signed in the payload's `optional`. */
  annotations?: Record<string, string>;
  /** `--sign-container-identity`: the payload's `docker-reference` instead of the repository. */
  claimedIdentity?: string;
  /** `--payload`: sign these bytes instead of generating the payload. */
  payload?: Uint8Array;
  /** `COSIGN_DOCKER_MEDIA_TYPES`: create signature images with Docker schema 2 media types. */
  dockerMediaTypes?: boolean;
  /** `--upload` (default true): false signs without writing to the registry. */
  upload?: boolean;
  /** `--recursive`: for an index, sign the index and every manifest in it. */
  recursive?: boolean;
  /** `--record-creation-timestamp`: set the signature image config's `created` to `now()`. */
  recordCreationTimestamp?: boolean;
  /** The clock (`SOURCE_DATE_EPOCH` in cosign). */
  now?: () => Date;
  /** Adds a Rekor bundle, timestamp or certificate to each signature. */
  witness?: SignatureWitness;
  /** Concurrent-writer retries: attempts (default 20) and base delay in ms (default 25). */
  retry?: { attempts?: number; baseDelayMs?: number };
  /**
   * `--registry-referrers-mode=oci-1-1`: push the signature image as an OCI 1.1 referrer of the
   * image (lib/oci/signature_referrer.ts) instead of writing the `.sig` tag.
   */
  oci11Referrer?: boolean;
}

/** One signed manifest. */
export interface ImageSignature {
  /** The signed manifest's digest. */
  digest: string;
  payload: Uint8Array;
  base64Signature: string;
  /** The signature layer's descriptor (an equal existing layer's when `duplicate`). */
  layer: Descriptor;
  /** Where the signature image is. */
  location: { repo: Repository; tag: string };
  /** Whether an equivalent signature was already stored (cosign's dupe detector). */
  duplicate: boolean;
  /** Whether the registry was written to. */
  uploaded: boolean;
  /** With `oci11Referrer`: the digest of the referrer manifest pushed. */
  referrer?: string;
}

/** The result of {@link signImage}. */
export interface SignImageResult {
  /** True when `ref` had no digest and a tag was resolved (cosign warns about this). */
  resolvedFromTag: boolean;
  signatures: ImageSignature[];
}

/**
 * Signs an image (and with `recursive` every manifest of an index) and stores the signatures.
 *
 * @param opts the image, signer and storage options
 * @returns the signatures, in cosign's order (an index before its children)
 * @throws {RegistryError} when the image cannot be resolved or the registry refuses a write
 * @throws {SigstoreError} `UNSUPPORTED` "unknown mime type: …" for a manifest that is neither image
 *   nor index; `REGISTRY` when concurrent writers kept replacing the signature tag past the retries
 */
export async function signImage(opts: SignImageOptions): Promise<SignImageResult> {
  const { registry, ref } = opts;
  const repo: Repository = { registry: ref.registry, repository: ref.repository };
  const { digests, resolvedFromTag } = await imagesToSign(registry, ref, opts.recursive);
  const signatures: ImageSignature[] = [];
  for (const digest of digests) signatures.push(await signDigest(opts, repo, digest));
  return { resolvedFromTag, signatures };
}

async function signDigest(
  opts: SignImageOptions,
  repo: Repository,
  digest: string,
): Promise<ImageSignature> {
  const payload = opts.payload && opts.payload.length > 0 ? opts.payload : simpleSigningPayload({
    dockerReference: `${repo.registry}/${repo.repository}`,
    digest,
    claimedIdentity: opts.claimedIdentity,
    annotations: opts.annotations && Object.keys(opts.annotations).length > 0
      ? opts.annotations
      : null,
  });
  const signature = await opts.signer.sign(bytesReader(payload));
  const base64Signature = signature.toBase64();
  const extra = opts.witness ? await opts.witness({ digest, payload, signature }) : {};
  // A keyless signer's certificate and chain travel in the layer's annotations
  // (`dev.sigstore.cosign/certificate`, `dev.sigstore.cosign/chain`), as cosign's sign does.
  if (isCertifiedSigner(opts.signer)) {
    extra.certificate ??= opts.signer.certificatePem;
    if (opts.signer.chainPem) extra.chain ??= opts.signer.chainPem;
  }
  const layer = await signatureLayerDescriptor({ ...extra, payload, base64Signature });
  const location = cosignAttachmentLocation(repo, digest, "sig", opts);
  const result: ImageSignature = {
    digest,
    payload,
    base64Signature,
    layer,
    location,
    duplicate: false,
    uploaded: false,
  };
  if (opts.upload === false) return result;
  if (opts.oci11Referrer) {
    const { writeSignatureReferrer } = await import("../oci/signature_referrer.ts");
    const { readSignatureImage } = await import("../oci/cosign_signatures.ts");
    const { findDuplicate } = await import("../oci/publish_signature_layer.ts");
    const base = await readSignatureImage(opts.registry, repo, location.tag);
    const dupe = await findDuplicate(base?.manifest.layers ?? [], layer, payload, opts.signer);
    if (dupe) Object.assign(result, { layer: dupe, duplicate: true });
    result.referrer = await writeSignatureReferrer(opts.registry, {
      repo,
      digest,
      tag: location.tag,
      add: dupe ? undefined : { descriptor: layer, payload },
      dockerMediaTypes: opts.dockerMediaTypes,
      created: opts.recordCreationTimestamp ? (opts.now ?? (() => new Date()))() : undefined,
    });
    result.uploaded = true;
    return result;
  }
  await publishSignatureLayer(opts, payload, result);
  return result;
}
