/** `cosign verify-attestation`. @module */
import type { Command, Context } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { writeAll } from "../io.ts";
import { imageVerifyFlags, predicateTypeFlag } from "../flags/groups.ts";
import {
  checkNewBundleFlags,
  IMAGE_NEW_BUNDLE_CONFLICTS,
  printVerificationHeader,
  verifyPolicy,
} from "../options/verify_options.ts";
import { forEachImage } from "./_registry.ts";
import { checkPolicies, checkPolicyFormats, policyPaths } from "./_policy.ts";

export const verifyAttestationCommand: Command = {
  name: "verify-attestation",
  short: "Verify an attestation on the supplied container image",
  long: `Verify an attestation on an image by checking the claims
against the transparency log.`,
  example:
    `  cosign verify-attestation --key <key path>|<key url>|<kms uri> <image uri> [<image uri> ...]

  # verify the custom attestations of an image, their transparency log bundles checked offline
  # (an attestation without a bundle is looked up at --rekor-url)
  SIGSTORE_REKOR_PUBLIC_KEY=rekor.pub cosign verify-attestation --key cosign.pub <IMAGE>

  # verify the custom attestations of an image (made with --tlog-upload=false)
  cosign verify-attestation --key cosign.pub --insecure-ignore-tlog=true <IMAGE>

  # verify the SLSA provenance attestations of an image
  cosign verify-attestation --key cosign.pub --type slsaprovenance --insecure-ignore-tlog=true <IMAGE>

  # verify attestations of a predicate type given by its URI
  cosign verify-attestation --key cosign.pub --type https://example.com/predicate/v1 --insecure-ignore-tlog=true <IMAGE>

  # verify only the envelopes' signatures, not that their subject is the image
  cosign verify-attestation --key cosign.pub --check-claims=false --insecure-ignore-tlog=true <IMAGE>

  # check the transparency log: bundles offline with the log's key, other attestations at --rekor-url
  SIGSTORE_REKOR_PUBLIC_KEY=rekor.pub cosign verify-attestation --key cosign.pub --rekor-url <REKOR URL> --type <TYPE> <IMAGE>`,
  argsUsage: "<image uri> [...]",
  minArgs: 1,
  bindEnv: true,
  flags: [
    ...imageVerifyFlags,
    predicateTypeFlag,
    {
      name: "policy",
      type: "strings",
      help: "specify CUE or Rego files with policies to be used for validation",
    },
  ],
  async run(ctx) {
    const f = ctx.flags;
    if ((f["max-workers"] as number) <= 0) {
      throw new UsageError("please set the --max-worker flag to a value that is greater than 0");
    }
    if (f.key !== "" && f.sk === true) {
      throw new UsageError(
        "exactly one of: key reference (--key), or hardware token (--sk) must be provided",
      );
    }
    if (f["local-image"] === true) {
      throw new UsageError("cannot verify attestations of a --local-image yet");
    }
    if (f["new-bundle-format"] === true) return await verifyBundles(ctx);
    // Each attestation's bundle annotation is verified offline, and an attestation without one
    // is looked up at --rekor-url (unless --offline).
    const policy = await verifyPolicy(ctx, {
      noun: "attestation",
      trustedRootForOldBundles: true,
      type: true,
      keyless: true,
    });
    const { verifyImageAttestations, renderAttestationOutput } = await import(
      "../../lib/verify/verify_image_attestation.ts"
    );
    const { renderCertificateSummary } = await import("../../lib/verify/verify_image.ts");
    const paths = policyPaths(ctx);
    await forEachImage(ctx, async (registry, image) => {
      const result = await verifyImageAttestations({ registry, policy, ...image }).catch(
        async (e) => {
          // cosign checks the policy extensions before it filters by predicate type.
          if (paths.length > 0 && (e as { code?: string }).code === "CLAIMS_MISMATCH") {
            await checkPolicyFormats(paths);
          }
          throw e;
        },
      );
      if (paths.length > 0) {
        await checkPolicies(
          ctx,
          paths,
          (ctx.flags.type as string) || "custom",
          result.attestations.map((a) => a.statement!),
        );
      }
      await printVerificationHeader(ctx, image.arg, policy, result.bundleVerified);
      // cosign prints attestations in its "text" mode whatever -o says: each certificate's
      // summary on stderr, each envelope as stored on stdout.
      for (const a of result.attestations) {
        const summary = renderCertificateSummary(a.certificate);
        if (summary) await writeAll(ctx.io.stderr, summary);
      }
      await writeAll(ctx.io.stdout, renderAttestationOutput(result.attestations));
    });
  },
};

/**
 * `--new-bundle-format` (cosign's `verifyImageAttestationsSigstoreBundle`): the Sigstore bundles
 * attached as referrers, verified against the trusted root; those whose statement has the
 * `--type` predicate are printed (their DSSE envelopes, as cosign marshals them).
 */
async function verifyBundles(ctx: Context): Promise<void> {
  checkNewBundleFlags(ctx, [
    ...IMAGE_NEW_BUNDLE_CONFLICTS,
    {
      flags: ["certificate"],
      message:
        "unsupported: certificate reference currently not supported with --new-bundle-format",
    },
  ]);
  const policy = await verifyPolicy(ctx, {
    noun: "attestation",
    newBundle: true,
    type: true,
    keyless: true,
  });
  const { verifyImageBundles } = await import("../../lib/verify/verify_image_bundles.ts");
  const { predicateTypeUri } = await import("../../lib/payload/predicate_types.ts");
  const { VerificationError } = await import("../../lib/errors.ts");
  const type = (ctx.flags.type as string) || "custom";
  const paths = policyPaths(ctx);
  await forEachImage(ctx, async (registry, { arg, ref }) => {
    const result = await verifyImageBundles({ registry, ref, name: arg, policy });
    const found = result.verified.map((v) => v.statement.predicateType);
    const matched = result.verified.filter((v) =>
      v.statement.predicateType === predicateTypeUri(type)
    );
    if (paths.length > 0) await checkPolicyFormats(paths);
    if (matched.length === 0) {
      throw new VerificationError(
        "CLAIMS_MISMATCH",
        `none of the attestations matched the predicate type: ${type}, found: ${found.join(",")}`,
      );
    }
    if (paths.length > 0) {
      await checkPolicies(ctx, paths, type, matched.map((v) => v.statementBytes));
    }
    await printVerificationHeader(ctx, arg, policy, true);
    for (const v of matched) {
      await writeAll(ctx.io.stdout, new Uint8Array([...v.envelope, 0x0a]));
    }
  });
}
