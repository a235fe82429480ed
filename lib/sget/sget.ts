/**
 * sget: fetch a single-layer artifact from a registry and emit it only after it was verified.
 *
 * Follows cosign v1.13's pkg/sget (the last Go sget): a tag needs a key (a digest pins the content
 * by itself), the tag is resolved to a digest once so that what is verified is what is
 * downloaded, signatures are verified before the download, and only single-layer artifacts (as
 * `cosign upload blob` makes them) are accepted. Unlike the Go sget, which streamed to the output
 * file as it downloaded (and buffered standard output in memory), nothing reaches the output
 * before the layer's digest has been checked: bytes go to a temporary file first and are moved
 * (or copied, for stdout) out afterwards, so memory stays flat for any size.
 *
 * @module
 */
import { AtomicFile } from "../atomic_file.ts";
import { RegistryError, SigstoreError } from "../errors.ts";
import { algorithmOf } from "../registry/verifying_stream.ts";
import type { Reference, Registry, Repository } from "../registry/types.ts";
import { intoReader } from "../stream.ts";

/** Deno's writer shape (`Deno.stdout`, a file, a test double). */
export interface SgetWriter {
  write(p: Uint8Array): Promise<number>;
}

/** What downloads are written to: a file. */
type SgetSink = Pick<Deno.FsFile, "writeSync">;

/** Where the verified artifact goes. */
export type SgetOutput = { file: string } | { stdout: SgetWriter };

/** Options for {@link sget}. */
export interface SgetOptions {
  registry: Registry;
  ref: Reference;
  /**
   * Verifies the signatures of the artifact (pinned to its digest) before anything is fetched;
   * present when the user gave a key. Throws to refuse.
   */
  verify?: (pinned: Reference) => Promise<void>;
  output: SgetOutput;
  /** Largest artifact accepted (default: unlimited; the descriptor's size is always enforced). */
  maxSize?: number;
  /** Called as bytes arrive (for a progress line). */
  onProgress?: (received: number, total: number) => void;
  signal?: AbortSignal;
  /** Folder for the private temporary file used when writing to stdout (default: the OS's). */
  tempDir?: string;
}

/** What {@link sget} fetched. */
export interface SgetResult {
  /** The reference pinned to the manifest digest that was verified and fetched. */
  pinned: Reference;
  /** The layer's digest. */
  digest: string;
  /** The layer's size in bytes. */
  size: number;
}

/** The message Go's sget gives for a tag without a key (cosign v1.13 pkg/sget/sget.go). */
export const TAG_NEEDS_KEY =
  "public key must be specified when fetching by tag, you must fetch by digest or supply a public key";

const IMAGE_MANIFEST_TYPES = new Set([
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
]);

/** Downloads are written in pieces of this size (see {@link drain}). */
const WRITE_BUFFER = 256 * 1024;

/**
 * Fetches, verifies and writes an artifact.
 *
 * @param options the registry, reference, verification hook and output
 * @returns the pinned reference and the artifact's layer digest and size
 * @throws {SigstoreError} `KEY_NOT_FOUND` when a tag is given without a key; `TAG_NOT_FOUND` when
 *   the tag does not exist; `UNSUPPORTED` for anything but a single-layer image;
 *   `DIGEST_MISMATCH`/`TOO_LARGE` from the download, `NETWORK` when the body breaks off; whatever
 *   `verify` throws. No output file is left behind (an existing one is untouched) and nothing is
 *   written to `stdout` on any failure.
 * @example
 * ```ts
 * await sget({ registry, ref: parseReference("reg.example/app@sha256:…"), output: { file: "app" } });
 * ```
 */
