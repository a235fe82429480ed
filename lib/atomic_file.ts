/**
 * Writing files so that readers see either the old file or the complete new one, never a torn
 * one: write a temporary file in the same folder, flush it, then rename (or hard-link, when an
 * existing file must not be replaced) it into place.
 *
 * @module
 */
import { IoError } from "./errors.ts";

/** Options for {@link AtomicFile.create}. */
export interface AtomicFileOptions {
  /** File mode of the final file (default 0o644). */
  mode?: number;
  /** Replace an existing file (default true). When false, an existing file is an error. */
  overwrite?: boolean;
  /**
   * fsync before the rename (default true), so that a power failure cannot leave the new name
   * pointing at data that never reached the disk. sget turns it off for large downloads (as curl
   * and the Go sget never sync): on this kind of disk it costs 1.5-2 s per GiB.
   */
  durable?: boolean;
}

/** A temporary file that becomes `path` on {@link AtomicFile.commit}. */
export class AtomicFile {
  #committed = false;

  private constructor(
    readonly path: string,
    readonly tempPath: string,
    readonly file: Deno.FsFile,
    readonly overwrite: boolean,
    readonly durable: boolean,
  ) {}

  /**
   * Creates the temporary file beside `path`.
   *
   * @throws {IoError} `OUTPUT_FAILED` when the folder cannot be written
   */
  static async create(path: string, options: AtomicFileOptions = {}): Promise<AtomicFile> {
    // Same folder as the target (so rename is atomic); plain string work: importing node:path costs
    // ~15 ms of start-up in Deno.
    const slash = path.lastIndexOf("/");
    const rand = crypto.getRandomValues(new Uint8Array(6)).toHex();
    const tempPath = `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.${rand}.tmp`;
    try {
      const file = await Deno.open(tempPath, {
        write: true,
        createNew: true,
        mode: options.mode ?? 0o644,
      });
      return new AtomicFile(
        path,
        tempPath,
        file,
        options.overwrite ?? true,
        options.durable ?? true,
      );
    } catch (e) {
      throw new IoError("OUTPUT_FAILED", `Cannot write ${path}: ${describeFsError(e)}`, {
        cause: e,
      });
    }
  }

  /** Writes all of `data`. */
  async write(data: Uint8Array): Promise<number> {
    let rest = data;
    while (rest.length) rest = rest.subarray(await this.file.write(rest));
    return data.length;
  }

  /**
   * Flushes and moves the file into place.
   *
   * @throws {IoError} `OUTPUT_EXISTS` when `overwrite` is false and `path` exists;
   *   `OUTPUT_FAILED` on any other failure (the temporary file is removed)
   */
  async commit(): Promise<void> {
    try {
      if (this.durable) await this.file.sync();
      this.file.close();
      if (this.overwrite) {
        await Deno.rename(this.tempPath, this.path);
      } else {
        // link() fails if the target exists: no window in which another writer's file is replaced.
        await Deno.link(this.tempPath, this.path);
        await Deno.remove(this.tempPath);
      }
      this.#committed = true;
    } catch (e) {
      await Deno.remove(this.tempPath).catch(() => {});
      if (e instanceof Deno.errors.AlreadyExists) {
        throw new IoError("OUTPUT_EXISTS", `Cannot write ${this.path}: file exists`, { cause: e });
      }
      throw new IoError("OUTPUT_FAILED", `Cannot write ${this.path}: ${describeFsError(e)}`, {
        cause: e,
      });
    }
  }

  /** Removes the temporary file; a no-op after {@link commit}. */
  async abort(): Promise<void> {
    if (this.#committed) return;
    try {
      this.file.close();
    } catch { /* already closed */ }
    await Deno.remove(this.tempPath).catch(() => {});
  }
}

/**
 * Writes `data` to `path` atomically.
 *
 * @throws {IoError} as {@link AtomicFile.commit}
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: AtomicFileOptions = {},
): Promise<void> {
  const f = await AtomicFile.create(path, options);
  try {
    await f.write(typeof data === "string" ? new TextEncoder().encode(data) : data);
    await f.commit();
  } catch (e) {
    await f.abort();
    throw e;
  }
}

/** A short, lower-case reason for a file-system error ("no such file", "is a directory" …). */
export function describeFsError(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "is a directory";
  if (e instanceof Deno.errors.AlreadyExists) return "file exists";
  if (e instanceof Deno.errors.NotADirectory) return "not a directory";
  const msg = e instanceof Error ? e.message : String(e);
  // Deno messages look like "Is a directory (os error 21): open '/x'"; keep the reason only.
  return msg.replace(/ \(os error \d+\).*$/s, "").replace(
    /^[A-Z](?=[a-z])/,
    (c) => c.toLowerCase(),
  );
}

/**
 * The error of an input that cannot be read: `INPUT_NOT_FOUND` when it does not exist, else
 * `INPUT_UNREADABLE`, with the reason of {@link describeFsError}.
 *
 * @param e the file-system error
 * @param what the input, e.g. "blob /tmp/x" (the message is "Cannot read <what>: <reason>")
 * @returns the error to throw
 */
export function readError(e: unknown, what: string): IoError {
  return new IoError(
    e instanceof Deno.errors.NotFound ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE",
    `Cannot read ${what}: ${describeFsError(e)}`,
    { cause: e },
  );
}
