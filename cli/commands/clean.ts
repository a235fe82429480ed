/** `cosign clean`. @module */
import type { Command } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { confirmContinue } from "../io.ts";
import { registryFlags } from "../flags/groups.ts";
import { SigstoreError } from "../../lib/errors.ts";
import { parseImageRef, withRegistry } from "../options/registry_options.ts";

const PROMPTS: Record<string, string> = {
  signature: "this will remove all signatures from the image",
  sbom: "this will remove all SBOMs from the image",
  attestation: "this will remove all attestations from the image",
  all: "this will remove all signatures, SBOMs and attestations from the image",
};

export const cleanCommand: Command = {
  name: "clean",
  short: "Remove all signatures from an image.",
  example: `  cosign clean <IMAGE>

  # remove only the signatures, without asking for confirmation
  cosign clean --type signature --force <IMAGE>`,
  argsUsage: "<image uri>",
  minArgs: 1,
  maxArgs: 1,
  bindEnv: true,
  flags: [
    ...registryFlags,
    {
      name: "type",
      type: "string",
      metavar: "CLEAN_TYPE",
      default: "all",
      help: "a type of clean: <signature|attestation|sbom|all> (sbom is deprecated)",
    },
    { name: "force", short: "f", type: "bool", help: "do not prompt for confirmation" },
  ],
  async run(ctx) {
    const type = ctx.flags.type as string;
    if (!(type in PROMPTS)) {
      throw new UsageError(
        `invalid argument "${type}" for "--type" flag: must be one of "signature", "attestation", "sbom", or "all"`,
      );
    }
    if (ctx.flags.force !== true) {
      await ctx.warn(PROMPTS[type]);
      await confirmContinue(ctx.io);
    }
    const ref = await parseImageRef(ctx.args[0]);
    const { cleanAttachments } = await import("../../lib/oci/clean.ts");
    const failed = await withRegistry(ctx, (registry) =>
      cleanAttachments(
        registry,
        ref,
        type as "signature" | "attestation" | "sbom" | "all",
        (e) =>
          e.kind === "removed"
            ? ctx.info(`Removed ${e.tag} from ${ctx.args[0]}`)
            : ctx.info(`could not delete ${e.tag} from ${ctx.args[0]}:\n${e.error.message}`),
      ));
    if (failed > 0) {
      throw new SigstoreError(
        "REGISTRY",
        `Cannot clean ${ctx.args[0]}: ${failed} deletion${failed > 1 ? "s" : ""} failed`,
      );
    }
  },
};
