/** `cosign dockerfile verify` (cosign 2.6.4 cmd/cosign/cli/dockerfile.go). @module */
import type { Command, Context } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { readLocalFile } from "./_local_file.ts";
import { verifyCommand } from "./verify.ts";

/** Most bytes of a Dockerfile or manifest read. */
export const MAX_IMAGE_LIST_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Verifies the images a file names with `cosign verify`'s own flags and code path (cosign's
 * dockerfile and manifest commands run its VerifyCommand over the extracted images).
 *
 * @param ctx the command context
 * @param images the images, in order
 * @returns verify's exit code
 */
export async function verifyImages(ctx: Context, images: string[]): Promise<number | void> {
  await ctx.info(`Extracted image(s): ${images.join(", ")}`);
  return await verifyCommand.run!({ ...ctx, args: images });
}

/** cosign's check before anything is read. */
export function checkMaxWorkers(ctx: Context): void {
  if (ctx.flags["max-workers"] === 0) {
    throw new UsageError("please set the --max-worker flag to a value that is greater than 0");
  }
}

const verifyFlags = verifyCommand.flags ?? [];

/** `cosign dockerfile verify`. */
export const dockerfileVerifyCommand: Command = {
  name: "verify",
  short: "Verify a signature on the base image specified in the Dockerfile",
  long: `Verify signature and annotations on images in a Dockerfile by checking claims
against the transparency log.

Shell-like variables in the Dockerfile's FROM lines will be substituted with values from the OS ENV.`,
  example: `  cosign dockerfile verify --key <key path>|<key url>|<kms uri> <path/to/Dockerfile>

  # only verify the base image (the last FROM image)
  cosign dockerfile verify --key cosign.pub --base-image-only <path/to/Dockerfile>

  # additionally verify specified annotations
  cosign dockerfile verify --key cosign.pub -a key1=val1 -a key2=val2 <path/to/Dockerfile>

  # verify images with public key (signatures made with --tlog-upload=false)
  cosign dockerfile verify --key cosign.pub --insecure-ignore-tlog=true <path/to/Dockerfile>

  # verify images with public key provided by URL
  cosign dockerfile verify --key https://host.for/<FILE> <path/to/Dockerfile>

  # build args of FROM lines come from ARG/ENV defaults, then from the environment
  BASE=ghcr.io/org/base:1.0 cosign dockerfile verify --key cosign.pub <path/to/Dockerfile>`,
  argsUsage: "<path/to/Dockerfile>",
  minArgs: 1,
  maxArgs: 1,
  bindEnv: true,
  flags: [
    ...verifyFlags,
    {
      name: "base-image-only",
      type: "bool",
      help: "only verify the base image (the last FROM image in the Dockerfile)",
    },
  ],
  async run(ctx) {
    checkMaxWorkers(ctx);
    const path = ctx.args[0];
    let bytes: Uint8Array;
    try {
      bytes = await readLocalFile(path, MAX_IMAGE_LIST_FILE_BYTES);
    } catch (e) {
      throw new TypeError(`could not open Dockerfile: ${(e as Error).message}`, { cause: e });
    }
    const { dockerfileImages } = await import("../../lib/verify/dockerfile_images.ts");
    let found;
    try {
      found = dockerfileImages(new TextDecoder().decode(bytes), ctx.io.getEnv);
    } catch (e) {
      throw new SyntaxError(`failed extracting images from Dockerfile: ${(e as Error).message}`, {
        cause: e,
      });
    }
    for (const note of found.notes) await ctx.info(note);
    let images = found.images;
    if (images.length === 0) throw new TypeError("no images found in Dockerfile");
    if (ctx.flags["base-image-only"] === true) images = images.slice(-1);
    return await verifyImages(ctx, images);
  },
};

/** `cosign dockerfile`. */
export const dockerfileCommand: Command = {
  name: "dockerfile",
  short: "Provides utilities for discovering images in and performing operations on Dockerfiles",
  subcommands: [dockerfileVerifyCommand],
};
