/**
 * Ed25519ph (RFC 8032 §5.1, SHA-512 prehash, empty context) over a digest computed elsewhere, so
 * large messages can be hashed as a stream. Matches Go's `ed25519.Options{Hash: crypto.SHA512}`
 * used by sigstore's ED25519ph signer/verifier.
 *
 * `@noble/curves` is imported lazily: it costs start-up time and only Ed25519ph needs it.
 *
 * @module
 */

import type { EdDSA } from "@noble/curves/abstract/edwards.js";

let prehashed: Promise<EdDSA> | undefined;

/** Largest message pure Ed25519 signs or verifies: it needs the whole message in memory. */
export const MAX_PURE_ED25519_MESSAGE = 256 * 1024 * 1024;

/**
 * Returns an Ed25519ph instance whose `sign`/`verify` take the 64-byte SHA-512 digest of the
 * message instead of the message (`@noble/curves`' `ed25519ph` with an identity prehash).
 *
 * @returns the EdDSA instance
 */
export function ed25519phOverDigest(): Promise<EdDSA> {
  prehashed ??= (async () => {
    const [{ eddsa }, { ed25519 }, { sha512 }] = await Promise.all([
      import("@noble/curves/abstract/edwards.js"),
      import("@noble/curves/ed25519.js"),
      import("@noble/hashes/sha2.js"),
    ]);
    const prefix = new TextEncoder().encode("SigEd25519 no Ed25519 collisions");
    return eddsa(ed25519.Point, sha512, {
      adjustScalarBytes(bytes: Uint8Array) {
        bytes[0] &= 248;
        bytes[31] &= 127;
        bytes[31] |= 64;
        return bytes;
      },
      domain(data: Uint8Array, ctx: Uint8Array, phflag: boolean) {
        const out = new Uint8Array(prefix.length + 2 + ctx.length + data.length);
        out.set(prefix);
        out.set([phflag ? 1 : 0, ctx.length], prefix.length);
        out.set(ctx, prefix.length + 2);
        out.set(data, prefix.length + 2 + ctx.length);
        return out;
      },
      prehash: (digest: Uint8Array) => digest,
    });
  })();
  return prehashed;
}
