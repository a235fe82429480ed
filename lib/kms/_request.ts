/**
 * JSON over HTTPS for the KMS clients: bounded bodies, retries only where the caller says a
 * request is safe to repeat, and errors that name the service and the failing step. Private to
 * `lib/kms/`.
 *
 * @module
 */
import { KeyError } from "../errors.ts";
import { httpRequest, readBodyBounded } from "../http.ts";
import type { KmsDeps } from "./kms_key.ts";

/** The most bytes of a KMS response read (keys, signatures and errors are small). */
export const MAX_KMS_RESPONSE = 1024 * 1024;

/** A parsed response: status and JSON body (`undefined` when empty or not JSON). */
export interface KmsResponse {
  status: number;
  body: unknown;
  text: string;
}

/**
 * Sends one request and reads its JSON answer.
 *
 * @throws {IoError} `NETWORK` when no answer arrives
 * @throws {RangeError} for an answer over 1 MiB
 */
export async function kmsRequest(
  deps: KmsDeps,
  req: {
    url: string | URL;
    method: string;
    headers: Record<string, string>;
    body?: Uint8Array;
    retry?: boolean;
  },
): Promise<KmsResponse> {
  const res = await httpRequest(
    { url: req.url, method: req.method, headers: req.headers, body: req.body, retry: req.retry },
    { fetch: deps.fetch, signal: deps.signal, retry: { attempts: 3 } },
  );
  const bytes = await readBodyBounded(res, MAX_KMS_RESPONSE, `${new URL(req.url).host} response`);
  const text = new TextDecoder().decode(bytes);
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

/**
 * Sends one request with an optional JSON body (`content-type: application/json` when there is
 * one) and reads its JSON answer: the shape of every KMS REST call.
 *
 * @throws {IoError} `NETWORK` when no answer arrives
 * @throws {RangeError} for an answer over 1 MiB
 */
export function kmsJsonCall(
  deps: KmsDeps,
  req: {
    url: string | URL;
    method: string;
    headers: Record<string, string>;
    body?: unknown;
    retry?: boolean;
  },
): Promise<KmsResponse> {
  const json = req.body !== undefined;
  return kmsRequest(deps, {
    url: req.url,
    method: req.method,
    headers: { ...req.headers, ...(json ? { "content-type": "application/json" } : {}) },
    body: json ? new TextEncoder().encode(JSON.stringify(req.body)) : undefined,
    retry: req.retry,
  });
}

/**
 * The `access_token` of an OAuth 2 token response (RFC 6749 §5.1), or a `KMS_CREDENTIALS_MISSING`
 * error naming the service, the status and the response's `error` (§5.2; never the body, which
 * may echo credentials).
 *
 * @param res the token endpoint's answer
 * @param service with its article: "an Azure", "a GCP"
 * @throws {KeyError} `KMS_CREDENTIALS_MISSING` for a status other than 200,
 *   `KMS_REQUEST_FAILED` without an access token
 */
export function oauthAccessToken(res: KmsResponse, service: string): string {
  if (res.status !== 200) {
    throw new KeyError(
      "KMS_CREDENTIALS_MISSING",
      `Cannot get ${service} access token: HTTP ${res.status} ${
        String(field(res.body, "error") ?? "")
      }`.trimEnd(),
    );
  }
  return stringField(res.body, `${service.replace(/^an? /, "")} access token`, "access_token");
}

/**
 * Runs `get` once and shares its promise, but forgets a failure so that the next caller tries
 * again (a token request that failed on a network error is not cached for the whole run).
 */
export function onceUnlessFailed<T>(get: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      pending = get();
      pending.catch(() => (pending = undefined));
    }
    return pending;
  };
}

/** A string field of a JSON object, or undefined. */
export function field(o: unknown, ...path: string[]): unknown {
  let v = o;
  for (const p of path) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

/** A required string field. */
export function stringField(o: unknown, what: string, ...path: string[]): string {
  const v = field(o, ...path);
  if (typeof v !== "string") {
    throw new KeyError("KMS_REQUEST_FAILED", `Cannot read ${what}: ${path.join(".")} missing`);
  }
  return v;
}

/** Reads a file for a credential, with `deps.readFile` or `Deno.readFile`. */
export async function readCredentialFile(deps: KmsDeps, path: string): Promise<string | undefined> {
  try {
    const bytes = await (deps.readFile ?? ((p) => Deno.readFile(p)))(path);
    if (bytes.length > MAX_KMS_RESPONSE) {
      throw new RangeError(`Cannot read ${path}: larger than 1 MiB`);
    }
    return new TextDecoder().decode(bytes);
  } catch (e) {
    if (e instanceof RangeError) throw e;
    return undefined;
  }
}
