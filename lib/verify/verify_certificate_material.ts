/**
 * The certificate step of keyless verification: everything cosign v2.6.4 checks about a Fulcio
 * signing certificate before the signature is verified with its key, as one named step that does
 * not depend on where the certificate came from (a Sigstore bundle, an old cosign bundle, a
 * `.sig`/`.att` layer annotation, `--certificate`).
 *
 * Checks, in order, each failing with its own code:
 * 1. a Sigstore bundle's `x509CertificateChain` holds no self-signed root other than a trusted one:
 *    trust comes from the trust material, never from the signature (`CERT_ROOT_IN_CHAIN`). The
 *    protobuf-specs client rule forbids any root there, but bundles of the v0.1 era (npm
 *    provenance, sigstore-js) carry the full chain up to the Sigstore root and sigstore-go, cosign
 *    and sigstore-python accept them (sigstore-python with a warning), so a root that is one of
 *    the trusted roots is tolerated; another root, which could only mislead, is refused;
 * 2. the signing time: the integrated times of log entries whose SET verified (the caller says
 *    which), RFC 3161 timestamps over the signature verified against the timestamp authorities
 *    (`TIMESTAMP_*`), or the current time, as the {@link SigningTimePolicy} asks; no acceptable
 *    time at all is `SIGNING_TIME_MISSING` (a Rekor v2 entry, which has no SET, without a signed
 *    timestamp); a log time that no SET covers must still lie in the leaf's validity (sigstore-go
 *    "integrated time outside certificate validity");
 * 3. path validation to a trusted certificate authority at every signing time: the leaf and every
 *    intermediate valid then, the authority's `validFor` covering it, code signing allowed by
 *    every certificate of the path (lib/x509 `verifyCertificateChain`: `CERT_*`);
 * 4. the identity policy (lib/x509 `matchIdentity`: `CERT_IDENTITY_MISMATCH`,
 *    `CERT_EXTENSION_MISMATCH`), before the SCT as cosign's `ValidateAndUnpackCert` does, or after
 *    it as sigstore-go's `Verifier.Verify` does;
 * 5. the signed certificate timestamp, embedded or detached, unless ignored (lib/x509 `verifySct`:
 *    `SCT_*`).
 *
 * Which rules apply follows cosign: with a trusted root (`--trusted-root`, or the TUF cache when no
 * SIGSTORE_* variable nor certificate flag is given) the authorities are the root's own (a
 * signature's chain is not used to build the path) and embedded SCTs follow sigstore-go's
 * threshold; with the legacy trust (`SIGSTORE_ROOT_FILE`, `--ca-roots`, `--certificate-chain`)
 * a chain that came with the signature supplies the intermediates when the trust has none of its
 * own (pkg/cosign/verify.go `verifyInternal`), and SCTs follow cosign's `VerifySCT`.
 *
 * One deliberate difference from cosign: its legacy paths validate the chain at the leaf's
 * notBefore and then check only the leaf against the log time; here the whole chain is validated
 * at each signing time (the Sigstore client specification's hybrid model, which sigstore-go applies
 * to bundles). The two agree unless an issuer's validity ends inside the leaf's ten minutes.
 *
 * @module
 */
import { VerificationError } from "../errors.ts";
import { parsePublicKeyDer, type PublicKey } from "../keys/public_key.ts";
import { verifySignedTimestamps } from "../timestamp/verify_signed_timestamps.ts";
import type { TimestampAuthority, VerifiedTimestamp } from "../timestamp/verify_timestamp.ts";
import type { Certificate } from "../x509/certificate.ts";
import {
  type CosignCertificateFields,
  cosignCertificateFields,
} from "../x509/fulcio_extensions.ts";
import {
  type CertificateIdentityOptions,
  type IdentityMatchMode,
  type MatchedIdentity,
  matchIdentity,
} from "../x509/match_identity.ts";
import {
  type CtLogKey,
  type SignedCertificateTimestamp,
  type VerifiedSct,
  verifySct,
} from "../x509/sct.ts";
import {
  assertNoRootInChain,
  type CertificateAuthorityLike,
  verifyCertificateChain,
} from "../x509/verify_certificate_chain.ts";

