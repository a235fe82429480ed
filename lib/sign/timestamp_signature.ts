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
   * `Host` header stays the URL's; only the TLS server name (SNI and verification) changes. With
   * it, `caCerts` replace the system roots (as Go's `RootCAs`); without it they are added.
   */
  serverName?: string;
}

/**
 * The client (or fetch) for one request with these TLS settings. Deno's `fetch` verifies the
 * authority's certificate against the URL's host and cannot be told another name, so with a
 * server name the request goes through `node:https` (`servername`, which both sends SNI and is
 * the name the certificate is checked against, with the CA and client certificate of the flags).
 */
function tlsRequest(
  url: string | URL,
  tls: TimestampTlsOptions,
  http: HttpOptions | undefined,
): { client?: Deno.HttpClient; http: HttpOptions } {
  if (!!tls.clientCert !== !!tls.clientKey) {
    throw new TypeError('"clientCert" and "clientKey" must be given together');
  }
  if (tls.serverName && new URL(url).protocol === "https:") {
    return { http: { ...http, fetch: serverNameFetch(tls) } };
  }
  const opts: Deno.CreateHttpClientOptions & Partial<Deno.TlsCertifiedKeyPem> = {};
  if (tls.caCerts?.length) opts.caCerts = tls.caCerts;
  if (tls.clientCert) {
    opts.cert = tls.clientCert;
    opts.key = tls.clientKey;
  }
  const client = Deno.createHttpClient(opts as Deno.CreateHttpClientOptions);
  return { client, http: { ...http, client } };
}

/**
 * A `fetch` over `node:https` that checks the server's certificate for `tls.serverName` (Go's
 * `tls.Config.ServerName`) instead of the URL's host; the connection still goes to the URL's host
 * and port, with its `Host` header. Only what lib/http sends is supported: a method, headers, a
 * byte body and a signal.
 */
function serverNameFetch(tls: TimestampTlsOptions): typeof fetch {
  return async (input, init) => {
    // Loaded only for this rare case: node:https is not cheap to load.
    const nodeHttps = await import("node:https");
    return await new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((v, k) => headers[k] = v);
      const body = init?.body;
      if (body !== undefined && body !== null && !(body instanceof Uint8Array)) {
        reject(new TypeError("Cannot send request: only byte bodies are supported"));
        return;
      }
      const req = nodeHttps.request({
        host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: url.port || 443,
        path: url.pathname + url.search,
        method: init?.method ?? "GET",
        headers,
        servername: tls.serverName,
        // Like Go's RootCAs: the given CAs instead of the system roots.
        ca: tls.caCerts?.length ? tls.caCerts : undefined,
        cert: tls.clientCert,
        key: tls.clientKey,
        signal: init?.signal ?? undefined,
      }, (res) => {
        const out = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
          out.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
        }
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            res.on("data", (chunk: Uint8Array) => controller.enqueue(new Uint8Array(chunk)));
            res.on("end", () => controller.close());
            res.on("error", (e: Error) => controller.error(e));
          },
          cancel() {
            res.destroy();
          },
        });
        resolve(new Response(stream, { status: res.statusCode ?? 500, headers: out }));
      });
      req.on("error", reject);
      req.end(body ? body : undefined);
    });
  };
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
      : { http: options.http, client: undefined };
    let got;
    try {
      // Loaded when a timestamp is asked for: the CMS and X.509 code is not needed otherwise.
      const { requestTimestamp } = await import("../timestamp/request_timestamp.ts");
      got = await requestTimestamp({ url: options.url, signature, http: req.http });
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
