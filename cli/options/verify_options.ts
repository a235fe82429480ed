/**
 * The verify family's flags (`verify`, `verify-attestation`, `verify-blob`,
 * `verify-blob-attestation`) turned into one {@link VerificationPolicy}, as cosign's
 * cmd/cosign/cli/verify/common.go builds its `CheckOpts` in one place: the key or certificate
 * identity, the transparency log (bundles offline, lookups at `--rekor-url`, `--offline`, the log
 * key from SIGSTORE_REKOR_PUBLIC_KEY or `--trusted-root`), timestamps, the digest algorithm and
 * the claims. Flags cosign has that we do not implement yet are refused here, so that no command
 * prints "Verified OK" for a check it did not make.
 *
 * @module
 */
import type { Context } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { writeAll } from "../io.ts";
import { keyRefDeps } from "./key_options.ts";
import { flagGiven, type NotYet, refuseNotYet } from "./not_yet.ts";
import { parseAnnotations } from "./parse_annotations.ts";
import {
  certificatePolicy,
  requireIdentity,
  resolveTrustedRoot,
  timestampPolicy,
} from "./certificate_options.ts";
import { IoError, SigstoreError } from "../../lib/errors.ts";
import type { PublicKey } from "../../lib/keys/public_key.ts";
import type { TrustedRoot } from "../../lib/trust/trusted_root.ts";
import type { VerifyHash } from "../../lib/signature/verify_signature.ts";
import type {
  ClaimsPolicy,
  SignerPolicy,
  TlogPolicy,
  VerificationPolicy,
} from "../../lib/verify/verification_policy.ts";

/** What a verify command accepts, for {@link verifyPolicy}. */
export interface VerifySpec {
  /** What the tlog warning says is not logged ("signature", "attestation", "blob" …). */
  noun: string;
  /** Sigstore bundles, verified against `--trusted-root` (the new bundle format). */
  newBundle?: boolean;
  /** `--trusted-root` may stand for SIGSTORE_REKOR_PUBLIC_KEY with old bundles (images). */
  trustedRootForOldBundles?: boolean;
  /** `--type` is a claim (attestations). */
  type?: boolean;
  /** `-a key=value` are claims (`verify`). */
  annotations?: boolean;
  /** No `--key`: a certificate policy. */
  keyless?: boolean;
  /** `--certificate-chain` is also the signature's chain (verify-blob, verify-blob-attestation). */
  signatureChain?: boolean;
  /** `--experimental-oci11` is implemented (`verify`: the OCI 1.1 signature referrer). */
  oci11?: boolean;
}

/** The digests `--signature-digest-algorithm` accepts (cosign options/signature_digest.go). */
const HASHES = new Set(["sha224", "sha256", "sha384", "sha512"]);

/**
 * `--signature-digest-algorithm`, default sha256.
 *
 * @throws {UsageError} "unknown digest algorithm: X"
 */
export function signatureHash(ctx: Context): VerifyHash {
  const raw = ctx.flags["signature-digest-algorithm"] as string;
  const hash = raw.trim().toLowerCase() || "sha256";
  if (!HASHES.has(hash)) throw new UsageError(`unknown digest algorithm: ${raw}`);
  return hash as VerifyHash;
}

/**
 * Every verify-family flag that is declared but not implemented: refused when given, so a check
 * is never claimed without being made (cosign would make it, or fail on a missing file).
 * `--experimental-oci11` is implemented by `verify` only (its spec's `oci11`).
 */
export const VERIFY_FLAGS_NOT_YET: readonly NotYet[] = [
  { flag: "slot", why: "hardware security keys (--sk) are not supported" },
  {
    flag: "experimental-oci11",
    why: "signatures attached as OCI 1.1 referrers are not looked up",
  },
];

/** The certificate identity flags (options/certificate.go). */
const IDENTITY_FLAGS = [
  "certificate-identity",
  "certificate-identity-regexp",
  "certificate-oidc-issuer",
  "certificate-oidc-issuer-regexp",
];

