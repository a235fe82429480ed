/**
 * Sigstore trusted roots (protobuf-specs `dev.sigstore.trustroot.v1.TrustedRoot`, media type
 * `application/vnd.dev.sigstore.trustedroot+json;version=0.1`), read the way sigstore-go's
 * pkg/root/trusted_root.go does: transparency logs and CT logs (`ParseTransparencyLogs`),
 * certificate authorities and timestamp authorities (`ParseCertificateAuthority`: every
 * certificate parsed, the chain non-empty). Times are protobuf JSON timestamps (RFC 3339 with 0-9
 * fractional digits).
 *
 * @module
 */
import { decodeProtojsonBytes } from "../base64.ts";
import { sha256 } from "../digest.ts";
import { VerificationError } from "../errors.ts";
import { encodePem } from "../keys/pem.ts";
import { parsePublicKeyDer, parsePublicKeyPem, type PublicKey } from "../keys/public_key.ts";
import { type Certificate, parseCertificate } from "../x509/certificate.ts";
import type { TimestampAuthority } from "../timestamp/verify_timestamp.ts";
import type { CtLogKey } from "../x509/sct.ts";

/** The only trusted root media type sigstore-go accepts. */
export const TRUSTED_ROOT_MEDIA_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
/** Most bytes of a trusted root file. */
export const MAX_TRUSTED_ROOT_BYTES = 4 * 1024 * 1024;

/** A transparency log instance of the trusted root. */
export interface TrustedLog {
  baseUrl: string;
  /** The log's key ID as the root states it (`logId.keyId`). */
  keyId: Uint8Array;
  publicKey: PublicKey;
  /** protobuf-specs PublicKeyDetails name, e.g. `PKIX_ECDSA_P256_SHA_256`, `PKIX_ED25519`. */
  keyDetails: string;
  /** Validity of the key, milliseconds since the epoch (`end` absent when open). */
  validFor: { start: number; end?: number };
}

/**
 * A certificate authority of the trusted root (Fulcio, or a timestamp authority). It fits
 * lib/x509's `CertificateAuthorityLike`.
 */
export interface TrustedCertificateAuthority {
  /** The authority's URL, "" when the root gives none. */
  uri: string;
  /** The distinguished name fields the root states (informational). */
  subject: { organization?: string; commonName?: string };
  /** The certificates in the root's order: leaf-most first, the root certificate last. */
  certChain: Certificate[];
  /** When it may issue, milliseconds since the epoch; absent bounds are open. */
  validFor: { start?: number; end?: number };
}

/** A parsed trusted root. */
export interface TrustedRoot {
  mediaType: string;
  tlogs: TrustedLog[];
  /** Certificate transparency logs (their `keyId` is the RFC 6962 log ID); see {@link ctLogKeys}. */
  ctlogs: TrustedLog[];
  /** Fulcio certificate authorities, for keyless certificate chains. */
  certificateAuthorities: TrustedCertificateAuthority[];
  /**
   * RFC 3161 timestamp authorities. sigstore-go takes the first certificate as the TSA's signing
   * certificate when it is not a CA, the last as the root and the rest as intermediates.
   */
  timestampAuthorities: TrustedCertificateAuthority[];
}

function invalid(detail: string): TypeError {
  return new TypeError(`Cannot read trusted root: ${detail}`);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function b64(v: unknown, what: string): Uint8Array {
  try {
    if (typeof v === "string") return decodeProtojsonBytes(v);
  } catch { /* reported below */ }
  throw invalid(`${what} is not base64`);
}

// protobuf JSON google.protobuf.Timestamp: RFC 3339, 'T' and 'Z' upper case, 0-9 fractional
// digits (protojson refuses more), any offset.
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses a protobuf JSON timestamp.
 *
 * @returns milliseconds since the epoch (digits below a millisecond are dropped)
 * @throws {TypeError} "Cannot read trusted root: <what> is not an RFC 3339 time"
 */
function time(v: unknown, what: string): number {
  const m = typeof v === "string" ? RFC3339.exec(v) : null;
  if (!m) throw invalid(`${what} is not an RFC 3339 time`);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, Number((m[7] ?? "").padEnd(3, "0").slice(0, 3)));
  if (
    d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day ||
    d.getUTCHours() !== hour || d.getUTCMinutes() !== minute || year < 1
  ) {
    throw invalid(`${what} is not an RFC 3339 time`);
  }
  let offset = 0;
  if (m[8]) {
    const [hh, mm] = [Number(m[9]), Number(m[10])];
    if (hh > 23 || mm > 59) throw invalid(`${what} is not an RFC 3339 time`);
    offset = (m[8] === "-" ? -1 : 1) * (hh * 60 + mm) * 60_000;
  }
  return d.getTime() - offset;
}

