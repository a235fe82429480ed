/**
 * Streamed SHA-2 digests that do not load `node:crypto` (≈30 ms of start-up in Deno 2.9) for small
 * inputs: chunks are held back and hashed with WebCrypto at the end; an input that grows past the
 * limit switches to `node:crypto`'s incremental hash, where its throughput matters more.
 *
 * @module
 */
import { nodeCrypto } from "./_node_crypto.ts";
import type { Sha2 } from "./digest.ts";
import type { ByteReader } from "./stream.ts";

/** Streamed inputs up to this size are hashed with WebCrypto in one go (by default). */
export const SMALL_INPUT = 8 * 1024 * 1024;

const WEB = { sha256: "SHA-256", sha384: "SHA-384", sha512: "SHA-512" } as const;

/** An incremental digest: {@link incrementalDigest}. */
export interface IncrementalDigest {
  /** Hashes `chunk`. */
  update(chunk: Uint8Array): void;
  /** The digest of everything given so far. */
  digest(): Promise<Uint8Array>;
}

/**
 * An incremental SHA-2: chunks are held back up to `smallLimit` bytes and hashed with WebCrypto
 * at the end; an input that grows past it switches to `node:crypto`'s incremental hash, fed what
 * was held back so far.
 *
 * @param algorithm the digest
 * @param options `smallLimit`: the most bytes held back (default {@link SMALL_INPUT});
 *   `copy`: the caller reuses its buffers, so held-back chunks are copied
 * @returns the hash
 */
export function incrementalDigest(
  algorithm: Sha2,
  options: { smallLimit?: number; copy?: boolean } = {},
): IncrementalDigest {
  const smallLimit = options.smallLimit ?? SMALL_INPUT;
  let hash: ReturnType<ReturnType<typeof nodeCrypto>["createHash"]> | undefined;
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  return {
    update(chunk) {
      if (!hash && heldBytes + chunk.length <= smallLimit) {
        held.push(options.copy ? chunk.slice() : chunk);
        heldBytes += chunk.length;
        return;
      }
      if (!hash) {
        hash = nodeCrypto().createHash(algorithm);
        for (const h of held) hash.update(h);
        held = [];
      }
      hash.update(chunk);
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

/**
 * Wraps a reader so that every byte read through it is also hashed.
 *
 * @returns the reader and a function giving the digest once the reader is drained
 */
export function hashingReader(
  reader: ByteReader,
  algorithm: Sha2,
): { reader: ByteReader; digest(): Promise<Uint8Array> } {
  // The caller may reuse `p`: what is held back to hash later is copied.
  const hash = incrementalDigest(algorithm, { copy: true });
  return {
    reader: {
      async read(p) {
        const n = await reader.read(p);
        if (n !== null && n > 0) hash.update(p.subarray(0, n));
        return n;
      },
    },
    digest: () => hash.digest(),
  };
}
