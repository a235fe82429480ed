/**
 * Google Cloud KMS keys (`gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K[/cryptoKeyVersions/V]`),
 * with the calls sigstore's GCP provider makes (pkg/signature/kms/gcp, which uses gRPC), here over
 * the Cloud KMS REST API v1: `GetCryptoKey` (purpose must be ASYMMETRIC_SIGN), the given version
 * or the newest enabled one (`ListCryptoKeyVersions` filter `state=ENABLED`, order `name desc`),
 * `GetPublicKey`, `AsymmetricSign` with the digest and its CRC32C (both checksums checked), and
 * for `generate-key-pair --kms` `GetKeyRing`/`CreateKeyRing` and `CreateCryptoKey`
 * (EC_SIGN_P256_SHA256).
 *
 * Credentials (Application Default Credentials): the JSON file in
 * `GOOGLE_APPLICATION_CREDENTIALS`, else `~/.config/gcloud/application_default_credentials.json`
 * — a service account key (a JWT-bearer grant to its `token_uri`) or an `authorized_user`
 * (a refresh-token grant) — else the metadata server when `GCE_METADATA_HOST` is set. Scope
 * `https://www.googleapis.com/auth/cloudkms`. The endpoint is `https://cloudkms.googleapis.com/`,
 * or gcloud's `CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS`. Not supported: external account
 * (workload identity federation) files and impersonation.
 *
 * @module
 */
import { KeyError } from "../errors.ts";
import { decodePem } from "../keys/pem.ts";
import { parsePublicKeyPem, type PublicKey } from "../keys/public_key.ts";
import type { SignHash } from "../signature/signer.ts";
import {
  field,
  kmsJsonCall,
  kmsRequest,
  oauthAccessToken,
  onceUnlessFailed,
  readCredentialFile,
  stringField,
} from "./_request.ts";
import type { KmsDeps, KmsKey } from "./kms_key.ts";

const REFERENCE =
  /^gcpkms:\/\/projects\/([^/]+)\/locations\/([^/]+)\/keyRings\/([^/]+)\/cryptoKeys\/([^/]+)(?:\/(?:cryptoKeyVersions|versions)\/([^/]+))?$/;

/** The parts of a `gcpkms://` URI. */
export interface GcpKmsUri {
  project: string;
  location: string;
  keyRing: string;
  key: string;
  version?: string;
}

/**
 * Parses a `gcpkms://` URI (sigstore's `parseReference`).
 *
 * @throws {TypeError} with sigstore's message
 */
export function parseGcpKmsUri(ref: string): GcpKmsUri {
  const m = REFERENCE.exec(ref);
  if (!m) {
    throw new TypeError(
      "Cannot parse GCP KMS URI: kms specification should be in the format gcpkms://projects/[PROJECT_ID]/locations/[LOCATION]/keyRings/[KEY_RING]/cryptoKeys/[KEY]/cryptoKeyVersions/[VERSION]",
    );
  }
  const out: GcpKmsUri = { project: m[1], location: m[2], keyRing: m[3], key: m[4] };
  if (m[5]) out.version = m[5];
  return out;
}

const ALGORITHM_HASH: Record<string, SignHash> = {
  EC_SIGN_P256_SHA256: "sha256",
  EC_SIGN_P384_SHA384: "sha384",
  RSA_SIGN_PKCS1_2048_SHA256: "sha256",
  RSA_SIGN_PKCS1_3072_SHA256: "sha256",
  RSA_SIGN_PKCS1_4096_SHA256: "sha256",
  RSA_SIGN_PKCS1_4096_SHA512: "sha512",
};

const SCOPE = "https://www.googleapis.com/auth/cloudkms";

