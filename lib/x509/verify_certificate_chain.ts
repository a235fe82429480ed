/**
 * Certificate path validation as cosign and sigstore-go do it: Go's `x509.Certificate.Verify`
 * with the trusted roots and intermediates of each certificate authority, at one point in time
 * (the "hybrid model" of the Sigstore client spec: every certificate of the chain must be valid
 * when the signature was made), requiring the code-signing extended key usage.
 *
 * This is the RFC 5280 §6 subset Go implements, with Go's rules and order of checks:
 * - parents are found by name (`issuer` = `subject`, DER-equal), those whose subject key
 *   identifier equals the child's authority key identifier tried first, roots before
 *   intermediates (Go's `CertPool.findPotentialParents`);
 * - each signature is checked with the parent's key (ECDSA, RSA PKCS#1 v1.5 or PSS, Ed25519, with
 *   SHA-256/384/512), and a parent must be a CA (basicConstraints cA) with keyCertSign when it
 *   has a keyUsage extension (`CheckSignatureFrom`);
 * - every certificate must be valid at the given time, intermediates must be CAs, pathLen
 *   constraints hold, unknown critical extensions are refused (`isValid`);
 * - the extended key usages nest: every certificate of the chain that restricts them must allow
 *   code signing (`checkChainForKeyUsage`).
 *
 * Deliberate differences from Go, all stricter: a leaf that is itself a CA is refused unless
 * `allowCaLeaf` is set (Go accepts an intermediate presented as a leaf when its extended key usage
 * allows code signing); a CA certificate with name constraints is refused (Go enforces them; no
 * Sigstore CA uses them); critical policy constraints, policy mappings and inhibitAnyPolicy are
 * refused (Go evaluates the policy graph).
 *
 * @module
 */
import { VerificationError } from "../errors.ts";
import { type Certificate, EKU_OID, EXTENSION_OID } from "./certificate.ts";
import { signatureScheme, signingKey, verifyScheme } from "./_signature.ts";

/**
 * A trusted certificate authority (structurally, a trusted root's `certificateAuthorities`
 * entry): its chain from the issuing intermediate up to the root, which is last, and the period in
 * which it may have issued certificates.
 */
export interface CertificateAuthorityLike {
  /** Intermediates first, the trusted root last (the order of `trusted_root.json`). */
  certChain: readonly Certificate[];
  /** Milliseconds since the epoch; absent bounds are open (sigstore-go's zero time). */
  validFor?: { start?: number; end?: number };
}

/** Options of {@link verifyCertificateChain}. */
export interface VerifyCertificateChainOptions {
  /**
   * Untrusted intermediates that may complete a path, e.g. from `--certificate-chain` (cosign
   * adds them to the intermediate pool of every authority).
   */
  intermediates?: readonly Certificate[];
  /**
   * The extended key usage every certificate of the chain must allow (default code signing, as
   * cosign and sigstore-go ask); `null` skips the check.
   */
  extKeyUsage?: string | null;
  /** Accept a leaf with basicConstraints cA TRUE (Go does; default false). */
  allowCaLeaf?: boolean;
}

/** Most signatures checked per authority (Go's maxChainSignatureChecks). */
const MAX_SIGNATURE_CHECKS = 100;
/** Longest chain built (leaf included). */
const MAX_CHAIN_LENGTH = 10;

// Extensions Go's parser handles (crypto/x509 parser.go processExtensions); the subjectAltName
// only when it holds a name Go reads, except on the leaf, where cosign and sigstore-go drop it
// from the unhandled list (Fulcio's otherName-only SAN is critical).
const HANDLED = new Set([
  EXTENSION_OID.subjectKeyIdentifier,
  EXTENSION_OID.keyUsage,
  EXTENSION_OID.basicConstraints,
  EXTENSION_OID.nameConstraints,
  "2.5.29.31", // cRLDistributionPoints
  "2.5.29.32", // certificatePolicies
  EXTENSION_OID.authorityKeyIdentifier,
  EXTENSION_OID.extKeyUsage,
  "1.3.6.1.5.5.7.1.1", // authorityInfoAccess
]);

