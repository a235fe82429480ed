/**
 * Reading a blob a descriptor names, bounded by the size the descriptor declares.
 *
 * @module
 */
import { collect, declaredSize } from "./verifying_stream.ts";
import type { Descriptor, Registry, Repository } from "./types.ts";

/**
 * Reads the blob a descriptor names into memory: the declared size is checked against `maxSize`
 * before anything is fetched, and the read ends exactly there (go-containerregistry's
 * `verify.ReadCloser`): a longer body is refused at byte `size + 1`, a shorter one at its end,
 * and the bytes must hash to the descriptor's digest. At most `size` bytes are held in memory, in
 * one buffer.
 *
 * @param registry the registry (HTTP client, layout, memory registry)
 * @param repo the repository holding the blob
 * @param descriptor the blob's descriptor (untrusted: `size` may be anything)
 * @param maxSize the cap (the attachment limit, the manifest limit, the bundle limit …)
 * @returns the blob's bytes
 * @throws {RegistryError} `TOO_LARGE` when the declared size exceeds `maxSize` (nothing fetched)
 *   or the content is longer than declared; `DIGEST_MISMATCH` when it is shorter or does not hash
 *   to the digest; `REGISTRY` for an invalid declared size; the registry's own errors
 * @example
 * ```ts
 * const payload = await readBlob(registry, repo, manifest.layers[0], 128 * 1024 * 1024);
 * ```
 */
export async function readBlob(
  registry: Registry,
  repo: Repository,
  descriptor: Pick<Descriptor, "digest" | "size">,
  maxSize: number,
): Promise<Uint8Array> {
  const what = `Cannot fetch blob ${repo.registry}/${repo.repository}@${descriptor.digest}`;
  const size = declaredSize(descriptor.size, maxSize, what);
  const stream = await registry.getBlob(repo, descriptor.digest, { size, maxSize });
  return await collect(stream, size);
}
