/**
 * RFC 3161 timestamps while signing, as cosign v2.6.4's `--timestamp-server-url` does
 * (internal/pkg/cosign/tsa/signer.go `GetTimestampedSignature`, client/client.go): a SHA-256
 * imprint of the signature bytes with a random nonce and certReq, POSTed to the authority; the
 * whole DER TimeStampResp is what gets stored.
 *
 * What cosign timestamps (and where it stores the answer):
 *
 * - `sign-blob`, `sign` (old format): the raw signature → `--rfc3161-timestamp` file,
 *   the signature layer's `dev.sigstore.cosign/rfc3161timestamp` annotation, or the bundle;
 * - `attest-blob`, `attest` (old format): the whole DSSE envelope JSON (cosign's historical
 *   choice) → `--rfc3161-timestamp-bundle` file or the attestation layer's annotation;
 * - every Sigstore bundle v0.3 with a DSSE envelope (`--new-bundle-format`): the envelope's first
 *   signature, decoded (cosign `GetDSSESigBytes`), since that is what bundle verifiers check.
 *
 * Unlike cosign, which only checks that the answer parses, the answer is checked against the
 * request (lib/timestamp requestTimestamp: granted, imprint, nonce, the embedded signer's CMS
 * signature) before anything is written: an answer for another message is refused.
 *
 * @module
 */
import type { HttpOptions } from "../http.ts";
import { parseEnvelope } from "../payload/dsse.ts";
import { requestTimestamp } from "../timestamp/request_timestamp.ts";
import { marshalRfc3161Timestamp } from "../timestamp/rfc3161_timestamp.ts";
import type { SignatureWitness } from "./sign_image.ts";

/**
 * Gets a timestamp over some bytes (normally a signature).
 *
 * @param signature the bytes to timestamp
 * @returns the DER TimeStampResp, as the authority sent it, already checked against the request
 */
export type Timestamper = (signature: Uint8Array) => Promise<Uint8Array>;

/** Where and how to ask for timestamps. */
export interface TimestamperOptions {
  /** The authority's RFC 3161 endpoint (`--timestamp-server-url`), e.g. `…/api/v1/timestamp`. */
  url: string | URL;
  /**
   * Client options: a TLS client for `--timestamp-client-*` (lib/http createTlsClient), the
   * `fetch`, the abort signal. The idle timeout defaults to cosign's 10 s.
   */
  http?: HttpOptions;
  /**
   * TLS to the authority (`--timestamp-client-cacert`, `-cert`, `-key`, `--timestamp-server-name`):
   * a client made for each request and closed after it.
   */
  tls?: TimestampTlsOptions;
  /** Told the authority's time of each timestamp (cosign prints "Timestamp fetched with time: …"). */
  onTimestamp?: (genTime: Date) => void | Promise<void>;
}

/** TLS settings for the connection to the authority (cosign client.go getHTTPTransport). */
export interface TimestampTlsOptions {
  /** CA certificates (PEM) trusted for the authority's certificate, besides the system roots. */
  caCerts?: string[];
  /** Client certificate chain (PEM) for mutual TLS; needs `clientKey`. */
  clientCert?: string;
  /** Client private key (PEM). */
  clientKey?: string;
  /**
   * The name the authority's certificate must carry, when it differs from the URL's host (Go's
   * `tls.Config.ServerName`). The connection still goes to the URL's host and port, and the
   * `Host` header stays the URL's; only the TLS server name (SNI and verification) changes.
   */
  serverName?: string;
}

/**
 * The URL, client and fetch for one request with these TLS settings. For a server name, Deno's
 * client gets a `tcp` transport to the URL's host and port while the request URL names the server
 * name (so rustls sends and verifies it), with the URL's original `Host` header.
 */
