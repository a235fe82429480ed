/**
 * Which manifests `verify --recursive` checks: the image as given and, for an index, every
 * manifest below it, depth first, in the order `cosign sign --recursive` signs them
 * (sign.go `walk.SignedEntity` / `mutate.Map`; lib/sign/_images_to_sign.ts). The index itself is
 * one of them: `sign --recursive` signs it too, so a recursive verification that skipped it would
 * pass for an index whose own signature was removed.
 *
 * @module
 */
import { SigstoreError, VerificationError } from "../errors.ts";
import { isNotFound } from "../registry/is_not_found.ts";
import { isIndexMediaType, isManifestMediaType } from "../registry/media_types.ts";
import type {
  Descriptor,
  ImageIndex,
  Platform,
  Reference,
  Registry,
  Repository,
} from "../registry/types.ts";

/** Bounds on walking an index (as signing does). */
const MAX_INDEX_DEPTH = 8;
const MAX_RECURSIVE_MANIFESTS = 1000;

/** One manifest to verify. */
export interface RecursiveTarget {
  digest: string;
  mediaType: string;
  /** Whether it is an index (the top one or a nested one). */
  index: boolean;
  /** `os/architecture[/variant]` from the parent index's descriptor, when it has a platform. */
  platform?: string;
}

/** `os/architecture[/variant]`, as `docker` names platforms. */
export function platformName(p: Platform | undefined): string | undefined {
  if (!p?.os || !p.architecture) return undefined;
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/**
 * Lists the manifests to verify.
 *
 * @param registry the registry
 * @param ref the image (tag or digest)
 * @returns the image first, then, for an index, every manifest below it depth first
 * @throws {VerificationError} `TAG_NOT_FOUND` "image tag not found: …" when the image does not exist
 * @throws {SigstoreError} `UNSUPPORTED` "unknown mime type: …"; `TOO_MANY` for indexes nested
 *   deeper than 8 or more than 1000 manifests
 * @throws {RegistryError} for other registry failures
 */
export async function recursiveTargets(
  registry: Registry,
  ref: Reference,
): Promise<RecursiveTarget[]> {
  const repo: Repository = { registry: ref.registry, repository: ref.repository };
  const name = ref.digest ?? ref.tag ?? "latest";
  let top;
  try {
    top = await registry.getManifest(repo, name);
  } catch (e) {
    if (isNotFound(e)) {
      throw new VerificationError("TAG_NOT_FOUND", `image tag not found: ${(e as Error).message}`, {
        cause: e,
      });
    }
    throw e;
  }
  if (!isManifestMediaType(top.mediaType)) {
    throw new SigstoreError("UNSUPPORTED", `unknown mime type: ${top.mediaType}`);
  }
  const index = isIndexMediaType(top.mediaType);
  const out: RecursiveTarget[] = [{ digest: top.digest, mediaType: top.mediaType, index }];
  if (index) await walk(registry, repo, top.manifest as ImageIndex, out, 1);
  return out;
}

async function walk(
  registry: Registry,
  repo: Repository,
  index: ImageIndex,
  out: RecursiveTarget[],
  depth: number,
): Promise<void> {
  if (depth > MAX_INDEX_DEPTH) {
    throw new SigstoreError(
      "TOO_MANY",
      `Cannot verify recursively: indexes nested deeper than ${MAX_INDEX_DEPTH}`,
    );
  }
  const manifests: Descriptor[] = Array.isArray(index.manifests) ? index.manifests : [];
  for (const d of manifests) {
    if (out.length >= MAX_RECURSIVE_MANIFESTS) {
      throw new SigstoreError(
        "TOO_MANY",
        `Cannot verify recursively: more than ${MAX_RECURSIVE_MANIFESTS} manifests`,
      );
    }
    const platform = platformName(d.platform);
    if (isIndexMediaType(d.mediaType)) {
      out.push({ digest: d.digest, mediaType: d.mediaType, index: true, platform });
      const child = await registry.getManifest(repo, d.digest);
      await walk(registry, repo, child.manifest as ImageIndex, out, depth + 1);
    } else if (isManifestMediaType(d.mediaType)) {
      out.push({ digest: d.digest, mediaType: d.mediaType, index: false, platform });
    } else {
      throw new SigstoreError("UNSUPPORTED", `unknown mime type: ${d.mediaType}`);
    }
  }
}
