/**
 * A complete, small OpenID Connect provider on 127.0.0.1 for tests of the interactive flows:
 * discovery (OpenID Connect Discovery 1.0 §4), a JWKS (RFC 7517), an authorization endpoint with
 * a login form (authorization code grant, RFC 6749 §4.1, PKCE S256 enforced, RFC 7636 §4.6), a
 * token endpoint (authorization code, device code RFC 8628 §3.4, client credentials §4.4), and a
 * device authorization endpoint (RFC 8628 §3.1). ID tokens are RS256 (RFC 7518 §3.3) with `nonce`
 * and `at_hash` (OpenID Connect Core 1.0 §3.1.3.6).
 *
 * Tests play the browser: they fetch the URL the flow printed, post the login form, and follow the
 * redirect to the flow's loopback listener. Misbehaviour switches (`faults`) make the provider
 * return what a broken or hostile provider would: a wrong `state`, a wrong `nonce`, an expired
 * token, another audience, a token signed by a key not in the JWKS, no PKCE support.
 *
 * Real Fulcio (tests/peers/fulcio.ts) can trust this provider too: its discovery document and
 * keys are what go-oidc needs.
 *
 * @module
 */

/** Ways to misbehave, switched on per test. */
export interface ProviderFaults {
  /** Redirect back with another `state`. */
  wrongState?: boolean;
  /** Put another `nonce` in the ID token. */
  wrongNonce?: boolean;
  /** Issue ID tokens that expired a minute ago. */
  expired?: boolean;
  /** Issue ID tokens for this audience instead of the client ID. */
  audience?: string;
  /** Sign ID tokens with a key that is not in the JWKS. */
  untrustedKey?: boolean;
  /** Announce no `code_challenge_methods_supported`. */
  noPkce?: boolean;
  /** Redirect back with `error=access_denied`. */
  deny?: boolean;
  /** Device flow: answer `slow_down` to the first poll. */
  slowDown?: boolean;
  /** Device flow: answer this error to polls. */
  deviceError?: string;
}

/** A user who logs in. */
export interface ProviderUser {
  sub: string;
  email?: string;
  email_verified?: boolean | string;
}

/** A running provider. */
export interface TestOidcProvider {
  issuer: string;
  /** The client the provider knows (`sigstore`, public: any secret or none). */
  clientId: string;
  /** The secret the client-credentials grant requires. */
  clientSecret: string;
  faults: ProviderFaults;
  /** Paths with methods requested, in order (`GET /auth`). */
  requests: string[];
  /** The form bodies posted to the token endpoint, in order. */
  tokenRequests: URLSearchParams[];
  /** The Authorization headers sent to the token endpoint, in order (null when absent). */
  tokenAuthorizations: (string | null)[];
  /** Mints an ID token directly (for Fulcio tests that need no flow). */
  mint(claims: Record<string, unknown>, options?: { untrusted?: boolean }): Promise<string>;
  /**
   * Plays the browser: GET the authorization URL, log in as `user`, and follow the redirect
   * (to the flow's listener, or, for the out-of-band redirect URI, read the code off the page).
   *
   * @returns the final response's text (the listener's page, or the code)
   */
  browse(url: string, user?: ProviderUser): Promise<string>;
  /** Approves a pending device authorization by its user code, as `user`. */
  approveDevice(userCode: string, user?: ProviderUser): void;
  stop(): Promise<void>;
}

function b64url(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

async function sha256b64url(text: string, half = false): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return b64url(half ? d.subarray(0, 16) : d);
}

const DEFAULT_USER: ProviderUser = {
  sub: "user-1234",
  email: "alice@example.com",
  email_verified: true,
};

interface PendingAuth {
  clientId: string;
  redirectUri: string;
  state: string;
  nonce?: string;
  challenge: string;
  method: string;
}

/**
 * Starts the provider.
 *
 * @returns the running provider
 */
