/**
 * RFC 3161 time-stamp tokens: a CMS ContentInfo (RFC 5652 §3) holding SignedData (§5) whose
 * encapsulated content is a TSTInfo (RFC 3161 §2.4.2), read strictly (DER) and with bounds.
 *
 * Nothing is verified here; {@link verifyTimestamp} does that.
 *
 * @module
 */
import {
  derBoolean,
  derChildren,
  derInteger,
  type DerNode,
  derOid,
  derTime,
  parseDer,
  TAG,
} from "../asn1/der.ts";
import { parseCertificate } from "../x509/certificate.ts";

/** Object identifiers of RFC 3161 and CMS. */
export const TIMESTAMP_OID = {
  /** id-signedData, RFC 5652 §5.1. */
  signedData: "1.2.840.113549.1.7.2",
  /** id-ct-TSTInfo, RFC 3161 §2.4.2. */
  tstInfo: "1.2.840.113549.1.9.16.1.4",
  /** Signed attributes, RFC 5652 §11. */
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
  /** ESS signing-certificate, RFC 2634 §5.4 (SHA-1 certificate hashes). */
  signingCertificate: "1.2.840.113549.1.9.16.2.12",
  /** ESS signing-certificate-v2, RFC 5035 §3. */
  signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
} as const;

/** The hash algorithms that appear in tokens, by OID. */
export const HASH_BY_OID: Readonly<Record<string, TimestampHash>> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.4": "sha224",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};

/** A hash algorithm named in a token. */
export type TimestampHash = "sha1" | "sha224" | "sha256" | "sha384" | "sha512";

/** The hashes sigstore accepts in timestamps (timestamp-authority pkg/verification). */
export type StrongHash = "sha256" | "sha384" | "sha512";

/** Most bytes a time-stamp response or token may have (sigstore-go reads at most 1 MiB). */
export const MAX_TIMESTAMP_BYTES = 1024 * 1024;
/** Most certificates a token may embed. */
export const MAX_TIMESTAMP_CERTIFICATES = 32;

/** Limits for the DER reader: deep enough for a Name inside an ESSCertIDv2 inside SignedData. */
export const TIMESTAMP_DER_LIMITS = {
  maxBytes: MAX_TIMESTAMP_BYTES,
  maxDepth: 24,
  maxNodes: 16384,
} as const;

/** TSTInfo, RFC 3161 §2.4.2. */
export interface TstInfo {
  /** The DER of the TSTInfo (the signed content). */
  der: Uint8Array;
  /** TSTInfo version (1). */
  version: number;
  /** The TSA policy under which the token was issued (dotted OID). */
  policy: string;
  /** The message imprint's hash algorithm (dotted OID). */
  hashAlgorithm: string;
  /** Its name, when known. */
  hash?: TimestampHash;
  /** The digest of the timestamped data (cosign: of the signature bytes). */
  hashedMessage: Uint8Array;
  /** The token's serial number, unique per TSA. */
  serialNumber: bigint;
  /** The time, milliseconds since the epoch (digits below the millisecond are dropped). */
  genTime: number;
  /** The fraction-of-second digits of genTime as written ("" when none). */
  genTimeFraction: string;
  /** Accuracy, when stated; absent parts are 0. */
  accuracy?: { seconds: number; millis: number; micros: number };
  /** Whether tokens of this TSA are ordered by genTime alone. */
  ordering: boolean;
  /** The request's nonce, echoed. */
  nonce?: bigint;
  /** The TSA's GeneralName, DER, when present. */
  tsa?: Uint8Array;
  /** TSTInfo extensions (`extnValue` contents). */
  extensions: { oid: string; critical: boolean; value: Uint8Array }[];
}

/** How the signer names its certificate, RFC 5652 §5.3. */
export type SignerIdentifier =
  | { issuer: Uint8Array; serial: bigint }
  | { subjectKeyId: Uint8Array };

/** An ESSCertID / ESSCertIDv2 (RFC 2634 §5.4.1, RFC 5035 §4). */
export interface EssCertId {
  /** The hash of `certHash` (ESS v1: SHA-1; v2: SHA-256 unless stated). */
  hash: TimestampHash;
  /** The hash of the whole signing certificate. */
  certHash: Uint8Array;
  /** IssuerSerial: the issuer's directoryName (DER Name) and serial, when present. */
  issuerSerial?: { issuer?: Uint8Array; serial: bigint };
}