type Kind = "leaf" | "intermediate" | "root";

function error(code: ConstructorParameters<typeof VerificationError>[0], detail: string) {
  return new VerificationError(code, `Cannot verify certificate chain: ${detail}`);
}

const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

function label(cert: Certificate, kind: Kind): string {
  if (kind === "leaf") return "the leaf certificate";
  return `the ${kind} certificate "${cert.subject.text}"`;
}

/** Go's `isValid` checks of one certificate at `time` (names are chained by the caller). */
function isValid(
  cert: Certificate,
  kind: Kind,
  chainBelow: readonly Certificate[],
  time: number,
): VerificationError | undefined {
  for (const ext of cert.extensions) {
    if (!ext.critical) continue;
    const san = cert.subjectAltName;
    const handled = HANDLED.has(ext.oid as never) ||
      (ext.oid === EXTENSION_OID.subjectAltName &&
        (kind === "leaf" ||
          !!(san && san.dnsNames.length + san.emails.length + san.ipAddresses.length +
              san.uris.length)));
    if (!handled) {
      return error(
        "CERT_UNHANDLED_CRITICAL_EXTENSION",
        `${label(cert, kind)} has an unhandled critical extension ${ext.oid}`,
      );
    }
  }
  if (time < cert.notBefore) {
    return error(
      "CERT_NOT_YET_VALID",
      `${label(cert, kind)} is not yet valid: ${iso(time)} is before ${iso(cert.notBefore)}`,
    );
  }
  if (time > cert.notAfter) {
    return error(
      "CERT_EXPIRED",
      `${label(cert, kind)} has expired: ${iso(time)} is after ${iso(cert.notAfter)}`,
    );
  }
  if (kind === "leaf") return undefined;
  if (cert.extensions.some((e) => e.oid === EXTENSION_OID.nameConstraints)) {
    return error(
      "CERT_CHAIN_INVALID",
      `${label(cert, kind)} has name constraints, which are not supported`,
    );
  }
  if (kind === "intermediate" && !cert.basicConstraints?.ca) {
    return error("CERT_NOT_AUTHORIZED_TO_SIGN", `${label(cert, kind)} is not a CA`);
  }
  const pathLen = cert.basicConstraints?.pathLen;
  if (pathLen !== undefined && chainBelow.length - 1 > pathLen) {
    return error(
      "CERT_PATH_LENGTH_EXCEEDED",
      `${label(cert, kind)} allows ${pathLen} intermediate certificates below it, found ${
        chainBelow.length - 1
      }`,
    );
  }
  return undefined;
}

