/**
 * A {@link Signer} over a KMS key: the message is hashed here, the digest signed by the service,
 * with the hash the provider's sigstore signer uses (the key's algorithm for AWS, GCP and Azure;
 * SHA-256 for Vault, as cosign asks for it).
 *
 * @module
 */
import { digestSigner } from "../signature/digest_signer.ts";
import type { Signer } from "../signature/signer.ts";
import { type KmsDeps, openKmsKey } from "./kms_key.ts";

/**
 * Opens a KMS key and returns a signer for it; the public key and algorithm are fetched now.
 *
 * @param ref a KMS URI
 * @param deps environment, network, files, clock
 * @returns the signer
 * @throws {TypeError} for a malformed URI
 * @throws {KeyError} `KEY_NOT_FOUND`, `KEY_UNSUPPORTED`, `KMS_REQUEST_FAILED`,
 *   `KMS_CREDENTIALS_MISSING`
 * @throws {IoError} `NETWORK` when the service cannot be reached
 */
export async function openKmsSigner(ref: string, deps: KmsDeps): Promise<Signer> {
  const key = await openKmsKey(ref, deps);
  const publicKey = await key.publicKey();
  const hash = await key.hash();
  return digestSigner(publicKey, hash, (digest) => key.signDigest(digest, hash));
}
