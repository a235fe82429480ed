/**
 * Getting an RFC 3161 timestamp for a signature from a timestamp authority, as cosign's
 * `--timestamp-server-url` does (internal/pkg/cosign/tsa/client/client.go): POST the DER request
 * with `Content-Type: application/timestamp-query`, accept 200 or 201, and keep the response
 * bytes as they came (that is what cosign stores).
 *
 * @module
 */
import { IoError, VerificationError } from "../errors.ts";
import { describeUrl, type HttpOptions, httpRequest, readBodyBounded } from "../http.ts";
import { parseCertificate } from "../x509/certificate.ts";
import { bytesEqual, checkContent, checkSignature, findSigner, notGranted } from "./_cms.ts";
import { createTimestampRequest, type TimestampRequest } from "./create_timestamp_request.ts";
import { parseTimestampResponse, PKI_STATUS } from "./parse_timestamp_response.ts";
import {
  MAX_TIMESTAMP_BYTES,
  type StrongHash,
  type TimestampToken,
  type TstInfo,
} from "./parse_timestamp_token.ts";

/** What to timestamp, where. */
export interface RequestTimestampOptions {
  /** The TSA endpoint, e.g. `https://timestamp.sigstore.dev/api/v1/timestamp`. */
  url: string | URL;
  /** The bytes to timestamp: cosign sends the raw signature. */
  signature: Uint8Array;
  /** The `fetch` to use (tests inject one). */
  fetch?: typeof fetch;
  /** Aborts the request. */
  signal?: AbortSignal;
  /** Client options (TLS client, retries, idle timeout — default 10 s as cosign's client —, user agent). */
  http?: HttpOptions;
  /** The imprint hash (default SHA-256, as cosign). */
  hash?: StrongHash;
  /** A TSA policy to request (dotted OID); the answer must carry it. */
  policy?: string;
  /** The request nonce (default: fresh random bits; a fixed one is for tests). */
  nonce?: bigint;
  /** Most response bytes accepted (default {@link MAX_TIMESTAMP_BYTES}). */
  maxBytes?: number;
}

/** A timestamp fresh from the authority. */
export interface RequestedTimestamp {
  /** The DER TimeStampResp exactly as received: what cosign stores and bundles carry. */
  response: Uint8Array;
  /** The time the authority stated, milliseconds since the epoch (not yet trusted). */
  genTime: number;
  /** What the token says. */
  tstInfo: TstInfo;
  /** The whole token. */
  token: TimestampToken;
  /** The request that was sent. */
  request: TimestampRequest;
}

function invalid(code: ConstructorParameters<typeof VerificationError>[0], detail: string) {
  return new VerificationError(code, `Cannot get timestamp: ${detail}`);
}

/**
 * Requests a timestamp for `signature` and checks the answer: HTTP 200/201, a bounded body, a
 * granted TimeStampResp with a TSTInfo token, the imprint and nonce of the request, the policy when
 * one was requested, and — when the TSA embedded its certificate, as cosign asks it to — the CMS
 * signature with that certificate (Go's `timestamp.ParseResponse` does the same). Whether the TSA
 * is trusted is for {@link verifyTimestamp} to say.
 *
 * Retries follow lib/http.ts (408/429/5xx and connection failures): a repeated request only makes
 * the authority issue another token, so the POST is safe to retry.
 *
 * @param opts the endpoint, signature and client options
 * @returns the raw response and what it says
 * @throws {IoError} `NETWORK` when the authority cannot be reached; `TIMESTAMP_REQUEST_FAILED` for
 *   an HTTP status other than 200/201; `TOO_LARGE` for a response over `maxBytes`
 * @throws {VerificationError} `TIMESTAMP_INVALID` (not a TimeStampResp with a TSTInfo token),
 *   `TIMESTAMP_NOT_GRANTED`, `TIMESTAMP_IMPRINT_MISMATCH`, `TIMESTAMP_NONCE_MISMATCH`,
 *   `TIMESTAMP_POLICY_MISMATCH`, `TIMESTAMP_CONTENT_DIGEST_MISMATCH`,
 *   `TIMESTAMP_SIGNER_NOT_FOUND`, `TIMESTAMP_SIGNATURE_INVALID`, `TIMESTAMP_HASH_UNSUPPORTED`
 * @example
 * ```ts
 * const { response } = await requestTimestamp({
 *   url: "https://timestamp.sigstore.dev/api/v1/timestamp",
 *   signature: rawSignature,
 * });
 * ```
 */
export async function requestTimestamp(opts: RequestTimestampOptions): Promise<RequestedTimestamp> {
  const request = createTimestampRequest({
    signature: opts.signature,
    hash: opts.hash,
    policy: opts.policy,
    nonce: opts.nonce,
  });
  const http: HttpOptions = {
    timeoutMs: 10_000,
    ...opts.http,
    fetch: opts.fetch ?? opts.http?.fetch,
    signal: opts.signal ?? opts.http?.signal,
  };
  const res = await httpRequest({
    url: opts.url,
    method: "POST",
    headers: { "content-type": "application/timestamp-query" },
    body: request.der,
    retry: true,
  }, http);
  if (res.status !== 200 && res.status !== 201) {
    await res.body?.cancel().catch(() => {});
    throw new IoError(
      "TIMESTAMP_REQUEST_FAILED",
      `Cannot get timestamp from ${describeUrl(opts.url)}: ` +
        `request to timestamp authority failed with status code ${res.status}`,
    );
  }
  const limit = opts.maxBytes ?? MAX_TIMESTAMP_BYTES;
  let body: Uint8Array;
  try {
    body = await readBodyBounded(res, limit, "timestamp response");
  } catch (e) {
    if (e instanceof RangeError) {
      throw new IoError("TOO_LARGE", `Cannot get timestamp: response larger than ${limit} bytes`, {
        cause: e,
      });
    }
    throw e;
  }
  let resp;
  try {
    resp = parseTimestampResponse(body);
  } catch (e) {
    throw new VerificationError(
      "TIMESTAMP_INVALID",
      `Cannot get timestamp: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  if (resp.status !== PKI_STATUS.granted) throw notGranted(resp);
  const token = resp.token;
  if (!token) throw invalid("TIMESTAMP_INVALID", "no token in the timestamp response");
  const info = token.tstInfo;
  checkContent(token);
  if (info.hash !== request.hash || !bytesEqual(info.hashedMessage, request.hashedMessage)) {
    throw invalid("TIMESTAMP_IMPRINT_MISMATCH", "the response is for another message imprint");
  }
  if (info.nonce === undefined) {
    throw invalid("TIMESTAMP_NONCE_MISMATCH", "expected a nonce but the response has none");
  }
  if (info.nonce !== request.nonce) {
    throw invalid("TIMESTAMP_NONCE_MISMATCH", "the response's nonce differs from the request's");
  }
  if (opts.policy !== undefined && info.policy !== opts.policy) {
    throw invalid("TIMESTAMP_POLICY_MISMATCH", `policy ${info.policy} is not ${opts.policy}`);
  }
  if (token.certificates.length > 0) {
    const signer = findSigner(token, token.certificates.map(parseCertificate));
    if (!signer) throw invalid("TIMESTAMP_SIGNER_NOT_FOUND", "no certificate for the signer");
    await checkSignature(token, signer);
  }
  return { response: body, genTime: info.genTime, tstInfo: info, token, request };
}
