/**
 * The OAuth 2.0 device authorization grant (RFC 8628) with PKCE, as sigstore pkg/oauthflow's
 * `DeviceFlowTokenGetter` runs it: cosign picks it with `--fulcio-auth-flow device`, and by
 * itself when standard input is not a terminal ("Non-interactive mode detected, using device
 * flow."). The user is told where to enter the code; the token endpoint is polled until the ID
 * token arrives, which is then verified against the provider's keys.
 *
 * @module
 */
import { IdentityError } from "../errors.ts";
import { excerpt, jsonObject, type OidcHttpOptions, okJsonObject, postForm } from "./_http.ts";
import { type AuthenticatedIdentity, identityTokenSubject } from "./identity_token.ts";
import type { OidcProvider } from "./oidc_provider.ts";
import { createPkce } from "./pkce.ts";
import { verifyIdToken } from "./verify_id_token.ts";

/** What {@link deviceFlow} needs. */
export interface DeviceFlowOptions extends OidcHttpOptions {
  /** `--oidc-client-id`. */
  clientId: string;
  /** `--oidc-redirect-url`, sent as `redirect_uri` when set. */
  redirectUrl?: string;
  /**
   * Writes one line for the user. sigstore prints these to standard output ("Enter the
   * verification code … in your browser at: …", "Code will be valid for … seconds", "Token
   * received!").
   */
  print(line: string): void;
  /** Waits between polls (tests pass a fake); default a timer that honours `signal`. */
  sleep?(ms: number): Promise<void>;
  /** The current time for the token checks (default now). */
  now?: Date;
}

/** The longest poll loop when the provider gives no `expires_in` (RFC 8628 §3.2 requires it). */
const DEFAULT_EXPIRY_S = 600;

/**
 * Runs the device flow.
 *
 * @param provider the discovered provider; it must name a `device_authorization_endpoint`
 * @param options client, printing, sleeping
 * @returns the verified ID token and the subject it proves
 * @throws {IdentityError} `OIDC_PROVIDER_FAILED` when the provider has no device endpoint or
 *   PKCE, or refuses the device request; `OIDC_FLOW_FAILED` "Cannot get identity token: error
 *   obtaining token: access_denied" (or `expired_token`, or an unexpected error, or the code
 *   expired while polling), or a token that does not verify
 */
export async function deviceFlow(
  provider: OidcProvider,
  options: DeviceFlowOptions,
): Promise<AuthenticatedIdentity> {
  if (!provider.deviceAuthorizationEndpoint) {
    throw new IdentityError(
      "OIDC_PROVIDER_FAILED",
      "Cannot start OIDC device flow: device authorization endpoint not returned by provider",
    );
  }
  if (!provider.tokenEndpoint) {
    throw new IdentityError(
      "OIDC_PROVIDER_FAILED",
      "Cannot start OIDC device flow: the provider names no token endpoint",
    );
  }
  const pkce = await createPkce(provider);
  const what = "start OIDC device flow";
  const res = await postForm(what, provider.deviceAuthorizationEndpoint, {
    client_id: options.clientId,
    code_challenge: pkce.challenge,
    code_challenge_method: pkce.method,
    redirect_uri: options.redirectUrl || undefined,
    scope: "openid email",
  }, options);
  const d = okJsonObject(what, res);
  const deviceCode = typeof d.device_code === "string" ? d.device_code : "";
  const userCode = typeof d.user_code === "string" ? d.user_code : "";
  const uri = (typeof d.verification_uri_complete === "string" && d.verification_uri_complete) ||
    (typeof d.verification_uri === "string" ? d.verification_uri : "");
  const interval = typeof d.interval === "number" && d.interval > 0 ? d.interval : 5;
  const expiresIn = typeof d.expires_in === "number" && d.expires_in > 0 ? d.expires_in : 0;
  if (!deviceCode) {
    throw new IdentityError(
      "OIDC_PROVIDER_FAILED",
      `Cannot ${what}: the answer has no device_code`,
    );
  }
  options.print(`Enter the verification code ${userCode} in your browser at: ${uri}`);
  options.print(`Code will be valid for ${expiresIn} seconds`);
  const sleep = options.sleep ?? ((ms: number) => delay(ms, options.signal));
  // The code's lifetime, counted in the waits between polls (not the clock, so a fake sleep
  // ends the loop too).
  let budget = (expiresIn || DEFAULT_EXPIRY_S) * 1000;
  for (;;) {
    const poll = await postForm("poll the OIDC token endpoint", provider.tokenEndpoint, {
      client_id: options.clientId,
      code_verifier: pkce.verifier,
      device_code: deviceCode,
      grant_type: "urn:ietf:params:oauth:grant-type:device_code",
      scope: "openid email",
    }, options);
    const t = jsonObject("poll the OIDC token endpoint", poll);
    if (typeof t.id_token === "string" && t.id_token !== "") {
      options.print("Token received!");
      const token = await verifyIdToken(provider, t.id_token, options);
      return { token, subject: identityTokenSubject(token) };
    }
    const error = typeof t.error === "string" ? t.error : "";
    let wait: number;
    switch (error) {
      case "access_denied":
      case "expired_token":
        throw new IdentityError(
          "OIDC_FLOW_FAILED",
          `Cannot get identity token: error obtaining token: ${error}`,
        );
      case "authorization_pending":
        wait = interval * 1000;
        break;
      case "slow_down":
        // sigstore adds ten seconds to this wait (RFC 8628 §3.5 asks for at least five).
        wait = interval * 1000 + 10_000;
        break;
      default:
        throw new IdentityError(
          "OIDC_FLOW_FAILED",
          `Cannot get identity token: unexpected error in device flow: ${
            error || excerpt(poll.text())
          }`,
        );
    }
    budget -= wait;
    if (budget < 0) {
      throw new IdentityError(
        "OIDC_FLOW_FAILED",
        "Cannot get identity token: the device code expired before the user signed in",
      );
    }
    await sleep(wait);
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