/** The certificate of a signature and the certificates that came with it. */
export interface CertificateMaterial {
  /** The signing (leaf) certificate. */
  leaf: Certificate;
  /**
   * The certificates after the leaf, as the signature carried them: a Sigstore bundle's
   * `x509CertificateChain` (without its leaf), the `dev.sigstore.cosign/chain` annotation, or
   * cosign's `--certificate-chain` given with `verify-blob` (which sets the signature's chain).
   */
  chain?: readonly Certificate[];
  /**
   * `"bundle"` for a Sigstore bundle's chain: a root in it is refused and, as sigstore-go, it
   * never completes a path. `"signature"` for the others: cosign uses all but its last
   * certificate as intermediates when the trust has none (see {@link CertificateTrust}).
   */
  chainSource?: "bundle" | "signature";
}

/** The trust material certificates are checked against. */
export interface CertificateTrust {
  /**
   * `"trusted-root"`: a Sigstore trusted root (sigstore-go's rules); `"legacy"`: cosign's own
   * (`SIGSTORE_ROOT_FILE`, `--ca-roots`/`--ca-intermediates`, `--certificate-chain`, TUF targets).
   */
  kind: "trusted-root" | "legacy";
  /** The certificate authorities: each chain's intermediates first, its root last. */
  authorities: readonly CertificateAuthorityLike[];
  /**
   * Legacy trust only: whether the authorities carry intermediates of their own; without them a
   * signature's chain (all but its last certificate) supplies the intermediates, as cosign's
   * `verifyInternal` does when `co.IntermediateCerts` is nil.
   */
  hasIntermediates?: boolean;
  /** CT log keys, for SCTs (`ctLogKeys(root)`, `SIGSTORE_CT_LOG_PUBLIC_KEY_FILE`). */
  ctLogs: readonly CtLogKey[];
  /** Timestamp authorities, for RFC 3161 timestamps (the root's, `--timestamp-certificate-chain`). */
  timestampAuthorities: readonly TimestampAuthority[];
}

/**
 * Which signing times count, after cosign's choice of sigstore-go verifier options
 * (pkg/cosign/verify.go `verificationOptions`) or its own `verifyInternal`:
 * - `"log"`: at least one log entry's SET-signed integrated time (`WithIntegratedTimestamps(1)`,
 *   the default while the log is checked); RFC 3161 timestamps are not looked at;
 * - `"signed"`: at least one verified RFC 3161 timestamp (`--use-signed-timestamps`:
 *   `WithSignedTimestamps(1)`); log times are not used;
 * - `"observer"`: at least one of either (`WithObserverTimestamps(1)`, sigstore-go's default for
 *   bundles, which other Sigstore clients follow);
 * - `"all"`: cosign's legacy `verifyInternal`: every given log time and every given timestamp (at
 *   least one of which must verify) must lie in the certificate's validity; with none, the current
 *   time does (`CheckExpiry(cert, time.Now())`);
 * - `"now"`: the current time (`--insecure-ignore-tlog` without signed timestamps:
 *   `WithCurrentTime()`).
 */
export type SigningTimePolicy = "log" | "signed" | "observer" | "all" | "now";

