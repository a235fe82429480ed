/**
 * Google Application Default Credentials (ADC), the part cosign's two Google providers need:
 * the credentials file (`GOOGLE_APPLICATION_CREDENTIALS`, else gcloud's
 * `~/.config/gcloud/application_default_credentials.json`), the metadata server of Compute
 * Engine / GKE (`http://<GCE_METADATA_HOST or 169.254.169.254>/computeMetadata/v1/…` with
 * `Metadata-Flavor: Google`), and the OAuth exchanges a credentials file leads to: the JWT bearer
 * grant of a service-account key (RFC 7523, signed RS256) and the refresh-token grant of a gcloud
 * user login (RFC 6749 §6). Matches golang.org/x/oauth2/google and
 * google.golang.org/api/idtoken. Private to lib/oidc/providers.
 *
 * Not supported (refused with a message saying so): `external_account` (workload identity
 * federation) and `impersonated_service_account` credentials files.
 *
 * @module
 */
import { decodePem } from "../../keys/pem.ts";
import { excerpt, jsonObject, oidcRequest, postForm } from "../_http.ts";
import {
  type AmbientContext,
  fileProblem,
  providerError,
  readContextFile,
} from "../ambient_provider.ts";

/** The variables read (`GOOGLE_APPLICATION_CREDENTIALS` is Google's, the rest the metadata client's). */
export const GOOGLE_APPLICATION_CREDENTIALS = "GOOGLE_APPLICATION_CREDENTIALS";
export const GCE_METADATA_HOST = "GCE_METADATA_HOST";

const DEFAULT_METADATA_HOST = "169.254.169.254";
const DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token";
const PRODUCT_NAME_PATH = "/sys/class/dmi/id/product_name";
const CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform";

/** A parsed credentials file. */
export interface GoogleCredentialsFile {
  type: string;
  json: Record<string, unknown>;
  path: string;
}

/**
 * Whether the DMI product name says Google (cosign's check before trying workload identity).
 */
export async function isGoogleMachine(ctx: AmbientContext): Promise<boolean> {
  try {
    const name = new TextDecoder().decode(
      await readContextFile(ctx, ctx.overrides?.gceProductNamePath ?? PRODUCT_NAME_PATH),
    ).trim();
    return name === "Google" || name === "Google Compute Engine";
  } catch {
    return false;
  }
}

/** Whether the metadata server is to be used: `GCE_METADATA_HOST` set, or a Google machine. */
export async function onGce(ctx: AmbientContext): Promise<boolean> {
  return !!ctx.getEnv(GCE_METADATA_HOST) || await isGoogleMachine(ctx);
}

/**
 * Reads the ADC credentials file, if there is one.
 *
 * @returns the file, or undefined when neither the variable nor gcloud's file exists
 * @throws {IdentityError} `OIDC_PROVIDER_FAILED` when the named file cannot be read or parsed
 */
