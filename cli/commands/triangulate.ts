/** `cosign triangulate`. @module */
import type { Command } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { writeAll } from "../io.ts";
import { registryFlags } from "../flags/groups.ts";
import { parseImageRef, targetRepository, withRegistry } from "../options/registry_options.ts";

/** cosign's options.SBOMAttachmentDeprecation, printed when SBOM attachments are used. */
export const SBOM_ATTACHMENT_DEPRECATION =
  "WARNING: SBOM attachments are deprecated and support will be removed in a Cosign release soon after 2024-02-22 (see https://github.com/sigstore/cosign/issues/2755). Instead, please use SBOM attestations.";

export const triangulateCommand: Command = {
  name: "triangulate",
  short:
    "Outputs the located cosign image reference. This is the location where cosign stores the specified artifact type.",
  example: "  cosign triangulate <IMAGE>",
  argsUsage: "<image uri>",
  bindEnv: true,
  flags: [
    ...registryFlags,
    {
      name: "type",
      type: "string",
      default: "signature",
      help:
        "related attachment to triangulate (attestation|sbom|signature|digest), default signature (sbom is deprecated)",
    },
  ],
  async run(ctx) {
    // cosign returns flag.ErrHelp for anything but one argument.
    if (ctx.args.length !== 1) throw new UsageError("flag: help requested");
    const type = ctx.flags.type as string;
    const ref = await parseImageRef(ctx.args[0]);
    if (!["signature", "attestation", "sbom", "digest"].includes(type)) {
      throw new UsageError(`unknown attachment type ${type}`);
    }
    if (type === "sbom") await ctx.info(SBOM_ATTACHMENT_DEPRECATION);
    const { attachmentReference } = await import("../../lib/oci/signed_entity.ts");
    await withRegistry(ctx, async (registry) => {
      const text = await attachmentReference(
        registry,
        ref,
        type as "signature" | "attestation" | "sbom" | "digest",
        {
          targetRepository: await targetRepository(ctx, ref),
          tagPrefix: ctx.flags["attachment-tag-prefix"] as string,
        },
      );
      await writeAll(ctx.io.stdout, `${text}\n`);
    });
  },
};
