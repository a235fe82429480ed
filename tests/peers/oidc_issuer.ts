/**
 * A minimal OpenID Connect provider on 127.0.0.1 for tests: the identity side of keyless signing.
 * Fulcio is configured to trust it (see tests/peers/fulcio.ts) and fetches, as go-oidc does,
 * `<issuer>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4) and the JWKS it
 * names (RFC 7517); tests then mint ID tokens (RFC 7519, signed RS256 or ES256 per RFC 7518 §3)
 * with the claims they need and hand them to cosign with `--identity-token`.
 *
 * One server hosts several issuers, told apart by path: `issuerUrl()` is the root issuer
 * (`http://127.0.0.1:PORT`, for e-mail identities, as cosign's own test/fakeoidc) and
 * `issuerUrl("/github")` another one (tokens shaped like GitHub Actions' for Fulcio's
 * `github-workflow` issuer type). Discovery's `issuer` is exactly the URL the token's `iss` names,
 * which go-oidc requires.
 *
 * There is no login flow and no `/token` endpoint: tokens are minted in-process with
 * {@link OidcIssuer.mint}. A second, untrusted key can sign tokens for negative tests.
 *
 * @module
 */

/** The JWS algorithms the issuer can sign with (RFC 7518 §3.1). */
export type OidcAlgorithm = "RS256" | "ES256";

/** ID-token claims; `iss`, `aud`, `iat`, `nbf`, `exp` and `jti` get defaults when left out. */
export interface IdTokenClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  iat?: number;
  nbf?: number;
  email?: string;
  email_verified?: boolean;
  [claim: string]: unknown;
}

/** How a token is minted. */
export interface MintOptions {
  /** Sign with a key that is not in the JWKS (Fulcio must refuse the token). */
  untrusted?: boolean;
  /** Lifetime in seconds when `exp` is not given (default 600). */
  lifetime?: number;
}

/** The GitHub Actions context a {@link OidcIssuer.githubToken} describes. */
export interface GithubWorkflow {
  /** `owner/repo` (default `octo-org/octo-repo`). */
  repository?: string;
  /** Workflow file path within the repository (default `.github/workflows/release.yml`). */
  workflowPath?: string;
  /** Git ref (default `refs/heads/main`). */
  ref?: string;
  /** Commit SHA (default a fixed 40-hex string). */
  sha?: string;
  /** Triggering event (default `push`). */
  eventName?: string;
  /** Run ID (default `1234567890`). */
  runId?: string;
}

/** A running issuer. */
export interface OidcIssuer {
  /** `http://127.0.0.1:PORT`, the server's origin. */
  origin: string;
  /**
   * The URL of the issuer at `path` (`""`: the root issuer), as it appears in `iss` and in
   * Fulcio's configuration.
   */
  issuerUrl(path?: string): string;
  /** The `aud` every token gets unless told otherwise (Fulcio's `ClientID`): `sigstore`. */
  clientId: string;
  /** The signing algorithm of the trusted key. */
  algorithm: OidcAlgorithm;
  /** The trusted key set, as served at `<issuer>/keys`. */
  jwks: { keys: JsonWebKey[] };
  /**
   * Mints a signed ID token. Defaults: `iss` the root issuer, `aud` {@link clientId},
   * `iat`/`nbf` now, `exp` now + lifetime, a random `jti`.
   */
  mint(claims: IdTokenClaims, options?: MintOptions): Promise<string>;
  /** A token for an e-mail identity (`sub` and `email` both `email`, `email_verified` true). */
  emailToken(email: string, options?: MintOptions & { claims?: IdTokenClaims }): Promise<string>;
  /** A token shaped like GitHub Actions', issued by `issuerUrl("/github")`. */
  githubToken(workflow?: GithubWorkflow, options?: MintOptions): Promise<string>;
  /** The paths requested so far, in order (to see that Fulcio fetched discovery and keys). */
  requests: string[];
  stop(): Promise<void>;
}

const WELL_KNOWN = "/.well-known/openid-configuration";

