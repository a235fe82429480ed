/**
 * Getting the identity token keyless signing needs, as cosign does it (cosign internal/auth
 * `ReadIDToken`, `GetOAuthFlow`, `AuthenticateCaller`): a token from the flag, a file or an
 * ambient provider when there is one; otherwise an OAuth flow with the OIDC issuer — the browser
 * flow on a terminal (after the caller's confirmation, where cosign shows its privacy statement),
 * the device flow when standard input is not a terminal ("Non-interactive mode detected, using
 * device flow."), or the flow `--fulcio-auth-flow` names.
 *
 * The token is then checked client-side for expiry and audience, so that Fulcio is not asked
 * with a token it must refuse.
 *
 * @module
 */
import { IdentityError } from "../errors.ts";
import { clientCredentialsFlow } from "./client_credentials_flow.ts";
import { deviceFlow } from "./device_flow.ts";
import {
  type AuthenticatedIdentity,
  checkIdentityToken,
  identityTokenSubject,
  parseIdentityToken,
} from "./identity_token.ts";
import { interactiveFlow } from "./interactive_flow.ts";
import { discoverOidcProvider } from "./oidc_provider.ts";
import {
  type IdentityTokenSource,
  readIdentityToken,
  type ReadIdentityTokenOptions,
} from "./read_identity_token.ts";

/** cosign's `--fulcio-auth-flow` values. */
export type OAuthFlow = "normal" | "device" | "token" | "client_credentials";

/** The flows {@link retrieveIdentityToken} knows. */
export const OAUTH_FLOWS: readonly OAuthFlow[] = [
  "normal",
  "device",
  "token",
  "client_credentials",
];

/** Everything cosign's OIDC and Fulcio flags say about the identity token. */
export interface RetrieveIdentityTokenOptions extends ReadIdentityTokenOptions {
  /** `--fulcio-auth-flow`; empty or absent: decided from the token and the terminal. */
  flow?: string;
  /** `--oidc-issuer` (cosign's default `https://oauth2.sigstore.dev/auth`). */
  issuer: string;
  /** `--oidc-client-id` (default `sigstore`). */
  clientId: string;
  /** The contents of `--oidc-client-secret-file` (trimmed, as cosign does). */
  clientSecret?: string;
  /** `--oidc-redirect-url`. */
  redirectUrl?: string;
  /** Whether standard input is a terminal (cosign `term.IsTerminal(0)`). */
  interactive: boolean;
  /** Writes a line to standard error. */
  print(line: string): void;
  /**
   * Writes a line to standard output: sigstore's device and client-credentials flows print
   * there. Default {@link print}.
   */
  printStdout?(line: string): void;
  /**
   * Called before the browser flow when the flow was chosen automatically; cosign prints its
   * privacy statement there and asks for confirmation unless `--yes`. Rejecting aborts.
   */
  confirm?(): Promise<void>;
  /** Opens a URL in a browser (see `interactiveFlow`). */
  openBrowser?(url: string): Promise<void>;
  /** Reads a code the user types (the out-of-band fallback of the browser flow). */
  readCode?(prompt: string): Promise<string>;
  /** How long the browser flow waits (default 120 s). */
  waitMs?: number;
  /**
   * The audience the token must carry: Fulcio's client ID for its issuer. Default
   * {@link clientId} (`sigstore`, the public instance's, and the one ambient providers are asked
   * for); `null` skips the check.
   */
  audience?: string | null;
  /** The current time for the checks (default now). */
  now?: Date;
}

/** An identity token ready for Fulcio. */
export interface RetrievedIdentityToken extends AuthenticatedIdentity {
  /** Where it came from: the flag, a file, a provider, or the flow that obtained it. */
  source: IdentityTokenSource | `flow:${OAuthFlow}`;
}

/**
 * Gets an identity token the way cosign's keyless signing does.
 *
 * @param options the flag values, the environment and the user-interaction callbacks
 * @returns the token, the subject it proves (signed for Fulcio's proof of possession) and its
 *   source
 * @throws {TypeError} for an unknown `flow`
 * @throws {IdentityError} `OIDC_TOKEN_INVALID` (not a JWT, no subject, unverified e-mail),
 *   `OIDC_TOKEN_EXPIRED`, `OIDC_AUDIENCE_MISMATCH`, `OIDC_PROVIDER_FAILED` (an ambient provider or
 *   the issuer failed), `OIDC_FLOW_FAILED` (state, nonce, refusal, timeout, bad signature)
 * @throws {IoError} when `--identity-token` names a file that cannot be read
 */
export async function retrieveIdentityToken(
  options: RetrieveIdentityTokenOptions,
): Promise<RetrievedIdentityToken> {
  const read = await readIdentityToken(options);
  let flow: OAuthFlow;
  if (options.flow) {
    if (!(OAUTH_FLOWS as readonly string[]).includes(options.flow)) {
      throw new TypeError(`unsupported oauth flow: ${options.flow}`);
    }
    flow = options.flow as OAuthFlow;
  } else if (read) flow = "token";
  else if (!options.interactive) {
    options.print("Non-interactive mode detected, using device flow.");
    flow = "device";
  } else {
    await options.confirm?.();
    flow = "normal";
  }
  const audience = options.audience === undefined ? options.clientId : options.audience;
  if (flow === "token") {
    if (!read) {
      throw new IdentityError(
        "OIDC_TOKEN_INVALID",
        "Cannot read identity token: no token was given",
      );
    }
    const token = parseIdentityToken(read.token);
    const subject = identityTokenSubject(token);
    checkIdentityToken(token, { audience, now: options.now });
    return { token, subject, source: read.source };
  }
  const provider = await discoverOidcProvider(options.issuer, options);
  const stdout = options.printStdout ?? options.print;
  const got = flow === "normal"
    ? await interactiveFlow(provider, options)
    : flow === "device"
    ? await deviceFlow(provider, { ...options, print: stdout })
    : await clientCredentialsFlow(provider, { ...options, print: stdout });
  checkIdentityToken(got.token, { audience, now: options.now });
  return { ...got, source: `flow:${flow}` };
}