/** The evidence of when the signature was made. */
export interface SigningTimeEvidence {
  /** How the times below are used (default `"log"`). */
  policy?: SigningTimePolicy;
  /**
   * Integrated times of log entries whose signed entry timestamp (SET) verified, milliseconds since
   * the epoch, with the log's URL. Only a SET signs the time: an inclusion proof does not.
   */
  logTimes?: readonly { time: number; uri?: string }[];
  /**
   * Integrated times of verified log entries that no SET covers (milliseconds; 0 for Rekor v2,
   * which has none): never a signing time, but one that is set must lie in the leaf's validity.
   */
  unsignedLogTimes?: readonly number[];
  /** RFC 3161 timestamps (DER TimeStampResp or token) from the bundle, annotation or file. */
  timestamps?: readonly Uint8Array[];
  /**
   * The timestamps already verified (lib/timestamp `verifySignedTimestamps`, with the trust's
   * timestamp authorities); when given, `timestamps` is not looked at.
   */
  verifiedTimestamps?: readonly VerifiedTimestamp[];
  /**
   * The bytes the timestamps are over: the raw signature; for old-format attestations, the DSSE
   * envelope (cosign `VerifyRFC3161Timestamp`).
   */
  timestampedBytes?: Uint8Array;
  /** The current time in milliseconds (default `Date.now()`). */
  now?: number;
}

/** The identity and SCT policy. */
export interface CertificateCheckPolicy {
  /** `--certificate-identity*`, `--certificate-oidc-issuer*`, `--certificate-github-workflow-*`. */
  identity?: CertificateIdentityOptions;
  /**
   * `"cosign"` (old bundles, annotations, `--certificate`) or `"sigstore-go"` (Sigstore bundles),
   * see lib/x509 `matchIdentity`; also decides whether the identity is checked before the SCT
   * (cosign) or after it (sigstore-go). Default `"cosign"`.
   */
  identityMode?: IdentityMatchMode;
  /** `--insecure-ignore-sct`. */
  ignoreSct?: boolean;
  /** `--sct`: a detached SCT, used when the certificate embeds none. */
  detachedSct?: SignedCertificateTimestamp;
}

/** Options of {@link verifyCertificateMaterial}. */
export interface VerifyCertificateMaterialOptions {
  material: CertificateMaterial;
  trust: CertificateTrust;
  evidence: SigningTimeEvidence;
  policy?: CertificateCheckPolicy;
}

/** A time the certificate was checked at. */
export interface SigningTime {
  /** `"tlog"`: a SET-signed integrated time; `"timestamp"`: RFC 3161; `"now"`: the current time. */
  source: "tlog" | "timestamp" | "now";
  /** Milliseconds since the epoch. */
  time: number;
  /** The log's or timestamp authority's URL, when known. */
  uri?: string;
}

/** What a verified certificate yields. */
export interface VerifiedCertificateMaterial {
  /** The leaf's key: the signature must be verified with it. */
  publicKey: PublicKey;
  /** The validated path, leaf first and root last (at the last signing time). */
  chain: Certificate[];
  /** The times the path was validated at. */
  signingTimes: SigningTime[];
  /** The RFC 3161 timestamps that verified. */
  timestamps: VerifiedTimestamp[];
  /** The identity the certificate matched. */
  identity: MatchedIdentity;
  /** The SCTs that verified (none with `ignoreSct`). */
  scts: VerifiedSct[];
  /** cosign's `optional` fields for `cosign verify` output (Subject, Issuer, githubWorkflow…). */
  fields: CosignCertificateFields;
}

type Code = ConstructorParameters<typeof VerificationError>[0];

function fail(code: Code, detail: string, cause?: unknown): VerificationError {
  return new VerificationError(code, `Cannot verify certificate: ${detail}`, { cause });
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, "Z");

async function verifyTimestamps(
  evidence: SigningTimeEvidence,
  trust: CertificateTrust,
  threshold: number,
): Promise<VerifiedTimestamp[]> {
  if (evidence.verifiedTimestamps) return [...evidence.verifiedTimestamps];
  if (!evidence.timestampedBytes) throw new TypeError("Cannot verify timestamps: no signature");
  const { verified } = await verifySignedTimestamps({
    timestamps: evidence.timestamps ?? [],
    signature: evidence.timestampedBytes,
    authorities: trust.timestampAuthorities,
    threshold,
  });
  return verified;
}

