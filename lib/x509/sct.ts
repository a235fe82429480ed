/**
 * Signed certificate timestamps (RFC 6962): the promise of a certificate transparency log that
 * Fulcio's certificate was logged, checked as cosign v2.6.4 does.
 *
 * - Embedded SCTs (extension 1.3.6.1.4.1.11129.2.4.2: an OCTET STRING holding the TLS-encoded
 *   `SignedCertificateTimestampList`, §3.3) sign a `precert_entry`: the SHA-256 of the issuer's
 *   SubjectPublicKeyInfo and the leaf's TBSCertificate without the SCT list extension (§3.2).
 * - A detached SCT (cosign `--sct`, the JSON of a CT `add-chain` response, §4.1) signs an
 *   `x509_entry`: the whole leaf certificate.
 *
 * Two policies, as in cosign: `"sigstore-go"` (with a trusted root: sigstore-go
 * `VerifySignedCertificateTimestamp`) skips SCTs from unknown logs or outside the log key's
 * validity and needs `threshold` distinct logs verified; `"cosign"` (keys from TUF targets or
 * `SIGSTORE_CT_LOG_PUBLIC_KEY_FILE`: cosign `VerifySCT`) needs every embedded SCT from a known
 * log to verify, whatever the key's validity.
 *
 * Signatures are those certificate-transparency-go verifies: ECDSA or RSA PKCS#1 v1.5, with
 * SHA-256/384/512.
 *
 * @module
 */
import { derChildren, derOid, parseDer, TAG } from "../asn1/der.ts";
import { derEncode, derSequence } from "../asn1/der.ts";
import { sha256 } from "../digest.ts";
import { VerificationError } from "../errors.ts";
import type { PublicKey } from "../keys/public_key.ts";
import { type Certificate, EXTENSION_OID } from "./certificate.ts";
import { type SignatureScheme, verifyScheme } from "./_signature.ts";

/** A CT log's key (structurally, a trusted root `ctlogs` entry). */
export interface CtLogKey {
  /** SHA-256 of the log key's DER SubjectPublicKeyInfo (RFC 6962 §3.2); see {@link ctLogId}. */
  logId: Uint8Array;
  publicKey: PublicKey;
  /** Milliseconds since the epoch; absent bounds are open. */
  validFor?: { start?: number; end?: number };
}

/** One parsed SCT (RFC 6962 §3.2). */
export interface SignedCertificateTimestamp {
  /** 0 for v1, the only version verified. */
  version: number;
  logId: Uint8Array;
  /** Milliseconds since the epoch. */
  timestamp: number;
  extensions: Uint8Array;
  /** TLS HashAlgorithm: 4 SHA-256, 5 SHA-384, 6 SHA-512. */
  hashAlgorithm: number;
  /** TLS SignatureAlgorithm: 1 RSA, 3 ECDSA. */
  signatureAlgorithm: number;
  signature: Uint8Array;
}

/** An SCT that verified, with the log that signed it. */
export interface VerifiedSct {
  sct: SignedCertificateTimestamp;
  log: CtLogKey;
}

/** Options of {@link verifyEmbeddedScts} and {@link verifySct}. */
export interface SctPolicy {
  /** `"sigstore-go"` (default) or `"cosign"`, see the module documentation. */
  mode?: "sigstore-go" | "cosign";
  /** Distinct logs that must have verified in `"sigstore-go"` mode (default 1). */
  threshold?: number;
}

/** Most SCTs read from one certificate. */
const MAX_SCTS = 64;

function malformed(detail: string): SyntaxError {
  return new SyntaxError(`Cannot parse SCT: ${detail}`);
}

