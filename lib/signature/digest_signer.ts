/**
 * Signers whose private key lives elsewhere (a PKCS#11 token, a KMS): the message is hashed here,
 * as a stream, and only the digest goes to the key holder — what sigstore's KMS signers and
 * cosign's PKCS#11 key (crypto11) do.
 *
 * @module
 */
import { nodeCrypto } from "../_node_crypto.ts";
import type { PublicKey } from "../keys/public_key.ts";
import { type ByteReader, forEachChunk } from "../stream.ts";
import type { Signer, SignHash } from "./signer.ts";

/**
 * Returns a {@link Signer} that hashes the message and hands the digest to `signDigest`.
 *
 * @param publicKey the key signatures verify with
 * @param hash the digest algorithm
 * @param signDigest signs a digest; returns DER for ECDSA, PKCS#1 v1.5 (or PSS) for RSA
 * @returns the signer
 * @example
 * ```ts
 * const signer = digestSigner(pub, "sha256", (digest) => kms.sign(digest));
 * ```
 */
export function digestSigner(
  publicKey: PublicKey,
  hash: SignHash,
  signDigest: (digest: Uint8Array) => Promise<Uint8Array>,
): Signer {
  return {
    publicKey,
    hash,
    async sign(reader: ByteReader) {
      const h = nodeCrypto().createHash(hash);
      await forEachChunk(reader, (chunk) => h.update(chunk));
      return await signDigest(new Uint8Array(h.digest()));
    },
  };
}
