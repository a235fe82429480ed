/**
 * libsodium's sealed boxes (`crypto_box_seal`): an ephemeral X25519 key pair, the nonce
 * BLAKE2b-192(ephemeral public key ‖ recipient public key), and `crypto_box` (XSalsa20-Poly1305
 * under HSalsa20 of the X25519 shared secret). GitHub requires Actions secrets encrypted so
 * (cosign uses Go's `box.SealAnonymous`).
 *
 * @module
 */
import { hsalsa, xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { blake2b } from "@noble/hashes/blake2.js";

// "expand 32-byte k" as four little-endian words.
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);

function u32(bytes: Uint8Array): Uint32Array {
  const out = new Uint32Array(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, true);
  return out;
}

/** `crypto_box_beforenm`: HSalsa20 of the shared secret with a zero nonce. */
export function boxKey(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const shared = x25519.getSharedSecret(secretKey, publicKey);
  const out = new Uint32Array(8);
  hsalsa(SIGMA, u32(shared), new Uint32Array(4), out);
  shared.fill(0);
  const key = new Uint8Array(32);
  const view = new DataView(key.buffer);
  out.forEach((w, i) => view.setUint32(i * 4, w, true));
  return key;
}

/** The sealed-box nonce: BLAKE2b with a 24-byte output over both public keys. */
export function sealNonce(ephemeralPublic: Uint8Array, recipientPublic: Uint8Array): Uint8Array {
  const input = new Uint8Array(64);
  input.set(ephemeralPublic);
  input.set(recipientPublic, 32);
  return blake2b(input, { dkLen: 24 });
}

/**
 * Encrypts `message` to a recipient's X25519 public key, anonymously.
 *
 * @param message the plaintext
 * @param recipientPublic the 32-byte public key
 * @returns ephemeral public key (32 bytes) ‖ Poly1305 tag (16) ‖ ciphertext
 * @throws {RangeError} for a public key that is not 32 bytes
 */
export function sealedBox(message: Uint8Array, recipientPublic: Uint8Array): Uint8Array {
  if (recipientPublic.length !== 32) {
    throw new RangeError(`Cannot seal: the public key has ${recipientPublic.length} bytes, not 32`);
  }
  const ephemeralSecret = x25519.utils.randomSecretKey();
  const ephemeralPublic = x25519.getPublicKey(ephemeralSecret);
  const key = boxKey(ephemeralSecret, recipientPublic);
  ephemeralSecret.fill(0);
  const boxed = xsalsa20poly1305(key, sealNonce(ephemeralPublic, recipientPublic)).encrypt(message);
  key.fill(0);
  const out = new Uint8Array(32 + boxed.length);
  out.set(ephemeralPublic);
  out.set(boxed, 32);
  return out;
}
