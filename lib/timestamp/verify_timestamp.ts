/**
 * Verifying an RFC 3161 timestamp over a signature the way sigstore-go (pkg/verify/tsa.go,
 * pkg/root/timestamping_authority.go) and sigstore's timestamp-authority verification library
 * (pkg/verification/verify.go) do for cosign: the message imprint is the hash of the signature
 * bytes, the token is signed by a timestamp authority of the trusted root, and its time lies in
 * that authority's validity window.
 *
 * Certificate path validation is lib/x509's (Go's `x509.Certificate.Verify` rules, with the
 * timeStamping extended key usage), replaceable through {@link VerifyCertificateChain}; every
 * RFC 3161 / CMS check is done here.
 *
 * @module
 */
import { VerificationError } from "../errors.ts";
import { type Certificate, EKU_OID, EXTENSION_OID, parseCertificate } from "../x509/certificate.ts";
import { verifyCertificateChain } from "../x509/verify_certificate_chain.ts";
import {
  bytesEqual,
  checkContent,
  checkSignature,
  checkSigningCertificate,
  findSigner,
  hashBytes,
  isStrongHash,
  notGranted,
} from "./_cms.ts";
import { parseSignedTimestamp, PKI_STATUS } from "./parse_timestamp_response.ts";
import type { TimestampToken, TstInfo } from "./parse_timestamp_token.ts";

/**
 * A trusted timestamp authority, as the trusted root's `timestampAuthorities[]` describes it
 * (protobuf-specs `CertificateAuthority`).
 */
export interface TimestampAuthority {
  /**
   * DER certificates, leaf first, root last. As in sigstore-go, the first one is the TSA's own
   * certificate only when it is not a CA; the last one is the trust anchor.
   */
  certChain: Uint8Array[];
  /** When the authority may be used, milliseconds since the epoch (`end` absent when open). */
  validFor: { start: number; end?: number };
  /** The authority's URL (sigstore-go counts one timestamp per URI). */
  uri?: string;
}

/** A certificate path to validate (see {@link VerifyCertificateChain}). */
export interface CertificateChainToVerify {
  /** The TSA certificate that signed the token (DER). */
  leaf: Uint8Array;
  /** Certificates that may complete the path: the authority's intermediates and the embedded ones. */
  intermediates: Uint8Array[];
  /** The trust anchors: the authority's root. */
  roots: Uint8Array[];
  /** The instant the path must be valid at: the timestamp's genTime (milliseconds). */
  at: number;
}

/**
 * Validates a certificate path (RFC 5280 §6: signatures, validity at `at`, CA constraints), as Go's
 * `x509.Certificate.Verify` does for sigstore; throws when no valid path to a root exists. The
 * RFC 3161 extended-key-usage rules are checked by {@link verifyTimestamp} itself.
 */
export type VerifyCertificateChain = (chain: CertificateChainToVerify) => void | Promise<void>;

/**
 * The default {@link VerifyCertificateChain}: lib/x509's `verifyCertificateChain` with the roots
 * as one authority each. The extended key usages and a CA leaf are left to {@link verifyTimestamp},
 * which checks them (RFC 3161 §2.3, with timestamp-authority's EKU chaining) and reports them as
 * `TIMESTAMP_TSA_CERT_INVALID`.
 *
 * @param chain the TSA certificate, the candidate intermediates, the roots and the time
 * @throws {VerificationError} the `CERT_*` code of lib/x509's `verifyCertificateChain`
 * @throws {SyntaxError} when a certificate cannot be parsed
 */
export async function verifyTimestampCertificateChain(
  chain: CertificateChainToVerify,
): Promise<void> {
  await verifyCertificateChain(
    parseCertificate(chain.leaf),
    chain.roots.map((der) => ({ certChain: [parseCertificate(der)] })),
    chain.at,
    {
      intermediates: chain.intermediates.map(parseCertificate),
      extKeyUsage: null,
      allowCaLeaf: true,
    },
  );
}

