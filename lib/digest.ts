/**
 * SHA-2 digests without loading `node:crypto` on the verification paths.
 *
 * Importing `node:crypto` costs about 30 ms of start-up in Deno 2.9, more than the rest of a
 * `verify-blob --bundle` run. Small inputs (keys, log entry bodies, Merkle nodes) are hashed
 * synchronously with `@noble/hashes`; streamed inputs are hashed by lib/incremental_digest.ts.
 *
 * @module
 */
import { sha256 as nobleSha256, sha384, sha512 } from "@noble/hashes/sha2.js";

/** The SHA-2 digests cosign and Rekor use. */
export type Sha2 = "sha256" | "sha384" | "sha512";

const NOBLE = { sha256: nobleSha256, sha384, sha512 } as const;

/**
 * SHA-256 of the concatenation of `parts`, synchronously (for small inputs).
 *
 * @returns the 32-byte digest
 */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return nobleSha256(parts[0]);
  const h = nobleSha256.create();
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * A SHA-2 digest of small bytes, synchronously.
 *
 * @returns the digest
 */
export function digestSync(algorithm: Sha2, bytes: Uint8Array): Uint8Array {
  return NOBLE[algorithm](bytes);
}
