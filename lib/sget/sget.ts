/**
 * sget: fetch a single-layer artifact from a registry and emit it only after it was verified.
 *
 * Follows cosign v1.13's pkg/sget (the last Go sget): a tag needs a key (a digest pins the content
 * by itself), the tag is resolved to a digest once so that what is verified is what is
 * downloaded, signatures are verified before the download, and only single-layer artifacts (as
 * `cosign upload blob` makes them) are accepted. Unlike the Go sget, which streamed to the output
 * file as it downloaded, nothing reaches the output before the layer's digest has been checked:
 * bytes go to a temporary file first and are moved (or copied, for stdout) out afterwards.
 *
 * @module
 */
import { AtomicFile } from "../atomic_file.ts";
import { SigstoreError } from "../errors.ts";
import type { Reference, Registry, Repository } from "../oci/types.ts";
import { CHUNK_SIZE } from "../stream.ts";

/** Where the verified artifact goes. */
export type SgetOutput = { file: string } | { stdout: Writer };

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
}

const IMAGE_MANIFEST_TYPES = new Set([
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
]);

/**
 * Fetches, verifies and writes an artifact.
 *
 * @returns the pinned reference and the artifact's layer digest and size
 * @throws {SigstoreError} `KEY_NOT_FOUND` when a tag is given without a key; `UNSUPPORTED` for
 *   anything but a single-layer image; `DIGEST_MISMATCH`/`TOO_LARGE` from the download; whatever
 *   `verify` throws. No output file is left behind on any failure.
 */
export async function sget(
  options: SgetOptions,
): Promise<{ pinned: Reference; digest: string; size: number }> {
  const { registry, ref } = options;
  if (!ref.digest && !options.verify) {
    throw new SigstoreError(
      "KEY_NOT_FOUND",
      "Cannot fetch by tag without a key: public key must be specified when fetching by tag, " +
        "you must fetch by digest or supply a public key",
    );
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
  if (options.verify) await options.verify(pinned);

  const fetched = await registry.getManifest(repo, digest);
  const manifest = fetched.manifest;
  if (!("layers" in manifest) || !IMAGE_MANIFEST_TYPES.has(fetched.mediaType)) {
    throw new SigstoreError(
      "UNSUPPORTED",
      `Cannot fetch ${
        formatRef(pinned)
      }: invalid artifact: an image index or unknown manifest type ` +
        `(${fetched.mediaType}); sget fetches single-layer artifacts such as cosign upload blob makes`,
    );
  }
  if (manifest.layers.length !== 1) {
    throw new SigstoreError(
      "UNSUPPORTED",
      `Cannot fetch ${
        formatRef(pinned)
      }: invalid artifact: expected exactly one layer, found ${manifest.layers.length}`,
    );
  }
  const layer = manifest.layers[0];
  if (options.maxSize !== undefined && layer.size > options.maxSize) {
    throw new SigstoreError(
      "TOO_LARGE",
      `Cannot fetch ${
        formatRef(pinned)
      }: the artifact is ${layer.size} bytes, more than the ${options.maxSize} allowed`,
    );
  }

  // Stream to a temporary file: beside the output file (then renamed into place), or a private
  // one for standard output (then copied out). Nothing reaches the output before the digest check.
  const outFile = "file" in options.output ? options.output.file : undefined;
  const atomic = outFile !== undefined
    ? await AtomicFile.create(outFile, { mode: 0o644 })
    : undefined;
  const privatePath = atomic ? undefined : await Deno.makeTempFile({ prefix: "sget-" });
  const privateFile = privatePath
    ? await Deno.open(privatePath, { read: true, write: true })
    : undefined;
  try {
    const stream = await registry.getBlob(repo, layer.digest, { maxSize: layer.size });
    let received = 0;
    for await (const chunk of stream) {
      options.signal?.throwIfAborted();
      received += chunk.length;
      if (atomic) await atomic.write(chunk);
      else await writeAll(privateFile!, chunk);
      options.onProgress?.(received, layer.size);
    }
    // getBlob errors the stream on a digest mismatch or an oversized body; a short body is caught here.
    if (received !== layer.size) {
      throw new SigstoreError(
        "DIGEST_MISMATCH",
        `Cannot fetch ${formatRef(pinned)}: received ${received} bytes, expected ${layer.size}`,
      );
    }
    if (atomic) {
      await atomic.commit();
    } else {
      const out = (options.output as { stdout: Writer }).stdout;
      await privateFile!.seek(0, Deno.SeekMode.Start);
      const buf = new Uint8Array(CHUNK_SIZE);
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
      privateFile!.close();
      await Deno.remove(privatePath).catch(() => {});
    }
  }
}

/** Deno's writer shape. */
interface Writer {
  write(p: Uint8Array): Promise<number>;
}

async function writeAll(w: Writer, data: Uint8Array): Promise<void> {
  let rest = data;
  while (rest.length) rest = rest.subarray(await w.write(rest));
}

function formatRef(ref: Reference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ""}${
    ref.digest ? `@${ref.digest}` : ""
  }`;
}
