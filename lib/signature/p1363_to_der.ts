/**
 * ECDSA signature encodings: the fixed-size `r ‖ s` of IEEE P1363 (what PKCS#11's `CKM_ECDSA`
 * and Azure Key Vault return) to the ASN.1 `ECDSA-Sig-Value` (RFC 3279 §2.2.3) cosign stores.
 *
 * @module
 */
import { derSequence, derUint } from "../asn1/der.ts";

/**
 * Converts an IEEE P1363 ECDSA signature to DER.
 *
 * @param signature `r ‖ s`, both halves the same length
 * @returns `SEQUENCE { INTEGER r, INTEGER s }`
 * @throws {RangeError} "Cannot encode ECDSA signature: …" for an empty or odd-length input
 * @example
 * ```ts
 * const der = p1363ToDer(rawSignatureFromToken);
 * ```
 */
export function p1363ToDer(signature: Uint8Array): Uint8Array {
  if (signature.length === 0 || signature.length % 2 !== 0 || signature.length > 264) {
    throw new RangeError(
      `Cannot encode ECDSA signature: expected r and s of equal length, got ${signature.length} bytes`,
    );
  }
  const half = signature.length / 2;
  return derSequence(derUint(signature.subarray(0, half)), derUint(signature.subarray(half)));
}
