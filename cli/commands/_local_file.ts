/**
 * Reading and writing the small local files of the trust and bundle helper commands
 * (`trusted-root create`, `signing-config create`, `bundle create`, `bundle inspect`).
 *
 * @module
 */
import type { Context } from "../command.ts";
import { writeAll } from "../io.ts";
import { IoError } from "../../lib/errors.ts";
import { describeFsError, writeFileAtomic } from "../../lib/atomic_file.ts";

/** Most bytes of one such input (certificate chains, keys, signatures, bundles, roots). */
export const MAX_LOCAL_FILE_BYTES = 4 * 1024 * 1024;

/**
 * Reads a local file of at most `max` bytes.
 *
 * @param path the file
 * @param max the most bytes accepted
 * @returns its bytes
 * @throws {IoError} `INPUT_NOT_FOUND` "open <path>: no such file or directory" (Go's wording),
 *   `INPUT_UNREADABLE` for other failures and for a file larger than `max`
 */
export async function readLocalFile(
  path: string,
  max: number = MAX_LOCAL_FILE_BYTES,
): Promise<Uint8Array> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (e) {
    const code = e instanceof Deno.errors.NotFound ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE";
    throw new IoError(code, `open ${path}: ${describeFsError(e)}`, { cause: e });
  }
  try {
    const { readAllBounded } = await import("../../lib/stream.ts");
    return await readAllBounded(file, max, path);
  } catch (e) {
    throw new IoError(
      "INPUT_UNREADABLE",
      e instanceof RangeError ? (e as Error).message : `read ${path}: ${describeFsError(e)}`,
      { cause: e },
    );
  } finally {
    file.close();
  }
}

/**
 * Writes a command's JSON result as cosign's create commands do: to `--out` (mode 0600) when
 * given, otherwise to standard output with a newline (Go's fmt.Println).
 *
 * @param ctx the command context
 * @param out the `--out` path, "" for standard output
 * @param text the document
 */
export async function writeResult(ctx: Context, out: string, text: string): Promise<void> {
  if (out === "") {
    await writeAll(ctx.io.stdout, text + "\n");
    return;
  }
  await writeFileAtomic(out, text, { mode: 0o600 });
}
