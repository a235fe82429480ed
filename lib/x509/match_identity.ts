/**
 * cosign 2's certificate identity policy: `--certificate-identity[-regexp]`,
 * `--certificate-oidc-issuer[-regexp]` and `--certificate-github-workflow-*`, checked the way
 * cosign v2.6.4 does it, in one of two modes:
 *
 * - `"cosign"` (signatures from registries, `verify-blob` without a Sigstore bundle): cosign's
 *   own `CheckCertificatePolicy` (pkg/cosign/verify.go). The GitHub workflow values are compared
 *   first with the raw extensions 1.2-1.6; then the subject matches when *any* subject
 *   alternative name (DNS, email, IP, URI, Fulcio otherName) equals `certificateIdentity` or
 *   matches `certificateIdentityRegexp`, and the issuer is the raw extension 1.1 only. A regexp
 *   wins over an exact value when both are given.
 * - `"sigstore-go"` (Sigstore bundles, `--new-bundle-format`, `--trusted-root` bundles):
 *   sigstore-go's `CertificateIdentity.Verify` (pkg/verify/certificate_identity.go) on the
 *   certificate summary: the one identity (first URI, else first email, else otherName), the
 *   issuer of extension 1.8 (or 1.1), then the workflow values; exact value and regexp are both
 *   checked when both are given.
 *
 * Regular expressions have Go's RE2 syntax and semantics (unanchored unless the pattern anchors,
 * `(?i)` flags, no backreferences or lookaround) and run in linear time on hostile input: they
 * are compiled with the `re2js` package, which is loaded only when a regexp option is used
 * (importing it costs about 45 ms).
 *
 * @module
 */
import type { RE2JS } from "re2js";
import { VerificationError } from "../errors.ts";
import type { Certificate } from "./certificate.ts";
import {
  certificateIdentity,
  FULCIO_OID,
  parseFulcioExtensions,
  rawExtension,
  subjectAlternativeNames,
} from "./fulcio_extensions.ts";

/** The identity flags of `cosign verify*` (cosign options/certificate.go), by option name. */
export interface CertificateIdentityOptions {
  /** `--certificate-identity`: a subject alternative name, compared exactly. */
  certificateIdentity?: string;
  /** `--certificate-identity-regexp`: a Go regexp a subject alternative name must match. */
  certificateIdentityRegexp?: string;
  /** `--certificate-oidc-issuer`: the OIDC issuer, compared exactly. */
  certificateOidcIssuer?: string;
  /** `--certificate-oidc-issuer-regexp`: a Go regexp the OIDC issuer must match. */
  certificateOidcIssuerRegexp?: string;
  /** `--certificate-github-workflow-trigger`: extension 1.3.6.1.4.1.57264.1.2, exactly. */
  certificateGithubWorkflowTrigger?: string;
  /** `--certificate-github-workflow-sha`: extension 1.3.6.1.4.1.57264.1.3, exactly. */
  certificateGithubWorkflowSha?: string;
  /** `--certificate-github-workflow-name`: extension 1.3.6.1.4.1.57264.1.4, exactly. */
  certificateGithubWorkflowName?: string;
  /** `--certificate-github-workflow-repository`: extension 1.3.6.1.4.1.57264.1.5, exactly. */
  certificateGithubWorkflowRepository?: string;
  /** `--certificate-github-workflow-ref`: extension 1.3.6.1.4.1.57264.1.6, exactly. */
  certificateGithubWorkflowRef?: string;
}

/** Which of cosign's two policy implementations to follow (see the module documentation). */
export type IdentityMatchMode = "cosign" | "sigstore-go";

/** What the certificate was matched as. */
export interface MatchedIdentity {
  /** The subject alternative name that matched (cosign: the first one when none was asked). */
  subject: string;
  /** The OIDC issuer the certificate states ("" when it has none). */
  issuer: string;
}

let re2: Promise<typeof RE2JS> | undefined;
const compiled = new Map<string, RE2JS>();
const MAX_CACHED = 64;

