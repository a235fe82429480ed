/**
 * Digest and size checks on blob streams, shared by the HTTP client and the on-disk layout.
 *
 * @module
 */
import { RegistryError } from "../errors.ts";
import { incrementalDigest } from "../incremental_digest.ts";
import { byteStream, concatBytes, intoReader } from "../stream.ts";

/**
 * The hash algorithm of a digest: `sha256` or `sha512`.
 *
 * @param digest `alg:hex`
 * @returns the node:crypto algorithm name
 * @throws {RegistryError} `UNSUPPORTED` for other or malformed digests
 */
export function algorithmOf(digest: string): "sha256" | "sha512" {
  if (/^sha256:[a-f0-9]{64}$/.test(digest)) return "sha256";
  if (/^sha512:[a-f0-9]{128}$/.test(digest)) return "sha512";
  throw new RegistryError("UNSUPPORTED", `Unsupported or malformed digest: ${digest}`);
}

/** Blobs up to this size are hashed in one go with WebCrypto (see {@link verifyingStream}). */
const SMALL_BLOB = 1024 * 1024;

/**
 * `alg:hex` of bytes.
 *
 * @param bytes the content
 * @param algorithm `sha256` (default) or `sha512`
 * @returns the digest
 */
export async function digestOf(
  bytes: Uint8Array,
  algorithm: "sha256" | "sha512" = "sha256",
): Promise<string> {
  const d = await crypto.subtle.digest(
    algorithm === "sha256" ? "SHA-256" : "SHA-512",
    bytes as Uint8Array<ArrayBuffer>,
  );
  return `${algorithm}:${new Uint8Array(d).toHex()}`;
}

/**
 * What bounds a blob read: the size its descriptor declares, and/or a cap.
 *
 * With `size` the read is exact, as go-containerregistry's `verify.ReadCloser` makes it (the
 * descriptor's size and digest both bind the content): more bytes are refused as soon as byte
 * `size + 1` arrives, fewer at the end. With only `maxSize` the length is unknown and only capped.
 */
export interface BlobBounds {
  /** The size the descriptor declares (checked against `maxSize` by {@link declaredSize} first). */
  size?: number;
  /** The most bytes accepted when the size is unknown. */
  maxSize?: number;
}

/**
 * Checks the size a descriptor declares before anything is fetched: a non-negative safe integer
 * not above the cap (cosign's `CheckSize` on `COSIGN_MAX_ATTACHMENT_SIZE`, the manifest limit …).
 *
 * @param size the descriptor's `size` (untrusted JSON: any value)
 * @param maxSize the cap
 * @param what the message prefix (`Cannot fetch blob …`)
 * @returns the size
 * @throws {RegistryError} `REGISTRY` when it is not a non-negative integer; `TOO_LARGE` above the cap
 */
export function declaredSize(size: unknown, maxSize: number, what: string): number {
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw new RegistryError(
      "REGISTRY",
      `${what}: the descriptor declares an invalid size ${JSON.stringify(size) ?? String(size)}`,
    );
  }
  if (size > maxSize) {
    throw new RegistryError(
      "TOO_LARGE",
      `${what}: the descriptor declares ${size} bytes, more than the limit of ${maxSize}`,
    );
  }
  return size;
}

/**
 * Passes a stream through, checking it against its descriptor as it flows: with `bounds.size`,
 * it errors with `TOO_LARGE` as soon as byte `size + 1` arrives (the source is cancelled, nothing
 * more is read) and with `DIGEST_MISMATCH` at the end when fewer bytes came; with only
 * `bounds.maxSize`, with `TOO_LARGE` once more than that flowed. At the end it errors with
 * `DIGEST_MISMATCH` when the bytes do not hash to `digest`. Memory stays at one chunk: the
 * consumer's buffer when it reads with a BYOB reader.
 *
 * This is the one mechanism every blob read goes through (registry, layout, memory registry).
 *
 * @param stream the blob content
 * @param digest the expected digest
 * @param bounds the declared size and/or cap
 * @param what the message prefix (`Cannot fetch blob …`)
 * @param status the HTTP status to put on errors
 * @returns the checked stream
 */
export function verifyingStream(
  stream: ReadableStream<Uint8Array>,
  digest: string,
  bounds: BlobBounds,
  what: string,
  status = 0,
): ReadableStream<Uint8Array> {
  const algorithm = algorithmOf(digest);
  const exact = bounds.size;
  const limit = exact ?? bounds.maxSize ?? Infinity;
  // Small blobs (manifests' configs, signature payloads) are hashed with WebCrypto at the end, so
  // that verifying an image never loads node:crypto (≈30 ms of start-up); larger ones, and blobs
  // declared larger, go through node:crypto's incremental hash (lib/incremental_digest.ts). Chunks
  // are copied when held back: a BYOB consumer reuses its buffer.
  const hash = incrementalDigest(algorithm, {
    smallLimit: exact !== undefined && exact > SMALL_BLOB ? 0 : SMALL_BLOB,
    copy: true,
  });
  let total = 0;
  // A byte stream: a BYOB consumer's buffer is passed on to the source (lib/stream.ts), so a
  // large download is hashed where it lands, with no buffer per chunk.
  const reader = intoReader(stream);
  return byteStream(async (view) => {
    const filled = await reader.read(view);
    if (filled.byteLength === 0) {
      if (exact !== undefined && total !== exact) {
        // ggcr verify.ReadCloser: "error verifying size; got N, want M".
        throw new RegistryError(
          "DIGEST_MISMATCH",
          `${what}: the content has ${total} bytes, its descriptor declares ${exact}`,
          { status },
        );
      }
      const got = `${algorithm}:${(await hash.digest()).toHex()}`;
      if (got !== digest) {
        throw new RegistryError("DIGEST_MISMATCH", `${what}: digest mismatch: got ${got}`, {
          status,
        });
      }
      return filled;
    }
    total += filled.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw new RegistryError(
        "TOO_LARGE",
        exact !== undefined
          ? `${what}: the content is longer than its declared size ${exact}`
          : `${what}: more than ${limit} bytes`,
        { status },
      );
    }
    hash.update(filled);
    return filled;
  }, (reason) => reader.cancel(reason));
}

/**
 * Reads a stream into memory.
 *
 * @param stream the stream (bounded by whoever made it, e.g. {@link verifyingStream})
 * @param size the exact length when known (one buffer, no copies); a longer stream is refused
 * @returns its bytes
 * @throws {RangeError} when the stream is longer than `size`
 */
export async function collect(
  stream: ReadableStream<Uint8Array>,
  size?: number,
): Promise<Uint8Array> {
  if (size !== undefined) {
    // Read straight into the result (BYOB for byte streams), then once more to see the end: the
    // end is where a verifying stream checks the digest.
    const reader = intoReader(stream);
    try {
      let buf = new ArrayBuffer(size);
      let off = 0;
      while (off < size) {
        const got = await reader.read(new Uint8Array(buf, off));
        buf = got.buffer as ArrayBuffer;
        if (got.byteLength === 0) return new Uint8Array(buf, 0, off);
        off += got.byteLength;
      }
      if ((await reader.read(new Uint8Array(1))).byteLength > 0) {
        throw new RangeError(`"stream" is longer than ${size} bytes`);
      }
      reader.releaseLock();
      return new Uint8Array(buf);
    } catch (e) {
      await reader.cancel().catch(() => {});
      throw e;
    }
  }
  const chunks: Uint8Array[] = [];
  for await (const c of stream) chunks.push(c);
  return concatBytes(chunks);
}
