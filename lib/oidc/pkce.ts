/**
 * Proof Key for Code Exchange (RFC 7636) with the S256 method, required by sigstore's oauthflow
 * for the browser and device flows (pkg/oauthflow/pkce.go): a provider that does not announce
 * S256 in `code_challenge_methods_supported` is refused, except Microsoft's, which supports it
 * without saying so.
 *
 * @module
 */
import { IdentityError } from "../errors.ts";
import type { OidcProvider } from "./oidc_provider.ts";

/** A PKCE verifier and its challenge. */
export interface Pkce {
  /** `S256`. */
  method: "S256";
  /** BASE64URL(SHA-256(verifier)) (RFC 7636 §4.2). */
  challenge: string;
  /** 64 characters of base64url (384 random bits), within §4.1's 43 to 128. */
  verifier: string;
}

const AZURE = /^https:\/\/login\.microsoftonline\.(com|us)\//;

/**
 * A random URL-safe string of `bits` of entropy (sigstore's `GenerateRandomURLSafeString`).
 *
 * @param bits a multiple of 8
 * @returns unpadded base64url
 */
export function randomUrlSafeString(bits: number): string {
  return crypto.getRandomValues(new Uint8Array(bits / 8)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
}

/**
 * Creates a PKCE pair for `provider`.
 *
 * @param provider the discovered provider
 * @returns the verifier and its S256 challenge
 * @throws {IdentityError} `OIDC_PROVIDER_FAILED` "Cannot start OIDC flow: PKCE is not supported by
 *   OIDC provider '<authorization endpoint>'"
 */
export async function createPkce(provider: OidcProvider): Promise<Pkce> {
  if (
    !provider.codeChallengeMethods.includes("S256") &&
    !AZURE.test(provider.authorizationEndpoint ?? "")
  ) {
    throw new IdentityError(
      "OIDC_PROVIDER_FAILED",
      `Cannot start OIDC flow: PKCE is not supported by OIDC provider '${
        provider.authorizationEndpoint ?? provider.issuer
      }'`,
    );
  }
  const verifier = randomUrlSafeString(384);
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)),
  );
  return {
    method: "S256",
    challenge: digest.toBase64({ alphabet: "base64url", omitPadding: true }),
    verifier,
  };
}
