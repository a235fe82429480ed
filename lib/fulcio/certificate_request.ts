/**
 * PKCS#10 certificate signing requests (RFC 2986 §4), the second way Fulcio accepts a proof of
 * possession (fulcio.proto `certificate_signing_request`: the CSR's signature proves the key; its
 * subject and attributes are ignored). Written as Go's `x509.CreateCertificateRequest` writes one
 * with an empty template: version 0, an empty subject, the key, no attributes.
 *
 * @module
 */
import {
  DER_NULL,
  derBits,
  derChildren,
  derEncode,
  derOidEncode,
  derSequence,
  derUint,
  parseDer,
  TAG,
} from "../asn1/der.ts";
import { encodePem } from "../keys/pem.ts";
import type { Signer } from "../signature/signer.ts";
import { bytesReader } from "../stream.ts";

/** The signature algorithm identifiers (RFC 5758 §3.2, RFC 4055 §5, RFC 8410 §3). */
const SIGNATURE_ALGORITHM: Record<string, Uint8Array> = {
  "ecdsa/sha256": derSequence(derOidEncode("1.2.840.10045.4.3.2")),
  "ecdsa/sha384": derSequence(derOidEncode("1.2.840.10045.4.3.3")),
  "ecdsa/sha512": derSequence(derOidEncode("1.2.840.10045.4.3.4")),
  "rsa/sha256": derSequence(derOidEncode("1.2.840.113549.1.1.11"), DER_NULL),
  "rsa/sha384": derSequence(derOidEncode("1.2.840.113549.1.1.12"), DER_NULL),
  "rsa/sha512": derSequence(derOidEncode("1.2.840.113549.1.1.13"), DER_NULL),
  "ed25519/sha512": derSequence(derOidEncode("1.3.101.112")),
};

/** A signed CSR. */
export interface CertificateRequest {
  der: Uint8Array;
  /** `-----BEGIN CERTIFICATE REQUEST-----`, the form Fulcio's `cryptoutils.ParseCSR` reads. */
  pem: string;
}

/**
 * Creates a CSR for the signer's key, signed by it.
 *
 * @param signer ECDSA, RSA PKCS#1 v1.5 or pure Ed25519 (an Ed25519ph signer would make a
 *   signature no CSR parser accepts)
 * @returns the CSR as DER and PEM
 * @throws {TypeError} for a key/hash pair without a CSR signature algorithm
 */
export async function createCertificateRequest(signer: Signer): Promise<CertificateRequest> {
  const alg = SIGNATURE_ALGORITHM[`${signer.publicKey.kind}/${signer.hash}`];
  if (!alg) {
    throw new TypeError(
      `Cannot create certificate request: no signature algorithm for ${signer.publicKey.kind} with ${signer.hash}`,
    );
  }
  const info = derSequence(
    derUint(0n),
    derSequence(), // subject: the empty Name
    signer.publicKey.spki,
    derEncode(TAG.CONTEXT | 0, new Uint8Array(0)), // attributes [0] IMPLICIT SET OF: none
  );
  const signature = await signer.sign(bytesReader(info));
  const der = derSequence(info, alg, derBits(signature));
  return { der, pem: encodePem("CERTIFICATE REQUEST", der) };
}

/**
 * The SubjectPublicKeyInfo of a CSR.
 *
 * @param der the CSR
 * @returns the SPKI bytes (a view into `der`)
 * @throws {SyntaxError} "Cannot parse certificate request: …"
 */
export function certificateRequestSpki(der: Uint8Array): Uint8Array {
  try {
    const csr = derChildren(parseDer(der, { maxDepth: 12 }), TAG.SEQUENCE, "certificationRequest");
    const info = derChildren(csr[0], TAG.SEQUENCE, "certificationRequestInfo");
    const spki = info[2];
    if (!spki || spki.tag !== TAG.SEQUENCE) throw new SyntaxError("no subjectPKInfo");
    return spki.raw;
  } catch (e) {
    throw new SyntaxError(`Cannot parse certificate request: ${(e as Error).message}`, {
      cause: e,
    });
  }
}
