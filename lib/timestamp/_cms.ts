/**
 * The CMS checks of a time-stamp token (RFC 5652 §5.4, §5.6, §11; RFC 3161 §2.4.2; ESS RFC 2634
 * §5.4 / RFC 5035), the way Go's digitorus/pkcs7 (used by sigstore's timestamp-authority
 * verification library) does them, plus the ESS signing-certificate check RFC 3161 requires.
 *
 * @module
 */
import { sha1 } from "@noble/hashes/legacy.js";
import { sha224 } from "@noble/hashes/sha2.js";
import { digestSync } from "../digest.ts";
import { VerificationError } from "../errors.ts";
import { parsePublicKeyDer, type PublicKey } from "../keys/public_key.ts";
import { bytesReader } from "../stream.ts";
import { verifySignature } from "../signature/verify_signature.ts";
import type { Certificate } from "../x509/certificate.ts";
import { PKI_FAILURE_INFO, type TimestampResponse } from "./parse_timestamp_response.ts";
import {
  HASH_BY_OID,
  type StrongHash,
  TIMESTAMP_OID,
  type TimestampHash,
  type TimestampToken,
} from "./parse_timestamp_token.ts";

/** Whether two byte strings are equal. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const STRONG = new Set<string>(["sha256", "sha384", "sha512"]);

/** Whether `hash` is SHA-256, SHA-384 or SHA-512. */
export function isStrongHash(hash: string | undefined): hash is StrongHash {
  return hash !== undefined && STRONG.has(hash);
}

/**
 * Hashes small bytes.
 *
 * @param hash the algorithm
 * @param bytes the input
 * @returns the digest
 */
export function hashBytes(hash: TimestampHash, bytes: Uint8Array): Uint8Array {
  if (hash === "sha1") return sha1(bytes);
  if (hash === "sha224") return sha224(bytes);
  return digestSync(hash, bytes);
}

function fail(
  code: ConstructorParameters<typeof VerificationError>[0],
  detail: string,
  cause?: unknown,
) {
  return new VerificationError(code, `Cannot verify timestamp: ${detail}`, { cause });
}

/**
 * Checks the signed content: it is a TSTInfo, the content-type attribute says so, and the
 * message-digest attribute is the digest of the TSTInfo.
 *
 * @param token the token
 * @throws {VerificationError} `TIMESTAMP_INVALID`, `TIMESTAMP_HASH_UNSUPPORTED`,
 *   `TIMESTAMP_CONTENT_DIGEST_MISMATCH`
 */
export function checkContent(token: TimestampToken): void {
  if (token.eContentType !== TIMESTAMP_OID.tstInfo) {
    throw fail("TIMESTAMP_INVALID", `content type ${token.eContentType} is not id-ct-TSTInfo`);
  }
  // RFC 5652 §11.1: the content-type attribute must match the encapsulated content type.
  if (token.signer.contentType !== token.eContentType) {
    throw fail("TIMESTAMP_INVALID", "content-type attribute does not match the content");
  }
  const hash = HASH_BY_OID[token.signer.digestAlgorithm];
  if (!isStrongHash(hash)) {
    throw fail(
      "TIMESTAMP_HASH_UNSUPPORTED",
      `unsupported digest algorithm ${hash ?? token.signer.digestAlgorithm}`,
    );
  }
  if (!bytesEqual(hashBytes(hash, token.tstInfo.der), token.signer.messageDigest)) {
    throw fail("TIMESTAMP_CONTENT_DIGEST_MISMATCH", "message digest mismatch");
  }
}

/**
 * Finds the certificate the SignerInfo names (issuer and serial number, or subject key
 * identifier), RFC 5652 §5.3.
 *
 * @param token the token
 * @param candidates the certificates to search, in order
 * @returns the certificate, or undefined
 */
export function findSigner(
  token: TimestampToken,
  candidates: readonly Certificate[],
): Certificate | undefined {
  const sid = token.signer.sid;
  return candidates.find((c) =>
    "subjectKeyId" in sid
      ? c.subjectKeyId !== undefined && bytesEqual(c.subjectKeyId, sid.subjectKeyId)
      : c.serialNumber === sid.serial && bytesEqual(c.issuer.der, sid.issuer)
  );
}

// Signature algorithms as digitorus/pkcs7 maps them: the ECDSA-with-SHA OIDs fix the hash; the
// RSA OIDs, the curve OIDs and id-ecPublicKey take it from the SignerInfo's digestAlgorithm.
const ECDSA_WITH: Record<string, StrongHash> = {
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
};
const ECDSA_BY_DIGEST = new Set([
  "1.2.840.10045.2.1", // id-ecPublicKey (RFC 5753)
  "1.2.840.10045.3.1.7",
  "1.3.132.0.34",
  "1.3.132.0.35",
]);
const RSA_BY_DIGEST = new Set([
  "1.2.840.113549.1.1.1",
  "1.2.840.113549.1.1.5",
  "1.2.840.113549.1.1.11",
  "1.2.840.113549.1.1.12",
  "1.2.840.113549.1.1.13",
]);
const ED25519 = "1.3.101.112";

