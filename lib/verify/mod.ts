/**
 * Signature verification steps.
 *
 * @module
 */

export { decodeSignature } from "./decode_signature.ts";
export { verifySignature } from "./verify_signature.ts";
export type { VerifyHash, VerifySignatureOptions } from "./verify_signature.ts";
export { readSignatureRef, verifyBlob } from "./verify_blob.ts";
export type { VerifyBlobOptions } from "./verify_blob.ts";
