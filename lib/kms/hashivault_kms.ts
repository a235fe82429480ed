/**
 * HashiCorp Vault transit keys (`hashivault://<key>`), as sigstore's Vault provider uses them
 * (pkg/signature/kms/hashivault, v1.10.3): `GET /v1/<transit>/keys/<key>` (the latest version's
 * `public_key` PEM), `PUT /v1/<transit>/sign/<key>/sha2-256` with a prehashed base64 digest,
 * `key_version` 0 (the latest) and `signature_algorithm: pkcs1v15` (used by RSA keys only),
 * answered with `vault:v<N>:<base64 DER>`, and `PUT /v1/<transit>/keys/<key>` with
 * `{"type": "ecdsa-p256"}` to create one.
 *
 * Configuration as the Vault client reads it: `VAULT_ADDR` (required), `VAULT_TOKEN`, else the
 * file `~/.vault-token`; `TRANSIT_SECRET_ENGINE_PATH` (default `transit`). The token travels in
 * `X-Vault-Token`. Not supported: token helpers, namespaces (`VAULT_NAMESPACE`), client TLS
 * certificates (`VAULT_CACERT` and friends).
 *
 * @module
 */
import { KeyError } from "../errors.ts";
import { parsePublicKeyPem, type PublicKey } from "../keys/public_key.ts";
import type { SignHash } from "../signature/signer.ts";
import { field, kmsJsonCall, readCredentialFile, stringField } from "./_request.ts";
import type { KmsDeps, KmsKey } from "./kms_key.ts";

/** sigstore's `referenceRegex`. */
const REFERENCE = /^hashivault:\/\/(?<path>\w(([\w\-.]+)?\w)?)$/;

/**
 * The key name of a `hashivault://` URI.
 *
 * @throws {TypeError} "Cannot parse Vault URI: kms specification should be in the format
 *   hashivault://<key>"
 */
export function parseHashivaultUri(ref: string): string {
  const m = REFERENCE.exec(ref);
  if (!m) {
    throw new TypeError(
      "Cannot parse Vault URI: kms specification should be in the format hashivault://<key>",
    );
  }
  return m.groups!.path;
}

const HASH_PATH: Record<SignHash, string> = {
  sha256: "sha2-256",
  sha384: "sha2-384",
  sha512: "sha2-512",
};

/**
 * Opens a Vault transit key.
 *
 * @param ref the `hashivault://` URI
 * @param deps environment (address, token, mount), network, files
 * @returns the key; requests start on first use
 * @throws {TypeError} for a malformed URI
 */
export function hashivaultKms(ref: string, deps: KmsDeps): KmsKey {
  const name = parseHashivaultUri(ref);
  const env = (n: string) => deps.getEnv(n) || undefined;

  let settings: Promise<{ address: string; token: string; mount: string }> | undefined;
  const load = () =>
    settings ??= (async () => {
      const address = env("VAULT_ADDR");
      if (!address) {
        throw new KeyError(
          "KMS_CREDENTIALS_MISSING",
          "Cannot use Vault: VAULT_ADDR is not set",
        );
      }
      let token = env("VAULT_TOKEN");
      if (!token) {
        token = (await readCredentialFile(deps, `${env("HOME") ?? ""}/.vault-token`))?.trim();
      }
      if (!token) {
        throw new KeyError(
          "KMS_CREDENTIALS_MISSING",
          "Cannot use Vault: no Vault token found in VAULT_TOKEN or ~/.vault-token",
        );
      }
      return {
        address: address.replace(/\/+$/, ""),
        token,
        mount: env("TRANSIT_SECRET_ENGINE_PATH") ?? "transit",
      };
    })();

  async function call(
    step: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<unknown> {
    const { address, token, mount } = await load();
    const res = await kmsJsonCall(deps, {
      url: `${address}/v1/${mount}/${path}`,
      method,
      headers: {
        "x-vault-token": token,
        "x-vault-request": "true",
      },
      body,
      retry: method === "GET",
    });
    if (res.status >= 200 && res.status < 300) return res.body;
    const errors = field(res.body, "errors");
    const detail = Array.isArray(errors) ? errors.join("; ") : res.text.slice(0, 200);
    if (res.status === 404) {
      throw new KeyError(
        "KEY_NOT_FOUND",
        `Cannot ${step} Vault transit key ${name}: HTTP 404 ${detail}`.trimEnd(),
      );
    }
    throw new KeyError(
      "KMS_REQUEST_FAILED",
      `Cannot ${step} Vault transit key ${name}: HTTP ${res.status} ${detail}`.trimEnd(),
    );
  }

  let publicKey: Promise<PublicKey> | undefined;
  const loadPublicKey = () => {
    publicKey ??= (async () => {
      const out = await call("read", "GET", `keys/${name}`);
      const latest = field(out, "data", "latest_version");
      const version = field(out, "data", "keys", String(latest));
      const pem = field(version, "public_key");
      if (typeof pem !== "string") {
        throw new KeyError(
          "KMS_REQUEST_FAILED",
          `Cannot read Vault transit key ${name}: corrupted response`,
        );
      }
      if (field(version, "name") === "ed25519") {
        throw new KeyError(
          "KEY_UNSUPPORTED",
          `Cannot use Vault transit key ${name}: ed25519 keys are not supported`,
        );
      }
      return parsePublicKeyPem(pem);
    })();
    publicKey.catch(() => (publicKey = undefined));
    return publicKey;
  };

  return {
    ref,
    publicKey: loadPublicKey,
    // cosign asks the Vault provider for SHA-256 whatever the key (kms.Get(…, crypto.SHA256)).
    hash: () => Promise.resolve("sha256"),
    async signDigest(digest, hash) {
      await loadPublicKey();
      const out = await call("sign with", "PUT", `sign/${name}/${HASH_PATH[hash]}`, {
        input: digest.toBase64(),
        prehashed: true,
        key_version: "0",
        signature_algorithm: "pkcs1v15",
      });
      const sig = stringField(out, `Vault signature of ${name}`, "data", "signature");
      return Uint8Array.fromBase64(sig.replace(/^vault:v[0-9]+:/, ""));
    },
    async createKey() {
      await call("create", "PUT", `keys/${name}`, { type: "ecdsa-p256" });
      return await loadPublicKey();
    },
  };
}