/** Step 2: the times the certificate must be valid at. */
async function signingTimes(
  evidence: SigningTimeEvidence,
  trust: CertificateTrust,
): Promise<{ times: SigningTime[]; timestamps: VerifiedTimestamp[] }> {
  const policy = evidence.policy ?? "log";
  const now = evidence.now ?? Date.now();
  const logTimes: SigningTime[] = (evidence.logTimes ?? []).map((t) => ({
    source: "tlog",
    time: t.time,
    ...(t.uri ? { uri: t.uri } : {}),
  }));
  const asTimes = (ts: VerifiedTimestamp[]): SigningTime[] =>
    ts.map((v) => ({
      source: "timestamp",
      time: v.genTime,
      ...(v.authority.uri ? { uri: v.authority.uri } : {}),
    }));
  switch (policy) {
    case "now":
      return { times: [{ source: "now", time: now }], timestamps: [] };
    case "log":
      if (logTimes.length === 0) {
        throw fail(
          "SIGNING_TIME_MISSING",
          "threshold not met for verified log entry integrated timestamps: 0 < 1 (no log entry with a signed entry timestamp; a Rekor v2 entry needs a signed timestamp, --use-signed-timestamps)",
        );
      }
      return { times: logTimes, timestamps: [] };
    case "signed": {
      if ((evidence.verifiedTimestamps ?? evidence.timestamps ?? []).length === 0) {
        throw fail(
          "SIGNING_TIME_MISSING",
          "threshold not met for verified signed timestamps: 0 < 1 (no RFC 3161 timestamp)",
        );
      }
      const verified = await verifyTimestamps(evidence, trust, 1);
      return { times: asTimes(verified), timestamps: verified };
    }
    case "observer": {
      let verified: VerifiedTimestamp[] = [];
      let problem: unknown;
      if ((evidence.verifiedTimestamps ?? evidence.timestamps ?? []).length > 0) {
        try {
          verified = await verifyTimestamps(evidence, trust, 1);
        } catch (e) {
          if (!(e instanceof VerificationError)) throw e;
          problem = e;
        }
      }
      const times = [...logTimes, ...asTimes(verified)];
      if (times.length === 0) {
        if (problem) throw problem;
        throw fail(
          "SIGNING_TIME_MISSING",
          "threshold not met for verified signed & log entry integrated timestamps: 0 < 1 (no signed entry timestamp and no RFC 3161 timestamp)",
        );
      }
      return { times, timestamps: verified };
    }
    case "all": {
      let verified: VerifiedTimestamp[] = [];
      if ((evidence.verifiedTimestamps ?? evidence.timestamps ?? []).length > 0) {
        verified = await verifyTimestamps(evidence, trust, 1);
      }
      const times = [...asTimes(verified), ...logTimes];
      return {
        times: times.length ? times : [{ source: "now", time: now }],
        timestamps: verified,
      };
    }
  }
}

/**
 * Runs the certificate step (see the module documentation).
 *
 * @param options the certificate, the trust material, the signing-time evidence and the policy
 * @returns the leaf key to verify the signature with, the validated chain, the signing times,
 *   the matched identity, the verified SCTs and cosign's output fields
 * @throws {VerificationError} `CERT_ROOT_IN_CHAIN`; `SIGNING_TIME_MISSING`; the `TIMESTAMP_*`
 *   code of a timestamp that did not verify; `CERT_EXPIRED` / `CERT_NOT_YET_VALID` (the leaf or
 *   an issuer at a signing time, or an unsigned log time outside the leaf's validity), and the
 *   other `CERT_*` codes of lib/x509's `verifyCertificateChain`; `CERT_IDENTITY_MISMATCH`,
 *   `CERT_EXTENSION_MISMATCH`; `SCT_MISSING`, `SCT_INVALID`, `SCT_LOG_KEY_UNKNOWN`,
 *   `SCT_TIME_INVALID`
 * @throws {SyntaxError} for an identity regexp Go would not compile, or a malformed SCT list
 * @throws {KeyError} when the leaf's key is of a kind cosign cannot verify with
 * @example
 * ```ts
 * const { publicKey, fields } = await verifyCertificateMaterial({
 *   material: { leaf },
 *   trust: { kind: "trusted-root", authorities: root.certificateAuthorities,
 *     ctLogs: ctLogKeys(root), timestampAuthorities: [] },
 *   evidence: { policy: "log", logTimes: [{ time: integratedTime * 1000 }] },
 *   policy: { identity: { certificateIdentity: "alice@example.com",
 *     certificateOidcIssuer: "https://accounts.example.com" } },
 * });
 * ```
 */
