/**
 * Turns a key reference (`cosign.key`, `env://VAR`, `https://…`, `pkcs11:…`, a KMS URI) into a
 * {@link Signer}, the way cosign's sigs.SignerVerifierFromKeyRef does.
 *
 * @module
 */
import { KeyError } from "../errors.ts";
import { loadPrivateKey } from "../keys/private_key.ts";
import { keyProvider, type KeyRefDeps, readKeyRef } from "../keys/key_ref.ts";
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
 * A `pkcs11:` URI opens the key on the token (PIN from the URI, `deps.pkcs11.pin` or the
 * prompt; the token's certificate, if any, is the signer's `certificate`); the PKCS#11 code is
 * loaded only then (`--allow-ffi`). Such signers hash with SHA-256 whatever the key, as cosign.
 *
 * @param ref a file path, `env://VAR` or an `http(s)://` URL holding an encrypted cosign key, a
 *   `pkcs11:` URI, or `piv:<slot>` (cosign's `--sk --slot <slot>`: the one YubiKey through
 *   `libykcs11`, PIN asked with `deps.pkcs11.promptPin`), or a KMS URI (`awskms://`, `gcpkms://`,
 *   `azurekms://`, `hashivault://`; credentials from the environment, as the providers' SDKs), or
 *   `gitlab://<project>` (the project's `COSIGN_PRIVATE_KEY` and `COSIGN_PASSWORD` variables), or
 *   `k8s://<namespace>/<name>` (the secret's `cosign.key` and `cosign.password`; kube config or
 *   in-cluster credentials, lib/kms/kube_config.ts)
 * @returns a signer whose hash matches the key (cosign's default algorithm for it)
 * @throws {KeyError} `KEY_NOT_FOUND`, `KEY_INVALID`, `KEY_UNSUPPORTED`, `KEY_DECRYPT_FAILED`; for
 *   tokens `TOKEN_MODULE_UNAVAILABLE`, `TOKEN_NOT_PRESENT`, `TOKEN_LOGIN_FAILED`, `TOKEN_FAILED`
 * @throws {TypeError} for a malformed `pkcs11:` URI
 */
export async function loadSigner(
  ref: string,
  deps: LoadSignerDeps,
  options: LoadSignerOptions = {},
): Promise<Signer> {
  const provider = keyProvider(ref);
  if (provider === "pkcs11") {
    const { openPkcs11Signer, parsePkcs11Uri } = await import("../pkcs11/mod.ts");
    const settings = deps.pkcs11 ?? {};
    return await openPkcs11Signer(parsePkcs11Uri(ref, { modulePath: settings.modulePath }), {
      pin: settings.pin,
      promptPin: settings.promptPin,
      ignoreCertificate: settings.ignoreCertificate,
      readFile: deps.readFile,
    });
  }
  if (provider === "piv") {
    const { pivSlot, PivToken } = await import("../pkcs11/mod.ts");
    const settings = deps.pkcs11 ?? {};
    const slot = pivSlot(ref.slice("piv:".length));
    using token = await PivToken.open(settings.pivModulePath);
    return await token.signer(slot, { promptPin: settings.promptPin });
  }
  if (provider === "kms") {
    const { openKmsSigner } = await import("../kms/kms_signer.ts");
    return await openKmsSigner(ref, deps);
  }
  if (provider === "gitlab") {
    // cosign: the key and its password from the project's COSIGN_PRIVATE_KEY and COSIGN_PASSWORD.
    const { gitlabProject } = await import("../kms/gitlab_project.ts");
    const project = gitlabProject(ref, deps);
    const pem = new TextEncoder().encode(await project.getVariable("COSIGN_PRIVATE_KEY"));
    const password = new TextEncoder().encode(await project.getVariable("COSIGN_PASSWORD"));
    try {
      return keySigner(await loadPrivateKey(pem, password), {
        ed25519ph: options.ed25519ph ?? false,
      });
    } finally {
      password.fill(0);
    }
  }
  if (provider === "k8s") {
    // cosign: the secret's cosign.key, decrypted with its cosign.password.
    const { readKubernetesSecret, secretEntry, SECRET_KEYS } = await import(
      "../kms/kubernetes_secret.ts"
    );
    const data = await readKubernetesSecret(ref, deps);
    const pem = secretEntry(ref, SECRET_KEYS.privateKey, data);
    const password = data[SECRET_KEYS.password] ?? new Uint8Array();
    try {
      return keySigner(await loadPrivateKey(pem, password), {
        ed25519ph: options.ed25519ph ?? false,
      });
    } finally {
      password.fill(0);
    }
  }
  if (provider) {
    throw new KeyError(
      "KEY_UNSUPPORTED",
      `Cannot load key: ${provider} key references are not supported`,
    );
  }
  const pem = await readKeyRef(ref, deps);
  const password = await deps.getPassword();
  try {
    const key = await loadPrivateKey(pem, password);
    return keySigner(key, { ed25519ph: options.ed25519ph ?? false });
  } finally {
    password.fill(0);
  }
}
