/**
 * Digest and size checks on blob streams, shared by the HTTP client and the on-disk layout.
 *
 * @module
 */
import { RegistryError } from "../errors.ts";
import { incrementalDigest } from "../incremental_digest.ts";
import { concatBytes } from "../stream.ts";

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
 * `DIGEST_MISMATCH` when the bytes do not hash to `digest`. Memory stays at one source chunk.
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
  // Small blobs (manifests' configs, signature payloads) are hashed with WebCrypto at the end, so
  // that verifying an image never loads node:crypto (≈30 ms of start-up); larger ones switch to
  // node:crypto's incremental hash (lib/digest.ts).
  const hash = incrementalDigest(algorithm, { smallLimit: SMALL_BLOB });
  const update = (chunk: Uint8Array) => hash.update(chunk);
  const finish = async () => `${algorithm}:${(await hash.digest()).toHex()}`;
  const exact = bounds.size;
  const limit = exact ?? bounds.maxSize ?? Infinity;
  let total = 0;
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next;
      try {
        next = await reader.read();
      } catch (e) {
        controller.error(e);
        return;
      }
      if (next.done) {
        if (exact !== undefined && total !== exact) {
          // ggcr verify.ReadCloser: "error verifying size; got N, want M".
          controller.error(
            new RegistryError(
              "DIGEST_MISMATCH",
              `${what}: the content has ${total} bytes, its descriptor declares ${exact}`,
              { status },
            ),
          );
          return;
        }
        const got = await finish();
        if (got !== digest) {
          controller.error(
            new RegistryError("DIGEST_MISMATCH", `${what}: digest mismatch: got ${got}`, {
              status,
            }),
          );
        } else {
          controller.close();
        }
        return;
      }
      total += next.value.length;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        controller.error(
          new RegistryError(
            "TOO_LARGE",
            exact !== undefined
              ? `${what}: the content is longer than its declared size ${exact}`
              : `${what}: more than ${limit} bytes`,
            { status },
          ),
        );
        return;
      }
      update(next.value);
      controller.enqueue(next.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
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
    const out = new Uint8Array(size);
    let off = 0;
    for await (const c of stream) {
      if (off + c.length > size) throw new RangeError(`"stream" is longer than ${size} bytes`);
      out.set(c, off);
      off += c.length;
    }
    return off === size ? out : out.subarray(0, off);
  }
  const chunks: Uint8Array[] = [];
  for await (const c of stream) chunks.push(c);
  return concatBytes(chunks);
}