export async function loadCredentialsFile(
  ctx: AmbientContext,
  provider: string,
): Promise<GoogleCredentialsFile | undefined> {
  const named = ctx.getEnv(GOOGLE_APPLICATION_CREDENTIALS);
  let path: string;
  let bytes: Uint8Array;
  if (named) {
    path = named;
    try {
      bytes = await readContextFile(ctx, path);
    } catch (e) {
      throw providerError(
        provider,
        `google: error getting credentials using ${GOOGLE_APPLICATION_CREDENTIALS} environment variable: ${path}: ${
          fileProblem(e)
        }`,
        e,
      );
    }
  } else {
    const home = ctx.getEnv("HOME");
    if (!home) return undefined;
    path = `${home}/.config/gcloud/application_default_credentials.json`;
    try {
      bytes = await readContextFile(ctx, path);
    } catch {
      return undefined;
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw providerError(provider, `google: cannot parse credentials file ${path}`, e);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw providerError(provider, `google: credentials file ${path} is not a JSON object`);
  }
  const type = (json as { type?: unknown }).type;
  return {
    type: typeof type === "string" ? type : "",
    json: json as Record<string, unknown>,
    path,
  };
}

/**
 * GETs a metadata server path.
 *
 * @param suffix after `computeMetadata/v1/`
 * @returns the body text
 */
export async function metadataGet(
  ctx: AmbientContext,
  provider: string,
  suffix: string,
): Promise<string> {
  const host = ctx.getEnv(GCE_METADATA_HOST) || ctx.overrides?.gceMetadataHost ||
    DEFAULT_METADATA_HOST;
  const url = `http://${host}/computeMetadata/v1/${suffix}`;
  const what = `fetch ambient OIDC credentials: ${provider}: metadata server`;
  const res = await oidcRequest(what, url, {
    headers: { "metadata-flavor": "Google" },
    retry: true,
  }, ctx);
  if (res.status !== 200) {
    throw providerError(
      provider,
      `metadata: GCE metadata "${
        suffix.split("?")[0]
      }" not defined or unavailable (HTTP ${res.status}: ${excerpt(res.text())})`,
    );
  }
  return res.text();
}

function b64url(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

/**
 * The RFC 7523 JWT bearer grant with a service-account key: an assertion signed RS256 by the
 * key, `iss` its e-mail, `aud` its token URI, an hour of validity, plus `claims` (`scope`, or
 * `target_audience` for an ID token).
 *
 * @returns the token endpoint's answer
 */
export async function serviceAccountGrant(
  ctx: AmbientContext,
  provider: string,
  file: GoogleCredentialsFile,
  claims: Record<string, string>,
): Promise<Record<string, unknown>> {
  const sa = file.json;
  const email = typeof sa.client_email === "string" ? sa.client_email : "";
  const pem = typeof sa.private_key === "string" ? sa.private_key : "";
  const tokenUri = typeof sa.token_uri === "string" && sa.token_uri
    ? sa.token_uri
    : ctx.overrides?.googleTokenUrl ?? DEFAULT_TOKEN_URL;
  const block = decodePem(pem);
  if (!email || !block) {
    throw providerError(provider, `google: ${file.path} lacks client_email or private_key`);
  }
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey(
      "pkcs8",
      block.bytes as BufferSource,
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      false,
      ["sign"],
    );
  } catch (e) {
    throw providerError(
      provider,
      `google: ${file.path}: the private key is not an RSA PKCS#8 key`,
      e,
    );
  } finally {
    block.bytes.fill(0);
  }
  const now = Math.floor(Date.now() / 1000);
  const header: Record<string, string> = { alg: "RS256", typ: "JWT" };
  if (typeof sa.private_key_id === "string" && sa.private_key_id) header.kid = sa.private_key_id;
  const input = `${b64url(JSON.stringify(header))}.${
    b64url(JSON.stringify({ iss: email, aud: tokenUri, exp: now + 3600, iat: now, ...claims }))
  }`;
  const sig = new Uint8Array(
    await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(input)),
  );
  return await tokenGrant(ctx, provider, tokenUri, {
    assertion: `${input}.${b64url(sig)}`,
    grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
  });
}

async function tokenGrant(
  ctx: AmbientContext,
  provider: string,
  url: string,
  form: Record<string, string>,
): Promise<Record<string, unknown>> {
  const what = `fetch ambient OIDC credentials: ${provider}: Google token endpoint`;
  const res = await postForm(what, url, form, ctx);
  if (res.status !== 200) {
    throw providerError(
      provider,
      `oauth2: cannot fetch token: ${res.status} ${res.statusText}: ${excerpt(res.text())}`,
    );
  }
  return jsonObject(what, res);
}

/**
 * An OAuth access token for the `cloud-platform` scope from the default credentials: a
 * service-account key (JWT bearer grant), a gcloud user login (refresh-token grant), or the
 * metadata server.
 *
 * @throws {IdentityError} `OIDC_PROVIDER_FAILED` "… google: could not find default credentials …"
 *   when there are none
 */
export async function defaultAccessToken(ctx: AmbientContext, provider: string): Promise<string> {
  const file = await loadCredentialsFile(ctx, provider);
  let answer: Record<string, unknown>;
  if (file?.type === "service_account") {
    answer = await serviceAccountGrant(ctx, provider, file, { scope: CLOUD_PLATFORM });
  } else if (file?.type === "authorized_user") {
    const j = file.json;
    const tokenUri = typeof j.token_uri === "string" && j.token_uri
      ? j.token_uri
      : ctx.overrides?.googleTokenUrl ?? DEFAULT_TOKEN_URL;
    answer = await tokenGrant(ctx, provider, tokenUri, {
      client_id: String(j.client_id ?? ""),
      client_secret: String(j.client_secret ?? ""),
      grant_type: "refresh_token",
      refresh_token: String(j.refresh_token ?? ""),
    });
  } else if (file) {
    throw providerError(
      provider,
      `google: credentials of type ${JSON.stringify(file.type)} are not supported`,
    );
  } else if (await onGce(ctx)) {
    const text = await metadataGet(
      ctx,
      provider,
      `instance/service-accounts/default/token?scopes=${encodeURIComponent(CLOUD_PLATFORM)}`,
    );
    try {
      answer = JSON.parse(text);
    } catch (e) {
      throw providerError(provider, "metadata: the token answer is not JSON", e);
    }
  } else {
    throw providerError(
      provider,
      "google: could not find default credentials. See https://cloud.google.com/docs/authentication/external/set-up-adc for more information",
    );
  }
  const token = answer?.access_token;
  if (typeof token !== "string" || token === "") {
    throw providerError(provider, "oauth2: server response missing access_token");
  }
  return token;
}
