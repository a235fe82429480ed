/**
 * Loading cosign's encrypted private keys (matches cosign pkg/cosign/keys.go `LoadPrivateKey`).
 *
 * @module
 */

import type { KeyObject } from "node:crypto";
import { KeyError } from "../errors.ts";
import { decryptKeyBytes } from "./encrypted.ts";
import { decodePem } from "./pem.ts";
import type { Curve, KeyKind, PublicKey } from "./public_key.ts";
import { completePrivateKey, parsePkcs8 } from "./_private_der.ts";

/** A private key cosign can sign with. */
export interface PrivateKey {
  kind: KeyKind;
  /** Set for ECDSA keys. */
  curve?: Curve;
  /** The modulus length of RSA keys. */
  bits?: number;
  /** The PKCS#8 DER, exactly as Go's `x509.MarshalPKCS8PrivateKey` writes it. */
  pkcs8: Uint8Array;
  /** The key for `node:crypto`. */
  keyObject: KeyObject;
  publicKey: PublicKey;
}

/** The PEM labels of encrypted cosign keys (cosign 2.x writes the SIGSTORE one). */
export const ENCRYPTED_PEM_TYPES: readonly string[] = [
  "ENCRYPTED COSIGN PRIVATE KEY",
  "ENCRYPTED SIGSTORE PRIVATE KEY",
];

const RSA_SIZES = new Set([2048, 3072, 4096]);

/**
 * Decrypts and parses an encrypted cosign private key. The plaintext must be PKCS#8 (v1, or v2 as
 * sigstore-rs writes it) holding an ECDSA P-256/P-384/P-521, RSA 2048/3072/4096 or Ed25519 key.
 *
 * @param pemBytes the key file contents
 * @param password the password (may be empty); not zeroed here
 * @returns the key
 * @throws {KeyError} `KEY_INVALID` "Cannot load private key: invalid pem block" without a PEM block,
 *   or "Cannot load private key: parsing private key: x509: ..." for a plaintext that is not
 *   PKCS#8; `KEY_UNSUPPORTED` "Cannot load private key: unsupported pem type: <TYPE>" for other
 *   labels, or "Cannot load private key: unsupported public key type" for other key types;
 *   `KEY_DECRYPT_FAILED` "Cannot decrypt private key: wrong password or corrupt key"; and the
 *   envelope errors of {@link decryptKeyBytes}
 * @example
 * ```ts
 * const key = await loadPrivateKey(await Deno.readFile("cosign.key"), new TextEncoder().encode(pw));
 * ```
 */
export async function loadPrivateKey(
  pemBytes: Uint8Array,
  password: Uint8Array,
): Promise<PrivateKey> {
  const block = decodePem(pemBytes);
  if (!block) throw new KeyError("KEY_INVALID", "Cannot load private key: invalid pem block");
  if (!ENCRYPTED_PEM_TYPES.includes(block.type)) {
    throw new KeyError(
      "KEY_UNSUPPORTED",
      `Cannot load private key: unsupported pem type: ${block.type}`,
    );
  }
  const der = await decryptKeyBytes(block.bytes, password);
  let keyObject: KeyObject;
  try {
    keyObject = parsePkcs8(der);
  } catch (e) {
    throw new KeyError(
      "KEY_INVALID",
      `Cannot load private key: parsing private key: ${(e as Error).message}`,
      { cause: e },
    );
  } finally {
    der.fill(0);
  }
  const key = completePrivateKey(keyObject, "Cannot load private key");
  // cosign's LoadDefaultSignerVerifier only knows the algorithm registry's key sizes (Go compares
  // the modulus size in bytes, times 8).
  if (key.kind === "rsa" && !RSA_SIZES.has(Math.ceil(key.bits! / 8) * 8)) {
    throw new KeyError(
      "KEY_UNSUPPORTED",
      `Cannot load private key: unsupported public key type (RSA ${key.bits} bits)`,
    );
  }
  return key;
}