/**
 * A key and a certificate identity are mutually exclusive (cosign 3 KeyAndIdentityParseError;
 * cosign 2 silently ignored the identity, which would claim a check it did not make).
 *
 * @throws {UsageError} with cosign 3's message
 */
export function refuseKeyAndIdentity(ctx: Context): void {
  if (ctx.flags.key === "" || !IDENTITY_FLAGS.some((f) => flagGiven(ctx, f))) return;
  throw new UsageError(
    "exactly one of: key reference (--key) or certificate identity " +
      "(--certificate-identity or --certificate-identity-regexp), must be provided. " +
      "To determine which to use, inspect the bundle's 'verificationMaterial' field: " +
      "if 'publicKey' is present, use key reference; if 'certificate' or " +
      "'x509CertificateChain' is present, use certificate identity",
  );
}

/** `--insecure-ignore-tlog` or `--private-infrastructure`. */
export function ignoresTlog(ctx: Context): boolean {
  return ctx.flags["insecure-ignore-tlog"] === true ||
    ctx.flags["private-infrastructure"] === true;
}

/** cosign's warning for `--insecure-ignore-tlog` (not for `--private-infrastructure`). */
export async function warnIgnoredTlog(ctx: Context, noun: string): Promise<void> {
  if (ctx.flags["insecure-ignore-tlog"] === true && ctx.flags["private-infrastructure"] !== true) {
    await ctx.warn(
      `Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the ${noun}.`,
    );
  }
}

/**
 * The one refusal when the log is checked and nothing says which log to trust (cosign would
 * fetch the keys with TUF; we never skip the log silently).
 *
 * @param trustedRoot whether the command accepts `--trusted-root` for this
 */
export function tlogUnavailable(trustedRoot: boolean): SigstoreError {
  return new SigstoreError(
    "TLOG_UNAVAILABLE",
    "Cannot verify the transparency log entries: set SIGSTORE_REKOR_PUBLIC_KEY to the log's " +
      `public key${trustedRoot ? " or pass --trusted-root" : ""}, or pass ` +
      "--insecure-ignore-tlog=true to verify without the log",
  );
}

/**
 * Loads `--key`.
 *
 * @throws {KeyError} when the key cannot be read or parsed
 */
export async function loadPublicKey(ctx: Context): Promise<PublicKey> {
  const { readKeyRef } = await import("../../lib/keys/key_ref.ts");
  const { parsePublicKeyPem } = await import("../../lib/keys/public_key.ts");
  return parsePublicKeyPem(await readKeyRef(ctx.flags.key as string, keyRefDeps(ctx)));
}

/**
 * Loads `--trusted-root`.
 *
 * @throws {IoError} `INPUT_UNREADABLE` "Cannot load trusted root: …"
 */
export async function loadTrustedRoot(ctx: Context): Promise<TrustedRoot> {
  const { readKeyRef } = await import("../../lib/keys/key_ref.ts");
  const { parseTrustedRoot } = await import("../../lib/trust/trusted_root.ts");
  const bytes = await readKeyRef(ctx.flags["trusted-root"] as string, keyRefDeps(ctx)).catch(
    (e) => {
      throw new IoError("INPUT_UNREADABLE", `Cannot load trusted root: ${(e as Error).message}`, {
        cause: e,
      });
    },
  );
  return parseTrustedRoot(bytes);
}

/**
 * cosign's checks on the new-bundle path: no detached verification material (the trusted root,
 * `--trusted-root` or TUF's, is required when the policy is built).
 *
 * @param conflicting the flags cosign refuses on this path, and its message for them
 * @throws {UsageError} for cosign's flag-combination errors
 */
export function checkNewBundleFlags(
  ctx: Context,
  conflicting: readonly { flags: readonly string[]; message: string }[],
): void {
  for (const c of conflicting) {
    if (c.flags.some((f) => flagGiven(ctx, f))) throw new UsageError(c.message);
  }
}

