/**
 * Entry point of the `sget` binary. Registry downloads arrive with the registry work; until then
 * it parses its flags and refuses clearly, never emitting unverified bytes.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { denoIo } from "./io.ts";
import { run } from "./run.ts";
import { SigstoreError } from "../lib/errors.ts";

/** The root `sget` command. */
export const sgetCommand: Command = {
  name: "sget",
  short: "sget fetches artifacts from OCI registries and verifies them before writing a byte.",
  example: `  # fetch an artifact by digest (integrity checked) to a file
  sget -o app.tar.gz registry.example/app@sha256:<digest>

  # fetch by tag, verifying its signature with a public key first
  sget --key cosign.pub registry.example/app:v1 | tar xz`,
  argsUsage: "<image reference>",
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: "key", type: "string", help: "path to the public key file, URL, or KMS URI" },
    { name: "outfile", short: "o", type: "string", help: "output file" },
  ],
  run() {
    return Promise.reject(
      new SigstoreError(
        "NETWORK",
        "Cannot fetch artifacts yet: OCI registry support is not available in this version",
      ),
    );
  },
};

if (import.meta.main) {
  Deno.exit(await run(sgetCommand, Deno.args, denoIo(), { persistentFlags: [] }));
}
