/** `cosign upload blob` and `cosign upload wasm`. @module */
import type { Command } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { writeAll } from "../io.ts";
import { registryFlags } from "../flags/groups.ts";
import { parseImageRef, withRegistry } from "../options/registry_options.ts";

/** pflag StringToString: every item is `key=value` (split at the first "="). */
function stringToString(items: string[], flag: string): Record<string, string> | undefined {
  if (items.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const item of items) {
    const i = item.indexOf("=");
    if (i < 0) {
      throw new UsageError(
        `invalid argument "${
          items.join(",")
        }" for "${flag}" flag: ${item} must be formatted as key=value`,
      );
    }
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

const uploadBlobCommand: Command = {
  name: "blob",
  short: "Upload one or more blobs to the supplied container image address.",
  example: `  cosign upload blob -f <blob ref> <image uri>

  # upload a blob named foo to the location specified by <IMAGE>
  cosign upload blob -f foo <IMAGE>

  # upload a blob named foo to the location specified by <IMAGE>, setting the os field to "MYOS".
  cosign upload blob -f foo:MYOS <IMAGE>

  # upload a blob named foo to the location specified by <IMAGE>, setting the os field to "MYOS" and the platform field to "MYPLATFORM".
  cosign upload blob -f foo:MYOS/MYPLATFORM <IMAGE>

  # upload two blobs named foo-darwin and foo-linux to the location specified by <IMAGE>, setting the os fields
  cosign upload blob -f foo-darwin:darwin -f foo-linux:linux <IMAGE>

  # upload a blob named foo to the location specified by <IMAGE>, setting annotations mykey=myvalue.
  cosign upload blob -a mykey=myvalue -f foo <IMAGE>

  # upload two blobs named foo-darwin and foo-linux to the location specified by <IMAGE>, setting annotations
  cosign upload blob -a mykey=myvalue -a myotherkey="my other value" -f foo-darwin:darwin -f foo-linux:linux <IMAGE>`,
  argsUsage: "<image uri>",
  minArgs: 1,
  maxArgs: 1,
  bindEnv: true,
  flags: [
    ...registryFlags,
    { name: "files", short: "f", type: "strings", help: "<filepath>:[platform/arch]" },
    { name: "ct", type: "string", help: "content type to set" },
    {
      name: "annotation",
      short: "a",
      type: "strings",
      metavar: "stringToString",
      help: "annotations to set (default [])",
    },
  ],
  async run(ctx) {
    const flags = (ctx.flags.files as string[] | undefined) ?? [];
    // cosign's PreRunE returns flag.ErrHelp without files.
    if (flags.length === 0) throw new UsageError("flag: help requested");
    const annotations = stringToString(ctx.flags.annotation as string[], "-a, --annotation");
    const { fileFromFlag, uploadFiles } = await import("../../lib/oci/upload.ts");
    const files = flags.map(fileFromFlag);
    if (files.length > 1) {
      for (const f of files) {
        if (!f.platform) {
          throw new UsageError(
            `each file must include a unique platform, ${f.path} had no platform`,
          );
        }
      }
    }
    const ref = await parseImageRef(ctx.args[0]);
    await withRegistry(ctx, async (registry) => {
      const digest = await uploadFiles({
        registry,
        ref,
        files,
        annotations,
        contentType: (ctx.flags.ct as string) || undefined,
        onEvent: (e) =>
          e.kind === "uploading"
            ? ctx.info(
              `Uploading file from [${e.path}] to [${e.refName}] with media type [${e.mediaType}]`,
            )
            : ctx.info(`File [${e.path}] is available directly at [${e.blobUrl}]`),
      });
      const where = `${ref.registry}/${ref.repository}@${digest}`;
      if (files.length > 1) {
        await ctx.info(`Uploading multi-platform index to ${where}`);
      } else {
        await ctx.info("Uploaded image to:");
        await writeAll(ctx.io.stdout, `${where}\n`);
      }
    });
  },
};

const uploadWasmCommand: Command = {
  name: "wasm",
  short: "Upload a wasm module to the supplied container image reference",
  example: "  cosign upload wasm -f foo.wasm <image uri>",
  argsUsage: "<image uri>",
  minArgs: 1,
  maxArgs: 1,
  bindEnv: true,
  flags: [
    ...registryFlags,
    { name: "file", short: "f", type: "string", help: "path to the wasm file to upload" },
  ],
  async run(ctx) {
    const path = ctx.flags.file as string;
    if (!ctx.changed.has("file")) throw new UsageError(`required flag(s) "file" not set`);
    const ref = await parseImageRef(ctx.args[0]);
    const { uploadWasm } = await import("../../lib/oci/upload.ts");
    const { referenceName } = await import("../../lib/oci/signed_entity.ts");
    await ctx.info(`Uploading wasm file from [${path}] to [${referenceName(ref)}].`);
    await withRegistry(ctx, async (registry) => {
      await uploadWasm({ registry, ref, path });
    });
  },
};

/** `cosign upload`. */
export const uploadCommand: Command = {
  name: "upload",
  short: "Provides utilities for uploading artifacts to a registry",
  subcommands: [uploadBlobCommand, uploadWasmCommand],
};
