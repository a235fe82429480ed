/**
 * Registry authentication: `WWW-Authenticate` challenges, Basic credentials and the Docker token
 * flow (distribution `docs/spec/auth/token.md`), as go-containerregistry's transport does it.
 *
 * - Basic challenge: send `Authorization: Basic` (or `Bearer <registry token>`) to the registry.
 * - Bearer challenge: get a token from the realm the registry named — `GET realm?service&scope`
 *   with Basic credentials, or the OAuth2 `POST` (refresh-token grant) when an identity token is
 *   configured, falling back to GET when the service answers 404 — then send it as
 *   `Authorization: Bearer`. Tokens are cached per scope until they expire.
 * - A registry token (`--registry-token`) is sent as the bearer token without any exchange.
 *
 * Credentials are resolved for one registry host and only ever sent to it, or to the token realm
 * it named in its challenge (ggcr sends them there too). Credentials are never sent over plain
 * HTTP to a realm that is not on this machine unless the registry itself is plain HTTP.
 *
 * @module
 */
import { RegistryError } from "../errors.ts";
import {
  describeUrl,
  type HttpOptions,
  httpRequestSafeRedirects,
  readBodyBounded,
} from "../http.ts";
import { isLoopback } from "./reference.ts";

/** Credentials for one registry (docker's `AuthConfig`). */
export interface Credentials {
  username?: string;
  password?: string;
  /** Sent as `Authorization: Bearer` as is (cosign `--registry-token`). */
  registryToken?: string;
  /** An OAuth2 refresh token (docker config `identitytoken`, helpers' `<token>` user). */
  identityToken?: string;
}

/** Resolves the credentials of a registry host (`host[:port]`); undefined means anonymous. */
export type CredentialResolver = (registry: string) => Promise<Credentials | undefined>;

/** One challenge of a `WWW-Authenticate` header. */
export interface Challenge {
  /** Lower-case scheme: `basic`, `bearer` … */
  scheme: string;
  /** Parameters with lower-case names (`realm`, `service`, `scope`, `error` …). */
  params: Record<string, string>;
}

/** Token responses are small JSON documents. */
const TOKEN_RESPONSE_LIMIT = 1024 * 1024;

/**
 * Parses a `WWW-Authenticate` header (RFC 7235): one or more challenges, each a scheme followed
 * by comma-separated `name=value` or `name="quoted \"value\""` parameters.
 *
 * @param header the header value
 * @returns the challenges in order (empty for an empty header)
 * @throws {SyntaxError} for an unterminated quoted string
 * @example
 * parseWwwAuthenticate('Bearer realm="https://auth.example/token",service="reg"')
 * // [{ scheme: "bearer", params: { realm: "https://auth.example/token", service: "reg" } }]
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skipWs = () => {
    while (i < n && (header[i] === " " || header[i] === "\t")) i++;
  };
  const token = () => {
    const start = i;
    while (i < n && !/[\s,=]/.test(header[i])) i++;
    return header.slice(start, i);
  };
  let current: Challenge | undefined;
  while (i < n) {
    skipWs();
    if (header[i] === ",") {
      i++;
      continue;
    }
    const word = token();
    if (!word) {
      i++;
      continue;
    }
    skipWs();
    if (header[i] === "=" && current) {
      i++;
      skipWs();
      let value: string;
      if (header[i] === '"') {
        i++;
        value = "";
        while (i < n && header[i] !== '"') {
          if (header[i] === "\\" && i + 1 < n) i++;
          value += header[i++];
        }
        if (i >= n) throw new SyntaxError("WWW-Authenticate has an unterminated quoted string");
        i++;
      } else {
        value = token();
      }
      current.params[word.toLowerCase()] = value;
    } else if (header[i] === "=") {
      // A parameter before any scheme: malformed; skip its value.
      i++;
      token();
    } else {
      current = { scheme: word.toLowerCase(), params: {} };
      out.push(current);
    }
  }
  return out;
}

/**
 * Picks the challenge to answer: Bearer or Basic, like ggcr's `pickFromMultipleChallenges`.
 *
 * @param challenges parsed challenges
 * @returns the first Basic or Bearer challenge, else the first one, else undefined
 */
