/**
 * The Sigstore-bundle path of `verify-blob` (cosign cmd/cosign/cli/verify/verify_blob.go, the
 * `co.NewBundleFormat` branch): taken with `--new-bundle-format`, or when the `--bundle` file
 * loads as a Sigstore bundle (cosign's checkNewBundle).
 *
 * @module
 */
import type { Context as CommandContext } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { keyRefDeps } from "./_shared.ts";
import { IoError } from "../../lib/errors.ts";
import type { TrustedRoot } from "../../lib/trust/trusted_root.ts";
import type { PublicKey } from "../../lib/keys/public_key.ts";
import type { LogKeySelector } from "../../lib/rekor/verify_entry.ts";

/**
 * Whether verify-blob takes the new-bundle path.
 *
 * @param bundleBytes the `--bundle` file, when one was given and read
 */
export async function isNewBundle(
  flags: CommandContext["flags"],
  bundleBytes: Uint8Array | undefined,
): Promise<boolean> {
  if (flags["new-bundle-format"] === true) return true;
  if (!bundleBytes) return false;
  const { isSigstoreBundle } = await import("../../lib/bundle/bundle.ts");
  return isSigstoreBundle(bundleBytes);
}

/** The environment variables that stop cosign from fetching the trusted root from TUF. */
export const TRUST_ENV = [
  "SIGSTORE_CT_LOG_PUBLIC_KEY_FILE",
  "SIGSTORE_ROOT_FILE",
  "SIGSTORE_REKOR_PUBLIC_KEY",
  "SIGSTORE_TSA_CERTIFICATE_FILE",
];

/**
 * cosign's checks before a new-bundle verification: no detached verification material, a
 * trusted root (`--trusted-root`), a bundle.
 *
 * @param conflicting the flags cosign refuses on this path
 * @returns the trusted root and the bundle
 * @throws {UsageError} for cosign's flag-combination errors (exit 1, as in cosign)
 */
export async function newBundleInputs(
  ctx: CommandContext,
  bundleBytes: Uint8Array | undefined,
  conflicting: readonly string[],
): Promise<{ trustedRoot: TrustedRoot; bundleBytes: Uint8Array }> {
  const f = ctx.flags;
  if (conflicting.some((name) => typeof f[name] === "string" && f[name] !== "")) {
    throw new UsageError(
      "when using --new-bundle-format, please supply signed content with --bundle and verification content with --trusted-root",
    );
  }
  const trustedRootPath = f["trusted-root"] as string;
  if (trustedRootPath === "") {
    // Without --trusted-root, cosign fetches the public-good root with TUF unless one of these
    // variables is set; then it has no trusted root. We have no TUF client yet.
    const why = TRUST_ENV.some((v) => ctx.io.getEnv(v))
      ? ""
      : " (fetching it with TUF is not supported yet: pass --trusted-root)";
    throw new UsageError(`trusted root is required when using new bundle format${why}`);
  }
  const { readKeyRef } = await import("../../lib/keys/key_ref.ts");
  const { parseTrustedRoot } = await import("../../lib/trust/trusted_root.ts");
  const rootBytes = await readKeyRef(trustedRootPath, keyRefDeps(ctx)).catch((e) => {
    throw new IoError("INPUT_UNREADABLE", `Cannot load trusted root: ${(e as Error).message}`, {
      cause: e,
    });
  });
  const trustedRoot = parseTrustedRoot(rootBytes);
  if (!bundleBytes) {
    throw new IoError(
      "INPUT_NOT_FOUND",
      "Cannot read bundle: --bundle is required with --new-bundle-format",
    );
  }
  return { trustedRoot, bundleBytes };
}

/**
 * Runs the new-bundle verification and prints cosign's "Verified OK".
 *
 * @throws {UsageError} for cosign's flag-combination errors
 */
export async function verifyNewBundle(
  ctx: CommandContext,
  given: Uint8Array | undefined,
): Promise<void> {
  const f = ctx.flags;
  const { trustedRoot, bundleBytes } = await newBundleInputs(ctx, given, [
    "rfc3161-timestamp",
    "timestamp-certificate-chain",
    "certificate-chain",
    "ca-roots",
    "ca-intermediates",
    "certificate",
    "signature",
    "sct",
  ]);
  const ignoreTlog = f["insecure-ignore-tlog"] === true || f["private-infrastructure"] === true;
  if (f["insecure-ignore-tlog"] === true && f["private-infrastructure"] !== true) {
    await ctx.warn(
      "Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the blob.",
    );
  }
  const hash = ((f["signature-digest-algorithm"] as string).trim().toLowerCase() || "sha256") as
    | "sha256"
    | "sha384"
    | "sha512";
  const { openBlob } = await import("../../lib/blob_input.ts");
  const { verifyBlobBundle } = await import("../../lib/verify/verify_blob_bundle.ts");
  const input = await openBlob(ctx.args[0], ctx.io.stdin, ctx.io.isTerminal.stdin);
  try {
    await verifyBlobBundle({
      bundle: bundleBytes,
      trustedRoot,
      keyRef: (f.key as string) || undefined,
      hash,
      input: input.reader,
      deps: keyRefDeps(ctx),
      ignoreTlog,
    });
  } finally {
    input.close();
  }
  await ctx.info("Verified OK");
}

/**
 * The transparency log key for cosign's old bundles (`verify`, `verify-attestation`): with
 * `--trusted-root`, each entry's log is picked from the root by log ID and must be valid at the
 * entry's integrated time (cosign's VerifyBundle with TrustedMaterial; SIGSTORE_REKOR_PUBLIC_KEY
 * is then not used); otherwise the key at SIGSTORE_REKOR_PUBLIC_KEY.
 *
 * @returns the key or selector, or undefined when neither is given
 */
export async function oldBundleLogKey(
  ctx: CommandContext,
): Promise<PublicKey | LogKeySelector | undefined> {
  const { readKeyRef } = await import("../../lib/keys/key_ref.ts");
  const trustedRootPath = ctx.flags["trusted-root"] as string;
  if (trustedRootPath) {
    const { parseTrustedRoot, rekorLogKeySelector } = await import(
      "../../lib/trust/trusted_root.ts"
    );
    const rootBytes = await readKeyRef(trustedRootPath, keyRefDeps(ctx)).catch((e) => {
      throw new IoError("INPUT_UNREADABLE", `Cannot load trusted root: ${(e as Error).message}`, {
        cause: e,
      });
    });
    return rekorLogKeySelector(parseTrustedRoot(rootBytes));
  }
  const path = ctx.io.getEnv("SIGSTORE_REKOR_PUBLIC_KEY");
  if (!path) return undefined;
  const { parsePublicKeyPem } = await import("../../lib/keys/public_key.ts");
  return parsePublicKeyPem(await readKeyRef(path, keyRefDeps(ctx)));
}