/** The one SignerInfo of a token. */
export interface TimestampSignerInfo {
  /** SignerInfo version (1 with issuerAndSerialNumber, 3 with subjectKeyIdentifier). */
  version: number;
  /** Which certificate signed. */
  sid: SignerIdentifier;
  /** The digest algorithm (dotted OID) for messageDigest and the signature. */
  digestAlgorithm: string;
  /** DER `SET OF Attribute` of the signed attributes: what the signature covers (§5.4). */
  signedAttrs: Uint8Array;
  /** The values of the content-type attribute (dotted OID). */
  contentType: string;
  /** The value of the message-digest attribute. */
  messageDigest: Uint8Array;
  /** The signing-time attribute, when present and readable, milliseconds since the epoch. */
  signingTime?: number;
  /** The first ESSCertID(v2) of the signing-certificate(-v2) attribute. */
  signingCertificate?: EssCertId & { version: 1 | 2 };
  /** The signature algorithm (dotted OID). */
  signatureAlgorithm: string;
  /** Its parameters (DER), when present. */
  signatureAlgorithmParams?: Uint8Array;
  /** The signature over {@link TimestampSignerInfo.signedAttrs}. */
  signature: Uint8Array;
}

/** A parsed time-stamp token. */
export interface TimestampToken {
  /** The ContentInfo DER. */
  der: Uint8Array;
  /** SignedData digestAlgorithms (dotted OIDs). */
  digestAlgorithms: string[];
  /** The encapsulated content type (dotted OID; id-ct-TSTInfo for a valid token). */
  eContentType: string;
  /** The embedded certificates (DER), in order. */
  certificates: Uint8Array[];
  /** The one SignerInfo. */
  signer: TimestampSignerInfo;
  /** The signed content. */
  tstInfo: TstInfo;
}

function bad(detail: string): SyntaxError {
  return new SyntaxError(detail);
}

function optionalAlgorithm(node: DerNode, what: string): { oid: string; params?: DerNode } {
  const parts = derChildren(node, TAG.SEQUENCE, what);
  if (parts.length < 1 || parts.length > 2) throw bad(`${what}: wrong element count`);
  return { oid: derOid(parts[0]), params: parts[1] };
}

function smallInt(node: DerNode, what: string): number {
  const v = derInteger(node);
  if (v < -(2n ** 31n) || v >= 2n ** 31n) throw bad(`${what} out of range`);
  return Number(v);
}

