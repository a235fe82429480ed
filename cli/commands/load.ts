/** `cosign load`. @module */
import type { Command } from "../command.ts";
import { registryFlags } from "../flags/groups.ts";
import { requireFlag } from "./_shared.ts";
import { parseImageRef, targetRepository, withRegistry } from "./_registry.ts";

export const loadCommand: Command = {
  name: "load",
  short: "Load a signed image on disk to a remote registry",
  long: `Load a signed image on disk to a remote registry

Pushes what 'cosign save' wrote: the image (or image index) under <IMAGE>, then its signatures and
attestations under the cosign tags of its digest (in COSIGN_REPOSITORY when set).`,
  example: `  cosign load --dir <path to directory> <IMAGE>`,
  argsUsage: "<image uri>",
  minArgs: 1,
  maxArgs: 1,
  bindEnv: true,
  flags: [
    ...registryFlags,
    {
      name: "dir",
      type: "string",
      help: "path to directory where the signed image is stored on disk",
    },
  ],
  async run(ctx) {
    const dir = requireFlag(ctx, "dir", `required flag(s) "dir" not set`);
    const ref = await parseImageRef(ctx.args[0]);
    const { loadCosignLayout } = await import("../../lib/oci/cosign_layout.ts");
    await withRegistry(ctx, async (registry) => {
      await loadCosignLayout({
        registry,
        ref,
        dir,
        targetRepository: await targetRepository(ctx, ref),
        tagPrefix: ctx.flags["attachment-tag-prefix"] as string,
      });
    });
  },
};
