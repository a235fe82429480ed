/**
 * The interactive browser flow: OAuth 2.0 authorization code grant (RFC 6749 §4.1) with PKCE
 * (RFC 7636, S256), `state` and an OpenID Connect `nonce`, the redirect caught by a listener on
 * the loopback interface (RFC 8252 §7.3), then the code exchanged for an ID token that is verified
 * against the provider's keys — sigstore pkg/oauthflow `InteractiveIDTokenGetter`, which cosign
 * runs for `--fulcio-auth-flow normal` (the default on a terminal).
 *
 * As in sigstore: when no browser can be opened, or the listener fails (a wrong `state`), the
 * out-of-band flow takes over if the caller can read a code typed by the user (`readCode`): the
 * redirect URI becomes `urn:ietf:wg:oauth:2.0:oob` and the provider shows the code. Without
 * `readCode` the loopback URL is printed and the listener keeps waiting.
 *
 * @module
 */
import { IdentityError } from "../errors.ts";
import type { OidcHttpOptions } from "./_http.ts";
import { exchangeAtTokenEndpoint } from "./_token_endpoint.ts";
import { type AuthenticatedIdentity, identityTokenSubject } from "./identity_token.ts";
import type { OidcProvider } from "./oidc_provider.ts";
import { createPkce, randomUrlSafeString } from "./pkce.ts";
import { verifyIdToken } from "./verify_id_token.ts";

/** The redirect URI of the out-of-band flow (sigstore's `oobRedirectURI`). */
export const OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob";

/** What {@link interactiveFlow} needs. */
export interface InteractiveFlowOptions extends OidcHttpOptions {
  /** `--oidc-client-id` (cosign's default `sigstore`). */
  clientId: string;
  /** From `--oidc-client-secret-file`. */
  clientSecret?: string;
  /**
   * `--oidc-redirect-url`: where the provider sends the browser back. Default
   * `http://localhost:<free port>/auth/callback`; a port 0 is replaced by the port bound. The
   * listener binds the URL's host (`localhost` binds 127.0.0.1).
   */
  redirectUrl?: string;
  /** Writes one line for the user (cosign writes these to stderr). */
  print(line: string): void;
  /**
   * Opens `url` in a browser; rejects when none can be opened (the CLI runs `xdg-open`, `open`
   * or `rundll32` as github.com/pkg/browser does). Absent: no browser.
   */
  openBrowser?(url: string): Promise<void>;
  /**
   * Prints `prompt` and reads the verification code the user pastes (out-of-band flow). Absent:
   * no out-of-band flow.
   */
  readCode?(prompt: string): Promise<string>;
  /** Extra authorization request parameters (Dex's `connector_id`). */
  extraAuthParams?: Record<string, string>;
  /** How long to wait for the browser to come back (default 120 s, as sigstore). */
  waitMs?: number;
  /** The page shown in the browser once the code arrived. */
  successPage?: string;
  /** The current time for the token checks (default now). */
  now?: Date;
}