/** Compiles a Go regexp, loading re2js on first use. */
async function compile(
  pattern: string,
  what: "subject" | "issuer",
  mode: IdentityMatchMode = "cosign",
): Promise<RE2JS> {
  const hit = compiled.get(pattern);
  if (hit) return hit;
  const engine = await (re2 ??= import("re2js").then((m) => m.RE2JS));
  let re: RE2JS;
  try {
    re = engine.compile(pattern);
  } catch (e) {
    // re2js reports Go's messages, e.g. "error parsing regexp: missing closing ): `(`"; cosign
    // wraps them, sigstore-go (NewSANMatcher) does not.
    const prefix = mode === "cosign" ? `malformed ${what} in identity: ${pattern} : ` : "";
    throw new SyntaxError(
      `Cannot verify certificate identity: ${prefix}${(e as Error).message}`,
      { cause: e },
    );
  }
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(pattern, re);
  return re;
}

const WORKFLOW = [
  ["certificateGithubWorkflowTrigger", "githubWorkflowTrigger", "Trigger", "GithubWorkflowTrigger"],
  ["certificateGithubWorkflowSha", "githubWorkflowSha", "SHA", "GithubWorkflowSHA"],
  ["certificateGithubWorkflowName", "githubWorkflowName", "Name", "GithubWorkflowName"],
  [
    "certificateGithubWorkflowRepository",
    "githubWorkflowRepository",
    "Repository",
    "GithubWorkflowRepository",
  ],
  ["certificateGithubWorkflowRef", "githubWorkflowRef", "Ref", "GithubWorkflowRef"],
] as const;

function mismatch(code: "CERT_IDENTITY_MISMATCH" | "CERT_EXTENSION_MISMATCH", detail: string) {
  return new VerificationError(code, `Cannot verify certificate identity: ${detail}`);
}

const quote = (s: string) => JSON.stringify(s);

function expectation(exact: string | undefined, regexp: string | undefined): string {
  if (regexp) return `matching ${quote(regexp)}`;
  if (exact) return quote(exact);
  return "any";
}

/**
 * Checks a certificate against cosign's identity options.
 *
 * @param cert the signing certificate (already validated against a trusted CA)
 * @param policy the identity options; with none of them set, any certificate matches
 * @param mode `"cosign"` (default) or `"sigstore-go"`, see the module documentation
 * @returns the subject and issuer the certificate was matched as
 * @throws {VerificationError} `CERT_EXTENSION_MISMATCH` when a GitHub workflow value differs
 *   (cosign: "expected GitHub Workflow Trigger not found in certificate …");
 *   `CERT_IDENTITY_MISMATCH` when no subject alternative name or the issuer does not match (cosign:
 *   "none of the expected identities matched what was in the certificate, got subjects [...] with
 *   issuer ..."; sigstore-go: "no matching CertificateIdentity found, last error: expected SAN
 *   value ..."); the message names what was expected and what the certificate holds
 * @throws {SyntaxError} for a regexp Go would not compile: "Cannot verify certificate identity:
 *   malformed subject in identity: ( : error parsing regexp: missing closing ): `(`" (cosign
 *   mode), "Cannot verify certificate identity: error parsing regexp: …" (sigstore-go mode)
 * @throws {TypeError} in `"sigstore-go"` mode when only one of the subject and issuer criteria is
 *   given (sigstore-go's `NewCertificateIdentity` rule)
 * @example
 * ```ts
 * await matchIdentity(cert, {
 *   certificateIdentityRegexp: "^https://github.com/sigstore/",
 *   certificateOidcIssuer: "https://token.actions.githubusercontent.com",
 * });
 * ```
 */
export async function matchIdentity(
  cert: Certificate,
  policy: CertificateIdentityOptions,
  mode: IdentityMatchMode = "cosign",
): Promise<MatchedIdentity> {
  return mode === "cosign" ? await matchCosign(cert, policy) : await matchSigstoreGo(cert, policy);
}