const KEY_DETAILS = new Set([
  "PKIX_ECDSA_P256_SHA_256",
  "PKIX_ECDSA_P384_SHA_384",
  "PKIX_ECDSA_P521_SHA_512",
  "PKIX_RSA_PKCS1V15_2048_SHA256",
  "PKIX_RSA_PKCS1V15_3072_SHA256",
  "PKIX_RSA_PKCS1V15_4096_SHA256",
  "PKIX_ED25519",
  // Deprecated, still used by the staging Rekor v1 log (sigstore-go accepts it).
  "PKCS1_RSA_PKCS1V5",
]);

function parseLog(v: unknown, i: number, what: string): TrustedLog {
  if (!isObj(v)) throw invalid(`${what}[${i}] is not an object`);
  const alg = v.hashAlgorithm ?? v.hash_algorithm;
  if (alg !== "SHA2_256" && alg !== 1) {
    throw invalid(`unsupported tlog hash algorithm: ${String(alg)}`);
  }
  const logId = v.logId ?? v.log_id;
  if (!isObj(logId) || (logId.keyId ?? logId.key_id) === undefined) {
    throw invalid("tlog missing log ID key ID");
  }
  const pk = v.publicKey ?? v.public_key;
  if (!isObj(pk) || (pk.rawBytes ?? pk.raw_bytes) === undefined) {
    throw invalid("tlog missing public key raw bytes");
  }
  const details = String(pk.keyDetails ?? pk.key_details ?? "");
  if (!KEY_DETAILS.has(details)) throw invalid(`unsupported tlog public key type: ${details}`);
  let publicKey: PublicKey;
  try {
    const der = b64(pk.rawBytes ?? pk.raw_bytes, "publicKey.rawBytes");
    publicKey = details === "PKCS1_RSA_PKCS1V5"
      ? parsePublicKeyPem(new TextEncoder().encode(encodePem("RSA PUBLIC KEY", der)))
      : parsePublicKeyDer(der);
  } catch (e) {
    throw invalid(
      `failed to parse public key for tlog: ${String(v.baseUrl)} ${(e as Error).message}`,
    );
  }
  const expected = details.startsWith("PKIX_ECDSA")
    ? "ecdsa"
    : /RSA/.test(details)
    ? "rsa"
    : "ed25519";
  if (publicKey.kind !== expected) throw invalid(`tlog public key is not ${details}`);
  const validFor = pk.validFor ?? pk.valid_for;
  if (!isObj(validFor)) throw invalid("tlog missing public key validity period");
  if (validFor.start === undefined) {
    throw invalid("tlog missing public key validity period start time");
  }
  const out: TrustedLog = {
    baseUrl: typeof (v.baseUrl ?? v.base_url) === "string" ? String(v.baseUrl ?? v.base_url) : "",
    keyId: b64(logId.keyId ?? logId.key_id, "logId.keyId"),
    publicKey,
    keyDetails: details,
    validFor: { start: time(validFor.start, "validFor.start") },
  };
  if (validFor.end !== undefined) out.validFor.end = time(validFor.end, "validFor.end");
  return out;
}

/** Most certificates of one authority's chain. */
const MAX_CHAIN = 10;