/** cosign's message for detached material on the blob commands' new-bundle path. */
const BLOB_NEW_BUNDLE_CONFLICT =
  "when using --new-bundle-format, please supply signed content with --bundle and verification content with --trusted-root";

/** The transparency-log part of the policy. */
async function tlogPolicy(
  ctx: Context,
  spec: VerifySpec,
  root: TrustedRoot | undefined,
): Promise<TlogPolicy> {
  if (ignoresTlog(ctx)) return { ignore: true };
  if (spec.newBundle) {
    if (!root) throw new UsageError("trusted root is required when using new bundle format");
    return { trustedRoot: root };
  }
  // cosign's old bundles: the log key from the trusted root (--trusted-root where the command
  // takes it, or TUF's: the log picked by ID, valid at the entry's time; SIGSTORE_REKOR_PUBLIC_KEY
  // is then not used) or SIGSTORE_REKOR_PUBLIC_KEY.
  const keyPath = ctx.io.getEnv("SIGSTORE_REKOR_PUBLIC_KEY");
  if (!root && !keyPath) throw tlogUnavailable(spec.trustedRootForOldBundles === true);
  let logKey;
  if (root) {
    const { rekorLogKeySelector } = await import("../../lib/trust/trusted_root.ts");
    logKey = rekorLogKeySelector(root);
  } else {
    const { readKeyRef } = await import("../../lib/keys/key_ref.ts");
    const { parsePublicKeyPem } = await import("../../lib/keys/public_key.ts");
    logKey = parsePublicKeyPem(await readKeyRef(keyPath!, keyRefDeps(ctx)));
  }
  const offline = ctx.flags.offline === true;
  const { RekorClient } = await import("../../lib/rekor/client.ts");
  // A signature without a bundle is looked up at --rekor-url (cosign's online verification).
  const rekor = offline
    ? undefined
    : new RekorClient(ctx.flags["rekor-url"] as string, { signal: ctx.signal });
  return { logKey, rekor, offline };
}

/**
 * The checks of {@link verifyPolicy} that read nothing but flags (refused flags and combinations,
 * the identity flags of keyless verification), for commands that must refuse bad flags before
 * they contact a registry and build the policy later.
 *
 * @param spec what the command accepts
 * @returns `--signature-digest-algorithm`
 * @throws {UsageError} for refused flags and combinations
 */
export function checkVerifyFlags(ctx: Context, spec: VerifySpec): VerifyHash {
  const hash = signatureHash(ctx);
  refuseKeyAndIdentity(ctx);
  refuseNotYet(
    ctx,
    spec.oci11
      ? VERIFY_FLAGS_NOT_YET.filter((n) => n.flag !== "experimental-oci11")
      : VERIFY_FLAGS_NOT_YET,
  );
  const keyless = ctx.flags.key === "";
  if (keyless && !spec.keyless) throw new UsageError("cannot verify without --key yet: pass --key");
  // cosign reads the identity flags first (CertVerifyOptions.Identities).
  if (keyless) requireIdentity(ctx);
  return hash;
}

/**
 * Builds the policy from the command's flags: the refusals first (no I/O), then the tlog
 * warning, the log material, the key.
 *
 * @param spec what the command accepts
 * @returns the policy
 * @throws {UsageError} for refused flags and combinations
 * @throws {SigstoreError} `TLOG_UNAVAILABLE` when the log is checked and no log key is given
 * @throws {KeyError | IoError} when a key, log key or trusted root cannot be loaded
 */
