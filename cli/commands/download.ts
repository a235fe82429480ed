/** `cosign download signature`. @module */
import type { Command } from "../command.ts";
import { writeAll } from "../io.ts";
import { registryFlags } from "../flags/groups.ts";
import {
  maxAttachmentSize,
  parseImageRef,
  registryFromFlags,
  targetRepository,
} from "./_registry.ts";

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
    const registry = await registryFromFlags(ctx);
    try {
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
    } finally {
      registry.close();
    }
  },
};

/** `cosign download` (only `signature` so far). */
export const downloadCommand: Command = {
  name: "download",
  short: "Provides utilities for downloading artifacts and attached artifacts in a registry",
  subcommands: [downloadSignatureCommand],
};
