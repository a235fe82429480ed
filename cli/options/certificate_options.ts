/**
 * The keyless part of the verify flags, as cosign v2.6.4 reads them (cmd/cosign/cli/verify/*.go,
 * options/certificate.go): the identity (`--certificate-identity[-regexp]`,
 * `--certificate-oidc-issuer[-regexp]`, exactly one of each pair), the GitHub workflow values,
 * `--certificate`, `--certificate-chain`, `--ca-roots`/`--ca-intermediates`, `--sct`,
 * `--insecure-ignore-sct`; the trust material: `--trusted-root`, else the TUF cache's trusted
 * root when no SIGSTORE_* variable and no certificate or TSA chain flag is given (cosign's
 * `cosign.TrustedRoot()`), else cosign's individual pieces (`SIGSTORE_ROOT_FILE`,
 * `SIGSTORE_CT_LOG_PUBLIC_KEY_FILE`, `SIGSTORE_TSA_CERTIFICATE_FILE`,
 * `--timestamp-certificate-chain`); and the RFC 3161 timestamp policy
 * (`--use-signed-timestamps`).
 *
 * @module
 */
import type { Context } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { keyRefDeps } from "./key_options.ts";
import { flagGiven } from "./not_yet.ts";
import { IoError, VerificationError } from "../../lib/errors.ts";
import type { TrustedRoot } from "../../lib/trust/trusted_root.ts";
import type { Certificate } from "../../lib/x509/certificate.ts";
import type {
  CertificateIdentity,
  CertificatePolicy,
  GithubWorkflowPolicy,
  TimestampPolicy,
} from "../../lib/verify/verification_policy.ts";

/** The variables that stop cosign from fetching the trusted root from TUF. */
export const TRUST_ENV = [
  "SIGSTORE_CT_LOG_PUBLIC_KEY_FILE",
  "SIGSTORE_ROOT_FILE",
  "SIGSTORE_REKOR_PUBLIC_KEY",
  "SIGSTORE_TSA_CERTIFICATE_FILE",
] as const;

/** The flags that, like the variables, stop cosign from fetching the trusted root from TUF. */
const TRUST_FLAGS = ["certificate-chain", "ca-roots", "ca-intermediates"] as const;

/**
 * cosign's `CertVerifyOptions.Identities()`: exactly one of each pair is required for keyless
 * verification (a regexp and an exact value of the same pair may both be given).
 *
 * @returns the one identity
 * @throws {UsageError} with cosign's messages
 */
export function requireIdentity(ctx: Context): CertificateIdentity {
  const f = ctx.flags;
  const given = (name: string) => flagGiven(ctx, name);
  if (!given("certificate-identity") && !given("certificate-identity-regexp")) {
    throw new UsageError(
      "--certificate-identity or --certificate-identity-regexp is required for verification in keyless mode",
    );
  }
  if (!given("certificate-oidc-issuer") && !given("certificate-oidc-issuer-regexp")) {
    throw new UsageError(
      "--certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required for verification in keyless mode",
    );
  }
  const identity: CertificateIdentity = {};
  if (given("certificate-identity")) identity.subject = f["certificate-identity"] as string;
  if (given("certificate-identity-regexp")) {
    identity.subjectRegExp = f["certificate-identity-regexp"] as string;
  }
  if (given("certificate-oidc-issuer")) identity.issuer = f["certificate-oidc-issuer"] as string;
  if (given("certificate-oidc-issuer-regexp")) {
    identity.issuerRegExp = f["certificate-oidc-issuer-regexp"] as string;
  }
  return identity;
}

/** `--certificate-github-workflow-*`. */
function githubWorkflow(ctx: Context): GithubWorkflowPolicy | undefined {
  const out: GithubWorkflowPolicy = {};
  for (const key of ["trigger", "sha", "name", "repository", "ref"] as const) {
    const flag = `certificate-github-workflow-${key}`;
    if (flag in ctx.flags && flagGiven(ctx, flag)) out[key] = ctx.flags[flag] as string;
  }
  return Object.keys(out).length ? out : undefined;
}

/** Reads a file, URL or `env://` value named by a flag or variable. */
async function readRef(ctx: Context, ref: string, what: string): Promise<Uint8Array> {
  const { readKeyRef } = await import("../../lib/keys/key_ref.ts");
  return await readKeyRef(ref, keyRefDeps(ctx)).catch((e) => {
    throw new IoError(
      "INPUT_UNREADABLE",
      `Cannot read ${what} ${ref}: ${
        (e as Error).message.replace(/^Cannot read key file [^:]*: /, "")
      }`,
      { cause: e },
    );
  });
}

