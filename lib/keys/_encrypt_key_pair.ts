/**
 * The last step of `generate-key-pair` and `import-key-pair`: a private key as cosign 2.x writes
 * it (pkg/cosign/keys.go `marshalKeyPair`) and its public key.
 *
 * @module
 */

import type { KeyObject } from "node:crypto";
import { encryptKeyBytes } from "./encrypted.ts";
import type { KeyPairPem } from "./generate_key_pair.ts";
import { encodePem } from "./pem.ts";
import { marshalPublicKeyPem } from "./public_key.ts";
import { completePrivateKey } from "./_private_der.ts";

/**
 * Encrypts `keyObject` like cosign 2.x: Go's PKCS#8 DER in a go-securesystemslib envelope
 * (scrypt N=65536) under the label "ENCRYPTED SIGSTORE PRIVATE KEY"; the PKCS#8 bytes are zeroed
 * afterwards.
 *
 * @param keyObject a P-256/P-384/P-521, RSA or Ed25519 private key
 * @param password the password (may be empty); not zeroed here
 * @param what the failing step for error messages, e.g. "Cannot import key pair"
 * @returns the private and public PEM texts
 * @throws {KeyError} `KEY_UNSUPPORTED` "<what>: unsupported public key type" for other keys
 */
export async function encryptKeyPair(
  keyObject: KeyObject,
  password: Uint8Array,
  what: string,
): Promise<KeyPairPem> {
  const key = completePrivateKey(keyObject, what);
  try {
    const envelope = await encryptKeyBytes(key.pkcs8, password);
    return {
      privatePem: encodePem("ENCRYPTED SIGSTORE PRIVATE KEY", envelope),
      publicPem: marshalPublicKeyPem(key.publicKey),
    };
  } finally {
    key.pkcs8.fill(0);
  }
}
