/**
 * `cosign generate-key-pair` (matches cosign pkg/cosign/keys.go `GenerateKeyPair`).
 *
 * @module
 */

import { generateKeyPairSync } from "node:crypto";
import { encryptKeyPair } from "./_encrypt_key_pair.ts";

/** The PEM pair cosign writes to `cosign.key` and `cosign.pub`. */
export interface KeyPairPem {
  /** The encrypted private key PEM. */
  privatePem: string;
  /** The "PUBLIC KEY" PEM. */
  publicPem: string;
}

/**
 * Generates an ECDSA P-256 key pair, encrypted like cosign 2.x does: PKCS#8 DER in a
 * go-securesystemslib envelope (scrypt N=65536) under the label "ENCRYPTED SIGSTORE PRIVATE KEY".
 *
 * @param password the password (may be empty); not zeroed here
 * @returns the private and public PEM texts
 */
export async function generateKeyPair(password: Uint8Array): Promise<KeyPairPem> {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return await encryptKeyPair(privateKey, password, "Cannot generate key pair");
}
