/**
 * A client of the Fulcio certificate authority: a short-lived code-signing certificate for a
 * public key, in exchange for an OIDC identity token and a proof of possession of the key.
 *
 * Two wire forms, both served by Fulcio v1.8:
 * - `v1` — `POST /api/v1/signingCert`, what cosign v2.6.4 sends by default (fulcio pkg/api
 *   `LegacyClient`): `{"publicKey":{"content":<base64 PEM>},"signedEmailAddress":<base64
 *   signature>,"certificateSigningRequest":null}` with the token as a Bearer header, answered 201
 *   with the PEM chain (leaf first) and a detached SCT, if any, base64 in the `SCT` header;
 * - `v2` — `POST /api/v2/signingCert` (fulcio.proto `CreateSigningCertificate`, protobuf JSON
 *   names), what sigstore-go (cosign with a signing config) sends: `publicKeyRequest.publicKey`
 *   (`algorithm`, PEM `content`) and `proofOfPossession`, or a PEM `certificateSigningRequest`,
 *   answered 200 with `signedCertificateEmbeddedSct` or `signedCertificateDetachedSct` (`chain`,
 *   `signedCertificateTimestamp`).
 *
 * The certificate returned must certify the key that asked: one for another key is refused.
 * Verifying the SCT is the caller's job (it needs the CT logs' keys).
 *
 * @module
 */
import { derChildren, derOid, parseDer, TAG } from "../asn1/der.ts";
import { SigstoreError, VerificationError } from "../errors.ts";
import { describeUrl, httpRequest, readBodyBounded } from "../http.ts";
import { decodePem, encodePem } from "../keys/pem.ts";
import { marshalPublicKeyPem, type PublicKey } from "../keys/public_key.ts";
import { certificateSpki } from "../x509/certificate.ts";
import { certificateRequestSpki } from "./certificate_request.ts";

/** The public-good Fulcio (cosign's `--fulcio-url` default). */
export const DEFAULT_FULCIO_URL = "https://fulcio.sigstore.dev";

/** The most bytes read from a Fulcio answer (a chain is a few KiB). */
export const MAX_FULCIO_RESPONSE = 256 * 1024;

/** The most certificates accepted in a chain. */
export const MAX_CHAIN_LENGTH = 10;

/** Which Fulcio API to speak. */
export type FulcioApiVersion = "v1" | "v2";

/** How the key is proven to be the caller's. */
export type ProofOfPossession =
  /** A signature over the token's subject (e-mail or `sub`) with the key. */
  | { publicKey: PublicKey; signature: Uint8Array }
  /** A PKCS#10 CSR signed by the key (DER). */
  | { csrDer: Uint8Array };

/** A certificate request. */
export interface SigningCertificateRequest {
  /** The OIDC identity token. */
  idToken: string;
  proof: ProofOfPossession;
  /** Default `v1`, as cosign v2.6.4 without a signing config. */
  api?: FulcioApiVersion;
}

/** How the certificate's SCT came. */
export type FulcioSct =
  /** In the leaf's SignedCertificateTimestampList extension (RFC 6962 §3.3). */
  | { kind: "embedded" }
  /**
   * Beside the certificate: certificate-transparency-go's `AddChainResponse` JSON
   * (`sct_version`, `id`, `timestamp`, `extensions`, `signature`), as Fulcio returns it.
   */
  | { kind: "detached"; sct: Uint8Array }
  /** None: Fulcio runs without a CT log. */
  | { kind: "none" };

/** A certificate Fulcio issued. */
export interface SigningCertificate {
  /** The leaf (DER). */
  certificateDer: Uint8Array;
  /** The rest of the chain, issuer first, root last (DER). */
  chainDer: Uint8Array[];
  /** The leaf as cosign stores it (`dev.sigstore.cosign/certificate`, bundle `cert`). */
  certificatePem: string;
  /**
   * The rest of the chain as cosign stores it (`dev.sigstore.cosign/chain`): the text after the
   * leaf's PEM block in Fulcio's v1 answer (PEM blocks joined by a newline, no final newline).
   */
  chainPem: string;
  sct: FulcioSct;
}

/** The chains Fulcio's certificates verify against (`GET /api/v2/trustBundle`). */
export interface FulcioTrustBundle {
  /** Each chain intermediate first, root last (PEM as Fulcio sent them). */
  chainsPem: string[][];
  chainsDer: Uint8Array[][];
}

