/**
 * `fetch` with what talking to real servers needs: bounded retries with exponential backoff and
 * jitter on 408/429/5xx and connection failures (honouring `Retry-After` up to a cap), an idle
 * timeout (waiting for headers, and for each body chunk), the caller's `AbortSignal`, and bounded
 * body reads.
 *
 * Only replayable requests are retried: a body given as bytes or a string, or as a function that
 * re-creates the stream. A bare `ReadableStream` body is sent once. POST and PATCH are not retried
 * unless the caller says they are safe (`retry: true`), because the server may have acted on the
 * first attempt.
 *
 * TLS: Deno's `fetch` verifies certificates with rustls; {@link createTlsClient} adds CA
 * certificates and a client certificate. Deno cannot skip certificate verification for one
 * connection (`Deno.createHttpClient` has no such option; only the process-wide
 * `--unsafely-ignore-certificate-errors` flag does).
 *
 * @module
 */
import { IoError } from "./errors.ts";
import { byteStream, intoReader, readStreamBounded } from "./stream.ts";
import { after, sleep } from "./timers.ts";

/** How often and how patiently to retry. */
export interface RetryOptions {
  /** Total attempts, including the first (default 4). */
  attempts?: number;
  /** Delay before the first retry; doubles each time (default 200 ms). */
  baseDelayMs?: number;
  /** Cap of the backoff delay (default 5 s). */
  maxDelayMs?: number;
  /** Cap of a server's `Retry-After` (default 30 s). Longer requests are shortened to it. */
  maxRetryAfterMs?: number;
}

/** Options shared by every request of a client. */
export interface HttpOptions {
  /** The `fetch` to use (tests inject one); default the global `fetch`. */
  fetch?: typeof fetch;
  /** A Deno HTTP client (custom CA, client certificate), see {@link createTlsClient}. */
  client?: Deno.HttpClient;
  retry?: RetryOptions;
  /** Idle timeout: the longest wait for response headers or for one body chunk (default 60 s). */
  timeoutMs?: number;
  /** Aborts every request and retry wait. */
  signal?: AbortSignal;
  /** `User-Agent` header. */
  userAgent?: string;
  /** Replaces `setTimeout`-based sleeping between retries (tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A request. */
export interface HttpRequest {
  url: string | URL;
  method?: string;
  headers?: HeadersInit;
  /** Bytes and strings are replayable; a function is called again for every attempt. */
  body?: Uint8Array | string | (() => BodyInit) | ReadableStream<Uint8Array>;
  /** Force retrying on (true) or off (false); default: on for GET, HEAD, PUT, DELETE, OPTIONS. */
  retry?: boolean;
  /** Default "follow". */
  redirect?: RequestRedirect;
}

const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);

/**
 * Whether an HTTP status is worth retrying: 408, 429 and 5xx except 501 and 505.
 *
 * @param status an HTTP status
 * @returns true for transient failures
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/**
 * Sends a request, retrying transient failures.
 *
 * The response of the last attempt is returned whatever its status: callers map statuses to
 * their own errors. Its body is guarded by the idle timeout.
 *
 * @param req the request
 * @param options client-wide options
 * @returns the response
 * @throws {IoError} `NETWORK` when no response arrived (connection refused or reset, TLS
 *   failure, timeout) after all attempts; the caller's abort reason when `signal` aborts
 */
export async function httpRequest(req: HttpRequest, options: HttpOptions = {}): Promise<Response> {
  const method = (req.method ?? "GET").toUpperCase();
  const replayable = !(req.body instanceof ReadableStream);
  const retry = replayable && (req.retry ?? IDEMPOTENT.has(method));
  const attempts = retry ? Math.max(1, options.retry?.attempts ?? 4) : 1;
  const headers = new Headers(req.headers);
  if (options.userAgent && !headers.has("user-agent")) headers.set("user-agent", options.userAgent);
  for (let attempt = 1;; attempt++) {
    let res: Response;
    try {
      res = await fetchOnce(req, method, headers, options);
    } catch (err) {
      if (options.signal?.aborted || attempt >= attempts) throw networkError(req.url, err);
      await wait(backoff(attempt, options.retry), options);
      continue;
    }
    if (attempt >= attempts || !isRetryableStatus(res.status)) return res;
    const delay = retryAfter(res, options.retry) ?? backoff(attempt, options.retry);
    await res.body?.cancel().catch(() => {});
    await wait(delay, options);
  }
}

/**
 * Like {@link httpRequest}, but follows redirects itself so that credentials never travel to
 * another origin: `Authorization` and `Cookie` are dropped when a redirect leaves the scheme,
 * host and port of the original request (blob downloads are commonly redirected to storage
 * services that must not see registry credentials). 303 turns into GET; 307/308 resend the
 * body only when it is replayable.
 *
 * @param req the request (its `redirect` is ignored)
 * @param options client-wide options
 * @param maxRedirects the most redirects followed (default 10)
 * @returns the first non-redirect response
 * @throws {IoError} `NETWORK` as {@link httpRequest}, or when there are too many redirects
 */