function readTstInfo(der: Uint8Array): TstInfo {
  const parts = derChildren(parseDer(der, TIMESTAMP_DER_LIMITS), TAG.SEQUENCE, "TSTInfo");
  let i = 0;
  const next = () =>
    parts[i++] ?? (() => {
      throw bad("TSTInfo: missing elements");
    })();
  const version = smallInt(next(), "TSTInfo version");
  const policy = derOid(next());
  const imprint = derChildren(next(), TAG.SEQUENCE, "MessageImprint");
  if (imprint.length !== 2) throw bad("MessageImprint: wrong element count");
  const hashAlgorithm = optionalAlgorithm(imprint[0], "MessageImprint hashAlgorithm").oid;
  if (imprint[1].tag !== TAG.OCTET_STRING) throw bad("MessageImprint: no hashedMessage");
  const serialNumber = derInteger(next());
  const genNode = next();
  if (genNode.tag !== TAG.GENERALIZED_TIME) throw bad("TSTInfo: genTime is not a GeneralizedTime");
  const gen = derTime(genNode);
  const out: TstInfo = {
    der,
    version,
    policy,
    hashAlgorithm,
    hashedMessage: imprint[1].value,
    serialNumber,
    genTime: gen.ms,
    genTimeFraction: gen.fraction,
    ordering: false,
    extensions: [],
  };
  const hash = HASH_BY_OID[hashAlgorithm];
  if (hash) out.hash = hash;
  // The optional fields, in order: accuracy, ordering, nonce, [0] tsa, [1] extensions.
  let order = 0;
  const step = (n: number, what: string) => {
    if (n <= order) throw bad(`TSTInfo: ${what} out of order`);
    order = n;
  };
  for (; i < parts.length; i++) {
    const node = parts[i];
    if (node.tag === TAG.SEQUENCE) {
      step(1, "accuracy");
      const acc = { seconds: 0, millis: 0, micros: 0 };
      let last = 0;
      for (const a of node.children!) {
        const rank = a.tag === TAG.INTEGER ? 1 : a.tag === 0x80 ? 2 : a.tag === 0x81 ? 3 : 0;
        if (rank <= last) throw bad("Accuracy: unexpected element");
        last = rank;
        // millis and micros are [0] and [1] IMPLICIT INTEGER (1..999)
        const v = smallInt({ ...a, tag: TAG.INTEGER }, "Accuracy");
        if (rank === 1) {
          if (v < 0) throw bad("Accuracy: negative seconds");
          acc.seconds = v;
        } else if (v < 1 || v > 999) throw bad("Accuracy: millis and micros must be 1..999");
        else if (rank === 2) acc.millis = v;
        else acc.micros = v;
      }
      out.accuracy = acc;
    } else if (node.tag === TAG.BOOLEAN) {
      step(2, "ordering");
      out.ordering = derBoolean(node);
    } else if (node.tag === TAG.INTEGER) {
      step(3, "nonce");
      out.nonce = derInteger(node);
    } else if (node.tag === (TAG.CONTEXT | 0)) {
      step(4, "tsa");
      if (node.children!.length !== 1) throw bad("TSTInfo: tsa is not one GeneralName");
      out.tsa = node.children![0].raw;
    } else if (node.tag === (TAG.CONTEXT | 1)) {
      step(5, "extensions");
      for (const ext of node.children!) {
        const [id, second, third] = derChildren(ext, TAG.SEQUENCE, "TSTInfo extension");
        const octets = third ?? second;
        if (!octets || octets.tag !== TAG.OCTET_STRING) throw bad("TSTInfo extension: no value");
        out.extensions.push({
          oid: derOid(id),
          critical: third ? derBoolean(second) : false,
          value: octets.value,
        });
      }
    } else {
      throw bad(`TSTInfo: unexpected element (tag 0x${node.tag.toString(16)})`);
    }
  }
  return out;
}

function readEssCertIds(value: DerNode, v2: boolean): EssCertId | undefined {
  // SigningCertificate(V2) ::= SEQUENCE { certs SEQUENCE OF ESSCertID(v2), policies OPTIONAL }
  const outer = derChildren(value, TAG.SEQUENCE, "SigningCertificate");
  if (outer.length < 1 || outer.length > 2) throw bad("SigningCertificate: wrong element count");
  const certs = derChildren(outer[0], TAG.SEQUENCE, "SigningCertificate certs");
  const first = certs[0];
  if (!first) return undefined;
  const parts = derChildren(first, TAG.SEQUENCE, "ESSCertID");
  let i = 0;
  let hash: TimestampHash | undefined = v2 ? "sha256" : "sha1"; // ESSCertIDv2 default: SHA-256
  if (v2 && parts[0]?.tag === TAG.SEQUENCE) {
    hash = HASH_BY_OID[optionalAlgorithm(parts[i++], "ESSCertIDv2 hashAlgorithm").oid];
    if (!hash) throw bad("ESSCertIDv2: unknown hash algorithm");
  }
  const certHash = parts[i++];
  if (!certHash || certHash.tag !== TAG.OCTET_STRING) throw bad("ESSCertID: no certHash");
  const out: EssCertId = { hash, certHash: certHash.value };
  const is = parts[i++];
  if (is) {
    const [names, serial] = derChildren(is, TAG.SEQUENCE, "IssuerSerial");
    if (!serial) throw bad("IssuerSerial: no serialNumber");
    // GeneralNames: the directoryName [4] EXPLICIT Name is what a certificate issuer can match.
    const dir = derChildren(names, TAG.SEQUENCE, "IssuerSerial issuer")
      .find((n) => n.tag === (TAG.CONTEXT | 4));
    out.issuerSerial = { serial: derInteger(serial), issuer: dir?.children?.[0]?.raw };
  }
  if (i < parts.length) throw bad("ESSCertID: unexpected element");
  return out;
}