/** Client-wide options. */
export interface FulcioClientOptions {
  fetch?: typeof fetch;
  /** A Deno HTTP client (custom CA). */
  client?: Deno.HttpClient;
  signal?: AbortSignal;
  /** cosign sends `cosign/<version> (<os>; <arch>)`. */
  userAgent?: string;
  /** Idle timeout (default 30 s, sigstore-go's). */
  timeoutMs?: number;
  /**
   * Retry the certificate request on 429 and 5xx, as sigstore-go does (cosign's v1 client does
   * not). Default false. Another certificate for the same key is harmless.
   */
  retry?: boolean;
}

const SCT_LIST_OID = "1.3.6.1.4.1.11129.2.4.2";

/** The `algorithm` names of fulcio.proto's `PublicKeyAlgorithm` (`RSA_PSS` means PKCS#1 v1.5). */
const ALGORITHM: Record<PublicKey["kind"], string> = {
  ecdsa: "ECDSA",
  rsa: "RSA_PSS",
  ed25519: "ED25519",
};

/** Talks to one Fulcio. */
export class FulcioClient {
  readonly url: string;
  readonly #options: FulcioClientOptions;

  /**
   * @param url the Fulcio base URL (`--fulcio-url`); a path is kept
   * @param options fetch, TLS client, signal, user agent, timeout
   * @throws {TypeError} when `url` is not an http(s) URL
   */
  constructor(url: string, options: FulcioClientOptions = {}) {
    let u: URL;
    try {
      u = new URL(url);
    } catch (e) {
      throw new TypeError(`Cannot use Fulcio URL ${url}: invalid URL`, { cause: e });
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      throw new TypeError(`Cannot use Fulcio URL ${url}: not an http(s) URL`);
    }
    this.url = url.replace(/\/+$/, "");
    this.#options = options;
  }

  /**
   * Asks for a code-signing certificate.
   *
   * @param request token, proof of possession, API version
   * @returns the leaf, its chain and SCT, in cosign's storage forms too
   * @throws {SigstoreError} `FULCIO_REQUEST_FAILED` "Cannot get signing certificate from Fulcio:
   *   POST <url> returned <status>: <Fulcio's message>" when Fulcio cannot be reached or refuses
   * @throws {SigstoreError} `FULCIO_RESPONSE_INVALID` when the answer is not what the API
   *   promises (no certificate, not PEM, too large, too many certificates)
   * @throws {VerificationError} `FULCIO_KEY_MISMATCH` "Cannot use Fulcio certificate: it
   *   certifies another public key than the one that asked" when the leaf's key is not ours
   */
  async signingCertificate(request: SigningCertificateRequest): Promise<SigningCertificate> {
    const api = request.api ?? "v1";
    const { proof } = request;
    const expectedSpki = "csrDer" in proof
      ? certificateRequestSpki(proof.csrDer)
      : proof.publicKey.spki;
    const csrPem = "csrDer" in proof ? encodePem("CERTIFICATE REQUEST", proof.csrDer) : undefined;
    const b64 = (s: string | Uint8Array) =>
      (typeof s === "string" ? new TextEncoder().encode(s) : s).toBase64();
    let body: string;
    if (api === "v1") {
      // Field order and nulls as Go's encoding/json writes fulcio pkg/api CertificateRequest.
      body = "csrDer" in proof
        ? `{"publicKey":{"content":null},"signedEmailAddress":null,"certificateSigningRequest":${
          JSON.stringify(b64(csrPem!))
        }}`
        : `{"publicKey":{"content":${
          JSON.stringify(b64(marshalPublicKeyPem(proof.publicKey)))
        }},"signedEmailAddress":${
          JSON.stringify(b64(proof.signature))
        },"certificateSigningRequest":null}`;
    } else {
      const credentials = { oidcIdentityToken: request.idToken };
      body = JSON.stringify(
        "csrDer" in proof ? { credentials, certificateSigningRequest: b64(csrPem!) } : {
          credentials,
          publicKeyRequest: {
            publicKey: {
              algorithm: ALGORITHM[proof.publicKey.kind],
              content: marshalPublicKeyPem(proof.publicKey),
            },
            proofOfPossession: b64(proof.signature),
          },
        },
      );
    }
    const url = `${this.url}/api/${api}/signingCert`;
    const res = await this.#send(url, "POST", body, request.idToken);
    const text = await this.#read(res, url);
    if (res.status !== (api === "v1" ? 201 : 200)) {
      throw new SigstoreError(
        "FULCIO_REQUEST_FAILED",
        `Cannot get signing certificate from Fulcio: POST ${
          describeUrl(url)
        } returned ${res.status} ${res.statusText}: ${fulcioMessage(text)}`,
      );
    }
    const cert = api === "v1" ? parseV1(text, res.headers.get("sct")) : parseV2(text);
    if (!equalBytes(certificateSpki(cert.certificateDer), expectedSpki)) {
      throw new VerificationError(
        "FULCIO_KEY_MISMATCH",
        "Cannot use Fulcio certificate: it certifies another public key than the one that asked",
      );
    }
    return cert;
  }

