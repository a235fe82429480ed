/**
 * X.509 certificates (RFC 5280 §4.1), parsed with the rules of Go's `x509.ParseCertificate` where
 * they matter to cosign: the outer and inner signature algorithms must match, extensions appear
 * once each, names hold only the string types Go reads, times are UTCTime or GeneralizedTime, and
 * the extensions cosign and Fulcio use are decoded (basic constraints, key usage, extended key
 * usage, subject alternative names, key identifiers).
 *
 * Every read is bounded: a certificate is at most {@link MAX_CERTIFICATE_BYTES}, nests at most 16
 * deep and has at most 8192 ASN.1 elements; a PEM chain holds at most
 * {@link MAX_CHAIN_CERTIFICATES} certificates unless the caller says otherwise.
 *
 * @module
 */
import {
  derBitString,
  derBitStringBits,
  derBoolean,
  derChildren,
  derEncode,
  derInteger,
  type DerNode,
  derOid,
  derString,
  derTime,
  parseDer,
  TAG,
} from "../asn1/der.ts";
import { decodePem } from "../keys/pem.ts";

/** Most bytes of one DER certificate. */
export const MAX_CERTIFICATE_BYTES = 128 * 1024;
/** Most certificates {@link parseCertificateChainPem} reads by default. */
export const MAX_CHAIN_CERTIFICATES = 16;
/** Most names one subjectAltName extension may hold. */
const MAX_SAN_ENTRIES = 1024;

/** Object identifiers of the certificate extensions read here (RFC 5280 §4.2). */
export const EXTENSION_OID = {
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  nameConstraints: "2.5.29.30",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  /** RFC 6962 §3.3: the embedded signed certificate timestamp list. */
  sctList: "1.3.6.1.4.1.11129.2.4.2",
  /** RFC 6962 §3.1: the precertificate poison. */
  ctPoison: "1.3.6.1.4.1.11129.2.4.3",
} as const;

/** Extended key usage purposes (RFC 5280 §4.2.1.12). */
export const EKU_OID = {
  any: "2.5.29.37.0",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  codeSigning: "1.3.6.1.5.5.7.3.3",
  emailProtection: "1.3.6.1.5.5.7.3.4",
  timeStamping: "1.3.6.1.5.5.7.3.8",
} as const;

/** The key usage bits of RFC 5280 §4.2.1.3, in bit order. */
export const KEY_USAGES = [
  "digitalSignature",
  "contentCommitment",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
] as const;

/** One key usage bit name. */
export type KeyUsage = typeof KEY_USAGES[number];

/** One certificate extension as encoded. */
export interface Extension {
  oid: string;
  critical: boolean;
  /** The contents of `extnValue` (the DER inside the OCTET STRING). */
  value: Uint8Array;
}

/** A distinguished name: its DER and the text Go's `pkix.Name.String()` prints. */
export interface DistinguishedName {
  /** The DER `Name` (RDNSequence), as compared for issuer/subject chaining. */
  der: Uint8Array;
  /** E.g. "CN=sigstore-intermediate,O=sigstore.dev" (RFC 2253 order and escaping, as Go). */
  text: string;
  /** The attributes, one inner list per relative distinguished name, in encoded order. */
  attributes: { oid: string; value: string }[][];
}

/** An `otherName` general name (RFC 5280 §4.2.1.6). */
export interface OtherName {
  /** The `type-id`, e.g. Fulcio's username form 1.3.6.1.4.1.57264.1.7. */
  typeId: string;
  /** The DER inside `[0] EXPLICIT`. */
  value: Uint8Array;
  /** The text when the value is a UTF8String (Fulcio's form), else undefined. */
  utf8?: string;
}

/** The names of a subjectAltName extension, by kind, in encoded order. */
export interface SubjectAltName {
  emails: string[];
  uris: string[];
  dnsNames: string[];
  /** As Go's `net.IP.String()` prints them ("192.0.2.1", "2001:db8::1"). */
  ipAddresses: string[];
  otherNames: OtherName[];
}