function readSignerInfo(node: DerNode): TimestampSignerInfo {
  const parts = derChildren(node, TAG.SEQUENCE, "SignerInfo");
  if (parts.length < 5) throw bad("SignerInfo: missing elements");
  const version = smallInt(parts[0], "SignerInfo version");
  let sid: SignerIdentifier;
  if (parts[1].tag === TAG.SEQUENCE) {
    const [issuer, serial, ...rest] = derChildren(parts[1], TAG.SEQUENCE, "IssuerAndSerialNumber");
    if (!serial || rest.length) throw bad("IssuerAndSerialNumber: wrong element count");
    derChildren(issuer, TAG.SEQUENCE, "IssuerAndSerialNumber issuer");
    sid = { issuer: issuer.raw, serial: derInteger(serial) };
  } else if (parts[1].tag === 0x80) {
    sid = { subjectKeyId: parts[1].value }; // [0] IMPLICIT SubjectKeyIdentifier
  } else throw bad("SignerInfo: unknown signer identifier");
  const digestAlgorithm = optionalAlgorithm(parts[2], "SignerInfo digestAlgorithm").oid;
  // signedAttrs are required: RFC 5652 §5.3, the content type is not id-data.
  if (parts[3].tag !== (TAG.CONTEXT | 0)) throw bad("SignerInfo: no signed attributes");
  const attrsNode = parts[3];
  const signedAttrs = attrsNode.raw.slice();
  signedAttrs[0] = TAG.SET; // §5.4: the signature covers the EXPLICIT SET OF encoding
  const seen = new Set<string>();
  let contentType: string | undefined;
  let messageDigest: Uint8Array | undefined;
  let signingTime: number | undefined;
  let signingCertificate: TimestampSignerInfo["signingCertificate"];
  for (const attr of attrsNode.children!) {
    const [typeNode, values, ...rest] = derChildren(attr, TAG.SEQUENCE, "Attribute");
    if (!values || rest.length) throw bad("Attribute: wrong element count");
    const type = derOid(typeNode);
    const vals = derChildren(values, TAG.SET, "Attribute values");
    const single = [
      TIMESTAMP_OID.contentType,
      TIMESTAMP_OID.messageDigest,
      TIMESTAMP_OID.signingTime,
      TIMESTAMP_OID.signingCertificate,
      TIMESTAMP_OID.signingCertificateV2,
    ] as string[];
    if (single.includes(type)) {
      // RFC 5652 §11: these attributes appear once, with one value.
      if (seen.has(type)) throw bad(`signed attribute ${type} appears twice`);
      if (vals.length !== 1) throw bad(`signed attribute ${type} must have one value`);
    }
    seen.add(type);
    const v = vals[0];
    if (type === TIMESTAMP_OID.contentType) contentType = derOid(v);
    else if (type === TIMESTAMP_OID.messageDigest) {
      if (v.tag !== TAG.OCTET_STRING) throw bad("messageDigest: not an OCTET STRING");
      messageDigest = v.value;
    } else if (type === TIMESTAMP_OID.signingTime) {
      try {
        signingTime = derTime(v).ms;
      } catch { /* Go's pkcs7 skips its check when signing-time does not parse */ }
    } else if (type === TIMESTAMP_OID.signingCertificateV2) {
      const id = readEssCertIds(v, true);
      if (id) signingCertificate = { ...id, version: 2 };
    } else if (type === TIMESTAMP_OID.signingCertificate && !signingCertificate) {
      const id = readEssCertIds(v, false);
      if (id) signingCertificate = { ...id, version: 1 };
    }
  }
  if (!contentType) throw bad("signed attributes: no content-type");
  if (!messageDigest) throw bad("signed attributes: no message-digest");
  const sigAlg = derChildren(parts[4], TAG.SEQUENCE, "SignerInfo signatureAlgorithm");
  if (sigAlg.length < 1 || sigAlg.length > 2) throw bad("signatureAlgorithm: wrong element count");
  const signature = parts[5];
  if (!signature || signature.tag !== TAG.OCTET_STRING) throw bad("SignerInfo: no signature");
  if (parts.length > 7 || (parts[6] && parts[6].tag !== (TAG.CONTEXT | 1))) {
    throw bad("SignerInfo: unexpected element");
  }
  const out: TimestampSignerInfo = {
    version,
    sid,
    digestAlgorithm,
    signedAttrs,
    contentType,
    messageDigest,
    signatureAlgorithm: derOid(sigAlg[0]),
    signature: signature.value,
  };
  if (sigAlg[1]) out.signatureAlgorithmParams = sigAlg[1].raw;
  if (signingTime !== undefined) out.signingTime = signingTime;
  if (signingCertificate) out.signingCertificate = signingCertificate;
  return out;
}

