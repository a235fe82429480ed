/** `cosign verify-attestation`. @module */
import type { Command } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { writeAll } from "../io.ts";
import { imageVerifyFlags, predicateTypeFlag } from "../flags/groups.ts";
import { printVerificationHeader, verifyPolicy } from "../options/verify_options.ts";
import { forEachImage } from "./_registry.ts";

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
    if (((f.policy as string[] | undefined) ?? []).length > 0) {
      throw new UsageError("cannot validate --policy yet: CUE and Rego policies are not supported");
    }
    if (f["local-image"] === true) {
      throw new UsageError("cannot verify attestations of a --local-image yet");
    }
    if (f["new-bundle-format"] === true) {
      throw new UsageError(
        "cannot verify Sigstore bundles yet: --new-bundle-format is not supported",
      );
    }
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
    await forEachImage(ctx, async (registry, image) => {
      const result = await verifyImageAttestations({ registry, policy, ...image });
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
