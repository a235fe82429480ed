/**
 * Digest and size checks on blob streams, shared by the HTTP client and the on-disk layout.
 *
 * @module
 */
import { RegistryError } from "../errors.ts";
import { incrementalDigest } from "../incremental_digest.ts";

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
 * Passes a stream through, erroring with `TOO_LARGE` as soon as more than `maxSize` bytes have
 * flowed and with `DIGEST_MISMATCH` at the end if the bytes do not hash to `digest`.
 *
 * @param stream the blob content
 * @param digest the expected digest
 * @param maxSize the most bytes accepted
 * @param what the message prefix (`Cannot fetch blob …`)
 * @param status the HTTP status to put on errors
 * @returns the checked stream
 */
export function verifyingStream(
  stream: ReadableStream<Uint8Array>,
  digest: string,
  maxSize: number,
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
  let total = 0;
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await reader.read();
      if (next.done) {
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
      if (total > maxSize) {
        await reader.cancel().catch(() => {});
        controller.error(
          new RegistryError("TOO_LARGE", `${what}: more than ${maxSize} bytes`, { status }),
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
 * @param stream the stream (bounded by whoever made it)
 * @returns its bytes
 */
export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const c of stream) {
    chunks.push(c);
    total += c.length;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