export async function sget(options: SgetOptions): Promise<SgetResult> {
  const { registry, ref, signal } = options;
  if (!ref.digest && !options.verify) {
    throw new SigstoreError("KEY_NOT_FOUND", `Cannot fetch by tag without a key: ${TAG_NEEDS_KEY}`);
  }
  const repo: Repository = { registry: ref.registry, repository: ref.repository };
  // Pin the tag once: what is verified is what is downloaded.
  let digest = ref.digest;
  if (!digest) {
    const head = await registry.headManifest(repo, ref.tag ?? "latest");
    if (!head) {
      throw new SigstoreError(
        "TAG_NOT_FOUND",
        `Cannot fetch ${formatRef(ref)}: image tag not found`,
      );
    }
    digest = head.digest;
  }
  const pinned: Reference = { ...ref, digest };
  signal?.throwIfAborted();
  if (options.verify) await options.verify(pinned);
  signal?.throwIfAborted();

  // getManifest checks that the bytes hash to `digest`: the layer descriptor below is the one
  // that was verified (or, without a key, the one the digest pins).
  const fetched = await registry.getManifest(repo, digest);
  const manifest = fetched.manifest;
  const what = `Cannot fetch ${formatRef(pinned)}`;
  if (!("layers" in manifest) || !IMAGE_MANIFEST_TYPES.has(fetched.mediaType)) {
    throw new SigstoreError(
      "UNSUPPORTED",
      `${what}: invalid artifact: an image index or unknown manifest type ` +
        `(${fetched.mediaType}); sget fetches single-layer artifacts such as cosign upload blob makes`,
    );
  }
  if (!Array.isArray(manifest.layers) || manifest.layers.length !== 1) {
    throw new SigstoreError(
      "UNSUPPORTED",
      `${what}: invalid artifact: expected exactly one layer, found ${
        Array.isArray(manifest.layers) ? manifest.layers.length : "none"
      }`,
    );
  }
  const layer = manifest.layers[0];
  // The manifest is untrusted input even when its digest matches: a size that is not a whole
  // number would disable the size bound of the download.
  if (!Number.isSafeInteger(layer?.size) || layer.size < 0) {
    throw new SigstoreError(
      "UNSUPPORTED",
      `${what}: invalid artifact: the layer has no valid size`,
    );
  }
  if (typeof layer.digest !== "string") {
    throw new SigstoreError("UNSUPPORTED", `${what}: invalid artifact: the layer has no digest`);
  }
  algorithmOf(layer.digest);
  if (options.maxSize !== undefined && layer.size > options.maxSize) {
    throw new SigstoreError(
      "TOO_LARGE",
      `${what}: the artifact is ${layer.size} bytes, more than the ${options.maxSize} allowed`,
    );
  }

  // Stream to a temporary file: beside the output file (then renamed into place), or a private
  // one for standard output (then copied out). Nothing reaches the output before the digest check.
  const outFile = "file" in options.output ? options.output.file : undefined;
  const atomic = outFile !== undefined
    // Not fsynced (see AtomicFileOptions.durable): atomic rename, without curl's missing guarantee
    // made up at 1.5-2 s per GiB.
    ? await AtomicFile.create(outFile, { mode: 0o644, durable: false })
    : undefined;
  let privatePath: string | undefined;
  let privateFile: Deno.FsFile | undefined;
  try {
    if (!atomic) {
      privatePath = await Deno.makeTempFile({ prefix: "sget-", dir: options.tempDir });
      privateFile = await Deno.open(privatePath, { read: true, write: true });
    }
    const sink: SgetSink = atomic?.file ?? privateFile!;
    const stream = await registry.getBlob(repo, layer.digest, { size: layer.size });
    const received = await drain(stream, sink, (n) => options.onProgress?.(n, layer.size), signal);
    // getBlob errors the stream on a digest mismatch or an oversized body; the size is checked
    // here too, so that a manifest whose size disagrees with its digest is refused.
    if (received !== layer.size) {
      throw new RegistryError(
        "DIGEST_MISMATCH",
        `${what}: received ${received} bytes, expected ${layer.size}`,
      );
    }
    if (atomic) {
      await atomic.commit();
    } else {
      const out = (options.output as { stdout: SgetWriter }).stdout;
      await privateFile!.seek(0, Deno.SeekMode.Start);
      const buf = new Uint8Array(WRITE_BUFFER);
      for (;;) {
        const n = await privateFile!.read(buf);
        if (n === null) break;
        await writeAll(out, buf.subarray(0, n));
      }
    }
    return { pinned, digest: layer.digest, size: layer.size };
  } catch (e) {
    await atomic?.abort();
    throw e;
  } finally {
    if (privatePath) {
      try {
        privateFile?.close();
      } catch { /* already closed */ }
      await Deno.remove(privatePath).catch(() => {});
    }
  }
}

/**
 * Copies a stream into `sink` through one reused buffer: BYOB reads fill it straight from the
 * network (the verifying stream beneath hashes them where they land), then it is written with one
 * synchronous write while its bytes are still in this core's cache. Nothing is allocated per
 * chunk, so memory stays flat without any help from the GC. A broken body becomes `NETWORK`;
 * coded errors pass through.
 *
 * Measured on a 2-core VM (1 GiB from a local registry): a buffer the size of the L2 cache or
 * smaller, written synchronously, costs half the kernel time of 1 MiB buffers written by Deno's
 * blocking-pool threads (the kernel's copy into the page cache then reads cold memory).
 *
 * @returns the number of bytes copied
 */
async function drain(
  stream: ReadableStream<Uint8Array>,
  sink: SgetSink,
  progress: (received: number) => void,
  signal: AbortSignal | undefined,
): Promise<number> {
  let buf = new ArrayBuffer(WRITE_BUFFER);
  let received = 0;
  const reader = intoReader(stream);
  try {
    for (let eof = false; !eof;) {
      let filled = 0;
      while (filled < buf.byteLength) {
        signal?.throwIfAborted();
        let got: Uint8Array;
        try {
          got = await reader.read(new Uint8Array(buf, filled));
        } catch (e) {
          if (e instanceof SigstoreError) throw e;
          throw new RegistryError(
            "NETWORK",
            `Cannot fetch blob: the download broke off after ${received} bytes`,
            { cause: e },
          );
        }
        // A BYOB read hands the buffer back transferred.
        buf = got.buffer as ArrayBuffer;
        if (got.byteLength === 0) {
          eof = true;
          break;
        }
        filled += got.byteLength;
        received += got.byteLength;
        progress(received);
      }
      for (let off = 0; off < filled;) {
        off += sink.writeSync(new Uint8Array(buf, off, filled - off));
      }
    }
    reader.releaseLock();
    return received;
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw e;
  }
}

async function writeAll(w: SgetWriter, data: Uint8Array): Promise<void> {
  let rest = data;
  while (rest.length) rest = rest.subarray(await w.write(rest));
}

function formatRef(ref: Reference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ""}${
    ref.digest ? `@${ref.digest}` : ""
  }`;
}