export async function verifyPolicy(ctx: Context, spec: VerifySpec): Promise<VerificationPolicy> {
  const hash = checkVerifyFlags(ctx, spec);
  const keyless = ctx.flags.key === "";
  const claims: ClaimsPolicy = {};
  if ("check-claims" in ctx.flags) claims.check = ctx.flags["check-claims"] === true;
  if (spec.annotations) claims.annotations = parseAnnotations(ctx);
  if (spec.type) claims.type = ctx.flags.type as string;
  await warnIgnoredTlog(ctx, spec.noun);
  // The trusted root: --trusted-root where the command takes it; TUF's when cosign would fetch it
  // and it is needed (keyless, Sigstore bundles). Key-based old formats keep to
  // SIGSTORE_REKOR_PUBLIC_KEY or --trusted-root.
  const useFlag = spec.newBundle === true || spec.trustedRootForOldBundles === true;
  const root = keyless || spec.newBundle
    ? await resolveTrustedRoot(ctx, useFlag)
    : useFlag && ctx.flags["trusted-root"] !== ""
    ? await loadTrustedRoot(ctx)
    : undefined;
  const tlog = await tlogPolicy(ctx, spec, root);
  const timestamps = await timestampPolicy(ctx, root);
  let signer: SignerPolicy;
  if (!keyless) signer = { key: [await loadPublicKey(ctx)] };
  else {
    signer = {
      certificate: await certificatePolicy(ctx, root, timestamps, {
        signatureChain: spec.signatureChain,
      }),
    };
  }
  return { signer, hash, tlog, claims, ...(timestamps ? { timestamps } : {}) };
}

/**
 * Reads the `--bundle` file (path, `env://`, URL), if one was given.
 *
 * @throws {IoError} `INPUT_UNREADABLE` "Cannot read bundle F: …"
 */
export async function readBundleFlag(ctx: Context): Promise<Uint8Array | undefined> {
  const path = ctx.flags.bundle as string;
  if (path === "") return undefined;
  const { readKeyRef } = await import("../../lib/keys/key_ref.ts");
  return await readKeyRef(path, keyRefDeps(ctx)).catch((e) => {
    throw new IoError(
      "INPUT_UNREADABLE",
      `Cannot read bundle ${path}: ${
        (e as Error).message.replace(/^Cannot read key file [^:]*: /, "")
      }`,
      { cause: e },
    );
  });
}

/**
 * Whether a blob command takes the Sigstore-bundle path: `--new-bundle-format`, or a `--bundle`
 * file that loads as a Sigstore bundle (cosign's checkNewBundle).
 *
 * @param bundle the `--bundle` file, when one was given and read
 */
async function isNewBundle(ctx: Context, bundle: Uint8Array | undefined): Promise<boolean> {
  if (ctx.flags["new-bundle-format"] === true) return true;
  if (!bundle) return false;
  const { isSigstoreBundle } = await import("../../lib/bundle/bundle.ts");
  return isSigstoreBundle(bundle);
}

/**
 * The bundle the new-bundle path needs.
 *
 * @throws {IoError} `INPUT_NOT_FOUND` without `--bundle`
 */
function requireBundle(bundle: Uint8Array | undefined): Uint8Array {
  if (!bundle) {
    throw new IoError(
      "INPUT_NOT_FOUND",
      "Cannot read bundle: --bundle is required with --new-bundle-format",
    );
  }
  return bundle;
}

/**
 * Prints cosign's header after a verified image (`PrintVerificationHeader`) on stderr, stating
 * exactly the checks the policy made.
 *
 * @param ref the image as given
 * @param tlogVerified whether a log entry was verified (cosign's bundleVerified)
 */
export async function printVerificationHeader(
  ctx: Context,
  ref: string,
  policy: VerificationPolicy,
  tlogVerified: boolean,
): Promise<void> {
  const { renderVerificationHeader } = await import("../../lib/verify/verify_image.ts");
  const header = renderVerificationHeader({
    ref,
    checkClaims: policy.claims?.check !== false,
    annotations: policy.claims?.annotations !== undefined,
    bundleVerified: tlogVerified,
    publicKey: "key" in policy.signer,
    fulcioVerified: "certificate" in policy.signer,
  });
  await writeAll(ctx.io.stderr, header);
}