function b64url(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

async function generate(algorithm: OidcAlgorithm): Promise<CryptoKeyPair> {
  const params = algorithm === "RS256"
    ? {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    }
    : { name: "ECDSA", namedCurve: "P-256" };
  return await crypto.subtle.generateKey(params, true, ["sign", "verify"]) as CryptoKeyPair;
}

/**
 * Starts the issuer on a free loopback port.
 *
 * @param options `algorithm`: `RS256` (default, as cosign's fakeoidc and most providers) or
 *   `ES256`; `clientId`: the default audience (default `sigstore`)
 * @returns the running issuer
 */
export async function startOidcIssuer(
  options: { algorithm?: OidcAlgorithm; clientId?: string } = {},
): Promise<OidcIssuer> {
  const algorithm = options.algorithm ?? "RS256";
  const clientId = options.clientId ?? "sigstore";
  const trusted = await generate(algorithm);
  const untrusted = await generate(algorithm);
  const kid = crypto.randomUUID();
  const publicJwk = await crypto.subtle.exportKey("jwk", trusted.publicKey);
  // Only the public members: a JWKS must never carry `d` (exportKey of a public key has none).
  const jwk: JsonWebKey = { ...publicJwk, kid, use: "sig", alg: algorithm } as JsonWebKey;
  delete jwk.key_ops;
  delete jwk.ext;
  const jwks = { keys: [jwk] };
  const requests: string[] = [];

  // The handler runs only after `origin` is set below (requests need the bound port first).
  let origin = "";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req): Response => {
    const { pathname } = new URL(req.url);
    requests.push(pathname);
    if (req.method !== "GET") return new Response("method not allowed", { status: 405 });
    if (pathname.endsWith(WELL_KNOWN)) {
      const issuer: string = origin + pathname.slice(0, -WELL_KNOWN.length);
      return Response.json({
        issuer,
        jwks_uri: `${issuer}/keys`,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        response_types_supported: ["id_token"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: [algorithm],
        claims_supported: ["sub", "aud", "exp", "iat", "iss", "email", "email_verified"],
      });
    }
    if (pathname.endsWith("/keys")) return Response.json(jwks);
    return new Response("not found", { status: 404 });
  });
  origin = `http://127.0.0.1:${server.addr.port}`;
  const issuerUrl = (path = "") => origin + path;

  const mint = async (claims: IdTokenClaims, mintOptions: MintOptions = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const body = {
      iss: issuerUrl(),
      aud: clientId,
      iat: now,
      nbf: now,
      exp: now + (mintOptions.lifetime ?? 600),
      jti: crypto.randomUUID(),
      ...claims,
    };
    const input = `${b64url(JSON.stringify({ alg: algorithm, kid, typ: "JWT" }))}.${
      b64url(JSON.stringify(body))
    }`;
    const key = (mintOptions.untrusted ? untrusted : trusted).privateKey;
    // WebCrypto's ECDSA signature is already the JWS form (r‖s, RFC 7518 §3.4).
    const signature = new Uint8Array(
      await crypto.subtle.sign(
        algorithm === "RS256" ? "RSASSA-PKCS1-v1_5" : { name: "ECDSA", hash: "SHA-256" },
        key,
        new TextEncoder().encode(input),
      ),
    );
    return `${input}.${b64url(signature)}`;
  };

  return {
    origin,
    issuerUrl,
    clientId,
    algorithm,
    jwks,
    mint,
    emailToken(email, opts = {}) {
      return mint({ sub: email, email, email_verified: true, ...opts.claims }, opts);
    },
    githubToken(workflow = {}, opts = {}) {
      // The claims GitHub Actions puts in its OIDC token ("About security hardening with OpenID
      // Connect"); Fulcio's github-workflow type requires each of the ones read in
      // pkg/identity/github/principal.go.
      const repository = workflow.repository ?? "octo-org/octo-repo";
      const owner = repository.split("/")[0];
      const ref = workflow.ref ?? "refs/heads/main";
      const sha = workflow.sha ?? "0123456789abcdef0123456789abcdef01234567";
      const workflowRef = `${repository}/${
        workflow.workflowPath ?? ".github/workflows/release.yml"
      }@${ref}`;
      return mint({
        iss: issuerUrl("/github"),
        sub: `repo:${repository}:ref:${ref}`,
        ref,
        ref_type: ref.startsWith("refs/tags/") ? "tag" : "branch",
        sha,
        repository,
        repository_id: "123456789",
        repository_owner: owner,
        repository_owner_id: "987654321",
        repository_visibility: "public",
        run_id: workflow.runId ?? "1234567890",
        run_number: "42",
        run_attempt: "1",
        actor: "octocat",
        actor_id: "583231",
        workflow: "Release",
        event_name: workflow.eventName ?? "push",
        workflow_ref: workflowRef,
        workflow_sha: sha,
        job_workflow_ref: workflowRef,
        job_workflow_sha: sha,
        runner_environment: "github-hosted",
      }, opts);
    },
    requests,
    stop: () => server.shutdown(),
  };
}
