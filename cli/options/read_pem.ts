/**
 * PEM files named by flags (`--registry-cacert`, `--registry-client-cert/-key`,
 * `--timestamp-client-*`), read with a bound.
 *
 * @module
 */
import { IoError } from "../../lib/errors.ts";
import { describeFsError } from "../../lib/atomic_file.ts";
import { readAllBounded } from "../../lib/stream.ts";

/** The largest PEM file read for --registry-cacert, --registry-client-cert/-key. */
const MAX_PEM_BYTES = 4 * 1024 * 1024;

/**
 * Reads a PEM file named by a flag (bounded).
 *
 * @throws {IoError} `INPUT_UNREADABLE`, `TOO_LARGE`
 */
export async function readPem(path: string, flag: string): Promise<string> {
  try {
    using file = await Deno.open(path);
    return new TextDecoder().decode(await readAllBounded(file, MAX_PEM_BYTES, `${flag} ${path}`));
  } catch (e) {
    if (e instanceof RangeError) throw new IoError("TOO_LARGE", e.message, { cause: e });
    throw new IoError("INPUT_UNREADABLE", `Cannot read ${flag} ${path}: ${describeFsError(e)}`, {
      cause: e,
    });
  }
}
