/**
 * AWS KMS keys (`awskms://[ENDPOINT]/{key id | key ARN | alias/NAME | alias ARN}`), as sigstore's
 * AWS provider uses them (pkg/signature/kms/aws): `GetPublicKey`, `DescribeKey` (the key's first
 * signing algorithm decides the hash), `Sign` with `MessageType: DIGEST`, and for
 * `generate-key-pair --kms` `CreateKey` (ECC_NIST_P256, SIGN_VERIFY) plus `CreateAlias`. Requests
 * are the KMS JSON protocol (`X-Amz-Target: TrentService.<Op>`) signed with SigV4.
 *
 * Configuration follows the AWS SDK: region from `AWS_REGION`/`AWS_DEFAULT_REGION` or the profile's
 * `region` in `~/.aws/config`; credentials from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/
 * `AWS_SESSION_TOKEN`, else the profile (`AWS_PROFILE`, default `default`) in
 * `~/.aws/credentials` (`AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`); endpoint from the URI's
 * host (always `https://`, as sigstore), else `AWS_ENDPOINT_URL_KMS`/`AWS_ENDPOINT_URL`, else
 * `https://kms.<region>.amazonaws.com`. Not supported: SSO, web identity, instance metadata and
 * `credential_process` credentials.
 *
 * @module
 */
import { KeyError } from "../errors.ts";
import { parsePublicKeyDer, type PublicKey } from "../keys/public_key.ts";
import type { SignHash } from "../signature/signer.ts";
import { type AwsCredentials, signAwsRequest } from "./_sigv4.ts";
import { field, kmsRequest, readCredentialFile, stringField } from "./_request.ts";
import type { KmsDeps, KmsKey } from "./kms_key.ts";

const UUID =
  "m?r?k?-?[A-Fa-f0-9]{8}-?[A-Fa-f0-9]{4}-?[A-Fa-f0-9]{4}-?[A-Fa-f0-9]{4}-?[A-Fa-f0-9]{12}";
const ARN = "arn:(?:aws|aws-us-gov|aws-cn):kms:[a-z0-9-]+:\\d{12}:";
const HOST = "([^/]*)/";
const PATTERNS = [
  new RegExp(`^awskms://${HOST}(${UUID})$`),
  new RegExp(`^awskms://${HOST}(${ARN}key/${UUID})$`),
  new RegExp(`^awskms://${HOST}((alias/.*))$`),
  new RegExp(`^awskms://${HOST}(${ARN}(alias/.*))$`),
];

/** The parts of an `awskms://` URI (sigstore's `ParseReference`). */
export interface AwsKmsUri {
  /** `host[:port]` from the URI, or "". */
  endpoint: string;
  /** What requests name the key by: id, ARN or alias. */
  keyId: string;
  /** `alias/NAME` when the URI names an alias. */
  alias?: string;
}

/**
 * Parses an `awskms://` URI.
 *
 * @throws {TypeError} "Cannot parse AWS KMS URI: kms specification should be in the format
 *   awskms://[ENDPOINT]/[ID/ALIAS/ARN] (endpoint optional)"
 */
export function parseAwsKmsUri(ref: string): AwsKmsUri {
  for (const re of PATTERNS) {
    const m = re.exec(ref);
    if (m) {
      return m[3] ? { endpoint: m[1], keyId: m[2], alias: m[3] } : { endpoint: m[1], keyId: m[2] };
    }
  }
  throw new TypeError(
    "Cannot parse AWS KMS URI: kms specification should be in the format awskms://[ENDPOINT]/[ID/ALIAS/ARN] (endpoint optional)",
  );
}

/** Reads one section of an INI file (`~/.aws/credentials`, `~/.aws/config`). */
function iniSection(text: string, section: string): Record<string, string> | undefined {
  let current: string | undefined;
  let found: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (header) {
      current = header[1];
      if (current === section) found ??= {};
      continue;
    }
    const eq = line.indexOf("=");
    if (current === section && found && eq > 0) {
      found[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
    }
  }
  return found;
}

const HASH_OF_ALGORITHM: Record<string, SignHash> = {
  RSASSA_PSS_SHA_256: "sha256",
  RSASSA_PKCS1_V1_5_SHA_256: "sha256",
  ECDSA_SHA_256: "sha256",
  RSASSA_PSS_SHA_384: "sha384",
  RSASSA_PKCS1_V1_5_SHA_384: "sha384",
  ECDSA_SHA_384: "sha384",
  RSASSA_PSS_SHA_512: "sha512",
  RSASSA_PKCS1_V1_5_SHA_512: "sha512",
  ECDSA_SHA_512: "sha512",
};

/** The `__type` of an AWS JSON error, without its namespace (`com.amazonaws.kms#NotFoundException`). */
function errorType(body: unknown): string {
  const t = field(body, "__type");
  return typeof t === "string" ? t.slice(t.lastIndexOf("#") + 1) : "";
}

/**
 * Opens an AWS KMS key.
 *
 * @param ref the `awskms://` URI
 * @param deps environment (region, credentials, endpoint), network, files, clock
 * @returns the key; requests start on first use
 * @throws {TypeError} for a malformed URI
 */
