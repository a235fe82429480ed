/**
 * Which manifests `cosign sign` signs: the image as given, or with `--recursive` an index and
 * every manifest below it (cmd/cosign/cli/sign/sign.go, `walk.SignedEntity` / `mutate.Map`).
 *
 * @module
 */
import { SigstoreError } from "../errors.ts";
import { isIndexMediaType, isManifestMediaType } from "../registry/media_types.ts";
import type { ImageIndex, Reference, Registry, Repository } from "../registry/types.ts";

/** Bounds on walking an index with `recursive`. */
const MAX_INDEX_DEPTH = 8;
const MAX_RECURSIVE_MANIFESTS = 1000;

/**
 * The digests to sign, in cosign's order (an index before its children, depth first).
 *
 * @param registry the registry
 * @param ref the image; a digest without `recursive` is taken as is (cosign signs a digest it
 *   cannot find all the same: SignedUnknown), else the manifest is fetched
 * @param recursive `--recursive`
 * @returns the digests, and whether a tag was resolved to find them
 * @throws {RegistryError} when the image cannot be fetched
 * @throws {SigstoreError} `UNSUPPORTED` "unknown mime type: …" for a manifest that is neither image
 *   nor index; `TOO_MANY` for indexes nested deeper than 8 or more than 1000 manifests
 */
export async function imagesToSign(
  registry: Registry,
  ref: Reference,
  recursive = false,
): Promise<{ digests: string[]; resolvedFromTag: boolean }> {
  if (ref.digest && !recursive) return { digests: [ref.digest], resolvedFromTag: false };
  const repo: Repository = { registry: ref.registry, repository: ref.repository };
  const top = await registry.getManifest(repo, ref.digest ?? ref.tag ?? "latest");
  if (!isManifestMediaType(top.mediaType)) {
    throw new SigstoreError("UNSUPPORTED", `unknown mime type: ${top.mediaType}`);
  }
  const digests = [top.digest];
  if (recursive && isIndexMediaType(top.mediaType)) {
    await walkIndex(registry, repo, top.manifest as ImageIndex, digests, 1);
  }
  return { digests, resolvedFromTag: !ref.digest };
}

/** Appends the manifests of an index, depth first, as cosign's `mutate.Map` visits them. */
async function walkIndex(
  registry: Registry,
  repo: Repository,
  index: ImageIndex,
  out: string[],
  depth: number,
): Promise<void> {
  if (depth > MAX_INDEX_DEPTH) {
    throw new SigstoreError(
      "TOO_MANY",
      `Cannot sign recursively: indexes nested deeper than ${MAX_INDEX_DEPTH}`,
    );
  }
  for (const d of index.manifests ?? []) {
    if (out.length >= MAX_RECURSIVE_MANIFESTS) {
      throw new SigstoreError(
        "TOO_MANY",
        `Cannot sign recursively: more than ${MAX_RECURSIVE_MANIFESTS} manifests`,
      );
    }
    if (isIndexMediaType(d.mediaType)) {
      out.push(d.digest);
      const child = await registry.getManifest(repo, d.digest);
      await walkIndex(registry, repo, child.manifest as ImageIndex, out, depth + 1);
    } else if (isManifestMediaType(d.mediaType)) {
      out.push(d.digest);
    } else {
      throw new SigstoreError("UNSUPPORTED", `unknown mime type: ${d.mediaType}`);
    }
  }
}
