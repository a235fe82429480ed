/**
 * The trust material of keyless verification, built the way cosign v2.6.4 builds its
 * `CheckOpts`: from a Sigstore trusted root (`--trusted-root`, or the TUF cache's
 * `trusted_root.json`: `co.TrustedMaterial`), or from cosign's individual pieces (the legacy
 * `co.RootCerts`, `co.IntermediateCerts`, `co.CTLogPubKeys` and `co.TSA*` fields filled from
 * `SIGSTORE_ROOT_FILE`, `--ca-roots`/`--ca-intermediates`, `--certificate-chain`,
 * `SIGSTORE_CT_LOG_PUBLIC_KEY_FILE`, `SIGSTORE_TSA_CERTIFICATE_FILE` and
 * `--timestamp-certificate-chain`).
 *
 * @module
 */
import { VerificationError } from "../errors.ts";
import type { PublicKey } from "../keys/public_key.ts";
import type { TimestampAuthority } from "../timestamp/verify_timestamp.ts";
import { ctLogKeys, timestampAuthorities, type TrustedRoot } from "../trust/trusted_root.ts";
import type { Certificate } from "../x509/certificate.ts";
import { ctLogId } from "../x509/sct.ts";
import type { CertificateTrust } from "./verify_certificate_material.ts";

/** cosign's individual trust pieces (its legacy `CheckOpts` fields). */
export interface LegacyTrustSource {
  /** Trusted roots (`co.RootCerts`). */
  roots: readonly Certificate[];
  /** Intermediates that may complete a path (`co.IntermediateCerts`); none is cosign's nil pool. */
  intermediates?: readonly Certificate[];
  /** CT log keys (`co.CTLogPubKeys`): their log IDs are the SHA-256 of their SPKI. */
  ctLogKeys?: readonly PublicKey[];
  /**
   * A timestamp authority's certificates (`--timestamp-certificate-chain`,
   * `SIGSTORE_TSA_CERTIFICATE_FILE`), in any order; see {@link splitTsaChain}.
   */
  tsaCertificates?: readonly Certificate[];
}

/** Where the trust comes from. */
export type CertificateTrustSource = { trustedRoot: TrustedRoot } | LegacyTrustSource;

const selfIssued = (c: Certificate) =>
  c.issuer.der.length === c.subject.der.length &&
  c.issuer.der.every((b, i) => b === c.subject.der[i]);

/**
 * Splits the certificates of `SIGSTORE_ROOT_FILE` as cosign's fulcioroots `initRoots` does:
 * self-issued ones (subject = issuer) are roots, the others intermediates.
 *
 * @param certificates the file's certificates
 * @returns the roots and the intermediates (none: cosign's nil pool)
 */
export function splitRootFile(
  certificates: readonly Certificate[],
): { roots: Certificate[]; intermediates: Certificate[] } {
  return {
    roots: certificates.filter(selfIssued),
    intermediates: certificates.filter((c) => !selfIssued(c)),
  };
}

/**
 * Splits a timestamp authority's chain as cosign's `GetTSACerts` does (pkg/cosign/tsa.go
 * `splitPEMCertificateChain`): the one certificate that is not a CA is the TSA's, self-issued CAs
 * are roots, other CAs intermediates. Each root makes one authority, so that lib/timestamp
 * (which takes the first certificate as the TSA's when it is not a CA and the last as the root)
 * reads it as cosign's pools.
 *
 * @param certificates the chain file's certificates
 * @returns one timestamp authority per root, open-ended
 * @throws {VerificationError} `TIMESTAMP_UNTRUSTED` "unable to load TSA certificates: TSA
 *   certificate chain must contain exactly one leaf certificate" or "… at least one root
 *   certificate"
 */
export function splitTsaChain(certificates: readonly Certificate[]): TimestampAuthority[] {
  const leaves = certificates.filter((c) => !c.basicConstraints?.ca);
  const cas = certificates.filter((c) => c.basicConstraints?.ca);
  const roots = cas.filter(selfIssued);
  const intermediates = cas.filter((c) => !selfIssued(c));
  const refuse = (detail: string) =>
    new VerificationError(
      "TIMESTAMP_UNTRUSTED",
      `Cannot verify timestamps: unable to load TSA certificates: ${detail}`,
    );
  if (leaves.length !== 1) {
    throw refuse("TSA certificate chain must contain exactly one leaf certificate");
  }
  if (roots.length === 0) {
    throw refuse("TSA certificate chain must contain at least one root certificate");
  }
  return roots.map((root) => ({
    certChain: [leaves[0], ...intermediates, root].map((c) => c.der),
    validFor: { start: Number.NEGATIVE_INFINITY },
  }));
}

/**
 * Builds the {@link CertificateTrust} of `verifyCertificateMaterial`.
 *
 * @param source a trusted root, or cosign's individual pieces
 * @returns the trust: a trusted root's authorities, CT logs and timestamp authorities with their
 *   validity windows; or one authority per root holding every intermediate, with open windows
 * @throws {VerificationError} `TIMESTAMP_UNTRUSTED` for a TSA chain {@link splitTsaChain} refuses
 * @example
 * ```ts
 * const trust = certificateTrust({ trustedRoot: parseTrustedRoot(bytes) });
 * ```
 */
export function certificateTrust(source: CertificateTrustSource): CertificateTrust {
  if ("trustedRoot" in source) {
    const root = source.trustedRoot;
    return {
      kind: "trusted-root",
      authorities: root.certificateAuthorities,
      ctLogs: ctLogKeys(root),
      timestampAuthorities: timestampAuthorities(root),
    };
  }
  const intermediates = source.intermediates ?? [];
  return {
    kind: "legacy",
    authorities: source.roots.map((root) => ({ certChain: [...intermediates, root] })),
    hasIntermediates: intermediates.length > 0,
    ctLogs: (source.ctLogKeys ?? []).map((publicKey) => ({
      logId: ctLogId(publicKey.spki),
      publicKey,
    })),
    timestampAuthorities: source.tsaCertificates ? splitTsaChain(source.tsaCertificates) : [],
  };
}
