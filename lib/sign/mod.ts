/**
 * Signers.
 *
 * @module
 */

export { loadSigner } from "./load_signer.ts";
export type { LoadSignerDeps, LoadSignerOptions } from "./load_signer.ts";
export { signImage } from "./sign_image.ts";
export type {
  ImageSignature,
  SignatureWitness,
  SignImageOptions,
  SignImageResult,
} from "./sign_image.ts";
export { attestBlob } from "./attest_blob.ts";
export type { AttestBlobOptions, AttestBlobResult } from "./attest_blob.ts";
export { signBlob } from "./sign_blob.ts";
export type { SignBlobOptions, SignedBlob } from "./sign_blob.ts";
export { rekorWitness } from "./rekor_witness.ts";
export { envelopeUploader } from "./envelope_uploader.ts";
export { createKeylessSigner, ephemeralSigner } from "./keyless_signer.ts";
export type {
  GivenIdentityToken,
  KeylessSigner,
  KeylessSignerOptions,
  SctVerificationInput,
  SctVerifier,
} from "./keyless_signer.ts";
export {
  chainWitnesses,
  dsseSignatureBytes,
  timestampWitness,
  tsaTimestamper,
} from "./timestamp_signature.ts";
export type {
  Timestamper,
  TimestamperOptions,
  TimestampTlsOptions,
} from "./timestamp_signature.ts";
