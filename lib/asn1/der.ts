/**
 * A minimal, bounded DER reader and the few writers the key code needs (PKCS#8, SEC1, PKCS#1 and
 * SubjectPublicKeyInfo, X.690 §10 distinguished encoding).
 *
 * The reader only knows the low-tag-number form (every tag used by keys), definite minimal lengths,
 * and parses constructed values (SEQUENCE, SET, context-specific `[n]`) into children, up to a depth
 * and a node-count limit. Anything else is malformed and throws `SyntaxError`.
 *
 * @module
 */

/** The universal and context tags used by key, certificate and CMS structures. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  NUMERIC_STRING: 0x12,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
  /** Context-specific constructed `[n]` is `0xa0 | n`. */
  CONTEXT: 0xa0,
} as const;

/** Object identifiers of the key algorithms and curves cosign meets. */
export const OID = {
  ecPublicKey: "1.2.840.10045.2.1",
  rsaEncryption: "1.2.840.113549.1.1.1",
  rsaPss: "1.2.840.113549.1.1.10",
  ed25519: "1.3.101.112",
  p224: "1.3.132.0.33",
  p256: "1.2.840.10045.3.1.7",
  p384: "1.3.132.0.34",
  p521: "1.3.132.0.35",
  secp256k1: "1.3.132.0.10",
} as const;

/** One parsed TLV. */
export interface DerNode {
  /** The identifier octet (class, constructed bit and tag number). */
  tag: number;
  /** The contents octets. */
  value: Uint8Array;
  /** The whole encoding, header included. */
  raw: Uint8Array;
  /** The parsed contents of a constructed node. */
  children?: DerNode[];
}

/** Limits of {@link parseDer}. */
export interface DerLimits {
  /** How deep constructed values may nest (default 8). */
  maxDepth?: number;
  /** How many nodes the whole input may hold (default 4096). */
  maxNodes?: number;
  /** How many bytes the input may have (default 1 MiB). */
  maxBytes?: number;
}

/**
 * Parses exactly one DER value (no trailing bytes), with constructed values parsed into children.
 *
 * @param bytes the encoding
 * @param limits depth, node-count and size limits
 * @returns the root node
 * @throws {SyntaxError} when the input is not well-formed DER or exceeds a limit
 */
export function parseDer(bytes: Uint8Array, limits: DerLimits = {}): DerNode {
  const maxBytes = limits.maxBytes ?? 1024 * 1024;
  if (bytes.length > maxBytes) throw new SyntaxError(`DER input larger than ${maxBytes} bytes`);
  const budget = { nodes: limits.maxNodes ?? 4096, depth: limits.maxDepth ?? 8 };
  const [node, end] = readNode(bytes, 0, 0, budget);
  if (end !== bytes.length) throw new SyntaxError("DER input has trailing data");
  return node;
}

function readNode(
  buf: Uint8Array,
  off: number,
  depth: number,
  budget: { nodes: number; depth: number },
): [DerNode, number] {
  if (--budget.nodes < 0) throw new SyntaxError("DER input has too many elements");
  if (off + 2 > buf.length) throw new SyntaxError("DER input truncated");
  const start = off;
  const tag = buf[off++];
  if ((tag & 0x1f) === 0x1f) throw new SyntaxError("DER high tag numbers are not supported");
  let len = buf[off++];
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new SyntaxError("DER indefinite length is not allowed");
    if (n > 4) throw new SyntaxError("DER length too large");
    if (off + n > buf.length) throw new SyntaxError("DER input truncated");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[off++];
    if (len < 0x80 || buf[start + 2] === 0) throw new SyntaxError("DER length not minimal");
  }
  const end = off + len;
  if (end > buf.length) throw new SyntaxError("DER input truncated");
  const node: DerNode = { tag, value: buf.subarray(off, end), raw: buf.subarray(start, end) };
  if (tag & 0x20) {
    if (depth >= budget.depth) throw new SyntaxError("DER input nested too deeply");
    node.children = [];
    let p = off;
    while (p < end) {
      const [child, next] = readNode(buf.subarray(0, end), p, depth + 1, budget);
      node.children.push(child);
      p = next;
    }
  }
  return [node, end];
}

/**
 * Returns the children of a constructed node after checking its tag.
 *
 * @param node the node
 * @param tag the expected tag
 * @param what names the structure in the error message
 * @returns the children
 * @throws {SyntaxError} when the tag differs or the node is primitive
 */
