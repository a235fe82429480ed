/** `cosign tree`. @module */
import type { Command } from "../command.ts";
import { writeAll } from "../io.ts";
import { registryFlags } from "../flags/groups.ts";
import {
  parseImageRef,
  referrersMode,
  referrersModeFlag,
  targetRepository,
  withRegistry,
} from "../options/registry_options.ts";

export const treeCommand: Command = {
  name: "tree",
  short:
    "Display supply chain security related artifacts for an image such as signatures, SBOMs and attestations",
  example: `  cosign tree <IMAGE>

  # also list OCI 1.1 referrers
  cosign tree --experimental-oci11 <IMAGE>`,
  argsUsage: "<image uri>",
  minArgs: 1,
  maxArgs: 1,
  bindEnv: true,
  flags: [
    ...registryFlags,
    referrersModeFlag,
    {
      name: "experimental-oci11",
      type: "bool",
      help: "set to true to enable experimental OCI 1.1 behaviour",
    },
  ],
  async run(ctx) {
    const mode = referrersMode(ctx); // oci-1-1 needs COSIGN_EXPERIMENTAL=1, as in cosign
    const ref = await parseImageRef(ctx.args[0]);
    const refText = ctx.args[0];
    const { imageTree, renderTree } = await import("../../lib/oci/tree.ts");
    await withRegistry(ctx, async (registry) => {
      const opts = {
        registry,
        ref,
        referrers: mode === "oci-1-1" || ctx.flags["experimental-oci11"] === true,
        targetRepository: await targetRepository(ctx, ref),
        tagPrefix: ctx.flags["attachment-tag-prefix"] as string,
        onReferrerError: (r: string, e: Error) =>
          ctx.info(`Error fetching artifact ${r}: ${e.message}`),
      };
      await writeAll(
        ctx.io.stdout,
        `📦 Supply Chain Security Related artifacts for an image: ${refText}\n`,
      );
      const groups = await imageTree(opts);
      await writeAll(ctx.io.stdout, renderTree(groups, refText));
    });
  },
};
