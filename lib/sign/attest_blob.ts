/**
 * `cosign attest-blob` with a key, without a transparency log (cmd/cosign/cli/attest/
 * attest_blob.go, v2.6.4): an in-toto statement about a blob, signed into a DSSE envelope.
 *
 * @module
 */
import { nodeCrypto } from "../_node_crypto.ts";
import { readError } from "../atomic_file.ts";
import { IoError } from "../errors.ts";
import { INTOTO_PAYLOAD_TYPE, signDsse } from "../payload/dsse.ts";
import { generateStatement, PredicateError, validateStatement } from "../payload/intoto.ts";
import { type ByteReader, forEachChunk, readAllBounded } from "../stream.ts";
import type { Signer } from "../signature/signer.ts";

/** What {@link attestBlob} needs. */
export interface AttestBlobOptions {
  /** A complete statement to sign as is (`--statement`); the blob is then not read. */
  statement?: Uint8Array;
  /** Names the statement in errors. */
  statementName?: string;
  /** The predicate (`--predicate`), when no statement is given. */
  predicate?: Uint8Array;
  /** Names the predicate in errors. */
  predicateName?: string;
  /** `--type`: a short name (default `custom`) or a predicate type URI. */
  type?: string;
  /** The blob path as given; its base name (Go's `path.Base`) names the subject. */
  blobPath?: string;
  /** The blob, hashed as a stream; not read when `hash` is given. */
  blob?: ByteReader;
  /** `--hash`: the blob's sha256, hex, used as given. */
  hash?: string;
  /** Loads the signer; called after the statement was built (cosign asks for the password then). */
  getSigner(): Promise<Signer>;
  /** The clock for `--type custom`'s Timestamp. */
  now?: () => Date;
}

/** What {@link attestBlob} produced. */
export interface AttestBlobResult {
  /** The DSSE envelope JSON (cosign's "signature"; no trailing newline). */
  envelope: Uint8Array;
  /** The signed statement (cosign's "attestation", `--output-attestation`). */
  statement: Uint8Array;
}

/**
 * Go's `path.Base`: the last slash-separated element, "." for "", "/" for only slashes.
 *
 * @param p a path
 * @returns its base name
 */
export function goPathBase(p: string): string {
  if (p === "") return ".";
  const trimmed = p.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/**
 * Builds the statement (or takes `statement`), then signs it as a DSSE envelope of type
 * `application/vnd.in-toto+json`.
 *
 * @param opts the statement or predicate, blob and signer
 * @returns the envelope and the signed statement
 * @throws {PredicateError} "Cannot read predicate F: not valid JSON: …" and the other predicate
 *   and statement problems, with cosign's wording after the prefix
 * @throws whatever `getSigner` and the blob reader throw
 */
export async function attestBlob(opts: AttestBlobOptions): Promise<AttestBlobResult> {
  let statement: Uint8Array;
  if (opts.statement) {
    statement = opts.statement;
    try {
      validateStatement(statement);
    } catch (e) {
      if (!(e instanceof PredicateError)) throw e;
      throw new PredicateError(
        `Cannot read statement ${opts.statementName ?? ""}: ${e.message}`,
        { cause: e },
      );
    }
  } else {
    if (!opts.predicate) throw new TypeError('"predicate" or "statement" is required');
    let digest = opts.hash ?? "";
    if (!opts.hash) {
      if (!opts.blob) throw new TypeError('"blob" or "hash" is required');
      const h = nodeCrypto().createHash("sha256");
      await forEachChunk(opts.blob, (chunk) => h.update(chunk));
      digest = h.digest("hex");
    }
    try {
      statement = generateStatement({
        predicate: opts.predicate,
        type: opts.type ?? "custom",
        digest,
        name: goPathBase(opts.blobPath ?? ""),
        now: opts.now,
      });
    } catch (e) {
      if (!(e instanceof PredicateError)) throw e;
      throw new PredicateError(
        `Cannot read predicate ${opts.predicateName ?? ""}: ${e.message}`,
        { cause: e },
      );
    }
  }
  const signer = await opts.getSigner();
  return { envelope: await signDsse(statement, INTOTO_PAYLOAD_TYPE, signer), statement };
}

/**
 * Reads a predicate or statement file, or standard input for `-`, refusing more than `limit`
 * bytes.
 *
 * @param path the file, or `-`
 * @param what names the input in errors ("predicate", "statement")
 * @param limit the most bytes accepted
 * @param stdin standard input, for `-`
 * @returns the bytes
 * @throws {IoError} `INPUT_NOT_FOUND`, `INPUT_UNREADABLE`, or `TOO_LARGE`
 */
export async function readInputFile(
  path: string,
  what: string,
  limit: number,
  stdin: ByteReader,
): Promise<Uint8Array> {
  const tooLarge = (e: unknown) => {
    if (!(e instanceof RangeError)) throw e;
    throw new IoError("TOO_LARGE", `Cannot read ${what} ${path}: larger than ${limit} bytes`, {
      cause: e,
    });
  };
  if (path === "-") return await readAllBounded(stdin, limit, `${what} -`).catch(tooLarge);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    throw readError(e, `${what} ${path}`);
  }
  try {
    if ((await file.stat()).isDirectory) {
      throw new IoError("INPUT_UNREADABLE", `Cannot read ${what} ${path}: is a directory`);
    }
    return await readAllBounded(file, limit, `${what} ${path}`).catch(tooLarge);
  } finally {
    file.close();
  }
}
