/**
 * Opens the blob a command signs or verifies: a file path, or `-` for standard input.
 *
 * @module
 */
import { describeFsError, readError } from "./atomic_file.ts";
import { IoError } from "./errors.ts";
import type { ByteReader } from "./stream.ts";

/** An opened blob. */
export interface BlobInput {
  reader: ByteReader;
  close(): void;
}

/**
 * Opens `path` for streaming, or returns `stdin` for `-`.
 *
 * @param stdin the process's standard input
 * @param stdinIsTerminal refuse `-` when nobody is piping data in
 * @throws {IoError} `INPUT_NOT_FOUND` or `INPUT_UNREADABLE` with the reason
 */
export async function openBlob(
  path: string,
  stdin: ByteReader,
  stdinIsTerminal: boolean,
): Promise<BlobInput> {
  if (path === "-") {
    if (stdinIsTerminal) {
      throw new IoError(
        "INPUT_UNREADABLE",
        "Cannot read blob from standard input: it is a terminal (pipe the blob in or name a file)",
      );
    }
    return { reader: guardStdin(stdin), close() {} };
  }
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    throw readError(e, `blob ${path}`);
  }
  const info = await file.stat();
  if (info.isDirectory) {
    file.close();
    throw new IoError("INPUT_UNREADABLE", `Cannot read blob ${path}: is a directory`);
  }
  // Reading errors (EIO, a pipe closed under us) surface with the path named.
  const reader: ByteReader = {
    async read(p) {
      try {
        return await file.read(p);
      } catch (e) {
        throw new IoError("INPUT_UNREADABLE", `Cannot read blob ${path}: ${describeFsError(e)}`, {
          cause: e,
        });
      }
    },
  };
  return { reader, close: () => file.close() };
}

/**
 * Wraps standard input so that a read failure (for example a closed descriptor) becomes a clear
 * error instead of a crash.
 */
function guardStdin(stdin: ByteReader): ByteReader {
  return {
    async read(p) {
      try {
        return await stdin.read(p);
      } catch (e) {
        throw new IoError(
          "INPUT_UNREADABLE",
          `Cannot read blob from standard input: ${describeFsError(e)}`,
          { cause: e },
        );
      }
    },
  };
}
