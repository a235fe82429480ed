/**
 * OpenID Connect identity tokens for keyless signing: decoding and checking tokens, cosign's
 * ambient providers, the browser, device and client-credentials flows, and cosign's way of
 * choosing among them ({@link retrieveIdentityToken}).
 *
 * @module
 */

export { checkIdentityToken, identityTokenSubject, parseIdentityToken } from "./identity_token.ts";
export type { AuthenticatedIdentity, IdentityToken, IdentityTokenCheck } from "./identity_token.ts";
export type { OidcHttpOptions } from "./_http.ts";
export { discoverOidcProvider } from "./oidc_provider.ts";
export type { OidcProvider } from "./oidc_provider.ts";
export { verifyIdToken } from "./verify_id_token.ts";
export type { VerifyIdTokenOptions } from "./verify_id_token.ts";
export { createPkce, randomUrlSafeString } from "./pkce.ts";
export type { Pkce } from "./pkce.ts";
export { interactiveFlow, OOB_REDIRECT_URI } from "./interactive_flow.ts";
export type { InteractiveFlowOptions } from "./interactive_flow.ts";
export { deviceFlow } from "./device_flow.ts";
export type { DeviceFlowOptions } from "./device_flow.ts";
export { clientCredentialsFlow } from "./client_credentials_flow.ts";
export type { ClientCredentialsFlowOptions } from "./client_credentials_flow.ts";
export type {
  AmbientContext,
  AmbientOverrides,
  AmbientProvider,
  AmbientProviderName,
} from "./ambient_provider.ts";
export {
  AMBIENT_PROVIDER_NAMES,
  AMBIENT_PROVIDERS,
  anyAmbientProviderEnabled,
  provideAmbientToken,
} from "./ambient_providers.ts";
export type { AmbientToken } from "./ambient_providers.ts";
export { readIdentityToken, SIGSTORE_AUDIENCE } from "./read_identity_token.ts";
export type {
  IdentityTokenSource,
  ReadIdentityToken,
  ReadIdentityTokenOptions,
} from "./read_identity_token.ts";
export { OAUTH_FLOWS, retrieveIdentityToken } from "./retrieve_identity_token.ts";
export type {
  OAuthFlow,
  RetrievedIdentityToken,
  RetrieveIdentityTokenOptions,
} from "./retrieve_identity_token.ts";
