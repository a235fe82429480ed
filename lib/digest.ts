/**
 * SHA-2 digests without loading `node:crypto` on the verification paths.
 *
 * Importing `node:crypto` costs about 30 ms of start-up in Deno 2.9, more than the rest of a
 * `verify-blob --bundle` run. Small inputs (keys, log entry bodies, Merkle nodes) are hashed
 * synchronously with `@noble/hashes`; streamed inputs (blobs) are held back up to
 * {@link SMALL_INPUT} and hashed with WebCrypto, switching to `node:crypto`'s incremental hash only
 * for inputs larger than that (where its throughput matters more than its start-up).
 *
 * @module
 */
import { sha256 as nobleSha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import { nodeCrypto } from "./_node_crypto.ts";
import type { ByteReader } from "./stream.ts";

/** The SHA-2 digests cosign and Rekor use. */
export type Sha2 = "sha256" | "sha384" | "sha512";

/** Streamed inputs up to this size are hashed with WebCrypto in one go. */
export const SMALL_INPUT = 8 * 1024 * 1024;

const NOBLE = { sha256: nobleSha256, sha384, sha512 } as const;
const WEB = { sha256: "SHA-256", sha384: "SHA-384", sha512: "SHA-512" } as const;

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

/**
 * Wraps a reader so that every byte read through it is also hashed.
 *
 * @returns the reader and a function giving the digest once the reader is drained
 */
export function hashingReader(
  reader: ByteReader,
  algorithm: Sha2,
): { reader: ByteReader; digest(): Promise<Uint8Array> } {
  let hash: ReturnType<ReturnType<typeof nodeCrypto>["createHash"]> | undefined;
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  return {
    reader: {
      async read(p) {
        const n = await reader.read(p);
        if (n === null || n === 0) return n;
        // The caller may reuse `p`: what is held back is copied.
        const chunk = p.subarray(0, n);
        if (!hash && heldBytes + n <= SMALL_INPUT) {
          held.push(chunk.slice());
          heldBytes += n;
        } else {
          if (!hash) {
            hash = nodeCrypto().createHash(algorithm);
            for (const h of held) hash.update(h);
            held = [];
          }
          hash.update(chunk);
        }
        return n;
      },
    },
    async digest() {
      if (hash) return new Uint8Array(hash.digest());
      const all = new Uint8Array(heldBytes);
      let off = 0;
      for (const h of held) {
        all.set(h, off);
        off += h.length;
      }
      return new Uint8Array(await crypto.subtle.digest(WEB[algorithm], all));
    },
  };
}
