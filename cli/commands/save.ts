/** `cosign save`. @module */
import type { Command } from "../command.ts";
import { registryFlags } from "../flags/groups.ts";
import { requireFlag } from "./_shared.ts";
import { parseImageRef, targetRepository, withRegistry } from "./_registry.ts";

export const saveCommand: Command = {
  name: "save",
  short: "Save the container image and associated signatures to disk at the specified directory.",
  long: `Save the container image and associated signatures to disk at the specified directory.

The directory becomes an OCI image layout holding the image (or image index) with all its blobs,
its signatures and its attestations, as the Go cosign writes it: 'cosign load' pushes it back to
a registry and 'cosign verify --local-image' verifies it offline.`,
  example: `  cosign save --dir <path to directory> <IMAGE>`,
  argsUsage: "<image uri>",
  minArgs: 1,
  maxArgs: 1,
  bindEnv: true,
  flags: [
    ...registryFlags,
    {
      name: "dir",
      type: "string",
      help: "path to dir where the signed image should be stored on disk",
    },
  ],
  async run(ctx) {
    const dir = requireFlag(ctx, "dir", `required flag(s) "dir" not set`);
    const ref = await parseImageRef(ctx.args[0]);
    const { saveCosignLayout } = await import("../../lib/oci/cosign_layout.ts");
    await withRegistry(ctx, async (registry) => {
      await saveCosignLayout({
        registry,
        ref,
        dir,
        targetRepository: await targetRepository(ctx, ref),
        tagPrefix: ctx.flags["attachment-tag-prefix"] as string,
      });
    });
  },
};
