/**
 * The Fulcio certificate authority: certificate requests (v1 and v2 APIs, signed subject or
 * PKCS#10 CSR) and trust bundles.
 *
 * @module
 */

export {
  DEFAULT_FULCIO_URL,
  FulcioClient,
  MAX_CHAIN_LENGTH,
  MAX_FULCIO_RESPONSE,
} from "./fulcio_client.ts";
export type {
  FulcioApiVersion,
  FulcioClientOptions,
  FulcioSct,
  FulcioTrustBundle,
  ProofOfPossession,
  SigningCertificate,
  SigningCertificateRequest,
} from "./fulcio_client.ts";
export { certificateRequestSpki, createCertificateRequest } from "./certificate_request.ts";
export type { CertificateRequest } from "./certificate_request.ts";
