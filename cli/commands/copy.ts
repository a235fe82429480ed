/** `cosign copy`. @module */
import type { Command } from "../command.ts";
import { registryFlags } from "../flags/groups.ts";
import { parseImageRef, targetRepository, withRegistry } from "../options/registry_options.ts";

export const copyCommand: Command = {
  name: "copy",
  short: "Copy the supplied container image and signatures.",
  example: `  cosign copy <source image> <destination image>

  # copy a container image and its signatures
  cosign copy example.com/src:latest example.com/dest:latest

  # copy the signatures only
  cosign copy --only=sig example.com/src example.com/dest

  # copy the signatures, attestations, sbom only
  cosign copy --only=sig,att,sbom example.com/src example.com/dest

  # overwrite destination image and signatures
  cosign copy -f example.com/src example.com/dest

  # copy a container image and its signatures for a specific platform
  cosign copy --platform=linux/amd64 example.com/src:latest example.com/dest:latest`,
  argsUsage: "<source image> <destination image>",
  minArgs: 2,
  maxArgs: 2,
  bindEnv: true,
  flags: [
    ...registryFlags,
    {
      name: "only",
      type: "strings",
      help:
        "custom string array to only copy specific items, this flag is comma delimited. ex: --only=sig,att,sbom (default [])",
    },
    { name: "sig-only", type: "bool", help: "[DEPRECATED] only copy the image signature" },
    {
      name: "force",
      short: "f",
      type: "bool",
      help: "overwrite destination image(s), if necessary",
    },
    {
      name: "platform",
      type: "string",
      help: "only copy container image and its signatures for a specific platform image",
    },
  ],
  async run(ctx) {
    const src = await parseImageRef(ctx.args[0]);
    const dst = await parseImageRef(ctx.args[1]);
    const only = new Set((ctx.flags.only as string[] | undefined) ?? []);
    if (ctx.flags["sig-only"] === true) {
      // cosign prints this without a newline.
      await ctx.io.stderr.write(
        new TextEncoder().encode("--sig-only is deprecated, use --only=sig instead"),
      );
      only.add("sig");
    }
    for (const t of only) {
      if (!["sig", "sbom", "att"].includes(t)) {
        throw new Error(
          `invalid value for --only: ${t}, only the following values are supported: [sig sbom att]`,
        );
      }
    }
    const kinds = (["sig", "sbom", "att"] as const).filter((k) => only.has(k));
    const { copyImage } = await import("../../lib/oci/copy.ts");
    await withRegistry(ctx, async (registry) => {
      await copyImage({
        registry,
        src,
        dst,
        dstText: ctx.args[1],
        only: kinds.length > 0 ? [...kinds] : undefined,
        force: ctx.flags.force === true,
        platform: (ctx.flags.platform as string) || undefined,
        targetRepository: await targetRepository(ctx, src),
        tagPrefix: ctx.flags["attachment-tag-prefix"] as string,
        onCopy: (from, to) => ctx.info(`Copying ${from} to ${to}...`),
      });
    });
  },
};
