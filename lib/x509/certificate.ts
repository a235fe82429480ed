/**
 * The little of X.509 (RFC 5280 §4.1) needed so far: the SubjectPublicKeyInfo of a certificate.
 * No chain, validity or extension checks happen here.
 *
 * @module
 */
import { derChildren, parseDer, TAG } from "../asn1/der.ts";

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
