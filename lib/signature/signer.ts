/**
 * Signing with a private key held in memory (a cosign key file), the way sigstore's
 * `signature.LoadDefaultSignerVerifier` does.
 *
 * @module
 */

import { createHash, createSign, sign as signOneShot } from "node:crypto";
import type { PrivateKey } from "../keys/private_key.ts";
import type { PublicKey } from "../keys/public_key.ts";
import { type ByteReader, forEachChunk, readAllBounded } from "../stream.ts";
import { ed25519phOverDigest, MAX_PURE_ED25519_MESSAGE } from "./ed25519ph.ts";

export { MAX_PURE_ED25519_MESSAGE };

/** The hash functions of sigstore's algorithm registry. */
export type SignHash = "sha256" | "sha384" | "sha512";

/** Something that signs a message read from a stream. */
export interface Signer {
  /** The key signatures verify with. */
  publicKey: PublicKey;
  /** The hash the signature is computed over (the algorithm registry's default for the key). */
  hash: SignHash;
  /**
   * Signs the whole of `reader`.
   *
   * @returns DER for ECDSA, PKCS#1 v1.5 for RSA, 64 raw bytes for Ed25519
   */
  sign(reader: ByteReader): Promise<Uint8Array>;
}

/**
 * Returns a {@link Signer} for a private key, with sigstore's default algorithm for it
 * (`signature.GetDefaultAlgorithmDetails`): ECDSA P-256/SHA-256, P-384/SHA-384, P-521/SHA-512,
 * RSA PKCS#1 v1.5 with SHA-256, and Ed25519 — pure by default (what cosign uses when it does not
 * upload to the transparency log), Ed25519ph (SHA-512 prehash) with `ed25519ph: true`.
 *
 * ECDSA, RSA and Ed25519ph hash the input as a stream, in flat memory. Pure Ed25519 reads the
 * whole input.
 *
 * @param key the private key
 * @param opts `ed25519ph` selects Ed25519ph for Ed25519 keys
 * @returns the signer; its `sign` throws `RangeError` for a pure Ed25519 message over 256 MiB
 */
export function keySigner(key: PrivateKey, opts: { ed25519ph?: boolean } = {}): Signer {
  const publicKey = key.publicKey;
  if (key.kind === "ed25519") {
    return {
      publicKey,
      hash: "sha512",
      async sign(reader) {
        if (opts.ed25519ph) {
          const h = createHash("sha512");
          await forEachChunk(reader, (chunk) => h.update(chunk));
          const seed = Uint8Array.fromBase64(key.keyObject.export({ format: "jwk" }).d!, {
            alphabet: "base64url",
          });
          try {
            return (await ed25519phOverDigest()).sign(new Uint8Array(h.digest()), seed);
          } finally {
            seed.fill(0);
          }
        }
        const message = await readAllBounded(reader, MAX_PURE_ED25519_MESSAGE, "message to sign");
        return new Uint8Array(signOneShot(null, message, key.keyObject));
      },
    };
  }
  const hash: SignHash = key.curve === "P-384"
    ? "sha384"
    : key.curve === "P-521"
    ? "sha512"
    : "sha256";
  return {
    publicKey,
    hash,
    async sign(reader) {
      const s = createSign(hash);
      await forEachChunk(reader, (chunk) => s.update(chunk));
      return new Uint8Array(s.sign(key.keyObject));
    },
  };
}
