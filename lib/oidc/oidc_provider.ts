/**
 * An OpenID Connect provider found through discovery (OpenID Connect Discovery 1.0 §4), as
 * go-oidc's `NewProvider` (used by sigstore's oauthflow) finds it: `<issuer>/.well-known/
 * openid-configuration`, whose `issuer` must equal the issuer asked for, exactly.
 *
 * @module
 */
import { IdentityError } from "../errors.ts";
import { excerpt, jsonObject, type OidcHttpOptions, oidcRequest } from "./_http.ts";
import { isSupportedJwsAlgorithm } from "./_jws.ts";

/** What the flows need from a provider's discovery document. */
export interface OidcProvider {
  /** The issuer identifier (equal to the URL asked for). */
  issuer: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  jwksUri?: string;
  /** RFC 8628 §4 `device_authorization_endpoint`. */
  deviceAuthorizationEndpoint?: string;
  /** RFC 8414 `code_challenge_methods_supported` (PKCE, RFC 7636). */
  codeChallengeMethods: string[];
  /**
   * `id_token_signing_alg_values_supported` restricted to those we verify; empty means RS256
   * only (go-oidc's default).
   */
  signingAlgorithms: string[];
  /** The whole document. */
  metadata: Record<string, unknown>;
}

/**
 * Fetches and checks a provider's discovery document.
 *
 * @param issuer the issuer URL (`--oidc-issuer`)
 * @param http fetch, signal, user agent
 * @returns the provider
 * @throws {IdentityError} `OIDC_PROVIDER_FAILED` when the document cannot be fetched or read, or
 *   names another issuer ("Cannot discover OIDC provider: issuer did not match the issuer returned
 *   by provider, expected X got Y")
 */
export async function discoverOidcProvider(
  issuer: string,
  http: OidcHttpOptions = {},
): Promise<OidcProvider> {
  const url = issuer.replace(/\/+$/, "") + "/.well-known/openid-configuration";
  const what = "discover OIDC provider";
  const res = await oidcRequest(what, url, { retry: true }, http);
  if (res.status !== 200) {
    throw new IdentityError(
      "OIDC_PROVIDER_FAILED",
      `Cannot ${what}: ${url} returned ${res.status} ${res.statusText}: ${excerpt(res.text())}`,
    );
  }
  const doc = jsonObject(what, res);
  if (doc.issuer !== issuer) {
    throw new IdentityError(
      "OIDC_PROVIDER_FAILED",
      `Cannot ${what}: issuer did not match the issuer returned by provider, expected ${
        JSON.stringify(issuer)
      } got ${JSON.stringify(doc.issuer)}`,
    );
  }
  const str = (k: string) => typeof doc[k] === "string" ? doc[k] as string : undefined;
  const list = (k: string) =>
    Array.isArray(doc[k])
      ? (doc[k] as unknown[]).filter((x) => typeof x === "string") as string[]
      : [];
  return {
    issuer,
    authorizationEndpoint: str("authorization_endpoint"),
    tokenEndpoint: str("token_endpoint"),
    jwksUri: str("jwks_uri"),
    deviceAuthorizationEndpoint: str("device_authorization_endpoint"),
    codeChallengeMethods: list("code_challenge_methods_supported"),
    signingAlgorithms: list("id_token_signing_alg_values_supported").filter(
      isSupportedJwsAlgorithm,
    ),
    metadata: doc,
  };
}
