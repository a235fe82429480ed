/**
 * Verification: one verifier ({@link verifyEntity}) fed by a {@link VerificationPolicy}, and
 * the seven entry points that normalise what they fetched into a {@link SignedEntity}.
 *
 * @module
 */

export { decodeSignature } from "./decode_signature.ts";
export { readSignatureRef, verifyBlob } from "./verify_blob.ts";
export type { VerifyBlobOptions } from "./verify_blob.ts";
export {
  MAX_SIGNATURES,
  renderVerificationHeader,
  renderVerificationOutput,
  verifyImage,
} from "./verify_image.ts";
export type {
  SignatureLayer,
  VerificationHeaderOptions,
  VerifiedSignature,
  VerifyImageOptions,
  VerifyImageResult,
} from "./verify_image.ts";
export { verifyBlobAttestation } from "./verify_blob_attestation.ts";
export type { VerifyBlobAttestationOptions } from "./verify_blob_attestation.ts";
export { verifyBlobBundle } from "./verify_blob_bundle.ts";
export type { VerifyBlobBundleOptions } from "./verify_blob_bundle.ts";
export { verifyBlobAttestationBundle } from "./verify_blob_attestation_bundle.ts";
export type { VerifyBlobAttestationBundleOptions } from "./verify_blob_attestation_bundle.ts";
export { loadProviderPublicKey, loadPublicKey, providerPublicKeyPem } from "./load_public_key.ts";
// The images of Dockerfiles (cosign dockerfile verify). Kubernetes manifests: import
// lib/verify/manifest_images.ts directly (it loads the YAML parser, kept out of this module).
export { dockerfileImages, goExpand } from "./dockerfile_images.ts";
export type { DockerfileImages } from "./dockerfile_images.ts";
export { verifyEntity } from "./verify_entity.ts";
export type {
  BlobContent,
  EnvelopeContent,
  PayloadContent,
  SignedContent,
  SignedEntity,
  TlogEvidence,
  VerificationMaterial,
  VerifiedFacts,
} from "./signed_entity.ts";
export { keyPolicy } from "./verification_policy.ts";
export type {
  CertificateIdentity,
  CertificatePolicy,
  CertificateSignerPolicy,
  ClaimsPolicy,
  GithubWorkflowPolicy,
  KeySignerPolicy,
  SignerPolicy,
  TimestampPolicy,
  TlogCheck,
  TlogPolicy,
  VerificationPolicy,
} from "./verification_policy.ts";
export { verifyCertificateMaterial } from "./verify_certificate_material.ts";
export type {
  CertificateCheckPolicy,
  CertificateMaterial,
  CertificateTrust,
  SigningTime,
  SigningTimeEvidence,
  SigningTimePolicy,
  VerifiedCertificateMaterial,
  VerifyCertificateMaterialOptions,
} from "./verify_certificate_material.ts";
export { certificateTrust, splitRootFile, splitTsaChain } from "./certificate_trust.ts";
export type { CertificateTrustSource, LegacyTrustSource } from "./certificate_trust.ts";
export { verifyImageAttestations } from "./verify_image_attestation.ts";
export type {
  VerifiedAttestation,
  VerifyImageAttestationsOptions,
  VerifyImageAttestationsResult,
} from "./verify_image_attestation.ts";
export { verifyImageBundles } from "./verify_image_bundles.ts";
export type { VerifiedImageBundle, VerifyImageBundlesOptions } from "./verify_image_bundles.ts";