export async function httpRequestSafeRedirects(
  req: HttpRequest,
  options: HttpOptions = {},
  maxRedirects = 10,
): Promise<Response> {
  const origin = new URL(req.url).origin;
  let current: HttpRequest = { ...req, redirect: "manual" };
  for (let i = 0;; i++) {
    const res = await httpRequest(current, options);
    const location = res.headers.get("location");
    if (![301, 302, 303, 307, 308].includes(res.status) || !location) return res;
    await res.body?.cancel().catch(() => {});
    if (i >= maxRedirects) {
      throw new IoError("NETWORK", `Cannot reach ${describeUrl(req.url)}: too many redirects`);
    }
    const next = new URL(location, current.url);
    const headers = new Headers(current.headers);
    if (next.origin !== origin) {
      headers.delete("authorization");
      headers.delete("cookie");
    }
    const method = (current.method ?? "GET").toUpperCase();
    const keepBody = res.status === 307 || res.status === 308;
    if (keepBody && current.body instanceof ReadableStream) return res;
    current = {
      ...current,
      url: next,
      headers,
      method: keepBody || method === "HEAD" ? method : "GET",
      body: keepBody ? current.body : undefined,
    };
  }
}

class IdleTimeout extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms without data`);
  }
}

async function fetchOnce(
  req: HttpRequest,
  method: string,
  headers: Headers,
  options: HttpOptions,
): Promise<Response> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const ctrl = new AbortController();
  const signal = options.signal ? AbortSignal.any([ctrl.signal, options.signal]) : ctrl.signal;
  // lib/timers.ts, not setTimeout: the global timers load Deno's Node layer (≈18 ms of CPU).
  let cancelTimer: (() => void) | undefined;
  const arm = () => {
    cancelTimer?.();
    cancelTimer = after(timeoutMs, () => ctrl.abort(new IdleTimeout(timeoutMs)));
  };
  const disarm = () => {
    cancelTimer?.();
    cancelTimer = undefined;
  };
  const body = typeof req.body === "function" ? req.body() : req.body;
  const init: RequestInit & { client?: Deno.HttpClient } = {
    method,
    headers,
    body: body as BodyInit | undefined,
    redirect: req.redirect ?? "follow",
    signal,
  };
  if (options.client) init.client = options.client;
  arm();
  let res: Response;
  try {
    res = await (options.fetch ?? fetch)(req.url, init);
  } catch (err) {
    disarm();
    throw ctrl.signal.aborted ? ctrl.signal.reason : err;
  }
  disarm();
  if (!res.body) {
    if (!res.url) Object.defineProperty(res, "url", { value: String(req.url) });
    return res;
  }
  // Re-wrap the body so that each read is bounded by the idle timeout (pull-based, so time the
  // consumer spends is not counted). One watchdog interval per body rather than a timer per chunk:
  // per-chunk timers and listeners cost a noticeable share of the throughput. The wrapper is a
  // byte stream reading the body with a BYOB reader (lib/stream.ts): a consumer that brings its
  // own buffer gets the bytes straight into it, in reads as large as it asks for.
  const reader = intoReader(res.body);
  let pendingSince = 0; // when the read in flight started; 0 while none is
  let watchdog: (() => void) | undefined; // cancels the next tick
  const stopWatchdog = () => {
    watchdog?.();
    watchdog = undefined;
  };
  // Ticks every `period` while reads keep coming; stops at the first tick with no read in flight
  // (the consumer paused or left), and the next read starts it again.
  const tick = () => {
    watchdog = undefined;
    if (!pendingSince) return;
    if (Date.now() - pendingSince > timeoutMs) return ctrl.abort(new IdleTimeout(timeoutMs));
    watchdog = after(period, tick);
  };
  const period = Math.max(5, Math.min(1000, timeoutMs / 4));
  // Not every fetch (injected ones) ties the body to the signal: an abort cancels the reader,
  // which ends the pending read; the read's result is then checked against the signal.
  ctrl.signal.addEventListener("abort", () => {
    stopWatchdog();
    reader.cancel(ctrl.signal.reason).catch(() => {});
  }, { once: true });
  const guarded = byteStream(async (view) => {
    pendingSince = Date.now();
    watchdog ??= after(period, tick);
    try {
      const filled = await reader.read(view);
      pendingSince = 0;
      if (ctrl.signal.aborted) throw ctrl.signal.reason;
      if (filled.byteLength === 0) stopWatchdog();
      return filled;
    } catch (err) {
      pendingSince = 0;
      stopWatchdog();
      throw networkError(req.url, ctrl.signal.aborted ? ctrl.signal.reason : err);
    }
  }, (reason) => {
    stopWatchdog();
    return reader.cancel(reason);
  });
  const out = new Response(guarded, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
  // Keep the final URL for callers that resolve relative Location headers after redirects.
  Object.defineProperty(out, "url", { value: res.url || String(req.url) });
  return out;
}

function networkError(url: string | URL, err: unknown): unknown {
  if (err instanceof IoError) return err;
  if (err instanceof DOMException && err.name === "AbortError") return err;
  const reason = err instanceof IdleTimeout ? err.message : describeCause(err);
  return new IoError("NETWORK", `Cannot reach ${describeUrl(url)}: ${reason}`, { cause: err });
}

/** The innermost useful message of an error chain ("fetch failed" says nothing by itself). */
function describeCause(err: unknown): string {
  let e = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  const msg = e instanceof Error ? e.message : String(e);
  // "error sending request for url (https://h/p): client error (Connect): <reason>"
  return msg.replace(/^error sending request for url \([^)]*\): /, "");
}

/**
 * A URL without its query and credentials, for messages (upload URLs carry session state).
 *
 * @param url a URL
 * @returns `scheme://host/path`
 */