/** Reads a time-stamp token from its parsed ContentInfo node. */
function readTimestampToken(node: DerNode): TimestampToken {
  try {
    const [type, content, ...rest] = derChildren(node, TAG.SEQUENCE, "ContentInfo");
    if (!content || rest.length) throw bad("ContentInfo: wrong element count");
    if (derOid(type) !== TIMESTAMP_OID.signedData) throw bad("ContentInfo: not SignedData");
    const explicit = derChildren(content, TAG.CONTEXT | 0, "ContentInfo content");
    if (explicit.length !== 1) throw bad("ContentInfo: wrong content");
    const sd = derChildren(explicit[0], TAG.SEQUENCE, "SignedData");
    if (sd.length < 4) throw bad("SignedData: missing elements");
    smallInt(sd[0], "SignedData version");
    const digestAlgorithms = derChildren(sd[1], TAG.SET, "SignedData digestAlgorithms")
      .map((a) => optionalAlgorithm(a, "digestAlgorithm").oid);
    const eci = derChildren(sd[2], TAG.SEQUENCE, "EncapsulatedContentInfo");
    const eContentType = derOid(
      eci[0] ?? (() => {
        throw bad("EncapsulatedContentInfo: empty");
      })(),
    );
    if (eci.length !== 2) throw bad("EncapsulatedContentInfo: no content");
    const wrapped = derChildren(eci[1], TAG.CONTEXT | 0, "eContent");
    if (wrapped.length !== 1 || wrapped[0].tag !== TAG.OCTET_STRING) {
      throw bad("eContent: not one OCTET STRING");
    }
    const eContent = wrapped[0].value;
    let i = 3;
    const certificates: Uint8Array[] = [];
    if (sd[i]?.tag === (TAG.CONTEXT | 0)) {
      const list = sd[i++].children!;
      if (list.length > MAX_TIMESTAMP_CERTIFICATES) {
        throw bad(`more than ${MAX_TIMESTAMP_CERTIFICATES} certificates`);
      }
      // Only X.509 certificates (SEQUENCE); the other CertificateChoices are not used by TSAs.
      for (const c of list) {
        if (c.tag === TAG.SEQUENCE) certificates.push(parseCertificate(c.raw).der);
      }
    }
    if (sd[i]?.tag === (TAG.CONTEXT | 1)) i++; // crls
    const infos = derChildren(
      sd[i++] ?? bad2("SignedData: no signerInfos"),
      TAG.SET,
      "signerInfos",
    );
    if (i !== sd.length) throw bad("SignedData: unexpected element");
    // RFC 3161 §2.4.2: the token holds no signature other than the TSA's (Go: GetOnlySigner).
    if (infos.length !== 1) throw bad(`expected one SignerInfo, found ${infos.length}`);
    const signer = readSignerInfo(infos[0]);
    let tstInfo: TstInfo;
    try {
      tstInfo = readTstInfo(eContent);
    } catch (e) {
      const message = (e as Error).message;
      throw bad(message.startsWith("TSTInfo") ? message : `TSTInfo: ${message}`);
    }
    return { der: node.raw, digestAlgorithms, eContentType, certificates, signer, tstInfo };
  } catch (e) {
    throw new SyntaxError(`Cannot parse timestamp token: ${(e as Error).message}`, { cause: e });
  }
}

function bad2(detail: string): never {
  throw bad(detail);
}

/**
 * Parses a DER time-stamp token (ContentInfo of SignedData of TSTInfo), RFC 3161 §2.4.2.
 *
 * @param der the token
 * @returns the token's fields; nothing is verified
 * @throws {SyntaxError} "Cannot parse timestamp token: …" for anything malformed or over the
 *   bounds ({@link MAX_TIMESTAMP_BYTES}, {@link MAX_TIMESTAMP_CERTIFICATES})
 */
export function parseTimestampToken(der: Uint8Array): TimestampToken {
  let node: DerNode;
  try {
    node = parseDer(der, TIMESTAMP_DER_LIMITS);
  } catch (e) {
    throw new SyntaxError(`Cannot parse timestamp token: ${(e as Error).message}`, { cause: e });
  }
  return readTimestampToken(node);
}