export function derChildren(node: DerNode, tag: number, what: string): DerNode[] {
  if (node.tag !== tag || !node.children) throw new SyntaxError(`${what}: unexpected ASN.1 tag`);
  return node.children;
}

/**
 * Decodes an OBJECT IDENTIFIER to dotted form.
 *
 * @param node an OID node
 * @returns the dotted OID, e.g. "1.2.840.10045.2.1"
 * @throws {SyntaxError} when the node is not a well-formed OID
 */
export function derOid(node: DerNode): string {
  if (node.tag !== TAG.OID || node.value.length === 0) throw new SyntaxError("expected an OID");
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < node.value.length; i++) {
    const b = node.value[i];
    if (v === 0 && b === 0x80) throw new SyntaxError("OID arc not minimal");
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) throw new SyntaxError("OID arc too large");
    if (!(b & 0x80)) {
      arcs.push(v);
      v = 0;
    } else if (i === node.value.length - 1) throw new SyntaxError("OID truncated");
  }
  const first = arcs[0] < 80 ? Math.floor(arcs[0] / 40) : 2;
  return [first, arcs[0] - first * 40, ...arcs.slice(1)].join(".");
}

/**
 * Decodes an INTEGER, checking minimal encoding.
 *
 * @param node an INTEGER node
 * @returns the value
 * @throws {SyntaxError} when the node is not a minimally encoded INTEGER
 */
export function derInteger(node: DerNode): bigint {
  const v = node.value;
  if (node.tag !== TAG.INTEGER || v.length === 0) throw new SyntaxError("expected an INTEGER");
  if (v.length > 1 && ((v[0] === 0 && !(v[1] & 0x80)) || (v[0] === 0xff && v[1] & 0x80))) {
    throw new SyntaxError("INTEGER not minimally encoded");
  }
  let n = 0n;
  for (const b of v) n = (n << 8n) | BigInt(b);
  if (v[0] & 0x80) n -= 1n << BigInt(v.length * 8);
  return n;
}

/**
 * Returns the bits of a BIT STRING that has no unused bits (all keys are whole bytes).
 *
 * @param node a BIT STRING node
 * @returns the contents without the unused-bits octet
 * @throws {SyntaxError} when the node is not a BIT STRING of whole bytes
 */
export function derBitString(node: DerNode): Uint8Array {
  if (node.tag !== TAG.BIT_STRING || node.value.length === 0 || node.value[0] !== 0) {
    throw new SyntaxError("expected a BIT STRING of whole bytes");
  }
  return node.value.subarray(1);
}

/**
 * Decodes a BOOLEAN (DER: one octet, 0x00 or 0xff).
 *
 * @param node a BOOLEAN node
 * @returns the value
 * @throws {SyntaxError} when the node is not a DER BOOLEAN
 */
export function derBoolean(node: DerNode): boolean {
  const v = node.value;
  if (node.tag !== TAG.BOOLEAN || v.length !== 1 || (v[0] !== 0 && v[0] !== 0xff)) {
    throw new SyntaxError("expected a DER BOOLEAN");
  }
  return v[0] === 0xff;
}

/**
 * Returns the bits of a BIT STRING with any number of unused bits (X.690 §8.6), checking that the
 * unused bits are zero as DER requires (Go's cryptobyte `ReadASN1BitString`).
 *
 * @param node a BIT STRING node
 * @returns the bytes and the number of unused bits in the last byte
 * @throws {SyntaxError} when the node is not a well-formed BIT STRING
 */
export function derBitStringBits(node: DerNode): { bytes: Uint8Array; unusedBits: number } {
  const v = node.value;
  if (node.tag !== TAG.BIT_STRING || v.length === 0) throw new SyntaxError("expected a BIT STRING");
  const unusedBits = v[0];
  const bytes = v.subarray(1);
  if (
    unusedBits > 7 || (bytes.length === 0 && unusedBits !== 0) ||
    (bytes.length > 0 && (bytes[bytes.length - 1] & ((1 << unusedBits) - 1)) !== 0)
  ) {
    throw new SyntaxError("invalid BIT STRING padding");
  }
  return { bytes, unusedBits };
}

// PrintableString as Go's crypto/x509 reads it: the X.680 set plus '*' and '&', which real
// certificates use (x509/parser.go isPrintable).
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?*&]*$/;

/**
 * Decodes the string types certificates use, with the checks of Go's x509 `parseASN1String`:
 * UTF8String (valid UTF-8), PrintableString, IA5String (ASCII), NumericString, T61String (read as
 * Latin-1) and BMPString (UCS-2, a trailing NUL pair stripped). Others are refused.
 *
 * @param node a string node
 * @returns the text
 * @throws {SyntaxError} for another tag or invalid contents
 */