function tlsRequest(
  url: string | URL,
  tls: TimestampTlsOptions,
  http: HttpOptions | undefined,
): { url: string | URL; client: Deno.HttpClient; http: HttpOptions } {
  if (!!tls.clientCert !== !!tls.clientKey) {
    throw new TypeError('"clientCert" and "clientKey" must be given together');
  }
  const opts: Deno.CreateHttpClientOptions & Partial<Deno.TlsCertifiedKeyPem> = {};
  if (tls.caCerts?.length) opts.caCerts = tls.caCerts;
  if (tls.clientCert) {
    opts.cert = tls.clientCert;
    opts.key = tls.clientKey;
  }
  const u = new URL(url);
  if (!tls.serverName || u.protocol !== "https:") {
    const client = Deno.createHttpClient(opts as Deno.CreateHttpClientOptions);
    return { url, client, http: { ...http, client } };
  }
  const host = u.host;
  opts.proxy = {
    transport: "tcp",
    hostname: u.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: Number(u.port || 443),
  };
  opts.allowHost = true;
  const client = Deno.createHttpClient(opts as Deno.CreateHttpClientOptions);
  const target = new URL(u);
  target.hostname = tls.serverName;
  const inner = http?.fetch ?? fetch;
  const withHost: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set("host", host);
    return inner(input, { ...init, headers });
  };
  return { url: target, client, http: { ...http, client, fetch: withHost } };
}

/**
 * A {@link Timestamper} asking one authority.
 *
 * @param options the authority and client options
 * @returns the timestamper; it throws {TypeError} for a client certificate without key (or
 *   Deno's error for unreadable PEM), {IoError} `NETWORK`, `TIMESTAMP_REQUEST_FAILED`,
 *   `TOO_LARGE`, and {VerificationError} `TIMESTAMP_*` when the answer is not a granted timestamp
 *   of these bytes with this request's nonce (see lib/timestamp requestTimestamp)
 * @example
 * ```ts
 * const stamp = tsaTimestamper({ url: "https://timestamp.sigstore.dev/api/v1/timestamp" });
 * const response = await stamp(signature);
 * ```
 */
export function tsaTimestamper(options: TimestamperOptions): Timestamper {
  return async (signature) => {
    const req = options.tls
      ? tlsRequest(options.url, options.tls, options.http)
      : { url: options.url, http: options.http, client: undefined };
    let got;
    try {
      got = await requestTimestamp({ url: req.url, signature, http: req.http });
    } finally {
      req.client?.close();
    }
    await options.onTimestamp?.(new Date(got.genTime));
    return got.response;
  };
}

/**
 * The signature of a DSSE envelope that cosign timestamps for Sigstore bundles
 * (pkg/cosign/tsa.go `GetDSSESigBytes`): the first signature, base64-decoded.
 *
 * @param envelope the envelope JSON
 * @returns the raw signature bytes
 * @throws {SyntaxError} "Cannot timestamp DSSE envelope: envelope has no signatures", or for JSON
 *   or base64 that does not parse
 */
export function dsseSignatureBytes(envelope: Uint8Array): Uint8Array {
  let env;
  try {
    env = parseEnvelope(envelope);
  } catch (e) {
    throw new SyntaxError(`Cannot timestamp DSSE envelope: ${(e as Error).message}`, { cause: e });
  }
  if (env.signatures.length === 0) {
    throw new SyntaxError("Cannot timestamp DSSE envelope: envelope has no signatures");
  }
  const sig = env.signatures[0].sig;
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(sig)) {
    throw new SyntaxError("Cannot timestamp DSSE envelope: the signature is not base64");
  }
  return Uint8Array.fromBase64(sig);
}

/**
 * A signImage witness that timestamps each raw signature and returns cosign's
 * `dev.sigstore.cosign/rfc3161timestamp` annotation value (cosign tsa.NewSigner).
 *
 * @param timestamper asks the authority
 * @returns the witness
 */
export function timestampWitness(timestamper: Timestamper): SignatureWitness {
  return async ({ signature }) => ({
    rfc3161Timestamp: marshalRfc3161Timestamp(await timestamper(signature)),
  });
}

/**
 * Runs witnesses one after the other and merges what they add, as cosign nests its signers: the
 * timestamp (inner) is fetched before the log upload (outer), so a refused timestamp leaves no
 * log entry behind.
 *
 * @param witnesses the witnesses, in order; undefined ones are skipped
 * @returns one witness, or undefined when none is given
 */
export function chainWitnesses(
  ...witnesses: (SignatureWitness | undefined)[]
): SignatureWitness | undefined {
  const list = witnesses.filter((w): w is SignatureWitness => w !== undefined);
  if (list.length === 0) return undefined;
  if (list.length === 1) return list[0];
  return async (signed) => {
    let out = {};
    for (const w of list) out = { ...out, ...await w(signed) };
    return out;
  };
}