/** A parsed certificate. */
export interface Certificate {
  /** The whole certificate DER. */
  der: Uint8Array;
  /** The DER `tbsCertificate`, what the issuer signed. */
  tbs: Uint8Array;
  /** 1, 2 or 3. */
  version: number;
  serialNumber: bigint;
  /** The outer `signatureAlgorithm` (equal to the inner one). */
  signatureAlgorithm: {
    oid: string;
    /** The DER of the parameters, absent when the AlgorithmIdentifier has none. */
    parameters?: Uint8Array;
  };
  /** The signature bits. */
  signature: Uint8Array;
  issuer: DistinguishedName;
  subject: DistinguishedName;
  /** Milliseconds since the epoch. */
  notBefore: number;
  /** Milliseconds since the epoch. */
  notAfter: number;
  /** The DER SubjectPublicKeyInfo. */
  spki: Uint8Array;
  extensions: Extension[];
  basicConstraints?: { ca: boolean; pathLen?: number };
  /** The key usage bits that are set; absent without the extension. */
  keyUsage?: KeyUsage[];
  /** Extended key usage OIDs; absent without the extension. */
  extKeyUsage?: string[];
  subjectAltName?: SubjectAltName;
  subjectKeyId?: Uint8Array;
  authorityKeyId?: Uint8Array;
}

function fail(detail: string, cause?: unknown): SyntaxError {
  return new SyntaxError(`Cannot parse certificate: ${detail}`, { cause });
}

/**
 * Parses a DER certificate.
 *
 * @param der the certificate (at most {@link MAX_CERTIFICATE_BYTES})
 * @returns the certificate; its byte fields are views into `der`
 * @throws {SyntaxError} "Cannot parse certificate: …" when `der` is not a certificate Go's
 *   `x509.ParseCertificate` would accept (within what is checked here)
 * @example
 * ```ts
 * const cert = parseCertificate(der);
 * console.log(cert.subjectAltName?.emails, new Date(cert.notAfter));
 * ```
 */
export function parseCertificate(der: Uint8Array): Certificate {
  if (der.length > MAX_CERTIFICATE_BYTES) {
    throw fail(`larger than ${MAX_CERTIFICATE_BYTES} bytes`);
  }
  try {
    return parse(der);
  } catch (e) {
    if (e instanceof SyntaxError && e.message.startsWith("Cannot parse certificate: ")) throw e;
    throw fail((e as Error).message, e);
  }
}