export function derString(node: DerNode): string {
  const v = node.value;
  switch (node.tag) {
    case TAG.UTF8_STRING:
      try {
        return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(v);
      } catch {
        throw new SyntaxError("invalid UTF-8 string");
      }
    case TAG.PRINTABLE_STRING: {
      const s = latin1(v);
      if (!PRINTABLE.test(s)) throw new SyntaxError("invalid PrintableString");
      return s;
    }
    case TAG.IA5_STRING:
      if (v.some((b) => b >= 0x80)) throw new SyntaxError("invalid IA5String");
      return latin1(v);
    case TAG.NUMERIC_STRING:
      if (v.some((b) => !(b === 0x20 || (b >= 0x30 && b <= 0x39)))) {
        throw new SyntaxError("invalid NumericString");
      }
      return latin1(v);
    case TAG.T61_STRING:
      return latin1(v);
    case TAG.BMP_STRING: {
      if (v.length % 2) throw new SyntaxError("invalid BMPString");
      let end = v.length;
      if (end >= 2 && v[end - 1] === 0 && v[end - 2] === 0) end -= 2;
      const units: number[] = [];
      for (let i = 0; i < end; i += 2) units.push((v[i] << 8) | v[i + 1]);
      return String.fromCharCode(...units).toWellFormed();
    }
    default:
      throw new SyntaxError(`unsupported string type: ${node.tag}`);
  }
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

/** A decoded UTCTime or GeneralizedTime. */
export interface DerTime {
  /** Milliseconds since the Unix epoch (digits below the millisecond are dropped). */
  ms: number;
  /** The fraction-of-second digits as written ("" when none), e.g. "123456" for .123456. */
  fraction: string;
}

// The forms Go's encoding/asn1 accepts: it parses with "0601021504Z0700" / "060102150405Z0700"
// (UTCTime) and "20060102150405.999999999Z0700" (GeneralizedTime) and refuses any text that does
// not format back identically, which rules out trailing zeros in the fraction, ",", and "-0000".
const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(Z|[+-]\d{4})$/;
const GENERALIZED_TIME =
  /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{0,8}[1-9]))?(Z|[+-]\d{4})$/;

/**
 * Decodes a UTCTime (years 1950-2049, RFC 5280 §4.1.2.5.1) or GeneralizedTime, with the
 * strictness of Go's encoding/asn1 (what sigstore's verifiers use).
 *
 * @param node a UTCTime or GeneralizedTime node
 * @returns the instant and the fraction digits
 * @throws {SyntaxError} when the node is not a valid time
 */