const DEFAULT_PAGE = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sigstore Auth</title></head>
<body><h1>Sigstore Auth Successful</h1><p>You may now close this page.</p></body></html>
`;

/**
 * Runs the browser flow against a discovered provider.
 *
 * @param provider the provider (`--oidc-issuer`, discovered)
 * @param options client, redirect, I/O callbacks
 * @returns the verified ID token and the subject it proves
 * @throws {IdentityError} `OIDC_FLOW_FAILED` ("invalid state token", "nonce does not match value
 *   sent", "timeout", the provider's `error`, a refused exchange, "id_token not present", a token
 *   that does not verify); `OIDC_PROVIDER_FAILED` when PKCE is unsupported or the listener cannot
 *   start
 */
export async function interactiveFlow(
  provider: OidcProvider,
  options: InteractiveFlowOptions,
): Promise<AuthenticatedIdentity> {
  if (!provider.authorizationEndpoint || !provider.tokenEndpoint) {
    throw new IdentityError(
      "OIDC_PROVIDER_FAILED",
      "Cannot start OIDC flow: the provider names no authorization or token endpoint",
    );
  }
  const state = randomUrlSafeString(128);
  const nonce = randomUrlSafeString(128);
  const pkce = await createPkce(provider);
  const listener = startRedirectListener(state, options);
  try {
    const authUrl = (redirectUri: string) => {
      const params = new URLSearchParams();
      const all: Record<string, string> = {
        access_type: "online",
        client_id: options.clientId,
        code_challenge: pkce.challenge,
        code_challenge_method: pkce.method,
        nonce,
        redirect_uri: redirectUri,
        response_type: "code",
        scope: "openid email",
        state,
        ...options.extraAuthParams,
      };
      for (const k of Object.keys(all).sort()) params.append(k, all[k]);
      const base = provider.authorizationEndpoint!;
      return base + (base.includes("?") ? "&" : "?") + params.toString();
    };
    const oob = async (): Promise<{ code: string; redirectUri: string }> => {
      const url = authUrl(OOB_REDIRECT_URI);
      options.print(`Go to the following link in a browser:\n\n\t ${url}`);
      const code = (await options.readCode!("Enter verification code: ")).trim();
      return { code, redirectUri: OOB_REDIRECT_URI };
    };
    const url = authUrl(listener.redirectUrl);
    let got: { code: string; redirectUri: string };
    let opened = false;
    if (options.openBrowser) {
      try {
        await options.openBrowser(url);
        opened = true;
      } catch (e) {
        options.print(`error opening browser: ${(e as Error).message}`);
      }
    }
    if (opened || !options.readCode) {
      options.print(
        opened
          ? `Your browser will now be opened to:\n${url}`
          : `Go to the following link in a browser:\n\n\t ${url}`,
      );
      try {
        got = { code: await listener.code, redirectUri: listener.redirectUrl };
      } catch (e) {
        if (options.signal?.aborted) throw e;
        if (!options.readCode) {
          throw new IdentityError(
            "OIDC_FLOW_FAILED",
            `Cannot get identity token: ${(e as Error).message}`,
            { cause: e },
          );
        }
        options.print(`error getting code from local server: ${(e as Error).message}`);
        got = await oob();
      }
    } else {
      got = await oob();
    }
    const fields = await exchangeAtTokenEndpoint(
      provider.tokenEndpoint,
      {
        code: got.code,
        code_verifier: pkce.verifier,
        grant_type: "authorization_code",
        nonce,
        redirect_uri: got.redirectUri,
      },
      options,
      options,
    );
    if (typeof fields.id_token !== "string" || fields.id_token === "") {
      throw new IdentityError(
        "OIDC_FLOW_FAILED",
        "Cannot get identity token: id_token not present",
      );
    }
    const token = await verifyIdToken(provider, fields.id_token, {
      ...options,
      nonce,
      accessToken: typeof fields.access_token === "string" ? fields.access_token : undefined,
    });
    return { token, subject: identityTokenSubject(token) };
  } finally {
    await listener.close();
  }
}

interface RedirectListener {
  redirectUrl: string;
  /** The authorization code; rejects (plain `Error`, sigstore's words) on a wrong state, a
   * provider error or the timeout. */
  code: Promise<string>;
  close(): Promise<void>;
}

function startRedirectListener(state: string, options: InteractiveFlowOptions): RedirectListener {
  let url: URL;
  try {
    url = new URL(options.redirectUrl || "http://localhost:0/auth/callback");
  } catch (e) {
    throw new TypeError(`Cannot start OIDC flow: invalid redirect URL ${options.redirectUrl}`, {
      cause: e,
    });
  }
  if (url.protocol !== "http:") {
    throw new TypeError(
      `Cannot start OIDC flow: the redirect URL must be http:// on this machine, got ${url.protocol}`,
    );
  }
  const host = url.hostname === "localhost" ? "127.0.0.1" : url.hostname.replace(/^\[|\]$/g, "");
  let resolve!: (code: string) => void;
  let reject!: (e: Error) => void;
  const code = new Promise<string>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  code.catch(() => {}); // observed by the caller only when it waits
  const path = url.pathname;
  const page = options.successPage ?? DEFAULT_PAGE;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: host,
      port: Number(url.port || 80),
      onListen() {},
    }, (req) => {
      const q = new URL(req.url).searchParams;
      if (new URL(req.url).pathname !== path) return new Response("not found", { status: 404 });
      if (q.get("state") !== state) {
        reject(new Error("invalid state token"));
        return new Response("invalid state token", { status: 400 });
      }
      const error = q.get("error");
      if (error) {
        const d = q.get("error_description");
        reject(new Error(`the identity provider refused: ${error}${d ? ` (${d})` : ""}`));
        return new Response("authentication failed", { status: 400 });
      }
      resolve(q.get("code") ?? "");
      return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
    });
  } catch (e) {
    throw new IdentityError(
      "OIDC_PROVIDER_FAILED",
      `Cannot start OIDC flow: starting redirect listener on ${url.host}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  if (url.port === "0" || (url.port === "" && !options.redirectUrl)) {
    url.port = String(server.addr.port);
  }
  const waitMs = options.waitMs ?? 120_000;
  const timer = setTimeout(
    () => reject(new Error("timeout")),
    waitMs,
  );
  const onAbort = () => reject(options.signal!.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  return {
    redirectUrl: url.toString(),
    code,
    close: async () => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      await server.shutdown();
    },
  };
}
