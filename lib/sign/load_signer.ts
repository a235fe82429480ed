/**
 * Turns a key reference (`cosign.key`, `env://VAR`, `https://…`) into a {@link Signer}, the way
 * cosign's sigs.SignerVerifierFromKeyRef does for encrypted private keys.
 *
 * @module
 */
import { loadPrivateKey } from "../keys/private_key.ts";
import { type KeyRefDeps, readKeyRef } from "../keys/key_ref.ts";
import { keySigner, type Signer } from "../signature/signer.ts";

/** What {@link loadSigner} needs from its caller. */
export interface LoadSignerDeps extends KeyRefDeps {
  /** Supplies the key's password; called once, only after the key was read. */
  getPassword(): Promise<Uint8Array>;
}

/** Options for {@link loadSigner}. */
export interface LoadSignerOptions {
  /**
   * Sign Ed25519 keys with Ed25519ph. cosign does so only when the signature goes to the
   * transparency log (hashedrekord needs a prehash); otherwise it uses pure Ed25519.
   */
  ed25519ph?: boolean;
}

/**
 * Loads the private key named by `ref` and returns a signer for it.
 *
 * @param ref a file path, `env://VAR` or an `http(s)://` URL holding an encrypted cosign key
 * @returns a signer whose hash matches the key (cosign's default algorithm for it)
 * @throws {KeyError} `KEY_NOT_FOUND`, `KEY_INVALID`, `KEY_UNSUPPORTED`, `KEY_DECRYPT_FAILED`
 */
export async function loadSigner(
  ref: string,
  deps: LoadSignerDeps,
  options: LoadSignerOptions = {},
): Promise<Signer> {
  const pem = await readKeyRef(ref, deps);
  const password = await deps.getPassword();
  try {
    const key = await loadPrivateKey(pem, password);
    return keySigner(key, { ed25519ph: options.ed25519ph ?? false });
  } finally {
    password.fill(0);
  }
}
