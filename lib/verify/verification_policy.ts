/**
 * What a verification accepts: who may have signed, how the transparency log and timestamps are
 * checked, and what the signed content must claim. One policy feeds every entry point of this
 * folder (images, image attestations, image bundles, blobs, blob bundles, blob attestations and
 * their bundles), the way cosign's `CheckOpts` (pkg/cosign/verify.go) and sigstore-go's
 * `PolicyBuilder` (pkg/verify/signed_entity.go) feed theirs.
 *
 * @module
 */
import type { PublicKey } from "../keys/public_key.ts";
import type { RekorClient } from "../rekor/client.ts";
import type { LogKeySelector } from "../rekor/verify_entry.ts";
import type { VerifyHash } from "../signature/verify_signature.ts";
import type { TrustedRoot } from "../trust/trusted_root.ts";

/** A complete verification policy. */
export interface VerificationPolicy {
  /** Who may have signed. */
  signer: SignerPolicy;
  /** The digest ECDSA and RSA signatures are verified with (`--signature-digest-algorithm`). */
  hash?: VerifyHash;
  /** How the transparency log is checked. */
  tlog: TlogPolicy;
  /** How signed timestamps are checked (the RFC 3161 seam). */
  timestamps?: TimestampPolicy;
  /** What the signed content must claim. */
  claims?: ClaimsPolicy;
  /** The current time in milliseconds (default `Date.now()`; tests). */
  now?: number;
}

/** Who may have signed: one of these keys, or a certificate naming an accepted identity. */
export type SignerPolicy = KeySignerPolicy | CertificateSignerPolicy;

/** Signed with one of these keys (`--key`; any one verifies). */
export interface KeySignerPolicy {
  key: PublicKey[];
}

/** Signed with a certificate (keyless) that chains to a trusted CA and names an identity. */
export interface CertificateSignerPolicy {
  certificate: CertificatePolicy;
}

/**
 * cosign's `Identity` (pkg/cosign/verify.go): a subject (SAN) and an OIDC issuer, each given
 * exactly or as a Go regular expression.
 */
export interface CertificateIdentity {
  subject?: string;
  subjectRegExp?: string;
  issuer?: string;
  issuerRegExp?: string;
}

/** The time a verified log entry or timestamp vouches for (the signature existed then). */
export interface VerifiedTime {
  /** Milliseconds since the epoch. */
  time: number;
  /** What vouched for it. */
  source: "tlog" | "rfc3161";
}

/**
 * The keyless seam: the certificate chain, its identity and SCT, checked against the times the
 * log and timestamps vouched for. Filled in by lib/x509 (chains), lib/tuf and lib/trust (roots).
 */
export interface CertificateVerifier {
  /**
   * Verifies the leaf against the policy.
   *
   * @param input the leaf and chain the signature carries (DER), and the verified times
   * @returns the leaf's public key, which the signature must verify with
   * @throws {VerificationError} with the code of the failed check
   */
  verify(input: {
    certificate: Uint8Array;
    chain: Uint8Array[];
    policy: CertificatePolicy;
    times: VerifiedTime[];
  }): Promise<PublicKey>;
}

/** What a certificate must satisfy (cosign's certificate flags and trusted root). */
export interface CertificatePolicy {
  /** Accepted identities (any one); cosign requires at least one for keyless verification. */
  identities: CertificateIdentity[];
  /** Trust anchors, DER (`--ca-roots`, the last certificate of `--certificate-chain`). */
  roots?: Uint8Array[];
  /** Intermediate CAs, DER (`--ca-intermediates`). */
  intermediates?: Uint8Array[];
  /** The trusted root's CAs and CT logs (`--trusted-root`, TUF). */
  trustedRoot?: TrustedRoot;
  /** A certificate given on the command line (`--certificate`), DER. */
  certificate?: Uint8Array;
  /** SCT requirement: a detached SCT (`--sct`), or none required (`--insecure-ignore-sct`). */
  sct?: { detached?: Uint8Array; ignore?: boolean };
  /** The verifier; without it certificate verification is refused (not supported yet). */
  verifier?: CertificateVerifier;
}

/**
 * How the transparency log is checked: ignored (`--insecure-ignore-tlog`), or every signature
 * must have an entry — verified offline from its bundle, or looked up at `rekor` when it has none
 * (unless `offline`).
 */
export type TlogPolicy = { ignore: true } | TlogCheck;

/** The transparency log is checked. */
export interface TlogCheck {
  ignore?: false;
  /**
   * The key of cosign's old bundles' log (SIGSTORE_REKOR_PUBLIC_KEY), or a selector picking it
   * by log ID (a trusted root's logs).
   */
  logKey?: PublicKey | LogKeySelector;
  /** The trusted root Sigstore bundles' entries are verified against. */
  trustedRoot?: TrustedRoot;
  /** Where to look up a signature without a bundle (`--rekor-url`). */
  rekor?: RekorClient;
  /** `--offline`: a signature without a bundle fails without any request. */
  offline?: boolean;
}

/** The RFC 3161 seam: a verifier of the signed timestamps a signature carries. */
export interface TimestampVerifier {
  /**
   * Verifies each timestamp over the signature.
   *
   * @returns the verified times
   * @throws {VerificationError} with the code of the failed check
   */
  verify(input: { signature: Uint8Array; timestamps: Uint8Array[] }): Promise<VerifiedTime[]>;
}

/** How signed timestamps are checked (`--use-signed-timestamps`, `--timestamp-certificate-chain`). */
export interface TimestampPolicy {
  /** At least one signed timestamp must verify. */
  required: boolean;
  /** The verifier; a policy that requires timestamps without one is refused (not supported yet). */
  verifier?: TimestampVerifier;
}

/** What the signed content must claim (cosign's claim verifiers and policy step). */
export interface ClaimsPolicy {
  /**
   * `--check-claims` (default true): the content names the artifact (a simple-signing payload
   * the image digest, an in-toto statement a subject with the artifact's digest).
   */
  check?: boolean;
  /** `-a key=value`: annotations a simple-signing payload must carry (with `check` only). */
  annotations?: Record<string, string>;
  /** `--type`: the predicate type an attestation must have (a short name or a URI). */
  type?: string;
}

/**
 * A key policy with the usual defaults: SHA-256, claims checked.
 *
 * @param key the key(s) a signature must verify with
 * @param tlog how the log is checked (default: ignored)
 * @returns the policy
 * @example verifyImage({ registry, ref, policy: keyPolicy(publicKey) })
 */
export function keyPolicy(
  key: PublicKey | PublicKey[],
  tlog: TlogPolicy = { ignore: true },
): VerificationPolicy {
  return { signer: { key: Array.isArray(key) ? key : [key] }, tlog };
}