/** Go's `CheckSignatureFrom`: the parent may sign certificates, and its key signed `child`. */
async function checkSignatureFrom(
  child: Certificate,
  parent: Certificate,
  kind: Kind,
): Promise<VerificationError | undefined> {
  const bc = parent.basicConstraints;
  if ((parent.version === 3 && !bc) || (bc && !bc.ca)) {
    return error(
      "CERT_NOT_AUTHORIZED_TO_SIGN",
      `${label(parent, kind)} cannot sign certificates: it is not a CA`,
    );
  }
  if (parent.keyUsage?.length && !parent.keyUsage.includes("keyCertSign")) {
    return error(
      "CERT_NOT_AUTHORIZED_TO_SIGN",
      `${label(parent, kind)} cannot sign certificates: its key usage lacks keyCertSign`,
    );
  }
  const scheme = signatureScheme(child.signatureAlgorithm);
  const key = signingKey(parent.spki);
  if (typeof scheme === "string" || !key) {
    return error(
      "CERT_SIGNATURE_INVALID",
      `cannot check the signature by ${label(parent, kind)}: ${
        typeof scheme === "string" ? scheme : "unsupported public key"
      }`,
    );
  }
  if (!await verifyScheme(key, scheme, child.tbs, child.signature)) {
    return error(
      "CERT_SIGNATURE_INVALID",
      `the signature by ${label(parent, kind)} does not verify`,
    );
  }
  return undefined;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Go's `alreadyInChain`: same subject, same key and same subjectAltName. */
function alreadyInChain(candidate: Certificate, chain: readonly Certificate[]): boolean {
  const san = (c: Certificate) => c.extensions.find((e) => e.oid === EXTENSION_OID.subjectAltName);
  return chain.some((c) => {
    if (!bytesEqual(c.subject.der, candidate.subject.der) || !bytesEqual(c.spki, candidate.spki)) {
      return false;
    }
    const a = san(c), b = san(candidate);
    return (!a && !b) || (!!a && !!b && bytesEqual(a.value, b.value));
  });
}

/** Go's `findPotentialParents`: by name, key identifier matches first. */
function potentialParents(cert: Certificate, pool: readonly Certificate[]): Certificate[] {
  const rank = (c: Certificate) => {
    const ski = c.subjectKeyId ?? new Uint8Array(0);
    const aki = cert.authorityKeyId ?? new Uint8Array(0);
    if (bytesEqual(ski, aki)) return 0;
    return ski.length === 0 || aki.length === 0 ? 1 : 2;
  };
  return pool
    .filter((c) => bytesEqual(c.subject.der, cert.issuer.der))
    .map((c, i) => ({ c, i, r: rank(c) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.c);
}

/** Go's `checkChainForKeyUsage` for one requested usage. */
function chainAllows(chain: readonly Certificate[], usage: string): boolean {
  for (let i = chain.length - 1; i >= 0; i--) {
    const eku = chain[i].extKeyUsage;
    if (!eku || eku.length === 0 || eku.includes(EKU_OID.any)) continue;
    if (!eku.includes(usage)) return false;
  }
  return true;
}

interface Search {
  roots: readonly Certificate[];
  intermediates: readonly Certificate[];
  time: number;
  usage: string | null;
  signatureChecks: number;
  hint?: VerificationError;
  usageRejected?: boolean;
}

async function buildChain(
  cert: Certificate,
  chain: Certificate[],
  s: Search,
): Promise<Certificate[] | undefined> {
  if (chain.length >= MAX_CHAIN_LENGTH) {
    s.hint ??= error("CERT_CHAIN_INVALID", `no path shorter than ${MAX_CHAIN_LENGTH} certificates`);
    return undefined;
  }
  for (const [kind, pool] of [["root", s.roots], ["intermediate", s.intermediates]] as const) {
    for (const candidate of potentialParents(cert, pool)) {
      if (alreadyInChain(candidate, chain)) continue;
      if (--s.signatureChecks < 0) {
        s.hint ??= error("CERT_CHAIN_INVALID", "too many signature checks while building the path");
        return undefined;
      }
      const problem = await checkSignatureFrom(cert, candidate, kind) ??
        isValid(candidate, kind, chain, s.time);
      if (problem) {
        s.hint ??= problem;
        continue;
      }
      const next = [...chain, candidate];
      if (kind === "root") {
        if (s.usage === null || chainAllows(next, s.usage)) return next;
        s.usageRejected = true;
        continue;
      }
      const found = await buildChain(candidate, next, s);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Builds and validates a path from `leaf` to the root of one of `authorities`, as cosign's
 * `ValidateAndUnpackCert` (sigstore-go `VerifyLeafCertificate`, or `TrustedCert` without a trusted
 * root) does at `time`: cosign passes the leaf's notBefore, sigstore-go the time of a verified
 * log entry or timestamp.
 *
 * @param leaf the signing certificate
 * @param authorities trusted authorities, tried in order; the first that validates wins
 * @param time milliseconds since the epoch at which every certificate must be valid
 * @param options extra intermediates, the required extended key usage, CA leaves
 * @returns the chain used, leaf first and root last
 * @throws {VerificationError} `CERT_LEAF_IS_CA`, `CERT_UNHANDLED_CRITICAL_EXTENSION`,
 *   `CERT_EXPIRED` or `CERT_NOT_YET_VALID` for the leaf itself; else the most specific failure
 *   among the authorities: `CERT_AUTHORITY_NOT_VALID` (time outside the authority's validFor),
 *   `CERT_SIGNATURE_INVALID`, `CERT_NOT_AUTHORIZED_TO_SIGN`, `CERT_PATH_LENGTH_EXCEEDED`,
 *   `CERT_EXPIRED`/`CERT_NOT_YET_VALID` (an issuer at `time`), `CERT_EXT_KEY_USAGE_MISMATCH`,
 *   or `CERT_CHAIN_INVALID` (no issuer found: "certificate signed by unknown authority")
 * @example
 * ```ts
 * const chain = await verifyCertificateChain(leaf, root.certificateAuthorities, leaf.notBefore);
 * ```
 */
export async function verifyCertificateChain(
  leaf: Certificate,
  authorities: readonly CertificateAuthorityLike[],
  time: number,
  options: VerifyCertificateChainOptions = {},
): Promise<Certificate[]> {
  if (!options.allowCaLeaf && leaf.basicConstraints?.ca) {
    throw error("CERT_LEAF_IS_CA", "the leaf certificate is a CA certificate");
  }
  const leafProblem = isValid(leaf, "leaf", [], time);
  if (leafProblem) throw leafProblem;
  const usage = options.extKeyUsage === undefined ? EKU_OID.codeSigning : options.extKeyUsage;
  const failures: VerificationError[] = [];
  for (const ca of authorities) {
    const { start, end } = ca.validFor ?? {};
    if ((start !== undefined && time < start) || (end !== undefined && time > end)) {
      failures.push(
        error(
          "CERT_AUTHORITY_NOT_VALID",
          `the certificate authority "${ca.certChain.at(-1)?.subject.text ?? ""}" is not valid at ${
            iso(time)
          }`,
        ),
      );
      continue;
    }
    const root = ca.certChain.at(-1);
    if (!root) continue;
    const roots = [root];
    if (roots.some((r) => bytesEqual(r.der, leaf.der))) {
      if (usage === null || chainAllows([leaf], usage)) return [leaf];
    }
    const s: Search = {
      roots,
      intermediates: [...ca.certChain.slice(0, -1), ...(options.intermediates ?? [])],
      time,
      usage,
      signatureChecks: MAX_SIGNATURE_CHECKS,
    };
    const chain = await buildChain(leaf, [leaf], s);
    if (chain) return chain;
    failures.push(
      s.usageRejected
        ? error(
          "CERT_EXT_KEY_USAGE_MISMATCH",
          `the certificate chain does not allow the extended key usage ${usage}`,
        )
        : s.hint ?? error("CERT_CHAIN_INVALID", "certificate signed by unknown authority"),
    );
  }
  throw failures.find((f) => f.code !== "CERT_CHAIN_INVALID") ?? failures[0] ??
    error("CERT_CHAIN_INVALID", "no trusted certificate authority");
}

/**
 * Refuses a bundle-provided chain that carries a self-signed (root) certificate: the root must
 * come from the trusted root, never from the signature (the Sigstore client rule behind the
 * conformance case `bundle-with-root-cert_fail`).
 *
 * @param chain the certificates that came with the signature
 * @throws {VerificationError} `CERT_ROOT_IN_CHAIN` when one is self-issued and signed by its own key
 */
export async function assertNoRootInChain(chain: readonly Certificate[]): Promise<void> {
  for (const cert of chain) {
    if (!bytesEqual(cert.issuer.der, cert.subject.der)) continue;
    const scheme = signatureScheme(cert.signatureAlgorithm);
    const key = signingKey(cert.spki);
    if (
      typeof scheme !== "string" && key && await verifyScheme(key, scheme, cert.tbs, cert.signature)
    ) {
      throw error(
        "CERT_ROOT_IN_CHAIN",
        `the certificate chain must not contain a self-signed root certificate ("${cert.subject.text}")`,
      );
    }
  }
}
