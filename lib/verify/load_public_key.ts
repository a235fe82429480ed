/**
 * The public key a `--key` reference names, for verification — cosign's
 * `sigs.PublicKeyFromKeyRef` (pkg/signature/keys.go): a PEM file, URL or `env://` variable, or
 * the public key of a key held by a PKCS#11 token or a key management service.
 *
 * @module
 */
import { KeyError } from "../errors.ts";
import { keyProvider, type KeyRefDeps, readKeyRef } from "../keys/key_ref.ts";
import { marshalPublicKeyPem, parsePublicKeyPem, type PublicKey } from "../keys/public_key.ts";

/**
 * Reads the public key of a key held by a token or a service. The provider's code is loaded
 * only when such a reference is used (PKCS#11 needs `--allow-ffi`).
 *
 * @param ref `pkcs11:…` (RFC 7512, as cosign parses it), `piv:<slot>`, a KMS URI, or
 *   `gitlab://<project>` (its `COSIGN_PUBLIC_KEY` variable), or `k8s://<namespace>/<name>` (the
 *   secret's `cosign.pub`)
 * @param deps environment, network, files and the PKCS#11 settings
 * @returns the public key
 * @throws {TypeError} for a malformed URI
 * @throws {KeyError} `KEY_UNSUPPORTED` for a reference of no provider, and the providers' errors
 *   (`TOKEN_*`, `KMS_*`, `KEY_NOT_FOUND` …)
 */
export async function loadProviderPublicKey(ref: string, deps: KeyRefDeps): Promise<PublicKey> {
  const provider = keyProvider(ref);
  switch (provider) {
    case "pkcs11": {
      const { loadPkcs11PublicKey, parsePkcs11Uri } = await import("../pkcs11/mod.ts");
      return await loadPkcs11PublicKey(
        parsePkcs11Uri(ref, { modulePath: deps.pkcs11?.modulePath }),
        { readFile: deps.readFile },
      );
    }
    case "piv": {
      const { pivSlot, PivToken } = await import("../pkcs11/mod.ts");
      const slot = pivSlot(ref.slice("piv:".length));
      using token = await PivToken.open(deps.pkcs11?.pivModulePath);
      return await token.publicKey(slot);
    }
    case "kms": {
      const { openKmsKey } = await import("../kms/kms_key.ts");
      return await (await openKmsKey(ref, deps)).publicKey();
    }
    case "gitlab": {
      const { gitlabProject } = await import("../kms/gitlab_project.ts");
      return parsePublicKeyPem(await gitlabProject(ref, deps).getVariable("COSIGN_PUBLIC_KEY"));
    }
    case "k8s": {
      // cosign PublicKeyFromKeyRefWithHashAlgo: the secret's cosign.pub.
      const { readKubernetesSecret, secretEntry, SECRET_KEYS } = await import(
        "../kms/kubernetes_secret.ts"
      );
      const data = await readKubernetesSecret(ref, deps);
      return parsePublicKeyPem(secretEntry(ref, SECRET_KEYS.publicKey, data));
    }
    default:
      throw new KeyError(
        "KEY_UNSUPPORTED",
        `Cannot load key: ${provider ?? "this"} key references are not supported`,
      );
  }
}

/**
 * The PEM of a provider key's public key: the `resolveProviderKey` of {@link KeyRefDeps}, which
 * lets every `readKeyRef` of a verification path accept token and KMS references.
 *
 * @param ref a provider reference
 * @param deps as for {@link loadProviderPublicKey}
 * @returns the PKIX "PUBLIC KEY" PEM
 */
export async function providerPublicKeyPem(ref: string, deps: KeyRefDeps): Promise<Uint8Array> {
  return new TextEncoder().encode(marshalPublicKeyPem(await loadProviderPublicKey(ref, deps)));
}

/**
 * Loads the public key `ref` names: a provider's key, or a PEM public key from a file, URL or
 * environment variable.
 *
 * @param ref the `--key` value
 * @param deps environment, network, files and the PKCS#11 settings
 * @returns the public key
 * @throws {KeyError} the errors of `readKeyRef`, `parsePublicKeyPem` and {@link loadProviderPublicKey}
 */
export async function loadPublicKey(ref: string, deps: KeyRefDeps): Promise<PublicKey> {
  if (keyProvider(ref)) return await loadProviderPublicKey(ref, deps);
  return parsePublicKeyPem(await readKeyRef(ref, deps));
}
