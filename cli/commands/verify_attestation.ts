/** `cosign verify-attestation`. @module */
import type { Command, Context } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { writeAll } from "../io.ts";
import { imageVerifyFlags, predicateTypeFlag } from "../flags/groups.ts";
import {
  checkNewBundleFlags,
  checkVerifyFlags,
  ignoresTlog,
  IMAGE_NEW_BUNDLE_CONFLICTS,
  printVerificationHeader,
  verifyPolicy,
} from "../options/verify_options.ts";
import {
  lookForBundles,
  recursiveVerifyFlag,
  refuseRecursiveLocal,
  signatureSource,
  verifyImageArgs,
} from "./_verify_images.ts";
import type { VerificationPolicy } from "../../lib/verify/verification_policy.ts";
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
  SIGSTORE_REKOR_PUBLIC_KEY=rekor.pub cosign verify-attestation --key cosign.pub --rekor-url <REKOR URL> --type <TYPE> <IMAGE>

  # Sigstore bundles attached as referrers (attest --new-bundle-format) are verified when there are
  # any, else the attestations in the .att tag; only bundles with --new-bundle-format
  cosign verify-attestation --key cosign.pub --trusted-root trusted_root.json --type <TYPE> <IMAGE>

  # verify a multi-arch index and every image in it (one result line each on stderr)
  cosign verify-attestation --key cosign.pub --insecure-ignore-tlog=true --recursive <MULTI-ARCH IMAGE>`,
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
    recursiveVerifyFlag,
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
    refuseRecursiveLocal(ctx);
    return await verifyRegistryImages(ctx);
  },
};

/** The policy of the `.att` tag's attestations (bundle annotations checked offline). */
const TAG_FORMAT = {
  noun: "attestation",
  trustedRootForOldBundles: true,
  type: true,
  keyless: true,
};

/** cosign's refusals once Sigstore bundles are verified. */
const BUNDLE_CONFLICTS = [
  ...IMAGE_NEW_BUNDLE_CONFLICTS,
  {
    flags: ["certificate"],
    message: "unsupported: certificate reference currently not supported with --new-bundle-format",
  },
];

/**
 * Images in a registry: the Sigstore bundles attached as referrers (cosign's
 * `verifyImageAttestationsSigstoreBundle`; those whose statement has the `--type` predicate are
 * printed, as cosign marshals their DSSE envelopes) or the attestations in the `.att` tag (each
 * bundle annotation verified offline, an attestation without one looked up at --rekor-url unless
 * --offline), chosen per image as ./_verify_images.ts describes.
 */
async function verifyRegistryImages(ctx: Context): Promise<void> {
  const source = signatureSource(ctx);
  if (source === "bundles") checkNewBundleFlags(ctx, BUNDLE_CONFLICTS);
  checkVerifyFlags(ctx, TAG_FORMAT);
  let bundlePolicy: Promise<VerificationPolicy> | undefined;
  let tagPolicy: Promise<VerificationPolicy> | undefined;
  const { renderCertificateSummary } = await import("../../lib/verify/verify_image.ts");
  const { VerificationError } = await import("../../lib/errors.ts");
  const { predicateTypeUri } = await import("../../lib/payload/predicate_types.ts");
  const type = (ctx.flags.type as string) || "custom";
  const paths = policyPaths(ctx);
  await verifyImageArgs(ctx, async (registry, image, name) => {
    const found = await lookForBundles(registry, image, source);
    if (found) {
      bundlePolicy ??= (async () => {
        checkNewBundleFlags(ctx, BUNDLE_CONFLICTS);
        return await verifyPolicy(ctx, { ...TAG_FORMAT, newBundle: true });
      })();
      const policy = await bundlePolicy;
      const { verifyImageBundles } = await import("../../lib/verify/verify_image_bundles.ts");
      const result = await verifyImageBundles({ registry, ref: image.ref, name, policy, found });
      const types = result.verified.map((v) => v.statement.predicateType);
      const matched = result.verified.filter((v) =>
        v.statement.predicateType === predicateTypeUri(type)
      );
      if (paths.length > 0) await checkPolicyFormats(paths);
      if (matched.length === 0) {
        throw new VerificationError(
          "CLAIMS_MISMATCH",
          `none of the attestations matched the predicate type: ${type}, found: ${types.join(",")}`,
        );
      }
      if (paths.length > 0) {
        await checkPolicies(ctx, paths, type, matched.map((v) => v.statementBytes));
      }
      const dec = new TextDecoder();
      return {
        format: "sigstore-bundle",
        note: source === "auto"
          ? `Verified the Sigstore bundles attached to ${name} as OCI referrers (predicate ` +
            `type: ${predicateTypeUri(type)}); attestations in its .att tag, if any, were not read`
          : undefined,
        // cosign claims the log was checked even with --insecure-ignore-tlog; we do not.
        printHeader: () => printVerificationHeader(ctx, name, policy, !ignoresTlog(ctx)),
        stdout: matched.map((v) => `${dec.decode(v.envelope)}\n`).join(""),
        json: matched.map((v) => JSON.parse(dec.decode(v.envelope))),
      };
    }
    tagPolicy ??= verifyPolicy(ctx, TAG_FORMAT);
    const policy = await tagPolicy;
    const { verifyImageAttestations, renderAttestationOutput } = await import(
      "../../lib/verify/verify_image_attestation.ts"
    );
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
      await checkPolicies(ctx, paths, type, result.attestations.map((a) => a.statement!));
    }
    return {
      format: "tag",
      printHeader: async () => {
        await printVerificationHeader(ctx, name, policy, result.bundleVerified);
        // cosign prints attestations in its "text" mode whatever -o says: each certificate's
        // summary on stderr, each envelope as stored on stdout.
        for (const a of result.attestations) {
          const summary = renderCertificateSummary(a.certificate);
          if (summary) await writeAll(ctx.io.stderr, summary);
        }
      },
      stdout: renderAttestationOutput(result.attestations),
      json: result.attestations.map((a) => JSON.parse(new TextDecoder().decode(a.envelope))),
    };
  });
}
