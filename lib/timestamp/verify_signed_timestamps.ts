/**
 * Verifying all the RFC 3161 timestamps of a signed entity against a threshold, as sigstore-go's
 * `VerifySignedTimestampWithThreshold` (pkg/verify/tsa.go) does.
 *
 * @module
 */
import { VerificationError } from "../errors.ts";
import { MAX_BUNDLE_TIMESTAMPS } from "./bundle_timestamps.ts";
import {
  type TimestampAuthority,
  type VerifiedTimestamp,
  type VerifyCertificateChain,
  verifyTimestamp,
} from "./verify_timestamp.ts";

/** What {@link verifySignedTimestamps} checks. */
export interface VerifySignedTimestampsOptions {
  /** DER TimeStampResps (or tokens), e.g. from {@link bundleRfc3161Timestamps}. */
  timestamps: readonly Uint8Array[];
  /** The bytes that were timestamped (the raw signature). */
  signature: Uint8Array;
  /** The trusted authorities. */
  authorities: readonly TimestampAuthority[];
  /** Certificate path validation (default lib/x509's, see `verifyTimestampCertificateChain`). */
  verifyChain?: VerifyCertificateChain;
  /** How many timestamps from distinct authorities must verify (default 1). */
  threshold?: number;
}

/** The outcome. */
export interface VerifiedSignedTimestamps {
  /** One per authority URI, in input order. */
  verified: VerifiedTimestamp[];
  /** Why the others were not counted (failed, or a second one from the same authority). */
  errors: Error[];
}

/**
 * Verifies each timestamp with {@link verifyTimestamp}, counts at most one per authority URI (a
 * single compromised authority cannot meet the threshold alone; like sigstore-go, authorities
 * without a URI count as one), and requires `threshold` of them.
 *
 * @param opts the timestamps, signature, authorities, chain validator and threshold
 * @returns the verified timestamps and the errors of the others
 * @throws {VerificationError} `TIMESTAMP_INVALID` for more than 32 timestamps; when fewer than
 *   `threshold` verify: the first failure's code (e.g. `TIMESTAMP_IMPRINT_MISMATCH`), or
 *   `TIMESTAMP_UNTRUSTED` when there was nothing to verify or only duplicates, with the message
 *   "Cannot verify timestamps: threshold not met for verified signed timestamps: n < t: …"
 */
export async function verifySignedTimestamps(
  opts: VerifySignedTimestampsOptions,
): Promise<VerifiedSignedTimestamps> {
  const threshold = opts.threshold ?? 1;
  if (opts.timestamps.length > MAX_BUNDLE_TIMESTAMPS) {
    throw new VerificationError(
      "TIMESTAMP_INVALID",
      `Cannot verify timestamps: too many signed timestamps: ${opts.timestamps.length} > ${MAX_BUNDLE_TIMESTAMPS}`,
    );
  }
  const verified: VerifiedTimestamp[] = [];
  const errors: Error[] = [];
  for (const timestamp of opts.timestamps) {
    try {
      const v = await verifyTimestamp({ ...opts, timestamp });
      if (verified.some((x) => (x.authority.uri ?? "") === (v.authority.uri ?? ""))) {
        errors.push(
          new VerificationError(
            "TIMESTAMP_UNTRUSTED",
            `Cannot verify timestamp: duplicate timestamps from the same authority, ignoring ${
              v.authority.uri ?? ""
            }`,
          ),
        );
        continue;
      }
      verified.push(v);
    } catch (e) {
      if (!(e instanceof VerificationError)) throw e;
      errors.push(e);
    }
  }
  if (verified.length < threshold) {
    const first = errors.find((e) =>
      e instanceof VerificationError && !/duplicate/.test(e.message)
    );
    const code = first instanceof VerificationError ? first.code : "TIMESTAMP_UNTRUSTED";
    const detail = errors.map((e) => e.message).join("; ") || "no signed timestamps";
    throw new VerificationError(
      code,
      `Cannot verify timestamps: threshold not met for verified signed timestamps: ${verified.length} < ${threshold}: ${detail}`,
      { cause: errors.length === 1 ? errors[0] : new AggregateError(errors) },
    );
  }
  return { verified, errors };
}