function parse(der: Uint8Array): Certificate {
  const root = parseDer(der, { maxDepth: 16, maxNodes: 8192, maxBytes: MAX_CERTIFICATE_BYTES });
  const outer = derChildren(root, TAG.SEQUENCE, "certificate");
  if (outer.length !== 3) throw new SyntaxError("certificate: expected 3 elements");
  const [tbsNode, outerAlg, sigNode] = outer;
  const tbs = derChildren(tbsNode, TAG.SEQUENCE, "tbsCertificate");
  let i = 0;
  let version = 1;
  if (tbs[0]?.tag === (TAG.CONTEXT | 0)) {
    const inner = derChildren(tbs[0], TAG.CONTEXT | 0, "version");
    if (inner.length !== 1) throw new SyntaxError("malformed version");
    const v = derInteger(inner[0]);
    if (v < 0n || v > 2n) throw new SyntaxError("invalid version");
    version = Number(v) + 1;
    i++;
  }
  const [serialNode, innerAlg, issuerNode, validityNode, subjectNode, spkiNode] = tbs.slice(
    i,
    i + 6,
  );
  if (!spkiNode) throw new SyntaxError("tbsCertificate: too few elements");
  const serialNumber = derInteger(serialNode);
  if (serialNumber < 0n) throw new SyntaxError("negative serial number");
  if (!bytesEqual(innerAlg.raw, outerAlg.raw)) {
    throw new SyntaxError("inner and outer signature algorithm identifiers don't match");
  }
  const signatureAlgorithm = algorithm(outerAlg);
  const validity = derChildren(validityNode, TAG.SEQUENCE, "validity");
  if (validity.length !== 2) throw new SyntaxError("malformed validity");
  if (spkiNode.tag !== TAG.SEQUENCE) throw new SyntaxError("malformed spki");
  const cert: Certificate = {
    der,
    tbs: tbsNode.raw,
    version,
    serialNumber,
    signatureAlgorithm,
    signature: derBitString(sigNode),
    issuer: parseName(issuerNode),
    subject: parseName(subjectNode),
    notBefore: derTime(validity[0]).ms,
    notAfter: derTime(validity[1]).ms,
    spki: spkiNode.raw,
    extensions: [],
  };
  const rest = tbs.slice(i + 6);
  let next = 0;
  for (const tag of [0x81, 0x82]) { // [1] issuerUniqueID, [2] subjectUniqueID (BIT STRINGs)
    if (rest[next]?.tag === tag) {
      if (version < 2) throw new SyntaxError("unique identifiers in a version 1 certificate");
      next++;
    }
  }
  if (rest[next]?.tag === (TAG.CONTEXT | 3)) {
    if (version !== 3) throw new SyntaxError("extensions in a certificate before version 3");
    const [list, ...more] = derChildren(rest[next], TAG.CONTEXT | 3, "extensions");
    if (!list || more.length) throw new SyntaxError("malformed extensions");
    const seen = new Set<string>();
    for (const ext of derChildren(list, TAG.SEQUENCE, "extensions")) {
      const e = parseExtension(ext);
      if (seen.has(e.oid)) throw new SyntaxError("certificate contains duplicate extensions");
      seen.add(e.oid);
      cert.extensions.push(e);
      decodeExtension(cert, e);
    }
    next++;
  }
  if (next !== rest.length) throw new SyntaxError("tbsCertificate: unexpected elements");
  return cert;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function algorithm(node: DerNode): { oid: string; parameters?: Uint8Array } {
  const parts = derChildren(node, TAG.SEQUENCE, "AlgorithmIdentifier");
  if (parts.length < 1 || parts.length > 2) {
    throw new SyntaxError("AlgorithmIdentifier: wrong element count");
  }
  const out: { oid: string; parameters?: Uint8Array } = { oid: derOid(parts[0]) };
  if (parts[1]) out.parameters = parts[1].raw;
  return out;
}

function parseExtension(node: DerNode): Extension {
  const parts = derChildren(node, TAG.SEQUENCE, "extension");
  let critical = false;
  let k = 1;
  if (parts[1]?.tag === TAG.BOOLEAN) {
    critical = derBoolean(parts[1]);
    k = 2;
  }
  if (parts.length !== k + 1 || parts[k].tag !== TAG.OCTET_STRING) {
    throw new SyntaxError("malformed extension");
  }
  return { oid: derOid(parts[0]), critical, value: parts[k].value };
}

/** Decodes the extensions Go's parser decodes (errors there fail the certificate, as in Go). */
function decodeExtension(cert: Certificate, ext: Extension): void {
  const what = (name: string) => (e: unknown) => {
    throw new SyntaxError(`invalid ${name} extension: ${(e as Error).message}`, { cause: e });
  };
  switch (ext.oid) {
    case EXTENSION_OID.basicConstraints:
      try {
        const parts = derChildren(parseDer(ext.value), TAG.SEQUENCE, "basic constraints");
        let k = 0;
        const bc: { ca: boolean; pathLen?: number } = { ca: false };
        if (parts[k]?.tag === TAG.BOOLEAN) bc.ca = derBoolean(parts[k++]);
        if (parts[k]) {
          const n = derInteger(parts[k++]);
          if (n < 0n || n > 0x7fffffffn) throw new SyntaxError("path length out of range");
          bc.pathLen = Number(n);
        }
        if (k !== parts.length) throw new SyntaxError("unexpected elements");
        cert.basicConstraints = bc;
      } catch (e) {
        what("basic constraints")(e);
      }
      return;
    case EXTENSION_OID.keyUsage:
      try {
        const { bytes } = derBitStringBits(parseDer(ext.value));
        cert.keyUsage = KEY_USAGES.filter((_, bit) => (bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7)));
      } catch (e) {
        what("key usage")(e);
      }
      return;
    case EXTENSION_OID.extKeyUsage:
      try {
        cert.extKeyUsage = derChildren(parseDer(ext.value), TAG.SEQUENCE, "extended key usage")
          .map(derOid);
      } catch (e) {
        what("extended key usage")(e);
      }
      return;
    case EXTENSION_OID.subjectAltName:
      try {
        cert.subjectAltName = parseSan(ext.value);
      } catch (e) {
        what("subject alternative name")(e);
      }
      return;
    case EXTENSION_OID.subjectKeyIdentifier:
      try {
        const node = parseDer(ext.value);
        if (node.tag !== TAG.OCTET_STRING) throw new SyntaxError("expected an OCTET STRING");
        cert.subjectKeyId = node.value;
      } catch (e) {
        what("subject key identifier")(e);
      }
      return;
    case EXTENSION_OID.authorityKeyIdentifier:
      try {
        const parts = derChildren(parseDer(ext.value), TAG.SEQUENCE, "authority key identifier");
        const kid = parts.find((p) => p.tag === 0x80); // [0] IMPLICIT KeyIdentifier
        if (kid) cert.authorityKeyId = kid.value;
      } catch (e) {
        what("authority key identifier")(e);
      }
      return;
  }
}

