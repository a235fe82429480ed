/**
 * Azure Key Vault keys (`azurekms://<vault host>/<key>[/<version>]`), with the calls sigstore's
 * Azure provider makes (pkg/signature/kms/azure, azkeys API version 7.6): `GET keys/<name>/<version>`
 * (a JSON Web Key), `POST keys/<name>/<version>/sign` with `ES256`/`ES384`/`ES512` (by curve) or
 * `RS256`… (by modulus size), whose `r ‖ s` result is DER-encoded as sigstore does, and for
 * `generate-key-pair --kms` `POST keys/<name>/create` (an EC key, sign and verify, tag
 * `use=sigstore`). The vault URL is always `https://<host>/`, as in sigstore.
 *
 * Credentials: a service principal from `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and
 * `AZURE_CLIENT_SECRET` (the client-credentials grant at `AZURE_AUTHORITY_HOST`, default
 * `https://login.microsoftonline.com/`, scope `https://vault.azure.net/.default`). Not supported:
 * managed identity, workload identity, the Azure CLI, and `AZURE_ENVIRONMENT` clouds other than
 * the public one.
 *
 * @module
 */
import { KeyError } from "../errors.ts";
import { nodeCrypto } from "../_node_crypto.ts";
import { type PublicKey, publicKeyFromKeyObject } from "../keys/public_key.ts";
import { p1363ToDer } from "../signature/p1363_to_der.ts";
import type { SignHash } from "../signature/signer.ts";
import {
  field,
  kmsJsonCall,
  kmsRequest,
  oauthAccessToken,
  onceUnlessFailed,
  stringField,
} from "./_request.ts";
import type { KmsDeps, KmsKey } from "./kms_key.ts";

const REFERENCE = /^azurekms:\/\/([^/]+)\/([^/]+)(\/[a-z0-9]*)?$/;
const API_VERSION = "7.6";

/** The parts of an `azurekms://` URI. */
export interface AzureKmsUri {
  /** `https://<host>/` */
  vaultUrl: string;
  keyName: string;
  /** "" for the latest version. */
  keyVersion: string;
}

/**
 * Parses an `azurekms://` URI (sigstore's `parseReference`).
 *
 * @throws {TypeError} with sigstore's message
 */
export function parseAzureKmsUri(ref: string): AzureKmsUri {
  const m = REFERENCE.exec(ref);
  if (!m) {
    throw new TypeError(
      "Cannot parse Azure KMS URI: kms specification should be in the format azurekms://[VAULT_NAME][VAULT_URL]/[KEY_NAME]/[KEY_VERSION (optional)]",
    );
  }
  return { vaultUrl: `https://${m[1]}/`, keyName: m[2], keyVersion: (m[3] ?? "").slice(1) };
}

const EC_ALGORITHMS: Record<string, [SignHash, string]> = {
  "P-256": ["sha256", "ES256"],
  "P-384": ["sha384", "ES384"],
  "P-521": ["sha512", "ES512"],
};

/**
 * Opens an Azure Key Vault key.
 *
 * @param ref the `azurekms://` URI
 * @param deps environment (credentials, authority), network
 * @returns the key; requests start on first use
 * @throws {TypeError} for a malformed URI
 */
