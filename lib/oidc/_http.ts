/**
 * The HTTP exchanges of lib/oidc: bounded JSON reads and form posts, errors that name the URL
 * (never a token). Private to lib/oidc.
 *
 * @module
 */
import { IdentityError } from "../errors.ts";
import { describeUrl, type HttpOptions, httpRequest, readBodyBounded } from "../http.ts";

/** How lib/oidc talks HTTP: an injectable `fetch`, an abort signal, a user agent. */
export interface OidcHttpOptions {
  /** The `fetch` to use (tests inject one); default the global `fetch`. */
  fetch?: typeof fetch;
  signal?: AbortSignal;
  userAgent?: string;
  /** Idle timeout of each request (default 30 s). */
  timeoutMs?: number;
}

/**
 * The {@link HttpOptions} of lib/oidc's requests: an idle timeout of 30 s unless given, no
 * retries unless `attempts` says so.
 *
 * @param http the caller's options
 * @param attempts total attempts (1: no retry)
 * @returns the options for {@link httpRequest}
 */
export function oidcHttpOptions(http: OidcHttpOptions, attempts = 1): HttpOptions {
  return {
    fetch: http.fetch,
    signal: http.signal,
    userAgent: http.userAgent,
    timeoutMs: http.timeoutMs ?? 30_000,
    retry: { attempts },
  };
}

/** The most bytes read from an identity provider's answer (discovery, keys, tokens). */
export const MAX_OIDC_RESPONSE = 1024 * 1024;

/** A response read whole (bounded), with its status. */
export interface ReadResponse {
  status: number;
  statusText: string;
  headers: Headers;
  body: Uint8Array;
  text(): string;
}

/**
 * Sends one request (no retries: token endpoints must not be replayed) and reads the body.
 *
 * @throws {IdentityError} `OIDC_PROVIDER_FAILED` when no answer arrives or it is too large
 */
export async function oidcRequest(
  what: string,
  url: string,
  init: { method?: string; headers?: HeadersInit; body?: string; retry?: boolean },
  http: OidcHttpOptions,
): Promise<ReadResponse> {
  let res: Response;
  try {
    res = await httpRequest(
      {
        url,
        method: init.method ?? "GET",
        headers: init.headers,
        body: init.body,
        retry: init.retry,
      },
      oidcHttpOptions(http, init.retry ? 3 : 1),
    );
  } catch (e) {
    if (http.signal?.aborted) throw e;
    throw new IdentityError("OIDC_PROVIDER_FAILED", `Cannot ${what}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  let body: Uint8Array;
  try {
    body = await readBodyBounded(res, MAX_OIDC_RESPONSE, `the answer of ${describeUrl(url)}`);
  } catch (e) {
    throw new IdentityError("OIDC_PROVIDER_FAILED", `Cannot ${what}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
    body,
    text: () => new TextDecoder().decode(body),
  };
}

/**
 * POSTs an `application/x-www-form-urlencoded` form (RFC 6749 §4.1.3, RFC 8628 §3.1) with
 * {@link oidcRequest}.
 *
 * @param what the failing step for messages
 * @param url the endpoint
 * @param form the fields ({@link formEncode}: sorted, undefined ones left out)
 * @param http fetch, signal, user agent
 * @param headers more headers (e.g. `authorization`)
 * @returns the response, read whole
 * @throws {IdentityError} `OIDC_PROVIDER_FAILED` as {@link oidcRequest}
 */
export function postForm(
  what: string,
  url: string,
  form: Record<string, string | undefined>,
  http: OidcHttpOptions,
  headers: Record<string, string> = {},
): Promise<ReadResponse> {
  return oidcRequest(what, url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: formEncode(form),
  }, http);
}

/**
 * The JSON object of a 200 answer.
 *
 * @throws {IdentityError} `OIDC_PROVIDER_FAILED` "Cannot <what>: <status> <status text>: <body
 *   excerpt>" for another status; as {@link jsonObject} for a body that is not a JSON object
 */
export function okJsonObject(what: string, res: ReadResponse): Record<string, unknown> {
  if (res.status !== 200) {
    throw new IdentityError(
      "OIDC_PROVIDER_FAILED",
      `Cannot ${what}: ${res.status} ${res.statusText}: ${excerpt(res.text())}`,
    );
  }
  return jsonObject(what, res);
}

/** A short, printable excerpt of an error body (providers put the reason there). */
export function excerpt(text: string): string {
  const t = text.trim().replace(/\s+/g, " ");
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}

/**
 * Parses a JSON object body.
 *
 * @throws {IdentityError} `OIDC_PROVIDER_FAILED` when it is not a JSON object
 */
export function jsonObject(what: string, res: ReadResponse): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(res.text());
  } catch (e) {
    throw new IdentityError(
      "OIDC_PROVIDER_FAILED",
      `Cannot ${what}: the answer is not JSON (HTTP ${res.status}: ${excerpt(res.text())})`,
      { cause: e },
    );
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new IdentityError(
      "OIDC_PROVIDER_FAILED",
      `Cannot ${what}: the answer is not a JSON object`,
    );
  }
  return v as Record<string, unknown>;
}

/** `application/x-www-form-urlencoded` of `values`, keys sorted as Go's `url.Values.Encode`. */
export function formEncode(values: Record<string, string | undefined>): string {
  const p = new URLSearchParams();
  for (const k of Object.keys(values).sort()) {
    const v = values[k];
    if (v !== undefined) p.append(k, v);
  }
  return p.toString();
}
