/**
 * What a transparency-log entry records as the signer's verifier: the certificate when the signer
 * holds one (keyless, `--issue-certificate`), else the public key — cosign's TLogUpload passes
 * the certificate PEM when there is one (pkg/cosign/tlog.go, sign/sign_blob.go `rekorBytes`).
 *
 * @module
 */
import { marshalPublicKeyPem, type PublicKey } from "../keys/public_key.ts";
import type { Signer } from "../signature/signer.ts";

/** A signer that also carries a certificate for its key (lib/sign createKeylessSigner's). */
export interface CertifiedSigner extends Signer {
  /** The leaf certificate, PEM. */
  certificatePem: string;
  /** The leaf certificate, DER. */
  certificateDer: Uint8Array;
  /** The rest of the chain, PEM (issuer first). */
  chainPem?: string;
}

/** Whether `signer` carries a certificate. */
export function isCertifiedSigner(signer: Signer): signer is CertifiedSigner {
  const s = signer as Partial<CertifiedSigner>;
  return typeof s.certificatePem === "string" && s.certificateDer instanceof Uint8Array;
}

/**
 * The verifier to upload with an entry.
 *
 * @returns `pem`: the PEM uploaded; `der`: its DER, which the log's answer must record
 */
export function uploadedVerifier(signer: Signer): { pem: Uint8Array; der: Uint8Array } {
  if (isCertifiedSigner(signer)) {
    return { pem: new TextEncoder().encode(signer.certificatePem), der: signer.certificateDer };
  }
  return {
    pem: new TextEncoder().encode(marshalPublicKeyPem(signer.publicKey)),
    der: signer.publicKey.spki,
  };
}

/**
 * {@link uploadedVerifier} of a signer, or of a bare public key.
 *
 * @returns the PEM to upload and the DER the entry must record
 */
export function verifierOf(
  keyOrSigner: PublicKey | Signer,
): { pem: Uint8Array; der: Uint8Array } {
  return "sign" in keyOrSigner ? uploadedVerifier(keyOrSigner) : uploadedVerifier({
    publicKey: keyOrSigner,
    hash: "sha256",
    sign: () => Promise.reject(new Error("not a signer")),
  });
}
