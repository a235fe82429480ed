/**
 * The transparency-log step of image attestation verification: each attestation layer's
 * `dev.sigstore.cosign/bundle` annotation is checked with {@link verifyEnvelopeTlog}.
 *
 * @module
 */
import { BUNDLE_ANNOTATION } from "../oci/cosign_signatures.ts";
import type { Descriptor } from "../registry/types.ts";
import { verifyEnvelopeTlog, type VerifyEnvelopeTlogOptions } from "../rekor/attestation_tlog.ts";

/**
 * A verifyImageAttestations transparency step: each layer's bundle annotation is checked with
 * {@link verifyEnvelopeTlog}.
 *
 * @returns the step
 */
export function attestationBundleVerifier(
  opts: VerifyEnvelopeTlogOptions,
): (layer: { descriptor: Descriptor; envelope: Uint8Array }) => Promise<boolean> {
  return (layer) =>
    verifyEnvelopeTlog(layer.envelope, layer.descriptor.annotations?.[BUNDLE_ANNOTATION], opts);
}