function parseSan(value: Uint8Array): SubjectAltName {
  const san: SubjectAltName = {
    emails: [],
    uris: [],
    dnsNames: [],
    ipAddresses: [],
    otherNames: [],
  };
  const names = derChildren(
    parseDer(value, { maxNodes: 4 * MAX_SAN_ENTRIES, maxDepth: 8 }),
    TAG.SEQUENCE,
    "GeneralNames",
  );
  if (names.length > MAX_SAN_ENTRIES) throw new SyntaxError("too many names");
  const ia5 = (node: DerNode, what: string): string => {
    if (node.value.some((b) => b >= 0x80)) throw new SyntaxError(`SAN ${what} is malformed`);
    return new TextDecoder().decode(node.value);
  };
  for (const name of names) {
    switch (name.tag) {
      case 0xa0: { // otherName: SEQUENCE { type-id OID, [0] EXPLICIT ANY }
        const [typeId, wrapped, ...more] = name.children!;
        if (!typeId || !wrapped || more.length || wrapped.tag !== 0xa0) {
          throw new SyntaxError("malformed otherName");
        }
        const [inner, ...extra] = wrapped.children!;
        if (!inner || extra.length) throw new SyntaxError("malformed otherName value");
        const other: OtherName = { typeId: derOid(typeId), value: inner.raw };
        if (inner.tag === TAG.UTF8_STRING) other.utf8 = derString(inner);
        san.otherNames.push(other);
        break;
      }
      case 0x81:
        san.emails.push(ia5(name, "rfc822Name"));
        break;
      case 0x82:
        san.dnsNames.push(ia5(name, "dNSName"));
        break;
      case 0x86: {
        const uri = ia5(name, "uniformResourceIdentifier");
        // The part of Go's url.Parse that can fail on an ASCII string in practice.
        if ([...uri].some((c) => c < " " || c === "\x7f")) {
          throw new SyntaxError(
            `cannot parse URI ${JSON.stringify(uri)}: invalid control character in URL`,
          );
        }
        if (/%(?![0-9A-Fa-f]{2})/.test(uri)) {
          throw new SyntaxError(`cannot parse URI ${JSON.stringify(uri)}: invalid URL escape`);
        }
        san.uris.push(uri);
        break;
      }
      case 0x87:
        san.ipAddresses.push(formatIp(name.value));
        break;
      default:
        // x400Address, directoryName, ediPartyName, registeredID: kept only in `extensions`.
        break;
    }
  }
  return san;
}