/** CRC32C (Castagnoli), as Cloud KMS checksums requests and responses. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const b64url = (b: Uint8Array) => b.toBase64({ alphabet: "base64url", omitPadding: true });

/** A service account's RS256 JWT for the JWT-bearer grant (RFC 7523). */
async function serviceAccountAssertion(
  account: { client_email: string; private_key: string; private_key_id?: string },
  tokenUri: string,
  now: Date,
): Promise<string> {
  const block = decodePem(account.private_key);
  if (!block || block.type !== "PRIVATE KEY") {
    throw new KeyError(
      "KMS_CREDENTIALS_MISSING",
      "Cannot use GCP credentials: private_key is not a PKCS#8 PEM key",
    );
  }
  const key = await crypto.subtle.importKey(
    "pkcs8",
    block.bytes as Uint8Array<ArrayBuffer>,
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const iat = Math.floor(now.getTime() / 1000);
  const enc = (o: unknown) => b64url(new TextEncoder().encode(JSON.stringify(o)));
  const header = {
    alg: "RS256",
    typ: "JWT",
    ...(account.private_key_id ? { kid: account.private_key_id } : {}),
  };
  const input = `${enc(header)}.${
    enc({ iss: account.client_email, scope: SCOPE, aud: tokenUri, iat, exp: iat + 3600 })
  }`;
  const sig = new Uint8Array(
    await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(input)),
  );
  return `${input}.${b64url(sig)}`;
}

/**
 * Opens a Cloud KMS key.
 *
 * @param ref the `gcpkms://` URI
 * @param deps environment (credentials, endpoint), network, files, clock
 * @returns the key; requests start on first use
 * @throws {TypeError} for a malformed URI
 */
