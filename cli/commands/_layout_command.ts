/**
 * `cosign save` and `cosign load` share their whole shape: an image reference, `--dir`, the
 * registry flags, and one call between a registry and an OCI image layout.
 *
 * @module
 */
import type { Command } from "../command.ts";
import { registryFlags } from "../flags/groups.ts";
import { requireFlag } from "./_shared.ts";
import { parseImageRef, targetRepository, withRegistry } from "../options/registry_options.ts";
import type { Reference, Registry, Repository } from "../../lib/registry/types.ts";

/** What the layout call receives. */
export interface LayoutCall {
  registry: Registry;
  ref: Reference;
  dir: string;
  targetRepository: Repository;
  tagPrefix: string;
}

/**
 * A command moving an image and its signatures between a registry and a layout folder.
 *
 * @param spec the command's texts, `--dir`'s help, and the layout call
 * @returns the command
 */
export function layoutCommand(spec: {
  name: string;
  short: string;
  long: string;
  dirHelp: string;
  call: (o: LayoutCall) => Promise<void>;
}): Command {
  return {
    name: spec.name,
    short: spec.short,
    long: spec.long,
    example: `  cosign ${spec.name} --dir <path to directory> <IMAGE>`,
    argsUsage: "<image uri>",
    minArgs: 1,
    maxArgs: 1,
    bindEnv: true,
    flags: [...registryFlags, { name: "dir", type: "string", help: spec.dirHelp }],
    async run(ctx) {
      const dir = requireFlag(ctx, "dir", `required flag(s) "dir" not set`);
      const ref = await parseImageRef(ctx.args[0]);
      await withRegistry(ctx, async (registry) =>
        spec.call({
          registry,
          ref,
          dir,
          targetRepository: await targetRepository(ctx, ref),
          tagPrefix: ctx.flags["attachment-tag-prefix"] as string,
        }));
    },
  };
}