/** Formats an IP address as Go's `net.IP.String()` does (RFC 5952 for IPv6). */
function formatIp(b: Uint8Array): string {
  if (b.length === 4) return b.join(".");
  if (b.length !== 16) throw new SyntaxError(`cannot parse IP address of length ${b.length}`);
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) {
    return b.subarray(12).join(".");
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i] << 8) | b[i + 1]);
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return hex.slice(0, bestStart).join(":") + "::" + hex.slice(bestStart + bestLen).join(":");
}

// Go's pkix attribute type names (crypto/x509/pkix attributeTypeNames).
const ATTRIBUTE_NAMES: Record<string, string> = {
  "2.5.4.6": "C",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.3": "CN",
  "2.5.4.5": "SERIALNUMBER",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "STREET",
  "2.5.4.17": "POSTALCODE",
};

function parseName(node: DerNode): DistinguishedName {
  const attributes = derChildren(node, TAG.SEQUENCE, "name").map((rdn) =>
    derChildren(rdn, TAG.SET, "relative distinguished name").map((atv) => {
      const [type, value, ...more] = derChildren(atv, TAG.SEQUENCE, "attribute");
      if (!value || more.length) throw new SyntaxError("malformed attribute");
      try {
        return { oid: derOid(type), value: derString(value) };
      } catch (e) {
        throw new SyntaxError(
          `invalid RDNSequence: invalid attribute value: ${(e as Error).message}`,
        );
      }
    })
  );
  return { der: node.raw, text: nameText(attributes), attributes };
}

/**
 * Go's `pkix.Name.String()` of a parsed name: `FillFromRDNSequence`, then attributes of unknown
 * types (in encoded order) followed by the standard ones in `ToRDNSequence` order (C, ST, L,
 * STREET, POSTALCODE, O, OU, CN, SERIALNUMBER), printed in reverse with RFC 2253 escaping.
 */
function nameText(rdns: { oid: string; value: string }[][]): string {
  const by: Record<string, string[]> = {};
  let cn: string | undefined, serial: string | undefined;
  const seq: { oid: string; value: string }[][] = [];
  for (const rdn of rdns) {
    for (const atv of rdn) {
      if (atv.oid === "2.5.4.3") cn = atv.value;
      else if (atv.oid === "2.5.4.5") serial = atv.value;
      else if (ATTRIBUTE_NAMES[atv.oid]) (by[atv.oid] ??= []).push(atv.value);
      else seq.push([atv]);
    }
  }
  for (
    const oid of ["2.5.4.6", "2.5.4.8", "2.5.4.7", "2.5.4.9", "2.5.4.17", "2.5.4.10", "2.5.4.11"]
  ) {
    if (by[oid]) seq.push(by[oid].map((value) => ({ oid, value })));
  }
  if (cn) seq.push([{ oid: "2.5.4.3", value: cn }]);
  if (serial) seq.push([{ oid: "2.5.4.5", value: serial }]);
  return seq.reverse().map((rdn) =>
    rdn.map(({ oid, value }) => {
      const name = ATTRIBUTE_NAMES[oid];
      if (!name) return `${oid}=#${goMarshalString(value).toHex()}`;
      return name + "=" + escapeValue(value);
    }).join("+")
  ).join(",");
}

function escapeValue(v: string): string {
  const bytes = new TextEncoder().encode(v).length;
  let out = "";
  let k = 0; // byte index of the current rune, as Go's range loop
  for (const c of v) {
    const escape = ',+"\\<>;'.includes(c) || (c === " " && (k === 0 || k === bytes - 1)) ||
      (c === "#" && k === 0);
    out += escape ? "\\" + c : c;
    k += new TextEncoder().encode(c).length;
  }
  return out;
}

/** `asn1.Marshal(string)`: PrintableString when every byte is printable, else UTF8String. */
function goMarshalString(v: string): Uint8Array {
  const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(v);
  return derEncode(printable ? TAG.PRINTABLE_STRING : TAG.UTF8_STRING, new TextEncoder().encode(v));
}