export async function startTestOidcProvider(): Promise<TestOidcProvider> {
  const params = {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  };
  const trusted = await crypto.subtle.generateKey(params, true, ["sign", "verify"]);
  const untrusted = await crypto.subtle.generateKey(params, true, ["sign", "verify"]);
  const kid = crypto.randomUUID();
  const pub = await crypto.subtle.exportKey("jwk", trusted.publicKey);
  const jwks = { keys: [{ kty: "RSA", n: pub.n, e: pub.e, kid, use: "sig", alg: "RS256" }] };
  const clientId = "sigstore";
  const clientSecret = "s3cret";
  const faults: ProviderFaults = {};
  const requests: string[] = [];
  const tokenRequests: URLSearchParams[] = [];
  const tokenAuthorizations: (string | null)[] = [];
  const pending = new Map<string, PendingAuth>(); // login request id → authorization request
  const codes = new Map<string, PendingAuth & { user: ProviderUser }>();
  const devices = new Map<
    string,
    { userCode: string; challenge: string; user?: ProviderUser; polls: number }
  >();
  let issuer = "";

  const mint = async (claims: Record<string, unknown>, options: { untrusted?: boolean } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const body = { iss: issuer, aud: clientId, iat: now, exp: now + 600, ...claims };
    const input = `${b64url(JSON.stringify({ alg: "RS256", kid, typ: "JWT" }))}.${
      b64url(JSON.stringify(body))
    }`;
    const key = (options.untrusted ? untrusted : trusted).privateKey;
    const sig = new Uint8Array(
      await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(input)),
    );
    return `${input}.${b64url(sig)}`;
  };

  const idTokenFor = async (
    user: ProviderUser,
    audience: string,
    extra: Record<string, unknown>,
  ) => {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      sub: user.sub,
      aud: faults.audience ?? audience,
      ...(user.email !== undefined ? { email: user.email } : {}),
      ...(user.email_verified !== undefined ? { email_verified: user.email_verified } : {}),
      ...(faults.expired ? { exp: now - 60, iat: now - 660 } : {}),
      ...extra,
    };
    return await mint(claims, { untrusted: faults.untrustedKey });
  };

  const json = (body: unknown, status = 200) => Response.json(body, { status });

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    requests.push(`${req.method} ${url.pathname}`);
    switch (`${req.method} ${url.pathname}`) {
      case "GET /.well-known/openid-configuration":
        return json({
          issuer,
          authorization_endpoint: `${issuer}/auth`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/keys`,
          device_authorization_endpoint: `${issuer}/device/code`,
          response_types_supported: ["code"],
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: ["RS256"],
          ...(faults.noPkce ? {} : { code_challenge_methods_supported: ["S256", "plain"] }),
        });
      case "GET /keys":
        return json(jwks);
      case "GET /auth": {
        const q = url.searchParams;
        if (q.get("client_id") !== clientId) return new Response("unknown client", { status: 400 });
        if (q.get("response_type") !== "code") {
          return new Response("bad response_type", { status: 400 });
        }
        if (q.get("scope") !== "openid email") return new Response("bad scope", { status: 400 });
        if (q.get("code_challenge_method") !== "S256" || !q.get("code_challenge")) {
          return new Response("PKCE required", { status: 400 });
        }
        const id = crypto.randomUUID();
        pending.set(id, {
          clientId,
          redirectUri: q.get("redirect_uri") ?? "",
          state: q.get("state") ?? "",
          nonce: q.get("nonce") ?? undefined,
          challenge: q.get("code_challenge")!,
          method: "S256",
        });
        return new Response(
          `<form method="post" action="/login"><input type="hidden" name="req" value="${id}">` +
            `<input name="email"><input name="sub"><button>Log in</button></form>`,
          { headers: { "content-type": "text/html" } },
        );
      }
      case "POST /login": {
        const f = new URLSearchParams(await req.text());
        const p = pending.get(f.get("req") ?? "");
        if (!p) return new Response("no such login", { status: 400 });
        pending.delete(f.get("req")!);
        const user: ProviderUser = {
          sub: f.get("sub") ?? DEFAULT_USER.sub,
          email: f.get("email") || undefined,
          email_verified: f.get("email") ? true : undefined,
        };
        const code = crypto.randomUUID();
        codes.set(code, { ...p, user });
        const state = faults.wrongState ? "not-the-state" : p.state;
        if (p.redirectUri === "urn:ietf:wg:oauth:2.0:oob") {
          return new Response(faults.deny ? "denied" : code);
        }
        const back = new URL(p.redirectUri);
        if (faults.deny) {
          back.searchParams.set("error", "access_denied");
          back.searchParams.set("error_description", "the user said no");
        } else back.searchParams.set("code", code);
        back.searchParams.set("state", state);
        return new Response(null, { status: 302, headers: { location: back.toString() } });
      }
      case "POST /device/code": {
        const f = new URLSearchParams(await req.text());
        if (f.get("client_id") !== clientId) return new Response("unknown client", { status: 400 });
        if (f.get("code_challenge_method") !== "S256") return new Response("PKCE", { status: 400 });
        const deviceCode = crypto.randomUUID();
        const userCode = crypto.randomUUID().slice(0, 8).toUpperCase();
        devices.set(deviceCode, { userCode, challenge: f.get("code_challenge")!, polls: 0 });
        return json({
          device_code: deviceCode,
          user_code: userCode,
          verification_uri: `${issuer}/device`,
          verification_uri_complete: `${issuer}/device?user_code=${userCode}`,
          interval: 2,
          expires_in: 300,
        });
      }
      case "POST /token": {
        const f = new URLSearchParams(await req.text());
        tokenRequests.push(f);
        tokenAuthorizations.push(req.headers.get("authorization"));
        const grant = f.get("grant_type");
        if (grant === "authorization_code") {
          const c = codes.get(f.get("code") ?? "");
          if (!c) return json({ error: "invalid_grant", error_description: "unknown code" }, 400);
          if (f.get("redirect_uri") !== c.redirectUri) {
            return json({ error: "invalid_grant", error_description: "redirect_uri differs" }, 400);
          }
          if (await sha256b64url(f.get("code_verifier") ?? "") !== c.challenge) {
            return json(
              { error: "invalid_grant", error_description: "PKCE verification failed" },
              400,
            );
          }
          codes.delete(f.get("code")!);
          const accessToken = crypto.randomUUID();
          const idToken = await idTokenFor(c.user, c.clientId, {
            nonce: faults.wrongNonce ? "another-nonce" : c.nonce,
            at_hash: await sha256b64url(accessToken, true),
          });
          return json({
            access_token: accessToken,
            token_type: "bearer",
            id_token: idToken,
            expires_in: 600,
          });
        }
        if (grant === "urn:ietf:params:oauth:grant-type:device_code") {
          const d = devices.get(f.get("device_code") ?? "");
          if (!d) return json({ error: "invalid_grant" }, 400);
          if (await sha256b64url(f.get("code_verifier") ?? "") !== d.challenge) {
            return json(
              { error: "invalid_grant", error_description: "PKCE verification failed" },
              400,
            );
          }
          d.polls++;
          if (faults.deviceError) return json({ error: faults.deviceError }, 400);
          if (faults.slowDown && d.polls === 1) return json({ error: "slow_down" }, 400);
          if (!d.user) return json({ error: "authorization_pending" }, 400);
          devices.delete(f.get("device_code")!);
          return json({ id_token: await idTokenFor(d.user, clientId, {}), token_type: "bearer" });
        }
        if (grant === "client_credentials") {
          if (f.get("client_secret") !== clientSecret) {
            return json({ error: "invalid_client" }, 401);
          }
          return json({
            id_token: await idTokenFor({ sub: "machine@clients" }, clientId, {}),
            token_type: "bearer",
          });
        }
        return json({ error: "unsupported_grant_type" }, 400);
      }
      default:
        return new Response("not found", { status: 404 });
    }
  });
  issuer = `http://127.0.0.1:${server.addr.port}`;

  return {
    issuer,
    clientId,
    clientSecret,
    faults,
    requests,
    tokenRequests,
    tokenAuthorizations,
    mint,
    async browse(authUrl, user = DEFAULT_USER) {
      const page = await fetch(authUrl);
      const html = await page.text();
      if (!page.ok) throw new Error(`authorization endpoint answered ${page.status}: ${html}`);
      const id = /name="req" value="([^"]+)"/.exec(html)?.[1];
      if (!id) throw new Error("no login form");
      const login = await fetch(`${issuer}/login`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ req: id, email: user.email ?? "", sub: user.sub }),
        redirect: "manual",
      });
      const location = login.headers.get("location");
      if (!location) return await login.text();
      await login.body?.cancel();
      const back = await fetch(location); // the flow's loopback listener
      return await back.text();
    },
    approveDevice(userCode, user = DEFAULT_USER) {
      for (const d of devices.values()) if (d.userCode === userCode) d.user = user;
    },
    stop: () => server.shutdown(),
  };
}
