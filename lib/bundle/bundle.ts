/**
 * Sigstore bundles (protobuf-specs `dev.sigstore.bundle.v1.Bundle`) in their protobuf-JSON form:
 * media types v0.1, v0.2 and v0.3, both spellings, with sigstore-go's version rules
 * (pkg/bundle/bundle.go validate: v0.1 entries need an inclusion promise, v0.2+ entries an
 * inclusion proof, v0.3 no certificate chain, v0.4+ unsupported).
 *
 * Protobuf JSON: camelCase names (the proto names are accepted too, as protojson does), bytes
 * as base64 (standard or URL-safe), int64 as decimal strings (numbers accepted), zero values
 * omitted.
 *
 * @module
 */
import { decodeProtojsonBytes } from "../base64.ts";

/** Most bytes of a bundle file. */
export const MAX_SIGSTORE_BUNDLE_BYTES = 4 * 1024 * 1024;
/** Most transparency log entries in one bundle (sigstore-go maxAllowedTlogEntries). */
export const MAX_TLOG_ENTRIES = 32;

const MEDIA_TYPE_BASE = "application/vnd.dev.sigstore.bundle";

/** The bundle versions we read. */
export type BundleVersion = "0.1" | "0.2" | "0.3";

/** An inclusion proof of a bundle's log entry (protobuf-specs rekor.v1.InclusionProof). */
export interface BundleInclusionProof {
  /** The index within the tree (shard) the proof is for. */
  logIndex: number;
  rootHash: Uint8Array;
  treeSize: number;
  hashes: Uint8Array[];
  /** The signed-note checkpoint text. */
  checkpoint: string;
}

/** A transparency log entry (protobuf-specs rekor.v1.TransparencyLogEntry). */
export interface BundleTlogEntry {
  /** The global log index. */
  logIndex: number;
  /** The log's key ID (`logId.keyId`). */
  logId: Uint8Array;
  kind: string;
  version: string;
  /** Seconds since the epoch; 0 when absent (Rekor v2). */
  integratedTime: number;
  /** The signed entry timestamp (`inclusionPromise`), when present. */
  signedEntryTimestamp?: Uint8Array;
  inclusionProof?: BundleInclusionProof;
  canonicalizedBody: Uint8Array;
}

/** A message signature (protobuf-specs common.v1.MessageSignature). */
export interface BundleMessageSignature {
  /** The digest the signature is over, when the bundle names it. */
  messageDigest?: { algorithm: string; digest: Uint8Array };
  signature: Uint8Array;
}

/** A DSSE envelope (protobuf-specs io.intoto.Envelope). */
export interface BundleDsseEnvelope {
  payload: Uint8Array;
  payloadType: string;
  signatures: { sig: Uint8Array; keyid: string }[];
}

/** A parsed Sigstore bundle. */
export interface SigstoreBundle {
  mediaType: string;
  version: BundleVersion;
  verificationMaterial: {
    /** `publicKey.hint` (cosign: base64 of SHA-256 of the key's SPKI). */
    publicKeyHint?: string;
    /** DER of `certificate` (v0.3). */
    certificate?: Uint8Array;
    /** DERs of `x509CertificateChain.certificates` (v0.1, v0.2). */
    x509CertificateChain?: Uint8Array[];
    tlogEntries: BundleTlogEntry[];
    rfc3161Timestamps: Uint8Array[];
  };
  messageSignature?: BundleMessageSignature;
  dsseEnvelope?: BundleDsseEnvelope;
}

