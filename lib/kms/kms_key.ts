/**
 * Keys held by a key management service, named by sigstore's KMS URIs (`awskms://`,
 * `gcpkms://`, `azurekms://`, `hashivault://`; sigstore pkg/signature/kms): the one interface
 * every provider implements, and the dispatcher.
 *
 * @module
 */
import { KeyError } from "../errors.ts";
import type { PublicKey } from "../keys/public_key.ts";
import type { SignHash } from "../signature/signer.ts";

/** What a KMS client needs from its caller (the same as the key reference readers get). */
export interface KmsDeps {
  /** Environment variables, read as the provider's SDK reads them (credentials, endpoints). */
  getEnv: (name: string) => string | undefined;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Reads credential files (`~/.aws/credentials`, a service account JSON); defaults to `Deno.readFile`. */
  readFile?: (path: string) => Promise<Uint8Array>;
  /** The clock (request signing, token lifetimes); defaults to `new Date()`. */
  now?: () => Date;
  /** Aborts requests. */
  signal?: AbortSignal;
}

/** One key in a KMS. */
export interface KmsKey {
  /** The URI it was opened with. */
  readonly ref: string;
  /** The key's public key (fetched once). */
  publicKey(): Promise<PublicKey>;
  /** The digest the key signs with (what the provider's sigstore signer uses). */
  hash(): Promise<SignHash>;
  /**
   * Signs a digest.
   *
   * @returns DER for ECDSA, PKCS#1 v1.5 (or PSS, as the key says) for RSA
   */
  signDigest(digest: Uint8Array, hash: SignHash): Promise<Uint8Array>;
  /**
   * Creates the key with the provider's default algorithm (ECDSA P-256), as
   * `cosign generate-key-pair --kms` does; an existing key is kept.
   *
   * @returns its public key
   */
  createKey(): Promise<PublicKey>;
}

/**
 * Opens the key a KMS URI names. The provider code is loaded on first use.
 *
 * @param ref `awskms://…`, `gcpkms://…`, `azurekms://…` or `hashivault://…`
 * @param deps environment, network and files
 * @returns the key (no request is made yet)
 * @throws {TypeError} for a URI the provider does not accept (sigstore's message)
 * @throws {KeyError} `KEY_UNSUPPORTED` for another scheme
 */
export async function openKmsKey(ref: string, deps: KmsDeps): Promise<KmsKey> {
  if (ref.startsWith("awskms://")) return (await import("./aws_kms.ts")).awsKms(ref, deps);
  if (ref.startsWith("hashivault://")) {
    return (await import("./hashivault_kms.ts")).hashivaultKms(ref, deps);
  }
  if (ref.startsWith("gcpkms://")) return (await import("./gcp_kms.ts")).gcpKms(ref, deps);
  if (ref.startsWith("azurekms://")) return (await import("./azure_kms.ts")).azureKms(ref, deps);
  throw new KeyError("KEY_UNSUPPORTED", `Cannot use KMS key: unsupported scheme in ${ref}`);
}
