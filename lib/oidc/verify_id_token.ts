/**
 * Verification of an ID token received from a provider's token endpoint, as go-oidc's
 * `IDTokenVerifier.Verify` does for sigstore's interactive, device and client-credentials flows
 * (OpenID Connect Core 1.0 §3.1.3.7): the signature against the provider's key set (JWKS,
 * RFC 7517), with an algorithm the provider announced (RS256 when it announced none), the
 * issuer, the audience (the client ID), the expiry, and — for the authorization-code flow — the
 * nonce and the access-token hash (`at_hash`, §3.1.3.8).
 *
 * @module
 */
import { IdentityError } from "../errors.ts";
import { excerpt, jsonObject, type OidcHttpOptions, oidcRequest } from "./_http.ts";
import { parseCompactJws, verifyJwsWith } from "./_jws.ts";
import type { OidcProvider } from "./oidc_provider.ts";
import { type IdentityToken, parseIdentityToken } from "./identity_token.ts";

/** What {@link verifyIdToken} checks besides the signature. */
export interface VerifyIdTokenOptions extends OidcHttpOptions {
  /** The client ID the token must be issued to (`aud`). */
  clientId: string;
  /** The nonce sent in the authorization request, when there was one. */
  nonce?: string;
  /** The access token issued with it, to check `at_hash` when the token carries one. */
  accessToken?: string;
  /** The current time (default now). */
  now?: Date;
}

/** The most keys accepted in a key set. */
const MAX_KEYS = 100;

/**
 * Verifies an ID token issued by `provider`.
 *
 * @param provider the discovered provider (its `jwks_uri` is fetched)
 * @param raw the compact JWS
 * @param options client ID, nonce, access token, clock, HTTP
 * @returns the decoded token
 * @throws {IdentityError} `OIDC_FLOW_FAILED` naming the failed check ("Cannot verify ID token:
 *   nonce does not match value sent", "… signature does not verify with the provider's keys",
 *   "… issued by a different provider …", "… audience …"); `OIDC_TOKEN_EXPIRED` when expired;
 *   `OIDC_TOKEN_INVALID` when it is not a JWT; `OIDC_PROVIDER_FAILED` when the keys cannot be
 *   fetched
 */
export async function verifyIdToken(
  provider: OidcProvider,
  raw: string,
  options: VerifyIdTokenOptions,
): Promise<IdentityToken> {
  const token = parseIdentityToken(raw);
  const jws = parseCompactJws(token.raw);
  const fail = (why: string) =>
    new IdentityError("OIDC_FLOW_FAILED", `Cannot verify ID token: ${why}`);
  const alg = String(jws.header.alg);
  const allowed = provider.signingAlgorithms.length ? provider.signingAlgorithms : ["RS256"];
  if (!allowed.includes(alg)) {
    throw fail(`signed with unsupported algorithm, expected ${allowed.join(", ")} got ${alg}`);
  }
  if (token.issuer !== provider.issuer) {
    throw fail(
      `issued by a different provider, expected ${JSON.stringify(provider.issuer)} got ${
        JSON.stringify(token.issuer ?? "")
      }`,
    );
  }
  if (!token.audiences.includes(options.clientId)) {
    throw fail(
      `expected audience ${JSON.stringify(options.clientId)} got ${
        JSON.stringify(token.audiences)
      }`,
    );
  }
  const now = options.now ?? new Date();
  if (!token.expiresAt) throw fail("the token has no expiry");
  if (token.expiresAt.getTime() < now.getTime()) {
    throw new IdentityError(
      "OIDC_TOKEN_EXPIRED",
      `Cannot verify ID token: the identity token is expired (expiry ${token.expiresAt.toISOString()})`,
    );
  }
  if (token.notBefore && token.notBefore.getTime() > now.getTime() + 5 * 60 * 1000) {
    throw fail(`not valid before ${token.notBefore.toISOString()}`);
  }
  const keys = await fetchKeys(provider, options);
  const kid = typeof jws.header.kid === "string" ? jws.header.kid : undefined;
  const candidates = kid === undefined
    ? keys
    : keys.filter((k) => (k as { kid?: string }).kid === kid);
  let ok = false;
  for (const k of candidates) {
    if (await verifyJwsWith(jws, k)) {
      ok = true;
      break;
    }
  }
  if (!ok) throw fail("the signature does not verify with the provider's keys");
  if (options.nonce !== undefined && token.claims.nonce !== options.nonce) {
    throw fail("nonce does not match value sent");
  }
  const atHash = token.claims.at_hash;
  if (typeof atHash === "string" && atHash !== "" && options.accessToken !== undefined) {
    if (atHash !== await accessTokenHash(alg, options.accessToken)) {
      throw fail("access token hash does not match value in ID token");
    }
  }
  return token;
}

async function fetchKeys(provider: OidcProvider, http: OidcHttpOptions): Promise<JsonWebKey[]> {
  const what = "fetch the OIDC provider's keys";
  if (!provider.jwksUri) {
    throw new IdentityError(
      "OIDC_PROVIDER_FAILED",
      `Cannot ${what}: the provider names no jwks_uri`,
    );
  }
  const res = await oidcRequest(what, provider.jwksUri, { retry: true }, http);
  if (res.status !== 200) {
    throw new IdentityError(
      "OIDC_PROVIDER_FAILED",
      `Cannot ${what}: ${provider.jwksUri} returned ${res.status} ${res.statusText}: ${
        excerpt(res.text())
      }`,
    );
  }
  const doc = jsonObject(what, res);
  if (!Array.isArray(doc.keys)) {
    throw new IdentityError("OIDC_PROVIDER_FAILED", `Cannot ${what}: the key set has no "keys"`);
  }
  if (doc.keys.length > MAX_KEYS) {
    throw new IdentityError("OIDC_PROVIDER_FAILED", `Cannot ${what}: more than ${MAX_KEYS} keys`);
  }
  return (doc.keys as unknown[]).filter((k) => typeof k === "object" && k !== null) as JsonWebKey[];
}

/**
 * `at_hash` (OpenID Connect Core 1.0 §3.1.3.6): the left half of the hash of the access token,
 * with the hash of the ID token's algorithm, base64url.
 */
async function accessTokenHash(alg: string, accessToken: string): Promise<string> {
  const bits = alg === "EdDSA" ? 512 : Number(alg.slice(2));
  const digest = new Uint8Array(
    await crypto.subtle.digest(`SHA-${bits}`, new TextEncoder().encode(accessToken)),
  );
  return digest.subarray(0, digest.length / 2).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
}