/** sigstore-go `ParseCertificateAuthority` (also used for timestamp authorities). */
function parseAuthority(v: unknown, i: number, what: string): TrustedCertificateAuthority {
  if (!isObj(v)) throw invalid(`${what}[${i}] is not an object`);
  const uri = typeof v.uri === "string" ? v.uri : "";
  const chain = v.certChain ?? v.cert_chain;
  if (!isObj(chain)) throw invalid("CertificateAuthority missing cert chain");
  const certs = chain.certificates ?? [];
  if (!Array.isArray(certs) || certs.length === 0) {
    throw invalid("CertificateAuthority cert chain is empty");
  }
  if (certs.length > MAX_CHAIN) {
    throw invalid(`CertificateAuthority cert chain longer than ${MAX_CHAIN}`);
  }
  const certChain = certs.map((c) => {
    try {
      if (!isObj(c)) throw new SyntaxError("not an object");
      return parseCertificate(b64(c.rawBytes ?? c.raw_bytes, "rawBytes"));
    } catch (e) {
      throw invalid(`failed to parse certificate for ${uri} ${(e as Error).message}`);
    }
  });
  const subject: TrustedCertificateAuthority["subject"] = {};
  if (isObj(v.subject)) {
    if (typeof v.subject.organization === "string") subject.organization = v.subject.organization;
    const cn = v.subject.commonName ?? v.subject.common_name;
    if (typeof cn === "string") subject.commonName = cn;
  }
  const out: TrustedCertificateAuthority = { uri, subject, certChain, validFor: {} };
  const validFor = v.validFor ?? v.valid_for;
  if (isObj(validFor)) {
    if (validFor.start !== undefined) out.validFor.start = time(validFor.start, "validFor.start");
    if (validFor.end !== undefined) out.validFor.end = time(validFor.end, "validFor.end");
  }
  return out;
}

function list(v: Obj, name: string): unknown[] {
  const x = v[name] ?? v[name.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase())];
  if (x === undefined || x === null) return [];
  if (!Array.isArray(x) || x.length > 256) throw invalid(`${name} is not a list`);
  return x;
}

/**
 * Parses a `trusted_root.json`.
 *
 * @param input the file's bytes
 * @returns the trusted root
 * @throws {SyntaxError} when it is not JSON
 * @throws {TypeError} for another media type, a malformed or unsupported log or CT log, or a
 *   certificate authority whose chain is missing, empty or holds a certificate that does not parse
 */
export function parseTrustedRoot(input: Uint8Array): TrustedRoot {
  if (input.length > MAX_TRUSTED_ROOT_BYTES) throw invalid("larger than 4 MiB");
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(input));
  } catch (e) {
    throw new SyntaxError(`Cannot read trusted root: not JSON: ${(e as Error).message}`);
  }
  if (!isObj(v)) throw invalid("not a JSON object");
  const mediaType = v.mediaType ?? v.media_type;
  if (mediaType !== TRUSTED_ROOT_MEDIA_TYPE) {
    throw invalid(`unsupported TrustedRoot media type: ${String(mediaType ?? "")}`);
  }
  return {
    mediaType,
    tlogs: list(v, "tlogs").map((t, i) => parseLog(t, i, "tlogs")),
    certificateAuthorities: list(v, "certificateAuthorities").map((c, i) =>
      parseAuthority(c, i, "certificateAuthorities")
    ),
    timestampAuthorities: list(v, "timestampAuthorities").map((c, i) =>
      parseAuthority(c, i, "timestampAuthorities")
    ),
    ctlogs: list(v, "ctlogs").map((t, i) => parseLog(t, i, "ctlogs")),
  };
}

/**
 * The host name of a log's base URL: the origin (and key name) of a Rekor v2 checkpoint.
 *
 * @returns the host, or "" when the URL cannot be parsed
 */
export function logOrigin(baseUrl: string): string {
  try {
    return new URL(baseUrl).hostname;
  } catch {
    return "";
  }
}

