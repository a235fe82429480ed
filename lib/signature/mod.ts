/**
 * Signature primitives for every key type cosign handles (ECDSA P-256/384/521, RSA PKCS#1 v1.5 and
 * PSS, Ed25519, Ed25519ph): signers over a private key and the one signature verifier.
 *
 * @module
 */
export { keySigner, MAX_PURE_ED25519_MESSAGE } from "./signer.ts";
export type { Signer, SignHash } from "./signer.ts";
export { verifySignature } from "./verify_signature.ts";
export type { VerifyHash, VerifySignatureOptions } from "./verify_signature.ts";
export { digestSigner } from "./digest_signer.ts";
export { p1363ToDer } from "./p1363_to_der.ts";