/** What {@link verifyTimestamp} checks. */
export interface VerifyTimestampOptions {
  /** A DER TimeStampResp (what cosign and bundles store) or a bare TimeStampToken. */
  timestamp: Uint8Array;
  /**
   * The bytes that were timestamped. cosign timestamps the raw signature (a layer's decoded
   * `dev.cosignproject.cosign/signature`, a blob's signature, a bundle's
   * `messageSignature.signature` or DSSE `signatures[0].sig`); for attestations stored the old way
   * (no `--new-bundle-format`) it timestamps the whole DSSE envelope JSON instead
   * (pkg/cosign/verify.go `VerifyRFC3161Timestamp`, cmd/cosign/cli/attest).
   */
  signature: Uint8Array;
  /** The trusted authorities; the first one that verifies the token wins. */
  authorities: readonly TimestampAuthority[];
  /** Certificate path validation (default {@link verifyTimestampCertificateChain}). */
  verifyChain?: VerifyCertificateChain;
  /** The nonce of the request, when checking a fresh response. */
  nonce?: bigint;
  /** The TSA policy the token must carry (dotted OID), when one was requested. */
  policy?: string;
}

/** A verified timestamp. */
export interface VerifiedTimestamp {
  /** The verified time, milliseconds since the epoch. */
  genTime: number;
  /** The authority whose chain verified the token. */
  authority: TimestampAuthority;
  /** The signer's certificate (DER). */
  signer: Uint8Array;
  /** What the token says. */
  tstInfo: TstInfo;
}

type Code = ConstructorParameters<typeof VerificationError>[0];

const isCa = (cert: Certificate) => cert.basicConstraints?.ca === true;

function fail(code: Code, detail: string, cause?: unknown): VerificationError {
  return new VerificationError(code, `Cannot verify timestamp: ${detail}`, { cause });
}

/** The authority's chain split the way sigstore-go's ParseTimestampingAuthority does. */
interface AuthorityChain {
  leaf?: Certificate;
  intermediates: Certificate[];
  root?: Certificate;
}

