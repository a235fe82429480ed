/**
 * X.509 for keyless verification: certificates, path validation to a trusted certificate
 * authority, Fulcio's extensions, cosign's identity policy and signed certificate timestamps.
 *
 * @module
 */
export {
  certificateSpki,
  EKU_OID,
  EXTENSION_OID,
  KEY_USAGES,
  MAX_CERTIFICATE_BYTES,
  MAX_CHAIN_CERTIFICATES,
  parseCertificate,
  parseCertificateChainPem,
  parseCertificatePem,
} from "./certificate.ts";
export type {
  Certificate,
  DistinguishedName,
  Extension,
  KeyUsage,
  OtherName,
  SubjectAltName,
} from "./certificate.ts";
export { assertNoRootInChain, verifyCertificateChain } from "./verify_certificate_chain.ts";
export type {
  CertificateAuthorityLike,
  VerifyCertificateChainOptions,
} from "./verify_certificate_chain.ts";
export {
  certificateIdentity,
  cosignCertificateFields,
  FULCIO_OID,
  otherNameSan,
  parseFulcioExtensions,
  rawExtension,
  subjectAlternativeNames,
} from "./fulcio_extensions.ts";
export type { CosignCertificateFields, FulcioExtensions } from "./fulcio_extensions.ts";
export { matchIdentity } from "./match_identity.ts";
export type {
  CertificateIdentityOptions,
  IdentityMatchMode,
  MatchedIdentity,
} from "./match_identity.ts";
export {
  ctLogId,
  embeddedScts,
  parseDetachedSct,
  verifyDetachedSct,
  verifyEmbeddedScts,
  verifySct,
} from "./sct.ts";
export type { CtLogKey, SctPolicy, SignedCertificateTimestamp, VerifiedSct } from "./sct.ts";