/** Reads PEM certificates (cosign `loadCertChainFromFileOrURL`). */
async function readCertificates(ctx: Context, ref: string, what: string): Promise<Certificate[]> {
  const { parseCertificateChainPem } = await import("../../lib/x509/certificate.ts");
  return parseCertificateChainPem(await readRef(ctx, ref, what));
}

/**
 * Reads `--certificate` as cosign's `loadCertFromPEM`: PEM, or base64 of PEM (what `sign-blob
 * --output-certificate` writes); the first certificate.
 *
 * @returns the DER certificate
 * @throws {SyntaxError} "no certs found in pem file" and the parse errors
 */
async function readCertificateFlag(ctx: Context): Promise<Uint8Array> {
  const ref = ctx.flags.certificate as string;
  let bytes = await readRef(ctx, ref, "certificate");
  const text = new TextDecoder().decode(bytes).trim();
  if (/^[A-Za-z0-9+/=\r\n]+$/.test(text)) {
    try {
      const { decodeStdBase64 } = await import("../../lib/base64.ts");
      bytes = decodeStdBase64(text.replace(/[\r\n]/g, ""));
    } catch {
      // not base64: PEM as it is
    }
  }
  const { parseCertificateChainPem } = await import("../../lib/x509/certificate.ts");
  const [leaf] = parseCertificateChainPem(bytes);
  if (!leaf) throw new SyntaxError("Cannot parse certificate: no certs found in pem file");
  return leaf.der;
}

/**
 * The trusted root cosign would use (`co.TrustedMaterial`): `--trusted-root`, else, when no
 * SIGSTORE_* variable and no certificate or TSA chain flag is given, the TUF cache's
 * (`cosign initialize`; the public-good repository otherwise). A TUF failure is a warning, as in
 * cosign ("Could not fetch trusted_root.json from the TUF repository. Continuing with individual
 * targets.").
 *
 * @param useFlag whether `--trusted-root` counts here (the commands refuse it where cosign does)
 * @returns the trusted root, or undefined
 * @throws {IoError} when `--trusted-root` cannot be read
 * @throws {TypeError | SyntaxError} when it is not a trusted root
 */
export async function resolveTrustedRoot(
  ctx: Context,
  useFlag: boolean,
): Promise<TrustedRoot | undefined> {
  const { loadTrustedRoot } = await import("./verify_options.ts");
  if (useFlag && ctx.flags["trusted-root"] !== "") return await loadTrustedRoot(ctx);
  if (TRUST_ENV.some((v) => ctx.io.getEnv(v))) return undefined;
  if ([...TRUST_FLAGS, "timestamp-certificate-chain"].some((f) => flagGiven(ctx, f))) {
    return undefined;
  }
  const { trustedRootFromTuf } = await import("./tuf_options.ts");
  const { parseTrustedRoot } = await import("../../lib/trust/trusted_root.ts");
  try {
    return parseTrustedRoot(await trustedRootFromTuf(ctx));
  } catch (e) {
    await ctx.warn(
      `Could not fetch trusted_root.json from the TUF repository. Continuing with individual targets. Error from TUF: ${
        (e as Error).message
      }`,
    );
    return undefined;
  }
}

/**
 * The RFC 3161 policy: `--use-signed-timestamps` or `--timestamp-certificate-chain` ask for
 * timestamps, verified against the trusted root's timestamp authorities, else the chain of
 * `SIGSTORE_TSA_CERTIFICATE_FILE` or `--timestamp-certificate-chain` (cosign `GetTSACerts`).
 *
 * @returns the policy, or undefined when timestamps are not asked for
 * @throws {VerificationError} `TIMESTAMP_UNTRUSTED` "unable to load TSA certificates: …"
 */
export async function timestampPolicy(
  ctx: Context,
  root: TrustedRoot | undefined,
): Promise<TimestampPolicy | undefined> {
  const chainFlag = "timestamp-certificate-chain" in ctx.flags &&
    flagGiven(ctx, "timestamp-certificate-chain");
  const required = ctx.flags["use-signed-timestamps"] === true || chainFlag;
  if (!required) return undefined;
  if (root) {
    const { timestampAuthorities } = await import("../../lib/trust/trusted_root.ts");
    return { required, authorities: timestampAuthorities(root) };
  }
  const file = ctx.io.getEnv("SIGSTORE_TSA_CERTIFICATE_FILE") ||
    (chainFlag ? ctx.flags["timestamp-certificate-chain"] as string : "");
  if (!file) {
    throw new VerificationError(
      "TIMESTAMP_UNTRUSTED",
      "Cannot verify timestamps: unable to load TSA certificates: set SIGSTORE_TSA_CERTIFICATE_FILE or pass --timestamp-certificate-chain or --trusted-root",
    );
  }
  const { splitTsaChain } = await import("../../lib/verify/certificate_trust.ts");
  const certs = await readCertificates(ctx, file, "TSA certificate chain");
  return { required, authorities: splitTsaChain(certs) };
}

