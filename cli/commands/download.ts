/** `cosign download signature`. @module */
import type { Command } from "../command.ts";
import { writeAll } from "../io.ts";
import { registryFlags } from "../flags/groups.ts";
import { maxAttachmentSize, parseImageRef, targetRepository, withRegistry } from "./_registry.ts";

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

/** `cosign download` (`signature`, `attestation`). */
export const downloadCommand: Command = {
  name: "download",
  short: "Provides utilities for downloading artifacts and attached artifacts in a registry",
  subcommands: [downloadSignatureCommand, downloadAttestationCommand],
};