export function pickChallenge(challenges: Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === "basic" || c.scheme === "bearer") ?? challenges[0];
}

/**
 * The scope string of a repository (`repository:<name>:<actions>`).
 *
 * @param repository the repository path
 * @param actions e.g. `["pull"]`, `["pull", "push"]`
 * @returns the scope
 */
export function repositoryScope(repository: string, actions: string[]): string {
  return `repository:${repository}:${actions.join(",")}`;
}

/**
 * Builds a Basic `Authorization` value.
 *
 * @param username the user
 * @param password the password
 * @returns `Basic base64(user:password)`
 */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${new TextEncoder().encode(`${username}:${password}`).toBase64()}`;
}

interface CachedToken {
  value: string;
  expires: number;
}

/**
 * The authentication state of one registry host: its challenge, its credentials (resolved once),
 * and cached bearer tokens.
 */
export class RegistryAuth {
  #challenge: Challenge | undefined;
  #credentials: Promise<Credentials | undefined> | undefined;
  #tokens = new Map<string, CachedToken>();

  /**
   * @param registry the registry host (`host[:port]`) credentials are resolved for
   * @param resolve where credentials come from
   * @param http options for token requests
   * @param registryIsHttp whether the registry itself is reached over plain HTTP
   */
  constructor(
    readonly registry: string,
    readonly resolve: CredentialResolver | undefined,
    readonly http: HttpOptions,
    readonly registryIsHttp = false,
  ) {}

  /** Records the challenge from the `/v2/` ping (undefined: no authentication needed). */
  setChallenge(challenge: Challenge | undefined): void {
    this.#challenge = challenge;
  }

  /** The challenge in force. */
  get challenge(): Challenge | undefined {
    return this.#challenge;
  }

  #creds(): Promise<Credentials | undefined> {
    this.#credentials ??= this.resolve ? this.resolve(this.registry) : Promise.resolve(undefined);
    return this.#credentials;
  }

  /**
   * The `Authorization` header for a request needing `scopes`.
   *
   * @param scopes token scopes (used for Bearer challenges)
   * @returns the header value, or undefined for anonymous access
   * @throws {RegistryError} `UNAUTHORIZED` / `DENIED` / `NETWORK` when the token service fails
   */
  async authorization(scopes: string[]): Promise<string | undefined> {
    const ch = this.#challenge;
    if (!ch) return undefined;
    const creds = await this.#creds();
    if (creds?.registryToken) return `Bearer ${creds.registryToken}`;
    if (ch.scheme === "basic") {
      return creds?.username !== undefined
        ? basicAuthorization(creds.username, creds.password ?? "")
        : undefined;
    }
    if (ch.scheme !== "bearer") return undefined;
    const key = [...scopes].sort().join(" ");
    const cached = this.#tokens.get(key);
    if (cached && cached.expires > Date.now()) return `Bearer ${cached.value}`;
    const token = await this.#fetchToken(ch, scopes, creds);
    this.#tokens.set(key, token);
    return `Bearer ${token.value}`;
  }

  /**
   * Reacts to a 401: adopts the challenge it carries (a new scope, or a scheme change) and drops
   * cached tokens for `scopes`.
   *
   * @param res the 401 response
   * @param scopes the scopes the request used
   * @returns the scopes to use for the retry (the challenge's `scope` added), or undefined when a
   *   retry cannot help (no challenge, or credentials were already sent for Basic)
   */
  unauthorized(res: Response, scopes: string[]): string[] | undefined {
    const header = res.headers.get("www-authenticate");
    const ch = header ? pickChallenge(parseWwwAuthenticate(header)) : undefined;
    if (!ch) return undefined;
    const before = this.#challenge;
    this.#challenge = ch;
    this.#tokens.delete([...scopes].sort().join(" "));
    if (ch.scheme === "basic") {
      // Retrying only helps if we had not sent credentials (no challenge known before).
      return before ? undefined : scopes;
    }
    const extra = ch.params.scope ? ch.params.scope.split(" ") : [];
    return [...new Set([...scopes, ...extra])];
  }

  async #fetchToken(
    ch: Challenge,
    scopes: string[],
    creds: Credentials | undefined,
  ): Promise<CachedToken> {
    const realmText = ch.params.realm;
    let realm: URL;
    try {
      realm = new URL(realmText ?? "");
      if (realm.protocol !== "https:" && realm.protocol !== "http:") throw new TypeError();
    } catch {
      throw new RegistryError(
        "UNAUTHORIZED",
        `Cannot authenticate to ${this.registry}: its Bearer challenge has no usable realm`,
        { status: 401 },
      );
    }
    const hasSecret = creds?.identityToken || creds?.username !== undefined;
    if (
      hasSecret && realm.protocol === "http:" && !this.registryIsHttp && !isLoopback(realm.host)
    ) {
      throw new RegistryError(
        "UNAUTHORIZED",
        `Cannot authenticate to ${this.registry}: refusing to send credentials to the plain-HTTP token service ${
          describeUrl(realm)
        }`,
        { status: 401 },
      );
    }
    const service = ch.params.service;
    let res: Response;
    if (creds?.identityToken) {
      res = await this.#oauth(realm, service, scopes, creds.identityToken);
      if (res.status === 404) {
        await res.body?.cancel().catch(() => {});
        res = await this.#basicGet(realm, service, scopes, creds);
      }
    } else {
      res = await this.#basicGet(realm, service, scopes, creds);
    }
    const where = `${this.registry} from ${describeUrl(realm)}`;
    if (!res.ok) {
      const body = await readBodyBounded(res, TOKEN_RESPONSE_LIMIT, "token response").catch(() =>
        new Uint8Array()
      );
      const detail = tokenErrorDetail(body);
      const code = res.status === 401 ? "UNAUTHORIZED" : res.status === 403 ? "DENIED" : "REGISTRY";
      throw new RegistryError(
        code,
        `Cannot get a token for ${where}: ${detail ? `${detail} ` : ""}(HTTP ${res.status})`,
        { status: res.status },
      );
    }
    let parsed: { token?: string; access_token?: string; expires_in?: number };
    try {
      parsed = JSON.parse(
        new TextDecoder().decode(
          await readBodyBounded(res, TOKEN_RESPONSE_LIMIT, "token response"),
        ),
      );
    } catch (cause) {
      throw new RegistryError("REGISTRY", `Cannot get a token for ${where}: invalid response`, {
        cause,
        status: res.status,
      });
    }
    const value = parsed.token || parsed.access_token;
    if (!value || typeof value !== "string") {
      throw new RegistryError("REGISTRY", `Cannot get a token for ${where}: no token in response`, {
        status: res.status,
      });
    }
    const ttl = typeof parsed.expires_in === "number" && parsed.expires_in > 0
      ? parsed.expires_in
      : 60;
    // Renew a little early so a token does not expire in flight.
    return { value, expires: Date.now() + Math.max(1, ttl - 10) * 1000 };
  }

  #basicGet(
    realm: URL,
    service: string | undefined,
    scopes: string[],
    creds: Credentials | undefined,
  ): Promise<Response> {
    const url = new URL(realm);
    if (service) url.searchParams.set("service", service);
    for (const s of scopes) url.searchParams.append("scope", s);
    const headers: Record<string, string> = {};
    if (creds?.username !== undefined) {
      headers.authorization = basicAuthorization(creds.username, creds.password ?? "");
    }
    return httpRequestSafeRedirects({ url, headers }, this.http);
  }

  #oauth(
    realm: URL,
    service: string | undefined,
    scopes: string[],
    refreshToken: string,
  ): Promise<Response> {
    const form = new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: refreshToken,
      client_id: "cosign",
    });
    if (service) form.set("service", service);
    if (scopes.length) form.set("scope", scopes.join(" "));
    return httpRequestSafeRedirects({
      url: realm,
      method: "POST",
      retry: true,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    }, this.http);
  }
}

function tokenErrorDetail(body: Uint8Array): string {
  try {
    const j = JSON.parse(new TextDecoder().decode(body));
    const e = j?.errors?.[0];
    if (e?.code) return `${e.code}: ${e.message ?? ""}`.trim();
    if (typeof j?.error === "string") return j.error;
    if (typeof j?.details === "string") return j.details;
  } catch { /* not JSON */ }
  return "";
}
