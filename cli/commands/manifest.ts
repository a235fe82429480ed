/** `cosign manifest verify` (cosign 2.6.4 cmd/cosign/cli/manifest.go). @module */
import type { Command } from "../command.ts";
import { readLocalFile } from "./_local_file.ts";
import { checkMaxWorkers, MAX_IMAGE_LIST_FILE_BYTES, verifyImages } from "./dockerfile.ts";
import { verifyCommand } from "./verify.ts";

/** The file name extensions cosign accepts, compared case-insensitively. */
const EXTENSIONS = [".yaml", ".yml"];

/** Go's filepath.Ext. */
function extension(path: string): string {
  for (let i = path.length - 1; i >= 0 && path[i] !== "/"; i--) {
    if (path[i] === ".") return path.slice(i);
  }
  return "";
}

/** `cosign manifest verify`. */
export const manifestVerifyCommand: Command = {
  name: "verify",
  short: "Verify all signatures of images specified in the manifest",
  long: `Verify all signature of images in a Kubernetes resource manifest by checking claims
against the transparency log.`,
  example: `  cosign manifest verify --key <key path>|<key url>|<kms uri> <path/to/manifest>

  # additionally verify specified annotations
  cosign manifest verify --key cosign.pub -a key1=val1 -a key2=val2 <path/to/my-deployment.yaml>

  # verify images with public key (signatures made with --tlog-upload=false)
  cosign manifest verify --key cosign.pub --insecure-ignore-tlog=true <path/to/my-deployment.yaml>

  # verify images with public key provided by URL
  cosign manifest verify --key https://host.for/<FILE> <path/to/my-deployment.yaml>`,
  argsUsage: "<path/to/manifest>",
  minArgs: 1,
  maxArgs: 1,
  bindEnv: true,
  flags: verifyCommand.flags,
  async run(ctx) {
    checkMaxWorkers(ctx);
    const path = ctx.args[0];
    const ext = extension(path.trim()).toLowerCase();
    if (!EXTENSIONS.includes(ext)) {
      throw new TypeError(
        `check if extension is valid: only [${
          EXTENSIONS.join(" ")
        }] manifests are supported at this time`,
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = await readLocalFile(path, MAX_IMAGE_LIST_FILE_BYTES);
    } catch (e) {
      throw new TypeError(`could not read manifest: ${(e as Error).message}`, { cause: e });
    }
    // The YAML parser is loaded here only (see lib/verify/manifest_images.ts).
    const { manifestImages } = await import("../../lib/verify/manifest_images.ts");
    let images: string[];
    try {
      images = manifestImages(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new SyntaxError(
        `unable to extract the container image references in the manifest ${(e as Error).message}`,
        { cause: e },
      );
    }
    if (images.length === 0) throw new TypeError("no images found in manifest");
    return await verifyImages(ctx, images);
  },
};

/** `cosign manifest`. */
export const manifestCommand: Command = {
  name: "manifest",
  short:
    "Provides utilities for discovering images in and performing operations on Kubernetes manifests",
  subcommands: [manifestVerifyCommand],
};