  /**
   * Fetches the chains Fulcio issues under (`GET /api/v2/trustBundle`).
   *
   * @returns each chain, intermediate first, root last
   * @throws {SigstoreError} `FULCIO_REQUEST_FAILED`, `FULCIO_RESPONSE_INVALID`
   */
  async trustBundle(): Promise<FulcioTrustBundle> {
    const url = `${this.url}/api/v2/trustBundle`;
    const res = await this.#send(url, "GET");
    const text = await this.#read(res, url);
    if (res.status !== 200) {
      throw new SigstoreError(
        "FULCIO_REQUEST_FAILED",
        `Cannot get trust bundle from Fulcio: GET ${
          describeUrl(url)
        } returned ${res.status} ${res.statusText}: ${fulcioMessage(text)}`,
      );
    }
    const doc = json(text) as { chains?: unknown };
    if (!Array.isArray(doc?.chains) || doc.chains.length > MAX_CHAIN_LENGTH) {
      throw invalid("the trust bundle has no list of chains");
    }
    const chainsPem = doc.chains.map((c) =>
      pemList((c as { certificates?: unknown })?.certificates)
    );
    return { chainsPem, chainsDer: chainsPem.map((c) => c.map(certificateDer)) };
  }

  async #send(url: string, method: string, body?: string, token?: string): Promise<Response> {
    const o = this.#options;
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    try {
      return await httpRequest(
        { url, method, headers, body, retry: method === "GET" || !!o.retry },
        {
          fetch: o.fetch,
          client: o.client,
          signal: o.signal,
          userAgent: o.userAgent,
          timeoutMs: o.timeoutMs ?? 30_000,
        },
      );
    } catch (e) {
      if (o.signal?.aborted) throw e;
      throw new SigstoreError(
        "FULCIO_REQUEST_FAILED",
        `Cannot get ${method === "GET" ? "trust bundle" : "signing certificate"} from Fulcio: ${
          (e as Error).message
        }`,
        { cause: e },
      );
    }
  }

  async #read(res: Response, url: string): Promise<string> {
    try {
      const bytes = await readBodyBounded(
        res,
        MAX_FULCIO_RESPONSE,
        `the answer of ${describeUrl(url)}`,
      );
      return new TextDecoder().decode(bytes);
    } catch (e) {
      throw new SigstoreError(
        "FULCIO_RESPONSE_INVALID",
        `Cannot read Fulcio's answer: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
  }
}

function invalid(why: string): SigstoreError {
  return new SigstoreError("FULCIO_RESPONSE_INVALID", `Cannot read Fulcio's answer: ${why}`);
}

function json(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw invalid("not JSON");
  }
}

/** Fulcio's error text: grpc-gateway's `{"code":…,"message":…}` when it is that, else the body. */
function fulcioMessage(text: string): string {
  try {
    const m = (JSON.parse(text) as { message?: unknown })?.message;
    if (typeof m === "string" && m) return m;
  } catch { /* plain text */ }
  const t = text.trim().replace(/\s+/g, " ");
  return t.length > 300 ? `${t.slice(0, 300)}…` : t || "(no message)";
}

function certificateDer(pem: string): Uint8Array {
  const block = decodePem(pem);
  if (!block || block.type !== "CERTIFICATE") {
    throw invalid("a chain entry is not a PEM certificate");
  }
  return block.bytes;
}

