/**
 * Entry point of the `cosign` binary: the only place (with `sget.ts`) that exits the process.
 *
 * @module
 */
import { cosignCommand } from "./commands/mod.ts";
import { denoIo, writeAll } from "./io.ts";
import { run } from "./run.ts";
import { enterCallerDirectory } from "./task_cwd.ts";

if (import.meta.main) {
  // `deno task cosign` runs in the project folder: paths are the caller's (cli/task_cwd.ts).
  const failed = enterCallerDirectory(import.meta.url);
  if (failed !== undefined) {
    await writeAll(Deno.stderr, failed);
    Deno.exit(1);
  }
  Deno.exit(await run(cosignCommand, Deno.args, denoIo(), { normalize: true }));
}