/**
 * The certificate policy of a keyless verification.
 *
 * @param root the trusted root cosign would use (see {@link resolveTrustedRoot})
 * @param timestamps the timestamp policy (its authorities are the trust's)
 * @param spec `signatureChain`: `--certificate-chain` is the signature's chain as well
 *   (verify-blob, verify-blob-attestation)
 * @returns the policy
 * @throws {UsageError} for a missing identity, `--ca-intermediates` without `--ca-roots`
 * @throws {VerificationError} `CERT_CHAIN_INVALID` when no certificate authority is trusted
 * @throws {IoError | SyntaxError} when a file cannot be read or parsed
 */
export async function certificatePolicy(
  ctx: Context,
  root: TrustedRoot | undefined,
  timestamps: TimestampPolicy | undefined,
  spec: { signatureChain?: boolean } = {},
): Promise<CertificatePolicy> {
  const identity = requireIdentity(ctx);
  const f = ctx.flags;
  // cobra's MarkFlagsMutuallyExclusive (options/certificate.go).
  for (const other of ["ca-roots", "ca-intermediates"]) {
    if (flagGiven(ctx, other) && flagGiven(ctx, "certificate-chain")) {
      throw new UsageError(
        `if any flags in the group [${other} certificate-chain] are set none of the others can be; [${other} certificate-chain] were all set`,
      );
    }
  }
  const ignoreSct = f["insecure-ignore-sct"] === true;
  const policy: CertificatePolicy = { identities: [identity] };
  const workflow = githubWorkflow(ctx);
  if (workflow) policy.githubWorkflow = workflow;
  if (flagGiven(ctx, "certificate")) policy.certificate = await readCertificateFlag(ctx);
  const sct = flagGiven(ctx, "sct") ? await readRef(ctx, f.sct as string, "SCT") : undefined;
  policy.sct = { ignore: ignoreSct, ...(sct ? { detached: sct } : {}) };
  const { certificateTrust, splitRootFile } = await import(
    "../../lib/verify/certificate_trust.ts"
  );
  const chain = flagGiven(ctx, "certificate-chain")
    ? await readCertificates(ctx, f["certificate-chain"] as string, "certificate chain")
    : undefined;
  if (chain && chain.length === 0) {
    throw new UsageError("expected certificate chain in --certificate-chain");
  }
  if (chain && spec.signatureChain) policy.chain = chain.map((c) => c.der);
  if (root) {
    policy.trust = certificateTrust({ trustedRoot: root });
    return policy;
  }
  let roots: Certificate[];
  let intermediates: Certificate[] = [];
  if (chain) {
    roots = [chain.at(-1)!];
    intermediates = chain.slice(0, -1);
  } else if (flagGiven(ctx, "ca-roots")) {
    roots = await readCertificates(ctx, f["ca-roots"] as string, "CA roots");
    if (flagGiven(ctx, "ca-intermediates")) {
      intermediates = await readCertificates(
        ctx,
        f["ca-intermediates"] as string,
        "CA intermediates",
      );
    }
  } else if (ctx.io.getEnv("SIGSTORE_ROOT_FILE")) {
    const file = ctx.io.getEnv("SIGSTORE_ROOT_FILE")!;
    ({ roots, intermediates } = splitRootFile(await readCertificates(ctx, file, "root PEM file")));
  } else {
    throw new VerificationError(
      "CERT_CHAIN_INVALID",
      "Cannot verify certificate: getting Fulcio roots: no trusted certificate authority (set SIGSTORE_ROOT_FILE, pass --certificate-chain, --ca-roots or --trusted-root, or run cosign initialize)",
    );
  }
  const ctLogKeys = [];
  const ctFile = ctx.io.getEnv("SIGSTORE_CT_LOG_PUBLIC_KEY_FILE");
  if (ctFile && !ignoreSct) {
    const { parsePublicKeyDer, parsePublicKeyPem } = await import(
      "../../lib/keys/public_key.ts"
    );
    const bytes = await readRef(ctx, ctFile, "alternate CTLog public key file");
    // cosign AddTransparencyLogPubKey: PEM, or DER.
    ctLogKeys.push(
      new TextDecoder().decode(bytes).includes("-----BEGIN")
        ? parsePublicKeyPem(bytes)
        : parsePublicKeyDer(bytes),
    );
  }
  policy.trust = {
    ...certificateTrust({ roots, intermediates, ctLogKeys }),
    timestampAuthorities: timestamps?.authorities ?? [],
  };
  return policy;
}