async function matchCosign(
  cert: Certificate,
  policy: CertificateIdentityOptions,
): Promise<MatchedIdentity> {
  for (const [option, name, label] of WORKFLOW) {
    const want = policy[option];
    if (!want) continue;
    const got = rawExtension(cert, FULCIO_OID[name]);
    if (got !== want) {
      throw mismatch(
        "CERT_EXTENSION_MISMATCH",
        `expected GitHub Workflow ${label} not found in certificate (expected ${quote(want)}, got ${
          quote(got)
        })`,
      );
    }
  }
  const issuer = rawExtension(cert, FULCIO_OID.issuerV1);
  const sans = subjectAlternativeNames(cert);
  const {
    certificateIdentity: subject,
    certificateIdentityRegexp: subjectRe,
    certificateOidcIssuer: wantIssuer,
    certificateOidcIssuerRegexp: issuerRe,
  } = policy;
  // cosign compiles the issuer regexp first, then checks the subject.
  let issuerMatches = true;
  if (issuerRe) issuerMatches = (await compile(issuerRe, "issuer")).matcher(issuer).find();
  else if (wantIssuer) issuerMatches = wantIssuer === issuer;
  let matched: string | undefined = sans[0] ?? "";
  if (subjectRe) {
    const re = await compile(subjectRe, "subject");
    matched = sans.find((s) => re.matcher(s).find());
  } else if (subject) {
    matched = sans.find((s) => s === subject);
  }
  if (matched !== undefined && issuerMatches) return { subject: matched, issuer };
  throw mismatch(
    "CERT_IDENTITY_MISMATCH",
    `none of the expected identities matched what was in the certificate, got subjects [${
      sans.join(", ")
    }] with issuer ${issuer} (expected subject ${expectation(subject, subjectRe)} with issuer ${
      expectation(wantIssuer, issuerRe)
    })`,
  );
}

async function matchSigstoreGo(
  cert: Certificate,
  policy: CertificateIdentityOptions,
): Promise<MatchedIdentity> {
  const {
    certificateIdentity: subject,
    certificateIdentityRegexp: subjectRe,
    certificateOidcIssuer: wantIssuer,
    certificateOidcIssuerRegexp: issuerRe,
  } = policy;
  const extensions = parseFulcioExtensions(cert);
  const issuer = extensions.issuer ?? "";
  const anyCriteria = subject || subjectRe || wantIssuer || issuerRe ||
    WORKFLOW.some(([option]) => policy[option]);
  if (!anyCriteria) {
    return { subject: certificateIdentity(cert) ?? "", issuer };
  }
  if (!subject && !subjectRe) {
    throw new TypeError(
      "Cannot verify certificate identity: when verifying a certificate identity, there must be subject alternative name criteria",
    );
  }
  if (!wantIssuer && !issuerRe) {
    throw new TypeError(
      "Cannot verify certificate identity: when verifying a certificate identity, must specify Issuer criteria",
    );
  }
  // sigstore-go compiles both regexps before verifying anything.
  const sanRegexp = subjectRe ? await compile(subjectRe, "subject", "sigstore-go") : undefined;
  const issuerRegexp = issuerRe ? await compile(issuerRe, "issuer", "sigstore-go") : undefined;
  const san = certificateIdentity(cert);
  if (san === undefined) {
    throw mismatch("CERT_IDENTITY_MISMATCH", "no Subject Alternative Name found");
  }
  const last = (code: "CERT_IDENTITY_MISMATCH" | "CERT_EXTENSION_MISMATCH", detail: string) =>
    mismatch(code, `no matching CertificateIdentity found, last error: ${detail}`);
  if (subject && san !== subject) {
    throw last("CERT_IDENTITY_MISMATCH", `expected SAN value ${quote(subject)}, got ${quote(san)}`);
  }
  if (sanRegexp && !sanRegexp.matcher(san).find()) {
    throw last(
      "CERT_IDENTITY_MISMATCH",
      `expected SAN value to match regex ${quote(subjectRe!)}, got ${quote(san)}`,
    );
  }
  if (wantIssuer && issuer !== wantIssuer) {
    throw last(
      "CERT_IDENTITY_MISMATCH",
      `expected issuer value ${quote(wantIssuer)}, got ${quote(issuer)}`,
    );
  }
  if (issuerRegexp && !issuerRegexp.matcher(issuer).find()) {
    throw last(
      "CERT_IDENTITY_MISMATCH",
      `expected issuer value to match regex ${quote(issuerRe!)}, got ${quote(issuer)}`,
    );
  }
  for (const [option, name, , field] of WORKFLOW) {
    const want = policy[option];
    const got = extensions[name] ?? "";
    if (want && want !== got) {
      throw last(
        "CERT_EXTENSION_MISMATCH",
        `expected ${field} to be ${quote(want)}, got ${quote(got)}`,
      );
    }
  }
  return { subject: san, issuer };
}