/** A bounds-checked reader of TLS presentation-language fields (RFC 5246 §4). */
class TlsReader {
  #off = 0;
  constructor(private readonly buf: Uint8Array) {}
  get done(): boolean {
    return this.#off === this.buf.length;
  }
  bytes(n: number): Uint8Array {
    if (this.#off + n > this.buf.length) throw malformed("truncated");
    const out = this.buf.subarray(this.#off, this.#off + n);
    this.#off += n;
    return out;
  }
  uint(n: 1 | 2 | 8): number {
    const b = this.bytes(n);
    let v = 0n;
    for (const x of b) v = (v << 8n) | BigInt(x);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed("number too large");
    return Number(v);
  }
  vector(lengthBytes: 2): Uint8Array {
    return this.bytes(this.uint(lengthBytes));
  }
}

function readSct(bytes: Uint8Array): SignedCertificateTimestamp {
  const r = new TlsReader(bytes);
  const sct: SignedCertificateTimestamp = {
    version: r.uint(1),
    logId: r.bytes(32),
    timestamp: r.uint(8),
    extensions: r.vector(2),
    hashAlgorithm: r.uint(1),
    signatureAlgorithm: r.uint(1),
    signature: r.vector(2),
  };
  if (!r.done) throw malformed("trailing data");
  return sct;
}

/** The SCT list extension of a certificate, or undefined. */
function sctExtension(cert: Certificate) {
  return cert.extensions.find((e) => e.oid === EXTENSION_OID.sctList);
}

/**
 * The SCTs embedded in a certificate (certificate-transparency-go
 * `x509util.ParseSCTsFromCertificate`).
 *
 * @param cert the certificate
 * @returns the SCTs, none when the certificate has no SCT list extension
 * @throws {SyntaxError} "Cannot parse SCT: …" when the list is malformed or holds more than 64
 */
export function embeddedScts(cert: Certificate): SignedCertificateTimestamp[] {
  const ext = sctExtension(cert);
  if (!ext) return [];
  let list: Uint8Array;
  try {
    const node = parseDer(ext.value, { maxDepth: 1, maxNodes: 1 });
    if (node.tag !== TAG.OCTET_STRING) throw new SyntaxError("expected an OCTET STRING");
    list = node.value;
  } catch (e) {
    throw malformed(`SCT list extension: ${(e as Error).message}`);
  }
  const r = new TlsReader(list);
  const body = new TlsReader(r.vector(2));
  if (!r.done) throw malformed("trailing data after the SCT list");
  const out: SignedCertificateTimestamp[] = [];
  while (!body.done) {
    if (out.length >= MAX_SCTS) throw malformed(`more than ${MAX_SCTS} SCTs`);
    const one = body.vector(2);
    if (one.length === 0) throw malformed("empty SCT");
    out.push(readSct(one));
  }
  if (out.length === 0) throw malformed("empty SCT list");
  return out;
}

/**
 * Parses a detached SCT as cosign's `--sct` reads it: the JSON of a CT `add-chain` response
 * (`{"sct_version":0,"id":"<base64>","timestamp":…,"extensions":"<base64>","signature":"<base64>"}`,
 * certificate-transparency-go `AddChainResponse.ToSignedCertificateTimestamp`).
 *
 * @param json the file's text or bytes (at most 64 KiB)
 * @returns the SCT
 * @throws {SyntaxError} "Cannot parse SCT: …" for anything else
 */
export function parseDetachedSct(json: string | Uint8Array): SignedCertificateTimestamp {
  const text = typeof json === "string" ? json : new TextDecoder().decode(json);
  if (text.length > 64 * 1024) throw malformed("larger than 64 KiB");
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw malformed(`not JSON: ${(e as Error).message}`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw malformed("not a JSON object");
  const b64 = (x: unknown, what: string) => {
    if (x === undefined || x === null) return new Uint8Array(0);
    try {
      if (typeof x !== "string") throw new TypeError();
      return Uint8Array.fromBase64(x);
    } catch {
      throw malformed(`${what} is not base64`);
    }
  };
  const int = (x: unknown, what: string, max: number) => {
    if (x === undefined || x === null) return 0;
    if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x > max) {
      throw malformed(`${what} is not a valid number`);
    }
    return x;
  };
  const id = b64(v.id, "id");
  if (id.length !== 32) throw malformed("id is invalid length");
  const signed = new TlsReader(b64(v.signature, "signature"));
  const hashAlgorithm = signed.uint(1);
  const signatureAlgorithm = signed.uint(1);
  const signature = signed.vector(2);
  if (!signed.done) throw malformed("trailing data in signature");
  return {
    version: int(v.sct_version, "sct_version", 255),
    logId: id,
    timestamp: int(v.timestamp, "timestamp", Number.MAX_SAFE_INTEGER),
    extensions: b64(v.extensions, "extensions"),
    hashAlgorithm,
    signatureAlgorithm,
    signature,
  };
}

/**
 * The RFC 6962 log ID of a key: SHA-256 of its DER SubjectPublicKeyInfo.
 *
 * @param spki the log key's SubjectPublicKeyInfo (e.g. `PublicKey.spki`)
 * @returns 32 bytes
 */
export function ctLogId(spki: Uint8Array): Uint8Array {
  return sha256(spki);
}

const u16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
const u24 = (n: number) => Uint8Array.of(n >> 16, (n >> 8) & 0xff, n & 0xff);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

/**
 * The leaf's TBSCertificate without the SCT list extension, as the log saw the precertificate
 * (certificate-transparency-go `x509.RemoveSCTList`); the [3] wrapper goes when nothing is left.
 */
function precertTbs(cert: Certificate): Uint8Array {
  const children = derChildren(
    parseDer(cert.tbs, { maxDepth: 16, maxNodes: 8192 }),
    TAG.SEQUENCE,
    "tbs",
  );
  const parts = children.map((child) => {
    if (child.tag !== (TAG.CONTEXT | 3)) return child.raw;
    const exts = derChildren(
      derChildren(child, TAG.CONTEXT | 3, "extensions")[0],
      TAG.SEQUENCE,
      "extensions",
    )
      .filter((e) => derOid(derChildren(e, TAG.SEQUENCE, "extension")[0]) !== EXTENSION_OID.sctList)
      .map((e) => e.raw);
    return exts.length ? derEncode(TAG.CONTEXT | 3, derSequence(...exts)) : new Uint8Array(0);
  });
  return derSequence(...parts);
}

/** The `digitally-signed` input of an SCT (RFC 6962 §3.2). */
function signedData(sct: SignedCertificateTimestamp, entry: Uint8Array): Uint8Array {
  return concat(
    Uint8Array.of(sct.version, 0), // sct_version, signature_type = certificate_timestamp
    u64(sct.timestamp),
    entry,
    u16(sct.extensions.length),
    sct.extensions,
  );
}

const TLS_HASH: Record<number, SignatureScheme["hash"]> = { 4: "sha256", 5: "sha384", 6: "sha512" };

/** Verifies one SCT signature; returns a reason when it does not verify. */
async function checkSignature(
  sct: SignedCertificateTimestamp,
  key: PublicKey,
  entry: Uint8Array,
): Promise<string | undefined> {
  if (sct.version !== 0) return `unsupported SCT version ${sct.version}`;
  const hash = TLS_HASH[sct.hashAlgorithm];
  if (!hash) return `unsupported hash algorithm ${sct.hashAlgorithm}`;
  const kind = sct.signatureAlgorithm === 3
    ? "ecdsa"
    : sct.signatureAlgorithm === 1
    ? "rsa"
    : undefined;
  if (!kind) return `unsupported signature algorithm ${sct.signatureAlgorithm}`;
  if (key.kind !== kind) {
    return `cannot verify ${kind.toUpperCase()} signature with ${key.kind} key`;
  }
  return await verifyScheme(key, { kind, hash }, signedData(sct, entry), sct.signature)
    ? undefined
    : "signature does not verify";
}

function findLog(logs: readonly CtLogKey[], id: Uint8Array): CtLogKey | undefined {
  return logs.find((l) => l.logId.length === id.length && l.logId.every((b, i) => b === id[i]));
}

function fail(
  code: "SCT_MISSING" | "SCT_INVALID" | "SCT_LOG_KEY_UNKNOWN" | "SCT_TIME_INVALID",
  detail: string,
) {
  return new VerificationError(code, `Cannot verify SCT: ${detail}`);
}

const UNKNOWN_LOG =
  "ctfe public key not found for payload. Check your TUF root (see cosign initialize) or set a custom key with env var SIGSTORE_CT_LOG_PUBLIC_KEY_FILE";

/**
 * Verifies the SCTs embedded in `leaf` against CT log keys.
 *
 * @param leaf the certificate with an SCT list extension
 * @param issuer the certificate that issued `leaf` (its key hash is part of the signed entry)
 * @param logs the trusted CT log keys
 * @param policy `"sigstore-go"` with a threshold (default 1) or `"cosign"`
 * @returns the SCTs that verified (sigstore-go mode: at most one per log)
 * @throws {VerificationError} `SCT_MISSING` when the certificate has none; sigstore-go mode:
 *   "only able to verify N SCT entries; unable to meet threshold of T", coded `SCT_INVALID` when
 *   an SCT of a known log failed, else `SCT_TIME_INVALID` when one was outside its key's validity,
 *   else `SCT_LOG_KEY_UNKNOWN` (and `SCT_INVALID` when too few distinct logs signed); cosign mode: `SCT_LOG_KEY_UNKNOWN` (cosign's "ctfe public key not
 *   found for payload …") or `SCT_INVALID` ("error verifying embedded SCT: …") for the first bad one
 * @throws {SyntaxError} when the SCT list is malformed
 */
export async function verifyEmbeddedScts(
  leaf: Certificate,
  issuer: Certificate,
  logs: readonly CtLogKey[],
  policy: SctPolicy = {},
): Promise<VerifiedSct[]> {
  const scts = embeddedScts(leaf);
  if (scts.length === 0) throw fail("SCT_MISSING", "the certificate has no embedded SCT");
  const entry = () => {
    const tbs = precertTbs(leaf);
    return concat(u16(1), sha256(issuer.spki), u24(tbs.length), tbs); // precert_entry
  };
  let precert: Uint8Array | undefined;
  const verified: VerifiedSct[] = [];
  if (policy.mode === "cosign") {
    if (logs.length === 0) {
      throw fail("SCT_LOG_KEY_UNKNOWN", "none of the CTFE keys have been found");
    }
    for (const sct of scts) {
      const log = findLog(logs, sct.logId);
      if (!log) throw fail("SCT_LOG_KEY_UNKNOWN", UNKNOWN_LOG);
      const problem = await checkSignature(sct, log.publicKey, precert ??= entry());
      if (problem) throw fail("SCT_INVALID", `error verifying embedded SCT: ${problem}`);
      verified.push({ sct, log });
    }
    return verified;
  }
  const threshold = policy.threshold ?? 1;
  const reasons: {
    code: "SCT_INVALID" | "SCT_TIME_INVALID" | "SCT_LOG_KEY_UNKNOWN";
    detail: string;
  }[] = [];
  for (const sct of scts) {
    const hex = sct.logId.toHex();
    if (verified.some((v) => v.log.logId.toHex() === hex)) continue;
    const log = findLog(logs, sct.logId);
    if (!log) {
      reasons.push({ code: "SCT_LOG_KEY_UNKNOWN", detail: `SCT from unknown log ${hex}` });
      continue;
    }
    const { start, end } = log.validFor ?? {};
    if (
      (start !== undefined && sct.timestamp < start) || (end !== undefined && sct.timestamp > end)
    ) {
      reasons.push({
        code: "SCT_TIME_INVALID",
        detail: `SCT of log ${hex} at ${
          new Date(sct.timestamp).toISOString()
        } is outside its key's validity`,
      });
      continue;
    }
    const problem = await checkSignature(sct, log.publicKey, precert ??= entry());
    if (problem) {
      reasons.push({ code: "SCT_INVALID", detail: `SCT of log ${hex}: ${problem}` });
      continue;
    }
    verified.push({ sct, log });
  }
  if (verified.length >= threshold) return verified;
  const code =
    (["SCT_INVALID", "SCT_TIME_INVALID", "SCT_LOG_KEY_UNKNOWN"] as const).find((c) =>
      reasons.some((r) => r.code === c)
    ) ?? "SCT_INVALID";
  throw fail(
    code,
    `only able to verify ${verified.length} SCT entries; unable to meet threshold of ${threshold}` +
      (reasons.length ? ` (${reasons.map((r) => r.detail).join("; ")})` : ""),
  );
}

/**
 * Verifies a detached SCT for `cert` (an `x509_entry`), as cosign's `VerifySCT` does for `--sct`.
 *
 * @param cert the certificate the log logged
 * @param sct the SCT (see {@link parseDetachedSct})
 * @param logs the trusted CT log keys
 * @returns the SCT and the log that signed it
 * @throws {VerificationError} `SCT_LOG_KEY_UNKNOWN` (cosign's "ctfe public key not found for
 *   payload …") or `SCT_INVALID` ("error verifying SCT: …")
 */
export async function verifyDetachedSct(
  cert: Certificate,
  sct: SignedCertificateTimestamp,
  logs: readonly CtLogKey[],
): Promise<VerifiedSct> {
  if (logs.length === 0) throw fail("SCT_LOG_KEY_UNKNOWN", "none of the CTFE keys have been found");
  const log = findLog(logs, sct.logId);
  if (!log) throw fail("SCT_LOG_KEY_UNKNOWN", UNKNOWN_LOG);
  const problem = await checkSignature(
    sct,
    log.publicKey,
    concat(u16(0), u24(cert.der.length), cert.der),
  );
  if (problem) throw fail("SCT_INVALID", `error verifying SCT: ${problem}`);
  return { sct, log };
}

/**
 * The SCT step of cosign's `ValidateAndUnpackCert`: embedded SCTs when the certificate has them
 * (a detached SCT is then ignored), else the detached SCT, else a refusal.
 *
 * @param leaf the signing certificate
 * @param issuer its issuer, from the validated chain (needed for embedded SCTs)
 * @param logs the trusted CT log keys
 * @param options the detached SCT (`--sct`) and the embedded-SCT policy
 * @returns the SCTs that verified
 * @throws {VerificationError} `SCT_MISSING` "certificate does not include required embedded SCT and
 *   no detached SCT was set", and the errors of {@link verifyEmbeddedScts} and
 *   {@link verifyDetachedSct}
 * @throws {SyntaxError} when an SCT is malformed
 */
export async function verifySct(
  leaf: Certificate,
  issuer: Certificate | undefined,
  logs: readonly CtLogKey[],
  options: SctPolicy & { detached?: SignedCertificateTimestamp } = {},
): Promise<VerifiedSct[]> {
  if (sctExtension(leaf)) {
    if (!issuer) {
      throw fail(
        "SCT_INVALID",
        "certificate chain must contain at least a certificate and its issuer",
      );
    }
    return await verifyEmbeddedScts(leaf, issuer, logs, options);
  }
  if (options.detached) return [await verifyDetachedSct(leaf, options.detached, logs)];
  throw fail(
    "SCT_MISSING",
    "certificate does not include required embedded SCT and no detached SCT was set",
  );
}
