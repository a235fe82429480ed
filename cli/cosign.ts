/**
 * Entry point of the `cosign` binary: the only place (with `sget.ts`) that exits the process.
 *
 * @module
 */
import { cosignCommand } from "./commands/mod.ts";
import { denoIo } from "./io.ts";
import { run } from "./run.ts";

if (import.meta.main) {
  Deno.exit(await run(cosignCommand, Deno.args, denoIo(), { normalize: true }));
}