/**
 * The blob commands' Sigstore-bundle path (`--new-bundle-format`, or a `--bundle` file that loads
 * as a Sigstore bundle): cosign's refusals of detached material, a trusted root, the policy.
 *
 * @param bundle the `--bundle` file, if read
 * @param spec what the command accepts; `detachedSignature`: `--signature` conflicts too
 * @returns the policy and the bundle, or undefined for cosign's old formats
 * @throws {UsageError} for refused flags; {@link IoError} without `--bundle`
 */
export async function newBundlePolicy(
  ctx: Context,
  bundle: Uint8Array | undefined,
  spec: Omit<VerifySpec, "newBundle"> & { detachedSignature?: boolean },
): Promise<{ policy: VerificationPolicy; bundle: Uint8Array } | undefined> {
  if (!(await isNewBundle(ctx, bundle))) return undefined;
  // verify_blob.go and verify_blob_attestation.go: detached material (and for verify-blob a
  // detached --signature) conflicts with the bundle.
  const flags = [
    ...["rfc3161-timestamp", "timestamp-certificate-chain", "certificate-chain", "ca-roots"],
    ...["ca-intermediates", "certificate", "sct"],
    ...(spec.detachedSignature ? ["signature"] : []),
  ];
  checkNewBundleFlags(ctx, [{ flags, message: BLOB_NEW_BUNDLE_CONFLICT }]);
  const policy = await verifyPolicy(ctx, { ...spec, newBundle: true });
  return { policy, bundle: requireBundle(bundle) };
}

/**
 * `--rfc3161-timestamp` of the blob commands, with cosign's pairing rule: the file and
 * `--use-signed-timestamps` (or `--timestamp-certificate-chain`) go together.
 *
 * @returns the DER timestamp response, or undefined without the flag
 * @throws {UsageError} with cosign's messages for a file without the flag or the other way round
 * @throws {IoError | SyntaxError} when the file cannot be read or is not cosign's timestamp JSON
 */
export async function rfc3161TimestampFlag(ctx: Context): Promise<Uint8Array | undefined> {
  const path = flagGiven(ctx, "rfc3161-timestamp") ? ctx.flags["rfc3161-timestamp"] as string : "";
  const wanted = ctx.flags["use-signed-timestamps"] === true ||
    flagGiven(ctx, "timestamp-certificate-chain");
  if (path !== "" && !wanted) {
    throw new UsageError(
      "when specifying --rfc3161-timestamp-path, you must also specify --use-signed-timestamps or --timestamp-certificate-chain",
    );
  }
  if (path === "" && wanted) {
    throw new UsageError(
      "when specifying --use-signed-timestamps or --timestamp-certificate-chain, you must also specify --rfc3161-timestamp-path",
    );
  }
  if (path === "") return undefined;
  const { readKeyRef } = await import("../../lib/keys/key_ref.ts");
  const { parseRfc3161Timestamp } = await import("../../lib/timestamp/rfc3161_timestamp.ts");
  const bytes = await readKeyRef(path, keyRefDeps(ctx)).catch((e) => {
    throw new IoError(
      "INPUT_UNREADABLE",
      `Cannot read RFC 3161 timestamp ${path}: ${
        (e as Error).message.replace(/^Cannot read key file [^:]*: /, "")
      }`,
      { cause: e },
    );
  });
  return parseRfc3161Timestamp(bytes);
}

/** cosign's refusals of detached material with `--new-bundle-format` on images (verify.go). */
export const IMAGE_NEW_BUNDLE_CONFLICTS = [
  {
    flags: ["certificate-chain"],
    message:
      "unsupported: certificate chain may not be provided using --certificate-chain when using --new-bundle-format (cert must be in bundle)",
  },
  {
    flags: ["ca-roots", "ca-intermediates"],
    message:
      "unsupported: CA roots/intermediates must be provided using --trusted-root when using --new-bundle-format",
  },
  {
    flags: ["timestamp-certificate-chain"],
    message:
      "unsupported: TSA certificate chain path may only be provided using --trusted-root when using --new-bundle-format",
  },
];
