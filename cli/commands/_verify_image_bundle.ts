/**
 * `cosign verify --new-bundle-format` for images with a key (verify.go, the `co.NewBundleFormat`
 * branch): cosign's flag checks, a trusted root, then the bundles attached as referrers
 * (lib/verify/verify_image_bundles.ts), printed with cosign's header and its transformed payloads.
 *
 * @module
 */
import type { Context } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { writeAll } from "../io.ts";
import { keyRefDeps } from "./_shared.ts";
import { parseImageRef, registryFromFlags } from "./_registry.ts";
import { TRUST_ENV } from "./_verify_new_bundle.ts";
import { parseAnnotations } from "./sign.ts";
import { IoError } from "../../lib/errors.ts";

/**
 * Verifies each image argument's bundles.
 *
 * @param ctx the `cosign verify` context (with `--key`)
 * @param hash `--signature-digest-algorithm`
 * @throws {UsageError} for cosign's refused flag combinations and a missing trusted root
 */
export async function verifyImageBundle(ctx: Context, hash: string): Promise<void> {
  const f = ctx.flags;
  if (f["certificate-chain"] !== "") {
    throw new UsageError(
      "unsupported: certificate chain may not be provided using --certificate-chain when using --new-bundle-format (cert must be in bundle)",
    );
  }
  if (f["ca-roots"] !== "" || f["ca-intermediates"] !== "") {
    throw new UsageError(
      "unsupported: CA roots/intermediates must be provided using --trusted-root when using --new-bundle-format",
    );
  }
  if (f["timestamp-certificate-chain"] !== "") {
    throw new UsageError(
      "unsupported: TSA certificate chain path may only be provided using --trusted-root when using --new-bundle-format",
    );
  }
  const trustedRootPath = f["trusted-root"] as string;
  if (trustedRootPath === "") {
    const why = TRUST_ENV.some((v) => ctx.io.getEnv(v))
      ? ""
      : " (fetching it with TUF is not supported yet: pass --trusted-root)";
    throw new UsageError(`trusted root is required when using new bundle format${why}`);
  }
  const annotations = parseAnnotations(ctx) !== undefined;
  const ignoreTlog = f["insecure-ignore-tlog"] === true || f["private-infrastructure"] === true;
  if (f["insecure-ignore-tlog"] === true && f["private-infrastructure"] !== true) {
    await ctx.warn(
      "Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the signature.",
    );
  }
  const { readKeyRef } = await import("../../lib/keys/key_ref.ts");
  const { parseTrustedRoot } = await import("../../lib/trust/trusted_root.ts");
  const rootBytes = await readKeyRef(trustedRootPath, keyRefDeps(ctx)).catch((e) => {
    throw new IoError("INPUT_UNREADABLE", `Cannot load trusted root: ${(e as Error).message}`, {
      cause: e,
    });
  });
  const trustedRoot = parseTrustedRoot(rootBytes);
  const { verifyImageBundles } = await import("../../lib/verify/verify_image_bundles.ts");
  const { renderVerificationHeader, renderVerificationOutput } = await import(
    "../../lib/verify/verify_image.ts"
  );
  const registry = await registryFromFlags(ctx);
  try {
    for (const arg of ctx.args) {
      const ref = await parseImageRef(arg);
      const result = await verifyImageBundles({
        registry,
        ref,
        name: arg,
        trustedRoot,
        keyRef: f.key as string,
        hash: hash as "sha256",
        deps: keyRefDeps(ctx),
        ignoreTlog,
      });
      await writeAll(
        ctx.io.stderr,
        renderVerificationHeader({
          ref: arg,
          checkClaims: f["check-claims"] === true,
          // cosign prints the annotations line for -a, though bundles carry none to check.
          annotations,
          bundleVerified: true,
          publicKey: true,
        }),
      );
      await writeAll(
        ctx.io.stdout,
        renderVerificationOutput(
          result.verified.map((v) => ({
            descriptor: { mediaType: "", digest: v.manifestDigest, size: 0 },
            payload: v.payload,
            base64Signature: "",
          })),
          f.output as string,
        ),
      );
    }
  } finally {
    registry.close();
  }
}
