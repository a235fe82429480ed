/**
 * The OAuth 2.0 client credentials grant (RFC 6749 §4.4) asking for an ID token, as sigstore
 * pkg/oauthflow's `DefaultFlowClientCredentials` does for cosign's `--fulcio-auth-flow
 * client_credentials` (machine identities with a client secret).
 *
 * @module
 */
import { IdentityError } from "../errors.ts";
import { type OidcHttpOptions, okJsonObject, postForm } from "./_http.ts";
import { type AuthenticatedIdentity, identityTokenSubject } from "./identity_token.ts";
import type { OidcProvider } from "./oidc_provider.ts";
import { verifyIdToken } from "./verify_id_token.ts";

/** What {@link clientCredentialsFlow} needs. */
export interface ClientCredentialsFlowOptions extends OidcHttpOptions {
  clientId: string;
  clientSecret?: string;
  /** Sent as `redirect_uri` when set (sigstore does). */
  redirectUrl?: string;
  /** Writes one line for the user (sigstore prints "Token received!" to standard output). */
  print(line: string): void;
  now?: Date;
}

/**
 * Runs the client credentials flow.
 *
 * @param provider the discovered provider
 * @param options client credentials
 * @returns the verified ID token and its subject
 * @throws {IdentityError} `OIDC_PROVIDER_FAILED` when the token endpoint refuses the request;
 *   `OIDC_FLOW_FAILED` "Cannot get identity token: unexpected error in client flow: …" when no ID
 *   token comes back, or it does not verify
 */
export async function clientCredentialsFlow(
  provider: OidcProvider,
  options: ClientCredentialsFlowOptions,
): Promise<AuthenticatedIdentity> {
  const what = "get identity token with client credentials";
  if (!provider.tokenEndpoint) {
    throw new IdentityError(
      "OIDC_PROVIDER_FAILED",
      `Cannot ${what}: client credentials token authorization endpoint not returned by provider`,
    );
  }
  const res = await postForm(what, provider.tokenEndpoint, {
    client_id: options.clientId,
    client_secret: options.clientSecret ?? "",
    grant_type: "client_credentials",
    redirect_uri: options.redirectUrl || undefined,
    scope: "openid email",
  }, options);
  const t = okJsonObject(what, res);
  if (typeof t.id_token !== "string" || t.id_token === "") {
    throw new IdentityError(
      "OIDC_FLOW_FAILED",
      `Cannot get identity token: unexpected error in client flow: ${
        typeof t.error === "string" ? t.error : ""
      }`,
    );
  }
  options.print("Token received!");
  const token = await verifyIdToken(provider, t.id_token, options);
  return { token, subject: identityTokenSubject(token) };
}
