/** `cosign tree`. @module */
import type { Command } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { writeAll } from "../io.ts";
import { registryFlags } from "../flags/groups.ts";
import { parseImageRef, targetRepository, withRegistry } from "./_registry.ts";

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
    {
      name: "registry-referrers-mode",
      type: "string",
      metavar: "registryReferrersMode",
      help: "mode for fetching references from the registry. allowed: legacy, oci-1-1",
    },
    {
      name: "experimental-oci11",
      type: "bool",
      help: "set to true to enable experimental OCI 1.1 behaviour",
    },
  ],
  async run(ctx) {
    const mode = ctx.flags["registry-referrers-mode"] as string;
    if (!["", "legacy", "oci-1-1"].includes(mode)) {
      throw new UsageError(
        `invalid argument "${mode}" for "--registry-referrers-mode" flag: must be one of "legacy", "oci-1-1"`,
      );
    }
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