function pemList(list: unknown): string[] {
  if (!Array.isArray(list) || list.length === 0 || !list.every((c) => typeof c === "string")) {
    throw invalid("a chain has no list of PEM certificates");
  }
  if (list.length > MAX_CHAIN_LENGTH) throw invalid(`more than ${MAX_CHAIN_LENGTH} certificates`);
  return list as string[];
}

/** The text after the first PEM block, as Go's `pem.Decode` leaves it (its END line consumed). */
function afterFirstBlock(text: string): string {
  const end = text.indexOf("-----END ");
  if (end < 0) return "";
  const nl = text.indexOf("\n", end);
  return nl < 0 ? "" : text.slice(nl + 1);
}

function fromChainPem(pems: string[], sct: FulcioSct): SigningCertificate {
  const ders = pems.map(certificateDer);
  // The v1 body is every certificate followed by "\n", trimmed (fulcio legacy_server.go); the
  // chain cosign stores is what follows the leaf's block in it.
  const body = pems.map((p) => p + "\n").join("").trim();
  return {
    certificateDer: ders[0],
    chainDer: ders.slice(1),
    certificatePem: encodePem("CERTIFICATE", ders[0]),
    chainPem: afterFirstBlock(body),
    sct: sct.kind === "none" && hasEmbeddedSct(ders[0]) ? { kind: "embedded" } : sct,
  };
}

function parseV1(text: string, sctHeader: string | null): SigningCertificate {
  const pems: string[] = [];
  let rest = text;
  for (;;) {
    const begin = rest.indexOf("-----BEGIN ");
    if (begin < 0) break;
    const end = rest.indexOf("-----END ", begin);
    if (end < 0) throw invalid("a PEM block has no END line");
    const close = rest.indexOf("-----", end + 9);
    if (close < 0) throw invalid("a PEM block has no END line");
    pems.push(rest.slice(begin, close + 5));
    rest = rest.slice(close + 5);
    if (pems.length > MAX_CHAIN_LENGTH) throw invalid(`more than ${MAX_CHAIN_LENGTH} certificates`);
  }
  if (pems.length === 0) throw invalid("did not find a cert from Fulcio");
  let sct: FulcioSct = { kind: "none" };
  if (sctHeader) {
    try {
      sct = { kind: "detached", sct: Uint8Array.fromBase64(sctHeader.trim()) };
    } catch {
      throw invalid("the SCT header is not base64");
    }
  }
  const cert = fromChainPem(pems, sct);
  // cosign stores the answer's own text after the leaf (identical to the rebuilt one for
  // Fulcio's answers; kept as sent for any other server).
  cert.chainPem = afterFirstBlock(text);
  return cert;
}

function parseV2(text: string): SigningCertificate {
  const doc = json(text) as Record<string, unknown>;
  const embedded = doc?.signedCertificateEmbeddedSct as { chain?: { certificates?: unknown } };
  const detached = doc?.signedCertificateDetachedSct as {
    chain?: { certificates?: unknown };
    signedCertificateTimestamp?: unknown;
  };
  if (embedded && typeof embedded === "object") {
    return fromChainPem(pemList(embedded.chain?.certificates), { kind: "embedded" });
  }
  if (detached && typeof detached === "object") {
    const s = detached.signedCertificateTimestamp;
    let sct: FulcioSct = { kind: "none" };
    if (typeof s === "string" && s !== "") {
      try {
        sct = { kind: "detached", sct: Uint8Array.fromBase64(s) };
      } catch {
        throw invalid("signedCertificateTimestamp is not base64");
      }
    }
    return fromChainPem(pemList(detached.chain?.certificates), sct);
  }
  throw invalid("Fulcio returned no certificates");
}

/** Whether a certificate carries the SCT list extension (RFC 6962 §3.3). */
function hasEmbeddedSct(der: Uint8Array): boolean {
  try {
    const tbs = derChildren(
      derChildren(parseDer(der, { maxDepth: 12 }), TAG.SEQUENCE, "cert")[0],
      TAG.SEQUENCE,
      "tbs",
    );
    const exts = tbs.find((n) => n.tag === (TAG.CONTEXT | 3));
    const list = exts?.children?.[0]?.children ?? [];
    return list.some((e) => e.children?.[0] && derOid(e.children[0]) === SCT_LIST_OID);
  } catch {
    return false;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