/**
 * Extracts the DER SubjectPublicKeyInfo of a DER certificate.
 *
 * `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }` and
 * `TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer, validity,
 * subject, subjectPublicKeyInfo, … }`.
 *
 * @param der the certificate
 * @returns the SubjectPublicKeyInfo bytes (a view into `der`)
 * @throws {SyntaxError} "Cannot parse certificate: …" when the structure is not a certificate
 */
export function certificateSpki(der: Uint8Array): Uint8Array {
  try {
    const cert = derChildren(parseDer(der, { maxDepth: 12 }), TAG.SEQUENCE, "certificate");
    if (cert.length !== 3) throw new SyntaxError("certificate: expected 3 elements");
    const tbs = derChildren(cert[0], TAG.SEQUENCE, "tbsCertificate");
    const first = tbs[0]?.tag === TAG.CONTEXT ? 1 : 0; // [0] EXPLICIT version
    const spki = tbs[first + 5];
    if (!spki || spki.tag !== TAG.SEQUENCE) {
      throw new SyntaxError("tbsCertificate: no subjectPublicKeyInfo");
    }
    return spki.raw;
  } catch (e) {
    throw new SyntaxError(`Cannot parse certificate: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Parses the first PEM block of `pem` as a certificate (the block's label is not checked, as
 * sigstore's `cryptoutils.UnmarshalCertificatesFromPEM`).
 *
 * @param pem PEM text or bytes
 * @returns the certificate
 * @throws {SyntaxError} "Cannot parse certificate: no PEM block found" or a parse error
 */
export function parseCertificatePem(pem: string | Uint8Array): Certificate {
  const block = decodePem(pem);
  if (!block) throw fail("no PEM block found");
  return parseCertificate(block.bytes);
}

/**
 * Parses concatenated PEM certificates (a `--certificate-chain` file, a Fulcio response), as
 * sigstore's `cryptoutils.UnmarshalCertificatesFromPEM`: blocks separated by whitespace only;
 * anything else between or after them is an error.
 *
 * @param pem PEM text or bytes
 * @param maxCertificates most certificates accepted (default {@link MAX_CHAIN_CERTIFICATES})
 * @returns the certificates in file order (possibly empty for blank input)
 * @throws {SyntaxError} "Cannot parse certificate chain: …" for text that is not PEM blocks, more
 *   than `maxCertificates` blocks, or a block that is not a certificate
 */
export function parseCertificateChainPem(
  pem: string | Uint8Array,
  maxCertificates: number = MAX_CHAIN_CERTIFICATES,
): Certificate[] {
  let rest = typeof pem === "string" ? pem : new TextDecoder().decode(pem);
  const out: Certificate[] = [];
  const chainFail = (detail: string, cause?: unknown) =>
    new SyntaxError(`Cannot parse certificate chain: ${detail}`, { cause });
  for (rest = rest.trim(); rest.length > 0; rest = rest.trim()) {
    if (!rest.startsWith("-----BEGIN ")) throw chainFail("error during PEM decoding");
    const typeEnd = rest.indexOf("-----", 11);
    const type = typeEnd < 0 ? "" : rest.slice(11, typeEnd);
    const endMarker = `-----END ${type}-----`;
    const endAt = typeEnd < 0 ? -1 : rest.indexOf(endMarker);
    const block = endAt < 0 ? null : decodePem(rest.slice(0, endAt + endMarker.length));
    if (!block) throw chainFail("error during PEM decoding");
    if (out.length >= maxCertificates) {
      throw chainFail(`more than ${maxCertificates} certificates`);
    }
    try {
      out.push(parseCertificate(block.bytes));
    } catch (e) {
      throw chainFail(`certificate ${out.length + 1}: ${(e as Error).message}`, e);
    }
    rest = rest.slice(endAt + endMarker.length);
  }
  return out;
}