export function describeUrl(url: string | URL): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return String(url).replace(/[?#].*$/, "");
  }
}

/**
 * Whether a fetch failure is a TLS (certificate) failure rather than an unreachable host.
 *
 * @param err an error thrown by {@link httpRequest}
 * @returns true when the message or its cause mentions certificates or TLS
 */
export function isTlsError(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    if (/certificate|tls|handshake|InvalidContentType|CorruptMessage/i.test(e.message)) {
      return true;
    }
  }
  return false;
}

function backoff(attempt: number, retry: RetryOptions | undefined): number {
  const base = retry?.baseDelayMs ?? 200;
  const max = retry?.maxDelayMs ?? 5_000;
  const exp = Math.min(max, base * 2 ** (attempt - 1));
  // "Equal jitter": half fixed, half random, so retries of many clients spread out.
  return exp / 2 + Math.random() * (exp / 2);
}

function retryAfter(res: Response, retry: RetryOptions | undefined): number | undefined {
  const value = res.headers.get("retry-after");
  if (!value) return undefined;
  const cap = retry?.maxRetryAfterMs ?? 30_000;
  let ms: number;
  if (/^\d+$/.test(value.trim())) ms = Number(value.trim()) * 1000;
  else {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    ms = at - Date.now();
  }
  return Math.min(cap, Math.max(0, ms));
}

async function wait(ms: number, options: HttpOptions): Promise<void> {
  if (options.sleep) return await options.sleep(ms, options.signal);
  await sleep(ms, options.signal);
}

/**
 * Reads a whole response body, refusing more than `limit` bytes (checked against
 * `Content-Length` first, then while reading).
 *
 * @param res the response
 * @param limit the most bytes accepted
 * @param what names the body in the error message
 * @returns the body
 * @throws {RangeError} `Cannot read <what>: larger than <limit> bytes`
 */
export async function readBodyBounded(
  res: Response,
  limit: number,
  what = "response body",
): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > limit) {
    await res.body?.cancel().catch(() => {});
    throw new RangeError(`Cannot read ${what}: larger than ${limit} bytes`);
  }
  if (!res.body) return new Uint8Array(0);
  return await readStreamBounded(
    res.body,
    limit,
    () => new RangeError(`Cannot read ${what}: larger than ${limit} bytes`),
  );
}

/** TLS settings for {@link createTlsClient}. */
export interface TlsOptions {
  /** Extra trusted CA certificates (PEM), added to the system roots. */
  caCerts?: string[];
  /** Client certificate chain (PEM) for mutual TLS; needs `clientKey`. */
  clientCert?: string;
  /** Client private key (PEM). */
  clientKey?: string;
}

/**
 * Creates a Deno HTTP client with extra CAs and/or a client certificate.
 *
 * @param tls the settings
 * @returns a client to pass as {@link HttpOptions.client}, or undefined when nothing is set
 * @throws {TypeError} when only one of `clientCert` and `clientKey` is given
 */
export function createTlsClient(tls: TlsOptions): Deno.HttpClient | undefined {
  const hasCa = (tls.caCerts?.length ?? 0) > 0;
  if (!!tls.clientCert !== !!tls.clientKey) {
    throw new TypeError('"clientCert" and "clientKey" must be given together');
  }
  if (!hasCa && !tls.clientCert) return undefined;
  const opts: Deno.CreateHttpClientOptions & Partial<Deno.TlsCertifiedKeyPem> = {};
  if (hasCa) opts.caCerts = tls.caCerts;
  if (tls.clientCert) {
    opts.cert = tls.clientCert;
    opts.key = tls.clientKey;
  }
  return Deno.createHttpClient(opts as Deno.CreateHttpClientOptions);
}