export function awsKms(ref: string, deps: KmsDeps): KmsKey {
  const uri = parseAwsKmsUri(ref);
  const env = (name: string) => deps.getEnv(name) || undefined;
  const home = env("HOME") ?? "";
  const profile = env("AWS_PROFILE") ?? env("AWS_DEFAULT_PROFILE") ?? "default";

  let config: Promise<{ region: string; credentials: AwsCredentials; endpoint: URL }> | undefined;
  const loadConfig = () =>
    config ??= (async () => {
      const configFile = await readCredentialFile(
        deps,
        env("AWS_CONFIG_FILE") ?? `${home}/.aws/config`,
      );
      const profileConfig = configFile
        ? iniSection(configFile, profile === "default" ? "default" : `profile ${profile}`)
        : undefined;
      const region = env("AWS_REGION") ?? env("AWS_DEFAULT_REGION") ?? profileConfig?.region;
      if (!region) {
        throw new KeyError(
          "KMS_CREDENTIALS_MISSING",
          "Cannot use AWS KMS: no region (set AWS_REGION or a region in ~/.aws/config)",
        );
      }
      let credentials: AwsCredentials | undefined;
      const id = env("AWS_ACCESS_KEY_ID");
      const secret = env("AWS_SECRET_ACCESS_KEY");
      if (id && secret) {
        credentials = {
          accessKeyId: id,
          secretAccessKey: secret,
          sessionToken: env("AWS_SESSION_TOKEN"),
        };
      } else {
        const file = await readCredentialFile(
          deps,
          env("AWS_SHARED_CREDENTIALS_FILE") ?? `${home}/.aws/credentials`,
        );
        const section = (file ? iniSection(file, profile) : undefined) ?? profileConfig;
        if (section?.aws_access_key_id && section.aws_secret_access_key) {
          credentials = {
            accessKeyId: section.aws_access_key_id,
            secretAccessKey: section.aws_secret_access_key,
            sessionToken: section.aws_session_token,
          };
        }
      }
      if (!credentials) {
        throw new KeyError(
          "KMS_CREDENTIALS_MISSING",
          `Cannot use AWS KMS: no credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or profile ${profile} in ~/.aws/credentials)`,
        );
      }
      const endpoint = uri.endpoint
        ? `https://${uri.endpoint}`
        : env("AWS_ENDPOINT_URL_KMS") ?? env("AWS_ENDPOINT_URL") ??
          `https://kms.${region}.amazonaws.com`;
      return { region, credentials, endpoint: new URL(endpoint) };
    })();

  async function call(op: string, input: Record<string, unknown>, retry = true): Promise<unknown> {
    const { region, credentials, endpoint } = await loadConfig();
    const body = new TextEncoder().encode(JSON.stringify(input));
    const headers = await signAwsRequest(
      {
        method: "POST",
        url: endpoint,
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": `TrentService.${op}`,
          "content-length": String(body.length),
        },
        body,
      },
      credentials,
      { region, service: "kms" },
      deps.now?.() ?? new Date(),
    );
    delete headers["host"];
    delete headers["content-length"];
    const res = await kmsRequest(deps, { url: endpoint, method: "POST", headers, body, retry });
    if (res.status >= 200 && res.status < 300) return res.body;
    const type = errorType(res.body);
    const message = field(res.body, "message") ?? field(res.body, "Message") ??
      res.text.slice(0, 200);
    const detail = `${type || `HTTP ${res.status}`}: ${message}`;
    if (type === "NotFoundException") {
      throw new KeyError("KEY_NOT_FOUND", `Cannot ${op} with AWS KMS key ${uri.keyId}: ${detail}`);
    }
    throw new KeyError(
      "KMS_REQUEST_FAILED",
      `Cannot ${op} with AWS KMS key ${uri.keyId}: ${detail}`,
    );
  }

  let cmk: Promise<{ publicKey: PublicKey; algorithm: string }> | undefined;
  const loadCmk = () => {
    cmk ??= (async () => {
      const pub = await call("GetPublicKey", { KeyId: uri.keyId });
      const publicKey = parsePublicKeyDer(
        Uint8Array.fromBase64(stringField(pub, "AWS KMS public key", "PublicKey")),
      );
      const described = await call("DescribeKey", { KeyId: uri.keyId });
      const algorithms = field(described, "KeyMetadata", "SigningAlgorithms");
      const algorithm = Array.isArray(algorithms) && typeof algorithms[0] === "string"
        ? algorithms[0]
        : "";
      if (!(algorithm in HASH_OF_ALGORITHM)) {
        throw new KeyError(
          "KEY_UNSUPPORTED",
          `Cannot use AWS KMS key ${uri.keyId}: signing algorithm unsupported (${
            algorithm || "none"
          })`,
        );
      }
      return { publicKey, algorithm };
    })();
    cmk.catch(() => (cmk = undefined));
    return cmk;
  };

  return {
    ref,
    async publicKey() {
      return (await loadCmk()).publicKey;
    },
    async hash() {
      return HASH_OF_ALGORITHM[(await loadCmk()).algorithm];
    },
    async signDigest(digest) {
      const { algorithm } = await loadCmk();
      const out = await call("Sign", {
        KeyId: uri.keyId,
        Message: digest.toBase64(),
        MessageType: "DIGEST",
        SigningAlgorithm: algorithm,
      });
      return Uint8Array.fromBase64(stringField(out, "AWS KMS signature", "Signature"));
    },
    async createKey() {
      if (!uri.alias) {
        throw new KeyError(
          "KEY_UNSUPPORTED",
          "Cannot create AWS KMS key: must use alias key format",
        );
      }
      try {
        return (await loadCmk()).publicKey;
      } catch (e) {
        if (!(e instanceof KeyError && e.code === "KEY_NOT_FOUND")) throw e;
      }
      const created = await call("CreateKey", {
        CustomerMasterKeySpec: "ECC_NIST_P256",
        KeyUsage: "SIGN_VERIFY",
        Description: "Created by Sigstore",
      }, false);
      await call("CreateAlias", {
        AliasName: uri.alias,
        TargetKeyId: stringField(created, "AWS KMS key", "KeyMetadata", "KeyId"),
      }, false);
      return (await loadCmk()).publicKey;
    },
  };
}
