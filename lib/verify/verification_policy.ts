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
import type { TimestampAuthority } from "../timestamp/verify_timestamp.ts";
import type { TrustedRoot } from "../trust/trusted_root.ts";
import type { CertificateTrust } from "./verify_certificate_material.ts";

/** A complete verification policy. */
export interface VerificationPolicy {
  /** Who may have signed. */
  signer: SignerPolicy;
  /** The digest ECDSA and RSA signatures are verified with (`--signature-digest-algorithm`). */
  hash?: VerifyHash;
  /** How the transparency log is checked. */
  tlog: TlogPolicy;
  /** How signed timestamps are checked (RFC 3161). */
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

/**
 * cosign's `--certificate-github-workflow-*` values (extensions 1.3.6.1.4.1.57264.1.2-1.6),
 * each compared exactly when given.
 */
export interface GithubWorkflowPolicy {
  trigger?: string;
  sha?: string;
  name?: string;
  repository?: string;
  ref?: string;
}

/** What a certificate must satisfy (cosign's certificate flags and trust material). */
export interface CertificatePolicy {
  /**
   * Accepted identities; cosign requires exactly one for keyless verification (its
   * `Identities()`), and sigstore-go supports no more. None: any identity (library use only).
   */
  identities: CertificateIdentity[];
  /** `--certificate-github-workflow-*`. */
  githubWorkflow?: GithubWorkflowPolicy;
  /**
   * The certificate authorities, CT log keys and timestamp authorities (lib/verify
   * `certificateTrust`: a trusted root, or cosign's `SIGSTORE_ROOT_FILE`, `--ca-roots`,
   * `--certificate-chain` pieces). Without it certificate verification is refused.
   */
  trust?: CertificateTrust;
  /** A certificate given on the command line (`--certificate`), DER: used instead of the signature's. */
  certificate?: Uint8Array;
  /**
   * `verify-blob --certificate-chain`: the chain (root last) set as the signature's, as cosign
   * does (its intermediates complete the path when the trust has none of its own).
   */
  chain?: Uint8Array[];
  /** SCT requirement: a detached SCT (`--sct`), or none required (`--insecure-ignore-sct`). */
  sct?: { detached?: Uint8Array; ignore?: boolean };
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

/**
 * How signed timestamps are checked (`--use-signed-timestamps`, `--timestamp-certificate-chain`,
 * `SIGSTORE_TSA_CERTIFICATE_FILE`, a trusted root's timestamp authorities).
 */
export interface TimestampPolicy {
  /**
   * At least one signed timestamp must verify (sigstore-go `WithSignedTimestamps(1)`); for
   * cosign's old formats, a signature that carries none is let through, as cosign's
   * `VerifyRFC3161Timestamp` does, and every one it carries must verify.
   */
  required: boolean;
  /** The trusted timestamp authorities. */
  authorities: readonly TimestampAuthority[];
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
