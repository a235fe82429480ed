/**
 * The fields of an X.509 certificate (RFC 5280 §4.1) that timestamp verification needs: issuer and
 * serial (CMS signer identification), subject key identifier, validity, basic constraints and
 * extended key usage (RFC 3161 §2.3). Chain building and signature checks are not done here: they
 * are injected (lib/x509 owns them).
 *
 * @module
 */
import {
  derBitString,
  derBoolean,
  derChildren,
  derInteger,
  type DerNode,
  derOid,
  derTime,
  parseDer,
  TAG,
} from "../asn1/der.ts";

/** Object identifiers of the certificate extensions read here. */
export const CERT_OID = {
  basicConstraints: "2.5.29.19",
  extKeyUsage: "2.5.29.37",
  subjectKeyIdentifier: "2.5.29.14",
  /** id-kp-timeStamping, RFC 5280 §4.2.1.12. */
  timeStamping: "1.3.6.1.5.5.7.3.8",
  /** anyExtendedKeyUsage. */
  anyExtendedKeyUsage: "2.5.29.37.0",
} as const;

/** One certificate extension. */
export interface CertificateExtension {
  oid: string;
  critical: boolean;
  /** The contents of `extnValue` (the DER inside the OCTET STRING). */
  value: Uint8Array;
}

/** A parsed certificate. */
export interface TsaCertificate {
  /** The whole certificate DER. */
  der: Uint8Array;
  /** The TBSCertificate DER (what the issuer signed). */
  tbs: Uint8Array;
  /** The issuer's signature algorithm (dotted OID) and signature. */
  signatureAlgorithm: string;
  signatureValue: Uint8Array;
  serial: bigint;
  /** The issuer Name, DER as written (CMS compares it byte for byte). */
  issuer: Uint8Array;
  subject: Uint8Array;
  /** Validity, milliseconds since the epoch. */
  notBefore: number;
  notAfter: number;
  /** The SubjectPublicKeyInfo DER. */
  spki: Uint8Array;
  extensions: CertificateExtension[];
  /** basicConstraints present with cA TRUE (Go's `IsCA`). */
  isCA: boolean;
  /** The extended key usages, when the extension is present. */
  extKeyUsage?: { oids: string[]; critical: boolean };
  subjectKeyId?: Uint8Array;
}

/**
 * Reads a certificate from its parsed DER node.
 *
 * @param node the Certificate SEQUENCE
 * @returns the fields
 * @throws {SyntaxError} "Cannot parse certificate: …" when it is not a well-formed certificate
 */
export function readCertificate(node: DerNode): TsaCertificate {
  try {
    const parts = derChildren(node, TAG.SEQUENCE, "certificate");
    if (parts.length !== 3) throw new SyntaxError("certificate: expected 3 elements");
    const signatureValue = derBitString(parts[2]);
    const signatureAlgorithm = derOid(
      derChildren(parts[1], TAG.SEQUENCE, "signatureAlgorithm")[0] ?? fail("no algorithm"),
    );
    const tbs = derChildren(parts[0], TAG.SEQUENCE, "tbsCertificate");
    let i = tbs[0]?.tag === TAG.CONTEXT ? 1 : 0; // [0] EXPLICIT version
    const serial = derInteger(tbs[i++] ?? fail("no serialNumber"));
    derChildren(tbs[i++] ?? fail("no signature"), TAG.SEQUENCE, "signature");
    const issuer = tbs[i++] ?? fail("no issuer");
    derChildren(issuer, TAG.SEQUENCE, "issuer");
    const validity = derChildren(tbs[i++] ?? fail("no validity"), TAG.SEQUENCE, "validity");
    if (validity.length !== 2) throw new SyntaxError("validity: expected 2 elements");
    const subject = tbs[i++] ?? fail("no subject");
    derChildren(subject, TAG.SEQUENCE, "subject");
    const spki = tbs[i++] ?? fail("no subjectPublicKeyInfo");
    derChildren(spki, TAG.SEQUENCE, "subjectPublicKeyInfo");
    const extensions: CertificateExtension[] = [];
    for (; i < tbs.length; i++) {
      if (tbs[i].tag !== (TAG.CONTEXT | 3)) continue; // [1]/[2] unique identifiers
      const list = derChildren(tbs[i], TAG.CONTEXT | 3, "extensions")[0];
      for (const ext of derChildren(list ?? fail("empty extensions"), TAG.SEQUENCE, "extensions")) {
        const [id, second, third] = derChildren(ext, TAG.SEQUENCE, "extension");
        const critical = third ? derBoolean(second) : false;
        const octets = third ?? second;
        if (!octets || octets.tag !== TAG.OCTET_STRING) {
          throw new SyntaxError("extension: no value");
        }
        const oid = derOid(id);
        // Go's x509.ParseCertificate refuses repeated extensions.
        if (extensions.some((e) => e.oid === oid)) {
          throw new SyntaxError(`duplicate extension ${oid}`);
        }
        extensions.push({ oid, critical, value: octets.value });
      }
    }
    const cert: TsaCertificate = {
      der: node.raw,
      tbs: parts[0].raw,
      signatureAlgorithm,
      signatureValue,
      serial,
      issuer: issuer.raw,
      subject: subject.raw,
      notBefore: derTime(validity[0]).ms,
      notAfter: derTime(validity[1]).ms,
      spki: spki.raw,
      extensions,
      isCA: false,
    };
    for (const ext of extensions) {
      if (ext.oid === CERT_OID.basicConstraints) {
        const bc = derChildren(parseDer(ext.value), TAG.SEQUENCE, "basicConstraints");
        cert.isCA = bc[0]?.tag === TAG.BOOLEAN && derBoolean(bc[0]);
      } else if (ext.oid === CERT_OID.extKeyUsage) {
        const oids = derChildren(parseDer(ext.value), TAG.SEQUENCE, "extKeyUsage").map(derOid);
        cert.extKeyUsage = { oids, critical: ext.critical };
      } else if (ext.oid === CERT_OID.subjectKeyIdentifier) {
        const ski = parseDer(ext.value);
        if (ski.tag !== TAG.OCTET_STRING) throw new SyntaxError("subjectKeyIdentifier: not octets");
        cert.subjectKeyId = ski.value;
      }
    }
    return cert;
  } catch (e) {
    throw new SyntaxError(`Cannot parse certificate: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Parses a DER certificate.
 *
 * @param der the certificate
 * @returns the fields
 * @throws {SyntaxError} "Cannot parse certificate: …"
 */
export function parseCertificateDer(der: Uint8Array): TsaCertificate {
  let node: DerNode;
  try {
    node = parseDer(der, { maxDepth: 16, maxBytes: 64 * 1024 });
  } catch (e) {
    throw new SyntaxError(`Cannot parse certificate: ${(e as Error).message}`, { cause: e });
  }
  return readCertificate(node);
}

function fail(detail: string): never {
  throw new SyntaxError(`tbsCertificate: ${detail}`);
}

/** Whether two byte strings are equal. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