function invalid(detail: string): TypeError {
  return new TypeError(`Cannot read bundle: ${detail}`);
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads a field by its JSON (camelCase) name or its proto name, as protojson does. */
function get(o: Obj, camel: string): unknown {
  if (camel in o) return o[camel];
  const snake = camel.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
  return o[snake];
}

function obj(o: Obj, name: string, required = false): Obj | undefined {
  const v = get(o, name);
  if (v === undefined || v === null) {
    if (required) throw invalid(`missing ${name}`);
    return undefined;
  }
  if (!isObj(v)) throw invalid(`${name} is not an object`);
  return v;
}

function str(o: Obj, name: string): string {
  const v = get(o, name);
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw invalid(`${name} is not a string`);
  return v;
}

/** protojson bytes: standard or URL-safe base64, padding optional. */
function bytes(o: Obj, name: string): Uint8Array {
  const v = get(o, name);
  if (v === undefined || v === null) return new Uint8Array();
  return decodeBytes(v, name);
}

function decodeBytes(v: unknown, name: string): Uint8Array {
  try {
    if (typeof v === "string") return decodeProtojsonBytes(v);
  } catch { /* reported below */ }
  throw invalid(`${name} is not base64`);
}

/** protojson int64: a decimal string or a JSON number. */
function int(o: Obj, name: string): number {
  const v = get(o, name);
  if (v === undefined || v === null) return 0;
  let n: number;
  if (typeof v === "string" && /^-?(0|[1-9][0-9]*)$/.test(v)) n = Number(v);
  else if (typeof v === "number") n = v;
  else throw invalid(`${name} is not an integer`);
  if (!Number.isSafeInteger(n)) throw invalid(`${name} is out of range`);
  return n;
}

function arr(o: Obj, name: string, max: number): unknown[] {
  const v = get(o, name);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid(`${name} is not an array`);
  if (v.length > max) throw invalid(`too many ${name}: ${v.length} > ${max}`);
  return v;
}

/**
 * The bundle version a media type names (sigstore-go getBundleVersion), or an error for an
 * unknown or unsupported one.
 *
 * @throws {TypeError} for a missing, unknown or unsupported media type
 */
export function bundleVersionOf(mediaType: string): BundleVersion {
  if (mediaType === "") throw invalid("unsupported media type: missing mediaType");
  const m =
    /^application\/vnd\.dev\.sigstore\.bundle(?:\+json;version=(0\.[123])|\.v(\d+\.\d+(?:\.\d+)?)\+json)$/
      .exec(mediaType);
  if (!m) throw invalid(`unsupported media type: ${mediaType}`);
  // sigstore-go compares semantic versions: v0.3.1 is a v0.3 bundle.
  const v = m[1] ?? m[2].replace(/^(0\.[123])\.\d+$/, "$1");
  if (v === "0.1" || v === "0.2" || v === "0.3") return v;
  throw invalid(`unsupported media type: bundle version v${v} is not supported`);
}

/**
 * Parses one transparency log entry in protobuf JSON (`TransparencyLogEntry`, as bundles and
 * Rekor v2 responses carry it).
 *
 * @param e the parsed JSON value
 * @param i its index, for messages
 * @throws {TypeError} when a field is missing or malformed
 */
export function parseTlogEntry(e: unknown, i = 0): BundleTlogEntry {
  if (!isObj(e)) throw invalid(`tlogEntries[${i}] is not an object`);
  const logId = obj(e, "logId");
  const kv = obj(e, "kindVersion");
  const body = bytes(e, "canonicalizedBody");
  const keyId = logId ? bytes(logId, "keyId") : new Uint8Array();
  if (!kv || keyId.length === 0 || body.length === 0) {
    throw invalid(`tlogEntries[${i}]: missing logId, kindVersion or canonicalizedBody`);
  }
  const logIndex = int(e, "logIndex");
  if (logIndex < 0) throw invalid(`tlogEntries[${i}]: negative logIndex`);
  const out: BundleTlogEntry = {
    logIndex,
    logId: keyId,
    kind: str(kv, "kind"),
    version: str(kv, "version"),
    integratedTime: int(e, "integratedTime"),
    canonicalizedBody: body,
  };
  const promise = obj(e, "inclusionPromise");
  if (promise) {
    const set = bytes(promise, "signedEntryTimestamp");
    if (set.length) out.signedEntryTimestamp = set;
  }
  const proof = obj(e, "inclusionProof");
  if (proof) {
    const cp = obj(proof, "checkpoint");
    if (!cp) throw invalid("inclusion proof missing required checkpoint");
    const envelope = str(cp, "envelope");
    if (envelope === "") throw invalid("inclusion proof checkpoint empty");
    out.inclusionProof = {
      logIndex: int(proof, "logIndex"),
      rootHash: bytes(proof, "rootHash"),
      treeSize: int(proof, "treeSize"),
      hashes: arr(proof, "hashes", 64).map((h, j) => decodeBytes(h, `hashes[${j}]`)),
      checkpoint: envelope,
    };
  }
  return out;
}

function parseCertificate(c: unknown, what: string): Uint8Array {
  if (!isObj(c)) throw invalid(`${what} is not an object`);
  const der = bytes(c, "rawBytes");
  if (der.length === 0) throw invalid("missing verification material");
  return der;
}

/**
 * Parses a Sigstore bundle (protobuf JSON) and checks it the way sigstore-go's bundle loader
 * does.
 *
 * @param input the bundle file's bytes
 * @returns the bundle
 * @throws {SyntaxError} when it is not JSON
 * @throws {TypeError} for a missing or unsupported media type, a malformed field, missing
 *   content or verification material, or an entry without the proof its version requires
 */
export function parseBundle(input: Uint8Array): SigstoreBundle {
  if (input.length > MAX_SIGSTORE_BUNDLE_BYTES) throw invalid("larger than 4 MiB");
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(input));
  } catch (e) {
    throw new SyntaxError(`Cannot read bundle: not JSON: ${(e as Error).message}`);
  }
  if (!isObj(v)) throw invalid("not a JSON object");
  const mediaType = str(v, "mediaType");
  const version = bundleVersionOf(mediaType);
  const vm = obj(v, "verificationMaterial");
  if (!vm) throw invalid("missing verification material");
  const material: SigstoreBundle["verificationMaterial"] = {
    tlogEntries: arr(vm, "tlogEntries", MAX_TLOG_ENTRIES).map((e, i) => parseTlogEntry(e, i)),
    rfc3161Timestamps: [],
  };
  const pk = obj(vm, "publicKey");
  const chain = obj(vm, "x509CertificateChain");
  const cert = get(vm, "certificate");
  const kinds = [pk, chain, cert].filter((x) => x !== undefined && x !== null).length;
  if (kinds === 0) throw invalid("missing verification material");
  if (kinds > 1) throw invalid("more than one kind of verification material");
  if (pk) material.publicKeyHint = str(pk, "hint");
  if (chain) {
    material.x509CertificateChain = arr(chain, "certificates", 16).map((c, i) =>
      parseCertificate(c, `certificates[${i}]`)
    );
  }
  if (cert !== undefined && cert !== null) {
    material.certificate = parseCertificate(cert, "certificate");
  }
  const tvd = obj(vm, "timestampVerificationData");
  if (tvd) {
    material.rfc3161Timestamps = arr(tvd, "rfc3161Timestamps", 32).map((t, i) => {
      if (!isObj(t)) throw invalid(`rfc3161Timestamps[${i}] is not an object`);
      return bytes(t, "signedTimestamp");
    });
  }
  const entries = material.tlogEntries;
  if (version === "0.1") {
    if (entries.length > 0 && !entries.some((e) => e.signedEntryTimestamp)) {
      throw invalid("inclusion promises missing in bundle (required for bundle v0.1)");
    }
  } else if (entries.length > 0 && !entries.some((e) => e.inclusionProof)) {
    throw invalid("inclusion proof missing in bundle (required for bundle v0.2)");
  }
  if (version === "0.3" && material.x509CertificateChain) {
    throw invalid("verification material cannot be X.509 certificate chain (for bundle v0.3)");
  }
  const out: SigstoreBundle = { mediaType, version, verificationMaterial: material };
  const ms = obj(v, "messageSignature");
  const dsse = obj(v, "dsseEnvelope");
  if (ms && dsse) throw invalid("both messageSignature and dsseEnvelope");
  if (ms) {
    const md = obj(ms, "messageDigest");
    out.messageSignature = { signature: bytes(ms, "signature") };
    if (md) {
      const algorithm = get(md, "algorithm");
      out.messageSignature.messageDigest = {
        algorithm: typeof algorithm === "string" ? algorithm : String(algorithm ?? ""),
        digest: bytes(md, "digest"),
      };
    }
  } else if (dsse) {
    out.dsseEnvelope = {
      payload: bytes(dsse, "payload"),
      payloadType: str(dsse, "payloadType"),
      signatures: arr(dsse, "signatures", 16).map((s, i) => {
        if (!isObj(s)) throw invalid(`signatures[${i}] is not an object`);
        return { sig: bytes(s, "sig"), keyid: str(s, "keyid") };
      }),
    };
  } else {
    throw invalid("missing bundle content");
  }
  return out;
}

/**
 * Whether `input` is a Sigstore bundle (cosign's checkNewBundle: sigstore-go loads it).
 *
 * @returns true when {@link parseBundle} accepts it
 */
export function isSigstoreBundle(input: Uint8Array): boolean {
  try {
    parseBundle(input);
    return true;
  } catch {
    return false;
  }
}

/** The media type cosign writes (pkg/cosign/bundle/protobundle.go bundleV03MediaType). */
export const BUNDLE_V03_MEDIA_TYPE = `${MEDIA_TYPE_BASE}.v0.3+json`;
