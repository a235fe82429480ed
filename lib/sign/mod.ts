/**
 * Signers.
 *
 * @module
 */

export { keySigner, MAX_PURE_ED25519_MESSAGE } from "./signer.ts";
export type { Signer, SignHash } from "./signer.ts";
export { loadSigner } from "./load_signer.ts";
export type { LoadSignerDeps, LoadSignerOptions } from "./load_signer.ts";