export async function verifyCertificateMaterial(
  options: VerifyCertificateMaterialOptions,
): Promise<VerifiedCertificateMaterial> {
  const { material, trust, evidence } = options;
  const policy = options.policy ?? {};
  const { leaf } = material;
  const carried = material.chain ?? [];

  // 1. A bundle carries no root of its own: trust comes from the trust material only.
  if (material.chainSource === "bundle" && carried.length > 0) {
    const trusted = trust.authorities.map((a) => a.certChain.at(-1)?.der);
    await assertNoRootInChain(
      carried.filter((c) => !trusted.some((t) => t && bytesEqual(t, c.der))),
    );
  }

  // 2. When the signature was made.
  for (const t of evidence.unsignedLogTimes ?? []) {
    if (t !== 0 && (t < leaf.notBefore || t > leaf.notAfter)) {
      throw fail(
        t < leaf.notBefore ? "CERT_NOT_YET_VALID" : "CERT_EXPIRED",
        `integrated time outside certificate validity: ${iso(t)} is outside ${
          iso(leaf.notBefore)
        } to ${iso(leaf.notAfter)}`,
      );
    }
  }
  const { times, timestamps } = await signingTimes(evidence, trust);

  // 3. The path to a trusted authority, valid at every signing time.
  const intermediates = trust.kind === "legacy" && !trust.hasIntermediates &&
      material.chainSource !== "bundle" && carried.length > 1
    ? carried.slice(0, -1)
    : [];
  let chain: Certificate[] = [];
  for (const t of times) {
    try {
      chain = await verifyCertificateChain(leaf, trust.authorities, t.time, { intermediates });
    } catch (e) {
      if (
        t.source === "now" && e instanceof VerificationError && e.code === "CERT_EXPIRED" &&
        evidence.policy === "all"
      ) {
        // cosign verifyInternal, without a log entry or timestamp to say when it was signed.
        throw fail(
          "CERT_EXPIRED",
          "expected a signed timestamp to verify an expired certificate",
          e,
        );
      }
      throw e;
    }
  }

  // 4-5. Identity and SCT, in the order of the implementation followed.
  const mode = policy.identityMode ?? "cosign";
  const checkIdentity = () => matchIdentity(leaf, policy.identity ?? {}, mode);
  const checkSct = async (): Promise<VerifiedSct[]> => {
    if (policy.ignoreSct) return [];
    return await verifySct(leaf, chain[1], trust.ctLogs, {
      mode: trust.kind === "trusted-root" ? "sigstore-go" : "cosign",
      detached: mode === "sigstore-go" ? undefined : policy.detachedSct,
    });
  };
  let identity: MatchedIdentity;
  let scts: VerifiedSct[];
  if (mode === "cosign") {
    identity = await checkIdentity();
    scts = await checkSct();
  } else {
    scts = await checkSct();
    identity = await checkIdentity();
  }

  return {
    publicKey: parsePublicKeyDer(leaf.spki),
    chain,
    signingTimes: times,
    timestamps,
    identity,
    scts,
    fields: cosignCertificateFields(leaf),
  };
}