export function gcpKms(ref: string, deps: KmsDeps): KmsKey {
  const uri = parseGcpKmsUri(ref);
  const env = (n: string) => deps.getEnv(n) || undefined;
  const base =
    (env("CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS") ?? "https://cloudkms.googleapis.com/")
      .replace(/\/?$/, "/");
  const ring = `projects/${uri.project}/locations/${uri.location}/keyRings/${uri.keyRing}`;
  const keyName = `${ring}/cryptoKeys/${uri.key}`;
  const now = () => deps.now?.() ?? new Date();

  const accessToken = onceUnlessFailed(async () => {
    const path = env("GOOGLE_APPLICATION_CREDENTIALS") ??
      `${env("HOME") ?? ""}/.config/gcloud/application_default_credentials.json`;
    const text = await readCredentialFile(deps, path);
    let form: Record<string, string> | undefined;
    let tokenUri = "https://oauth2.googleapis.com/token";
    if (text !== undefined) {
      let creds: Record<string, string>;
      try {
        creds = JSON.parse(text);
      } catch (e) {
        throw new KeyError(
          "KMS_CREDENTIALS_MISSING",
          `Cannot use GCP credentials ${path}: not JSON`,
          { cause: e },
        );
      }
      tokenUri = creds.token_uri ?? tokenUri;
      if (creds.type === "service_account") {
        form = {
          grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
          assertion: await serviceAccountAssertion(
            creds as unknown as { client_email: string; private_key: string },
            tokenUri,
            now(),
          ),
        };
      } else if (creds.type === "authorized_user") {
        form = {
          grant_type: "refresh_token",
          refresh_token: creds.refresh_token,
          client_id: creds.client_id,
          client_secret: creds.client_secret,
        };
      } else {
        throw new KeyError(
          "KMS_CREDENTIALS_MISSING",
          `Cannot use GCP credentials ${path}: unsupported type "${creds.type}"`,
        );
      }
    }
    let res;
    if (form) {
      res = await kmsRequest(deps, {
        url: tokenUri,
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new TextEncoder().encode(new URLSearchParams(form).toString()),
        retry: true,
      });
    } else if (env("GCE_METADATA_HOST")) {
      res = await kmsRequest(deps, {
        url: `http://${
          env("GCE_METADATA_HOST")
        }/computeMetadata/v1/instance/service-accounts/default/token?scopes=${
          encodeURIComponent(SCOPE)
        }`,
        method: "GET",
        headers: { "metadata-flavor": "Google" },
      });
    } else {
      throw new KeyError(
        "KMS_CREDENTIALS_MISSING",
        "Cannot use GCP KMS: no credentials (set GOOGLE_APPLICATION_CREDENTIALS)",
      );
    }
    return oauthAccessToken(res, "a GCP");
  });

  async function call(
    step: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<unknown> {
    const res = await kmsJsonCall(deps, {
      url: base + "v1/" + path,
      method,
      headers: { authorization: `Bearer ${await accessToken()}` },
      body,
      retry: method === "GET" || step === "sign with",
    });
    if (res.status >= 200 && res.status < 300) return res.body;
    const status = field(res.body, "error", "status") ?? `HTTP ${res.status}`;
    const message = field(res.body, "error", "message") ?? res.text.slice(0, 200);
    const code = res.status === 404 ? "KEY_NOT_FOUND" : "KMS_REQUEST_FAILED";
    throw new KeyError(code, `Cannot ${step} GCP KMS ${path.split("?")[0]}: ${status}: ${message}`);
  }

  let version: Promise<{ name: string; publicKey: PublicKey; hash: SignHash }> | undefined;
  const loadVersion = () => {
    version ??= (async () => {
      const key = await call("read", "GET", keyName);
      if (field(key, "purpose") !== "ASYMMETRIC_SIGN") {
        throw new KeyError(
          "KEY_UNSUPPORTED",
          `Cannot use GCP KMS key ${keyName}: specified key cannot be used to sign`,
        );
      }
      let kv: unknown;
      if (uri.version) {
        kv = await call("read", "GET", `${keyName}/cryptoKeyVersions/${uri.version}`);
      } else {
        const list = await call(
          "list versions of",
          "GET",
          `${keyName}/cryptoKeyVersions?filter=${encodeURIComponent("state=ENABLED")}&orderBy=${
            encodeURIComponent("name desc")
          }`,
        );
        const versions = field(list, "cryptoKeyVersions");
        kv = Array.isArray(versions) ? versions[0] : undefined;
        if (!kv) {
          throw new KeyError(
            "KEY_NOT_FOUND",
            `Cannot use GCP KMS key ${keyName}: unable to find an enabled key version`,
          );
        }
      }
      const name = stringField(kv, "GCP KMS key version", "name");
      const algorithm = String(field(kv, "algorithm"));
      const hash = ALGORITHM_HASH[algorithm];
      if (!hash) {
        throw new KeyError(
          "KEY_UNSUPPORTED",
          `Cannot use GCP KMS key ${name}: unsupported algorithm ${algorithm}`,
        );
      }
      const pub = await call("read the public key of", "GET", `${name}/publicKey`);
      return {
        name,
        publicKey: parsePublicKeyPem(stringField(pub, "GCP public key", "pem")),
        hash,
      };
    })();
    version.catch(() => (version = undefined));
    return version;
  };

  return {
    ref,
    async publicKey() {
      return (await loadVersion()).publicKey;
    },
    async hash() {
      return (await loadVersion()).hash;
    },
    async signDigest(digest, hash) {
      const { name } = await loadVersion();
      const crc = crc32c(digest);
      const out = await call("sign with", "POST", `${name}:asymmetricSign`, {
        digest: { [hash]: digest.toBase64() },
        digestCrc32c: String(crc),
      });
      if (field(out, "verifiedDigestCrc32c") !== true) {
        throw new KeyError(
          "KMS_REQUEST_FAILED",
          "Cannot sign with GCP KMS: request corrupted in-transit",
        );
      }
      const signature = Uint8Array.fromBase64(stringField(out, "GCP signature", "signature"));
      if (String(crc32c(signature)) !== String(field(out, "signatureCrc32c"))) {
        throw new KeyError(
          "KMS_REQUEST_FAILED",
          "Cannot sign with GCP KMS: response corrupted in-transit",
        );
      }
      return signature;
    },
    async createKey() {
      try {
        await call("read", "GET", ring);
      } catch (e) {
        if (!(e instanceof KeyError && e.code === "KEY_NOT_FOUND")) throw e;
        await call(
          "create",
          "POST",
          `projects/${uri.project}/locations/${uri.location}/keyRings?keyRingId=${
            encodeURIComponent(uri.keyRing)
          }`,
          {},
        );
      }
      try {
        await call("read", "GET", keyName);
      } catch (e) {
        if (!(e instanceof KeyError && e.code === "KEY_NOT_FOUND")) throw e;
        await call(
          "create",
          "POST",
          `${ring}/cryptoKeys?cryptoKeyId=${encodeURIComponent(uri.key)}`,
          {
            purpose: "ASYMMETRIC_SIGN",
            versionTemplate: { algorithm: "EC_SIGN_P256_SHA256" },
          },
        );
      }
      return (await loadVersion()).publicKey;
    },
  };
}