/**
 * Verifies the SignerInfo's signature over the DER SET OF signed attributes with the key of
 * `cert` (ECDSA, RSA PKCS#1 v1.5 or Ed25519).
 *
 * @param token the token
 * @param cert the signer's certificate
 * @throws {VerificationError} `TIMESTAMP_SIGNATURE_INVALID`, `TIMESTAMP_HASH_UNSUPPORTED` (SHA-1 and
 *   other weak or unknown hashes), `TIMESTAMP_TSA_CERT_INVALID` (unusable key)
 */
export async function checkSignature(token: TimestampToken, cert: Certificate): Promise<void> {
  const { signatureAlgorithm: alg, digestAlgorithm } = token.signer;
  let kind: PublicKey["kind"];
  let hash: string | undefined;
  if (ECDSA_WITH[alg]) [kind, hash] = ["ecdsa", ECDSA_WITH[alg]];
  else if (ECDSA_BY_DIGEST.has(alg)) [kind, hash] = ["ecdsa", HASH_BY_OID[digestAlgorithm]];
  else if (RSA_BY_DIGEST.has(alg)) [kind, hash] = ["rsa", HASH_BY_OID[digestAlgorithm]];
  else if (alg === ED25519) [kind, hash] = ["ed25519", "sha512"];
  else throw fail("TIMESTAMP_SIGNATURE_INVALID", `unsupported signature algorithm ${alg}`);
  if (!isStrongHash(hash)) {
    throw fail(
      "TIMESTAMP_HASH_UNSUPPORTED",
      `unsupported signature hash ${hash ?? digestAlgorithm}`,
    );
  }
  let key: PublicKey;
  try {
    key = parsePublicKeyDer(cert.spki);
  } catch (e) {
    throw fail("TIMESTAMP_TSA_CERT_INVALID", "the TSA certificate's key cannot be used", e);
  }
  if (key.kind !== kind) {
    throw fail(
      "TIMESTAMP_SIGNATURE_INVALID",
      `a ${key.kind} key cannot verify a ${kind} signature`,
    );
  }
  try {
    await verifySignature({
      publicKey: key,
      hash,
      signature: token.signer.signature,
      reader: bytesReader(token.signer.signedAttrs),
    });
  } catch (e) {
    throw fail("TIMESTAMP_SIGNATURE_INVALID", "signature does not verify", e);
  }
}

/**
 * Checks the ESS signing-certificate(-v2) attribute (RFC 3161 §2.4.1 requires it): its first
 * ESSCertID must hash to `cert` and, when it names an issuer and serial, name `cert`'s.
 *
 * @param token the token
 * @param cert the signer's certificate
 * @throws {VerificationError} `TIMESTAMP_SIGNING_CERT_MISMATCH`
 */
export function checkSigningCertificate(token: TimestampToken, cert: Certificate): void {
  const ess = token.signer.signingCertificate;
  if (!ess) {
    throw fail("TIMESTAMP_SIGNING_CERT_MISMATCH", "no signing-certificate attribute");
  }
  if (!bytesEqual(hashBytes(ess.hash, cert.der), ess.certHash)) {
    throw fail(
      "TIMESTAMP_SIGNING_CERT_MISMATCH",
      "the signing-certificate attribute names another certificate",
    );
  }
  const is = ess.issuerSerial;
  if (
    is &&
    (is.serial !== cert.serialNumber || (is.issuer && !bytesEqual(is.issuer, cert.issuer.der)))
  ) {
    throw fail(
      "TIMESTAMP_SIGNING_CERT_MISMATCH",
      "the signing-certificate attribute names another issuer and serial number",
    );
  }
}

const STATUS_TEXT: Record<number, string> = {
  1: "the request is granted with modifications",
  2: "the request is rejected",
  3: "the request is waiting",
  4: "revocation is imminent",
  5: "revocation has occurred",
};

/**
 * The error for a response whose PKIStatus is not "granted", worded as Go's digitorus/timestamp
 * (`<status>: <status strings> (<failure info>)`). That library, which cosign uses, refuses every
 * status above granted, grantedWithMods included, so a token we accepted with it would fail in
 * cosign: it is refused here too.
 *
 * @param resp the response
 * @returns a `TIMESTAMP_NOT_GRANTED` error
 */
export function notGranted(resp: TimestampResponse): VerificationError {
  const text = STATUS_TEXT[resp.status] ?? `unknown status: ${resp.status}`;
  const info = resp.failInfo.map((b) => PKI_FAILURE_INFO[b] ?? `failure bit ${b}`).join(", ");
  return fail(
    "TIMESTAMP_NOT_GRANTED",
    `${text}: ${resp.statusStrings.join(",")} (${info || "unknown failure"})`,
  );
}