export function azureKms(ref: string, deps: KmsDeps): KmsKey {
  const uri = parseAzureKmsUri(ref);
  const env = (n: string) => deps.getEnv(n) || undefined;

  const accessToken = onceUnlessFailed(async () => {
    const tenant = env("AZURE_TENANT_ID");
    const clientId = env("AZURE_CLIENT_ID");
    const secret = env("AZURE_CLIENT_SECRET");
    if (!tenant || !clientId || !secret) {
      throw new KeyError(
        "KMS_CREDENTIALS_MISSING",
        "Cannot use Azure Key Vault: no credentials (set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET)",
      );
    }
    const authority = (env("AZURE_AUTHORITY_HOST") ?? "https://login.microsoftonline.com/")
      .replace(/\/?$/, "/");
    const res = await kmsRequest(deps, {
      url: `${authority}${encodeURIComponent(tenant)}/oauth2/v2.0/token`,
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new TextEncoder().encode(
        new URLSearchParams({
          grant_type: "client_credentials",
          client_id: clientId,
          client_secret: secret,
          scope: "https://vault.azure.net/.default",
        }).toString(),
      ),
      retry: true,
    });
    return oauthAccessToken(res, "an Azure");
  });

  async function call(
    step: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<unknown> {
    const url = new URL(path, uri.vaultUrl);
    url.searchParams.set("api-version", API_VERSION);
    const res = await kmsJsonCall(deps, {
      url,
      method,
      headers: { authorization: `Bearer ${await accessToken()}` },
      body,
      retry: method === "GET" || step === "sign with",
    });
    if (res.status >= 200 && res.status < 300) return res.body;
    const code = field(res.body, "error", "code") ?? `HTTP ${res.status}`;
    const message = field(res.body, "error", "message") ?? res.text.slice(0, 200);
    throw new KeyError(
      res.status === 404 ? "KEY_NOT_FOUND" : "KMS_REQUEST_FAILED",
      `Cannot ${step} Azure Key Vault key ${uri.keyName}: ${code}: ${message}`,
    );
  }

  const keyPath = `keys/${encodeURIComponent(uri.keyName)}/${encodeURIComponent(uri.keyVersion)}`;

  let loaded: Promise<{ publicKey: PublicKey; hash: SignHash; alg: string }> | undefined;
  const load = () => {
    loaded ??= (async () => {
      const bundle = await call("read", "GET", keyPath);
      const jwk = { ...(field(bundle, "key") as Record<string, unknown>) };
      // EC-HSM and RSA-HSM are EC and RSA keys (sigstore rewrites kty the same way).
      if (jwk.kty === "EC-HSM") jwk.kty = "EC";
      if (jwk.kty === "RSA-HSM") jwk.kty = "RSA";
      let publicKey: PublicKey;
      try {
        const { kty, crv, x, y, n, e } = jwk as Record<string, string>;
        publicKey = publicKeyFromKeyObject(
          nodeCrypto().createPublicKey({
            key: (kty === "EC" ? { kty, crv, x, y } : { kty, n, e }) as never,
            format: "jwk",
          }),
        );
      } catch (err) {
        if (err instanceof KeyError) throw err;
        throw new KeyError(
          "KEY_INVALID",
          `Cannot read Azure Key Vault key ${uri.keyName}: bad JSON Web Key`,
          {
            cause: err,
          },
        );
      }
      let hash: SignHash, alg: string;
      if (publicKey.kind === "ecdsa") {
        [hash, alg] = EC_ALGORITHMS[publicKey.curve!];
      } else if (publicKey.kind === "rsa" && [2048, 3072, 4096].includes(publicKey.bits!)) {
        [hash, alg] = publicKey.bits === 2048
          ? ["sha256", "RS256"]
          : publicKey.bits === 3072
          ? ["sha384", "RS384"]
          : ["sha512", "RS512"];
      } else {
        throw new KeyError(
          "KEY_UNSUPPORTED",
          `Cannot use Azure Key Vault key ${uri.keyName}: unsupported key type`,
        );
      }
      return { publicKey, hash, alg };
    })();
    loaded.catch(() => (loaded = undefined));
    return loaded;
  };

  return {
    ref,
    async publicKey() {
      return (await load()).publicKey;
    },
    async hash() {
      return (await load()).hash;
    },
    async signDigest(digest) {
      const { publicKey, alg } = await load();
      const out = await call("sign with", "POST", `${keyPath}/sign`, {
        alg,
        value: digest.toBase64({ alphabet: "base64url", omitPadding: true }),
      });
      const raw = Uint8Array.fromBase64(stringField(out, "Azure signature", "value"), {
        alphabet: "base64url",
      });
      return publicKey.kind === "ecdsa" ? p1363ToDer(raw) : raw;
    },
    async createKey() {
      try {
        return (await load()).publicKey;
      } catch (e) {
        if (!(e instanceof KeyError && e.code === "KEY_NOT_FOUND")) throw e;
      }
      await call("create", "POST", `keys/${encodeURIComponent(uri.keyName)}/create`, {
        kty: "EC",
        key_size: 2048,
        key_ops: ["sign", "verify"],
        attributes: { enabled: true },
        tags: { use: "sigstore" },
      });
      return (await load()).publicKey;
    },
  };
}