function splitChain(authority: TimestampAuthority): AuthorityChain {
  const out: AuthorityChain = { intermediates: [] };
  const n = authority.certChain.length;
  authority.certChain.forEach((der, i) => {
    let cert: Certificate;
    try {
      cert = parseCertificate(der);
    } catch (e) {
      const name = authority.uri ? ` ${authority.uri}` : "";
      throw new TypeError(
        `Cannot read timestamp authority${name}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    if (i === 0 && !isCa(cert)) out.leaf = cert;
    else if (i < n - 1) out.intermediates.push(cert);
    else out.root = cert;
  });
  return out;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Whether a certificate's extended key usage allows timestamping (absent means any use). */
function allowsTimestamping(cert: Certificate): boolean {
  const eku = cert.extKeyUsage;
  return !eku || eku.includes(EKU_OID.timeStamping) || eku.includes(EKU_OID.any);
}

/** A failure, with how far the authority got (to report the most relevant one). */
class Attempt extends Error {
  constructor(readonly stage: number, readonly error: unknown) {
    super("attempt");
  }
}

async function tryAuthority(
  token: TimestampToken,
  embedded: Certificate[],
  authority: TimestampAuthority,
  opts: VerifyTimestampOptions,
): Promise<VerifiedTimestamp> {
  let stage = 0;
  const step = async <T>(fn: () => T | Promise<T>): Promise<T> => {
    stage++;
    try {
      return await fn();
    } catch (e) {
      throw new Attempt(stage, e);
    }
  };
  const info = token.tstInfo;
  const at = info.genTime;
  const chain = await step(() => {
    const c = splitChain(authority);
    if (!c.root) {
      const name = authority.uri ? ` ${authority.uri}` : "";
      throw fail("TIMESTAMP_UNTRUSTED", `timestamp authority${name} has no root certificate`);
    }
    return c;
  });
  // 1. The signer: among the embedded certificates, else the authority's own TSA certificate.
  const signer = await step(() => {
    const found = findSigner(token, [...embedded, ...(chain.leaf ? [chain.leaf] : [])]);
    if (!found) throw fail("TIMESTAMP_SIGNER_NOT_FOUND", "no certificate for the signer");
    return found;
  });
  // 2. When the trusted root names the TSA certificate, the token must be signed by it
  //    (timestamp-authority: "certificate embedded in the TSR does not match the provided TSA
  //    certificate").
  await step(() => {
    if (chain.leaf && !bytesEqual(chain.leaf.der, signer.der)) {
      throw fail(
        "TIMESTAMP_UNTRUSTED",
        "the token's signer is not the timestamp authority's certificate",
      );
    }
  });
  // 3. The CMS signature, the signing time and the ESS signing-certificate attribute.
  await step(() => checkSignature(token, signer));
  await step(() => {
    const t = token.signer.signingTime;
    if (t !== undefined && (t < signer.notBefore || t > signer.notAfter)) {
      throw fail(
        "TIMESTAMP_OUTSIDE_VALIDITY",
        `signing time ${iso(t)} is outside of certificate validity ${iso(signer.notBefore)} to ${
          iso(signer.notAfter)
        }`,
      );
    }
  });
  await step(() => checkSigningCertificate(token, signer));
  // 4. The TSA certificate was valid at genTime, and chains to the authority's root then.
  await step(() => {
    if (at < signer.notBefore || at > signer.notAfter) {
      throw fail(
        "TIMESTAMP_OUTSIDE_VALIDITY",
        `time ${iso(at)} is outside of the TSA certificate's validity ${iso(signer.notBefore)} to ${
          iso(signer.notAfter)
        }`,
      );
    }
  });
  const others = embedded.filter((c) => c !== signer);
  await step(async () => {
    try {
      await (opts.verifyChain ?? verifyTimestampCertificateChain)({
        leaf: signer.der,
        intermediates: [...chain.intermediates, ...others].map((c) => c.der),
        roots: [chain.root!.der],
        at,
      });
    } catch (e) {
      throw fail(
        "TIMESTAMP_UNTRUSTED",
        `the TSA certificate does not chain to ${authority.uri || "the timestamp authority"}`,
        e,
      );
    }
  });
  // 5. Nonce and policy, when the caller asked for them.
  await step(() => {
    if (opts.nonce === undefined) return;
    if (info.nonce === undefined) {
      throw fail("TIMESTAMP_NONCE_MISMATCH", "expected a nonce but the response has none");
    }
    if (info.nonce !== opts.nonce) {
      throw fail("TIMESTAMP_NONCE_MISMATCH", "the response's nonce differs from the request's");
    }
  });
  await step(() => {
    if (opts.policy !== undefined && info.policy !== opts.policy) {
      throw fail(
        "TIMESTAMP_POLICY_MISMATCH",
        `policy ${info.policy} is not the requested ${opts.policy}`,
      );
    }
  });
  // 6. RFC 3161 §2.3: the TSA certificate is an end entity whose only, critical, extended key
  //    usage is timeStamping; CA certificates on the way allow timestamping (EKU chaining).
  await step(() => {
    if (isCa(signer)) {
      throw fail("TIMESTAMP_TSA_CERT_INVALID", "the TSA certificate is a CA certificate");
    }
    const eku = signer.extKeyUsage;
    const critical = signer.extensions.some((e) =>
      e.oid === EXTENSION_OID.extKeyUsage && e.critical
    );
    if (!eku || !critical) {
      throw fail("TIMESTAMP_TSA_CERT_INVALID", "the TSA certificate's EKU is not critical");
    }
    if (eku.length !== 1 || eku[0] !== EKU_OID.timeStamping) {
      throw fail(
        "TIMESTAMP_TSA_CERT_INVALID",
        "the TSA certificate's only extended key usage must be timeStamping",
      );
    }
    const cas = [
      ...chain.intermediates,
      ...others.filter((c) => isCa(c) && !bytesEqual(c.der, chain.root!.der)),
      chain.root!,
    ];
    if (!cas.every(allowsTimestamping)) {
      throw fail(
        "TIMESTAMP_TSA_CERT_INVALID",
        "a CA certificate of the chain does not allow timestamping",
      );
    }
  });
  // 7. The imprint: the hash of the signature (the token is for this signature).
  await step(() => {
    if (!bytesEqual(hashBytes(info.hash!, opts.signature), info.hashedMessage)) {
      throw fail("TIMESTAMP_IMPRINT_MISMATCH", "hashed messages don't match");
    }
  });
  // 8. The authority's validity window (sigstore-go SigstoreTimestampingAuthority.Verify).
  await step(() => {
    const { start, end } = authority.validFor;
    if (at < start) {
      throw fail("TIMESTAMP_OUTSIDE_VALIDITY", "timestamp is before the validity period start");
    }
    if (end !== undefined && at > end) {
      throw fail("TIMESTAMP_OUTSIDE_VALIDITY", "timestamp is after the validity period end");
    }
  });
  return { genTime: at, authority, signer: signer.der, tstInfo: info };
}

/**
 * Verifies an RFC 3161 timestamp of `signature` against trusted timestamp authorities.
 *
 * Checks, in order: the response grants a token; the imprint hash is SHA-256/384/512; the content
 * is a TSTInfo whose digest the signed attributes carry; then, per authority until one succeeds:
 * the signer certificate (by issuer and serial or subject key identifier, among the embedded
 * certificates or the authority's TSA certificate, which it must equal when the authority names
 * one), the signature over the signed attributes, the signing time, the ESS signing-certificate
 * attribute, the certificate's validity at genTime, its chain to the authority's root at genTime,
 * the nonce and policy when given, the TSA certificate's EKU (critical, timeStamping only), the
 * imprint (hash of `signature`), and genTime inside the authority's `validFor`.
 *
 * @param opts the timestamp, the signature it is for, the authorities and the chain validator
 * @returns the verified time and the authority
 * @throws {VerificationError} `TIMESTAMP_INVALID` (malformed), `TIMESTAMP_NOT_GRANTED`,
 *   `TIMESTAMP_HASH_UNSUPPORTED`, `TIMESTAMP_CONTENT_DIGEST_MISMATCH`,
 *   `TIMESTAMP_SIGNER_NOT_FOUND`, `TIMESTAMP_SIGNATURE_INVALID`,
 *   `TIMESTAMP_SIGNING_CERT_MISMATCH`, `TIMESTAMP_OUTSIDE_VALIDITY`, `TIMESTAMP_UNTRUSTED`,
 *   `TIMESTAMP_NONCE_MISMATCH`, `TIMESTAMP_POLICY_MISMATCH`, `TIMESTAMP_TSA_CERT_INVALID`,
 *   `TIMESTAMP_IMPRINT_MISMATCH`; with several authorities, the failure of the one that got
 *   furthest
 * @throws {TypeError} when an authority's certificate cannot be parsed
 * @example
 * ```ts
 * const { genTime } = await verifyTimestamp({
 *   timestamp: der, signature: rawSignature, authorities,
 * });
 * ```
 */
export async function verifyTimestamp(opts: VerifyTimestampOptions): Promise<VerifiedTimestamp> {
  let token: TimestampToken;
  let embedded: Certificate[];
  try {
    const resp = parseSignedTimestamp(opts.timestamp);
    if (resp.status !== PKI_STATUS.granted) throw notGranted(resp);
    if (!resp.token) throw fail("TIMESTAMP_INVALID", "no token in the timestamp response");
    token = resp.token;
    embedded = token.certificates.map(parseCertificate);
  } catch (e) {
    if (e instanceof VerificationError) throw e;
    throw fail("TIMESTAMP_INVALID", (e as Error).message, e);
  }
  const hash = token.tstInfo.hash;
  if (!isStrongHash(hash)) {
    throw fail(
      "TIMESTAMP_HASH_UNSUPPORTED",
      hash === "sha1"
        ? "message imprint uses SHA-1, a weak hash algorithm"
        : `unsupported message imprint hash ${hash ?? token.tstInfo.hashAlgorithm}`,
    );
  }
  checkContent(token);
  if (opts.authorities.length === 0) {
    throw fail("TIMESTAMP_UNTRUSTED", "no timestamp authorities to verify against");
  }
  let best: Attempt | undefined;
  for (const authority of opts.authorities) {
    try {
      return await tryAuthority(token, embedded, authority, opts);
    } catch (e) {
      if (!(e instanceof Attempt)) throw e;
      if (!(e.error instanceof VerificationError)) throw e.error;
      if (!best || e.stage > best.stage) best = e;
    }
  }
  throw best!.error;
}
