/** `cosign download signature|attestation|sbom`. @module */
import type { Command } from "../command.ts";
import { writeAll } from "../io.ts";
import { registryFlags } from "../flags/groups.ts";
import { SBOM_DEPRECATION } from "./attach.ts";
import {
  maxAttachmentSize,
  parseImageRef,
  targetRepository,
  withRegistry,
} from "../options/registry_options.ts";

const downloadSignatureCommand: Command = {
  name: "signature",
  short: "Download signatures from the supplied container image",
  example: "  cosign download signature <image uri>",
  argsUsage: "<image uri>",
  minArgs: 1,
  maxArgs: 1,
  bindEnv: true,
  flags: [...registryFlags],
  async run(ctx) {
    const ref = await parseImageRef(ctx.args[0]);
    const max = maxAttachmentSize(ctx);
    const { downloadSignatures, marshalSignedPayload } = await import(
      "../../lib/oci/download_signatures.ts"
    );
    await withRegistry(ctx, async (registry) => {
      const sigs = await downloadSignatures({
        registry,
        ref,
        refText: ctx.args[0],
        maxAttachmentSize: max,
        targetRepository: await targetRepository(ctx, ref),
        tagPrefix: ctx.flags["attachment-tag-prefix"] as string,
      });
      // Every line is built before any is printed: a failure prints nothing, as in cosign.
      const lines = sigs.map((s) => marshalSignedPayload(s) + "\n");
      await writeAll(ctx.io.stdout, lines.join(""));
    });
  },
};

const downloadAttestationCommand: Command = {
  name: "attestation",
  short: "Download in-toto attestations from the supplied container image",
  example: "  cosign download attestation <image uri> [--predicate-type]",
  argsUsage: "<image uri>",
  minArgs: 1,
  maxArgs: 1,
  bindEnv: true,
  flags: [
    ...registryFlags,
    {
      name: "predicate-type",
      type: "string",
      help: "download attestation with matching predicateType",
    },
    {
      name: "platform",
      type: "string",
      help: "download attestation for a specific platform image",
    },
  ],
  async run(ctx) {
    const ref = await parseImageRef(ctx.args[0]);
    const max = maxAttachmentSize(ctx);
    const { readAttestations } = await import("../../lib/oci/cosign_attestations.ts");
    await withRegistry(ctx, async (registry) => {
      const atts = await readAttestations(registry, ref, {
        maxSize: max,
        predicateType: (ctx.flags["predicate-type"] as string) || undefined,
        platform: (ctx.flags.platform as string) || undefined,
        targetRepository: await targetRepository(ctx, ref),
        tagPrefix: ctx.flags["attachment-tag-prefix"] as string,
      });
      await writeAll(ctx.io.stdout, atts.map((a) => a.line + "\n").join(""));
    });
  },
};

const downloadSbomCommand: Command = {
  name: "sbom",
  short: "DEPRECATED: Download SBOMs from the supplied container image",
  long: "Download SBOMs from the supplied container image\n\n" + SBOM_DEPRECATION,
  example: `  cosign download sbom <image uri>

  # the SBOM of one image of a multi-platform index
  cosign download sbom --platform linux/arm64 registry.example/app:v1 > sbom.spdx.json`,
  argsUsage: "<image uri>",
  minArgs: 1,
  maxArgs: 1,
  bindEnv: true,
  flags: [
    ...registryFlags,
    { name: "platform", type: "string", help: "download SBOM for a specific platform image" },
  ],
  async run(ctx) {
    await ctx.info(SBOM_DEPRECATION);
    await ctx.warn(
      "Downloading SBOMs this way does not ensure its authenticity. If you want to ensure a tamper-proof SBOM, download it using 'cosign download attestation <image uri>'.",
    );
    const ref = await parseImageRef(ctx.args[0]);
    const max = maxAttachmentSize(ctx);
    const { downloadSbom } = await import("../../lib/oci/sbom.ts");
    await withRegistry(ctx, async (registry) => {
      const sbom = await downloadSbom(registry, ref, {
        maxSize: max,
        platform: (ctx.flags.platform as string) || undefined,
        targetRepository: await targetRepository(ctx, ref),
        tagPrefix: ctx.flags["attachment-tag-prefix"] as string,
        onIndexWithoutSbom: (platforms) =>
          ctx.info(
            "\nThis multiarch image does not have an SBOM attached at the index level.\n" +
              `Try using --platform with one of the following architectures:\n${platforms}\n`,
          ),
      });
      await ctx.info(`Found SBOM of media type: ${sbom.mediaType}`);
      await writeAll(ctx.io.stdout, sbom.payload);
    });
  },
};

/** `cosign download` (`signature`, `attestation`, `sbom`). */
export const downloadCommand: Command = {
  name: "download",
  short: "Provides utilities for downloading artifacts and attached artifacts in a registry",
  subcommands: [downloadSignatureCommand, downloadAttestationCommand, downloadSbomCommand],
};