export function derTime(node: DerNode): DerTime {
  const text = String.fromCharCode(...node.value);
  const m = node.tag === TAG.UTC_TIME
    ? UTC_TIME.exec(text)
    : node.tag === TAG.GENERALIZED_TIME
    ? GENERALIZED_TIME.exec(text)
    : null;
  if (!m) throw new SyntaxError("expected a UTCTime or GeneralizedTime");
  let year: number, rest: string[], fraction = "", zone: string;
  if (node.tag === TAG.UTC_TIME) {
    const yy = Number(m[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
    rest = [m[2], m[3], m[4], m[5], m[6] ?? "00"];
    zone = m[7];
  } else {
    year = Number(m[1]);
    rest = [m[2], m[3], m[4], m[5], m[6]];
    fraction = m[7] ?? "";
    zone = m[8];
  }
  const [month, day, hour, minute, second] = rest.map(Number);
  const check = new Date(0);
  check.setUTCFullYear(year, month - 1, day); // not Date.UTC, which maps years 0-99 to 19xx
  check.setUTCHours(hour, minute, second, 0);
  const base = check.getTime();
  if (
    month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 ||
    check.getUTCDate() !== day || check.getUTCMonth() !== month - 1
  ) {
    throw new SyntaxError("time out of range");
  }
  let offset = 0;
  if (zone !== "Z") {
    const h = Number(zone.slice(1, 3)), min = Number(zone.slice(3, 5));
    if (h > 23 || min > 59 || (h === 0 && min === 0)) { // Go writes a zero offset as "Z"
      throw new SyntaxError("time zone out of range");
    }
    offset = (zone[0] === "+" ? 1 : -1) * (h * 60 + min) * 60_000;
  }
  const ms = base - offset + Number((fraction + "000").slice(0, 3));
  return { ms, fraction };
}

// ---- writers ----

function header(tag: number, len: number): Uint8Array {
  if (len < 0x80) return Uint8Array.of(tag, len);
  const bytes: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(tag, 0x80 | bytes.length, ...bytes);
}

/**
 * Encodes one TLV.
 *
 * @param tag the identifier octet
 * @param parts the contents, concatenated
 * @returns the encoding
 */
export function derEncode(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const h = header(tag, len);
  const out = new Uint8Array(h.length + len);
  out.set(h);
  let off = h.length;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Encodes a non-negative INTEGER.
 *
 * @param value a bigint or big-endian unsigned magnitude
 * @returns the encoding
 */
export function derUint(value: bigint | Uint8Array): Uint8Array {
  let b: Uint8Array;
  if (typeof value === "bigint") {
    const hex = value.toString(16);
    b = Uint8Array.fromHex(hex.length % 2 ? "0" + hex : hex);
  } else b = value;
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  b = b.subarray(i);
  if (b.length === 0) b = Uint8Array.of(0);
  return b[0] & 0x80 ? derEncode(TAG.INTEGER, Uint8Array.of(0), b) : derEncode(TAG.INTEGER, b);
}

/**
 * Encodes an OBJECT IDENTIFIER from dotted form.
 *
 * @param dotted e.g. "1.3.101.112"
 * @returns the encoding
 */
export function derOidEncode(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map(Number);
  const out: number[] = [];
  for (const arc of [arcs[0] * 40 + arcs[1], ...arcs.slice(2)]) {
    const groups = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) {
      groups.unshift((v & 0x7f) | 0x80);
    }
    out.push(...groups);
  }
  return derEncode(TAG.OID, Uint8Array.from(out));
}

/** Encodes a SEQUENCE of already-encoded elements. */
export const derSequence = (...parts: Uint8Array[]): Uint8Array =>
  derEncode(TAG.SEQUENCE, ...parts);

/** Encodes an OCTET STRING. */
export const derOctets = (bytes: Uint8Array): Uint8Array => derEncode(TAG.OCTET_STRING, bytes);

/** Encodes a BIT STRING of whole bytes. */
export const derBits = (bytes: Uint8Array): Uint8Array =>
  derEncode(TAG.BIT_STRING, Uint8Array.of(0), bytes);

/** The encoding of NULL. */
export const DER_NULL: Uint8Array = Uint8Array.of(TAG.NULL, 0);

/** Encodes a BOOLEAN. */
export const derBool = (value: boolean): Uint8Array =>
  derEncode(TAG.BOOLEAN, Uint8Array.of(value ? 0xff : 0));

/** Encodes a SET of already-encoded elements (in the given order). */
export const derSet = (...parts: Uint8Array[]): Uint8Array => derEncode(TAG.SET, ...parts);

/** Encodes a UTF8String. */
export const derUtf8 = (text: string): Uint8Array =>
  derEncode(TAG.UTF8_STRING, new TextEncoder().encode(text));

/**
 * Encodes a context-specific `[n]` element.
 *
 * @param n the tag number (0-30)
 * @param constructed whether the contents are encoded elements (`[n] EXPLICIT` or an IMPLICIT
 *   constructed type) rather than the contents octets of an IMPLICIT primitive type
 * @param parts the contents
 * @returns the encoding
 */
export function derContext(n: number, constructed: boolean, ...parts: Uint8Array[]): Uint8Array {
  return derEncode((constructed ? 0xa0 : 0x80) | n, ...parts);
}

/**
 * Encodes a time the way Go's encoding/asn1 does for certificates: UTCTime for the years 1950-2049,
 * GeneralizedTime otherwise, in whole seconds with `Z` (RFC 5280 §4.1.2.5).
 *
 * @param ms milliseconds since the epoch
 * @returns the encoding
 */
export function derTimeEncode(ms: number): Uint8Array {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  const p2 = (n: number) => String(n).padStart(2, "0");
  const rest = p2(d.getUTCMonth() + 1) + p2(d.getUTCDate()) + p2(d.getUTCHours()) +
    p2(d.getUTCMinutes()) + p2(d.getUTCSeconds()) + "Z";
  const utc = year >= 1950 && year < 2050;
  const text = (utc ? p2(year % 100) : String(year).padStart(4, "0")) + rest;
  return derEncode(utc ? TAG.UTC_TIME : TAG.GENERALIZED_TIME, new TextEncoder().encode(text));
}