/**
 * The log ID of a log key. Rekor v1 (and every ECDSA log): SHA-256 of the SPKI DER. Rekor v2
 * Ed25519 logs: the C2SP signed-note key ID, SHA-256(origin ‖ "\n" ‖ 0x01 ‖ raw key)
 * (rekor-tiles pkg/note KeyHash; RSA keys use the 0xff ‖ "PKIX-RSA-PKCS#1v1.5" ‖ SPKI form).
 *
 * @param key the log key
 * @param origin the checkpoint origin (the base URL's host), for non-ECDSA keys
 * @returns 32 bytes; the first 4 are the checkpoint key hint
 */
export function logKeyId(key: PublicKey, origin: string): Uint8Array {
  const enc = new TextEncoder();
  if (key.kind === "ed25519") {
    return sha256(
      enc.encode(origin + "\n"),
      Uint8Array.of(1),
      key.spki.subarray(key.spki.length - 32),
    );
  }
  if (key.kind === "rsa" && origin !== "") {
    return sha256(
      enc.encode(origin + "\n"),
      Uint8Array.of(0xff),
      enc.encode("PKIX-RSA-PKCS#1v1.5"),
      key.spki,
    );
  }
  return sha256(key.spki);
}

/**
 * The log of the trusted root whose `logId.keyId` is `keyId` (sigstore-go RekorLogs lookup).
 *
 * @returns the log, or undefined when the root has none with that ID
 */
export function findLog(logs: readonly TrustedLog[], keyId: Uint8Array): TrustedLog | undefined {
  return logs.find((l) =>
    l.keyId.length === keyId.length && l.keyId.every((b, i) => b === keyId[i])
  );
}

/**
 * The log key for entries of cosign's old bundles (and online lookups) when a trusted root is
 * given, as cosign's VerifyBundle with TrustedMaterial does (sigstore-go tlog.VerifySET): the
 * root's log whose key ID is the entry's log ID, valid at the entry's integrated time.
 *
 * @param root the trusted root
 * @returns a selector for lib/rekor's verifiers
 */
export function rekorLogKeySelector(
  root: TrustedRoot,
): (entry: { logID: string; integratedTime: number }) => PublicKey {
  const fail = (code: "TLOG_LOG_KEY_UNKNOWN" | "TLOG_TIME_INVALID", detail: string) =>
    new VerificationError(code, `Cannot verify transparency log entry: ${detail}`);
  return (entry) => {
    const id = /^([0-9a-fA-F]{2})+$/.test(entry.logID)
      ? Uint8Array.fromHex(entry.logID.toLowerCase())
      : undefined;
    const log = id && findLog(root.tlogs, id);
    if (!log) {
      throw fail(
        "TLOG_LOG_KEY_UNKNOWN",
        `rekor log public key not found for payload (no log with ID ${entry.logID} in the trusted root)`,
      );
    }
    const t = entry.integratedTime * 1000;
    if (t < log.validFor.start || (log.validFor.end !== undefined && t > log.validFor.end)) {
      throw fail("TLOG_TIME_INVALID", "rekor log public key not valid at payload integrated time");
    }
    return log.publicKey;
  };
}

/**
 * The trusted root's CT logs as lib/x509's SCT verifier takes them (sigstore-go keys CT logs by
 * the root's `logId.keyId`, the RFC 6962 log ID).
 *
 * @param root the trusted root
 * @returns one key per CT log
 */
export function ctLogKeys(root: TrustedRoot): CtLogKey[] {
  return root.ctlogs.map((l) => ({ logId: l.keyId, publicKey: l.publicKey, validFor: l.validFor }));
}

/**
 * The trusted root's timestamp authorities as lib/timestamp verifies them (sigstore-go
 * `ParseTimestampingAuthority`: the chain in the root's order; an open start is the zero time).
 *
 * @param root the trusted root
 * @returns one authority per `timestampAuthorities` entry
 */
export function timestampAuthorities(root: TrustedRoot): TimestampAuthority[] {
  return root.timestampAuthorities.map((a) => ({
    certChain: a.certChain.map((c) => c.der),
    validFor: {
      start: a.validFor.start ?? Number.NEGATIVE_INFINITY,
      ...(a.validFor.end !== undefined ? { end: a.validFor.end } : {}),
    },
    ...(a.uri ? { uri: a.uri } : {}),
  }));
}
