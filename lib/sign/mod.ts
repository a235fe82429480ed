/**
 * Signers.
 *
 * @module
 */

export { keySigner, MAX_PURE_ED25519_MESSAGE } from "./signer.ts";
export type { Signer, SignHash } from "./signer.ts";
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
