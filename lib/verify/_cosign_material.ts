/**
 * The keyless material of cosign's own formats, as its `oci.Signature` reads it (pkg/oci/static,
 * pkg/oci/remote): a `.sig`/`.att` layer's annotations `dev.sigstore.cosign/certificate` (PEM),
 * `dev.sigstore.cosign/chain` (PEM, intermediates then root) and
 * `dev.sigstore.cosign/rfc3161timestamp` (cosign's `RFC3161Timestamp` JSON); a blob bundle
 * file's `cert`.
 *
 * @module
 */
import { decodeStdBase64 } from "../base64.ts";
import { decodePem } from "../keys/pem.ts";
import {
  CERTIFICATE_ANNOTATION,
  CHAIN_ANNOTATION,
  RFC3161_TIMESTAMP_ANNOTATION,
} from "../oci/cosign_signatures.ts";
import { parseRfc3161Timestamp } from "../timestamp/rfc3161_timestamp.ts";
import type { VerificationMaterial } from "./signed_entity.ts";

/** Every PEM block of a text, decoded (Go's pem.Decode in a loop). */
export function pemBlocks(text: string | undefined): Uint8Array[] {
  if (!text) return [];
  return text.split(/(?=-----BEGIN )/).map((part) => decodePem(part)?.bytes).filter((
    b,
  ): b is Uint8Array => b !== undefined);
}

/**
 * The certificate and chain annotations (a key policy ignores them, as cosign does).
 *
 * @param annotations the layer's annotations
 * @returns the material: none without a certificate annotation
 */
export function annotationMaterial(annotations: Record<string, string>): VerificationMaterial {
  const [certificate] = pemBlocks(annotations[CERTIFICATE_ANNOTATION]);
  if (!certificate) return { kind: "none" };
  return {
    kind: "certificate",
    certificate,
    chain: pemBlocks(annotations[CHAIN_ANNOTATION]),
    only: false,
  };
}

/**
 * The RFC 3161 timestamp annotation, DER; a value that does not read as cosign's JSON is kept as
 * it is, so that the timestamp step refuses it (`TIMESTAMP_INVALID`) when it is asked for.
 *
 * @param annotations the layer's annotations
 * @returns the timestamps (none without the annotation)
 */
export function annotationTimestamps(annotations: Record<string, string>): Uint8Array[] {
  const text = annotations[RFC3161_TIMESTAMP_ANNOTATION];
  if (!text) return [];
  try {
    return [parseRfc3161Timestamp(text)];
  } catch {
    return [new TextEncoder().encode(text)];
  }
}

/**
 * A cosign bundle file's `cert` (base64 of a PEM certificate, or the PEM itself), DER.
 *
 * @returns the certificate, or undefined when it holds none (a public key, or something that
 *   does not decode)
 */
export function bundleCertificate(cert: string): Uint8Array | undefined {
  let bytes: Uint8Array = new TextEncoder().encode(cert);
  try {
    bytes = decodeStdBase64(cert);
  } catch {
    // not base64: the PEM itself
  }
  const block = decodePem(bytes);
  return block?.type === "CERTIFICATE" ? block.bytes : undefined;
}
