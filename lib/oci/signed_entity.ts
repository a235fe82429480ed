/**
 * What cosign calls a "signed entity": the image or index a reference names, fetched once, and
 * the names ggcr prints for references (`Name()` and the tags derived from a digest).
 *
 * Matches cosign pkg/oci/remote/remote.go `SignedEntity` (a 404 is "entity not found in
 * registry"; only image and index media types are accepted), `ResolveDigest` (a digest reference
 * is used as is, without asking the registry) and `SignatureTag` / `AttestationTag` / `SBOMTag` /
 * `DigestTag`.
 *
 * @module
 */

import { RegistryError, SigstoreError } from "../errors.ts";
import { isNotFound } from "../registry/is_not_found.ts";
import { type CosignAttachment, cosignTag, type CosignTagOptions } from "./cosign_tags.ts";
import { isManifestMediaType } from "../registry/media_types.ts";
import type { FetchedManifest, Reference, Registry, Repository } from "../registry/types.ts";

/** `registry/repository`, as ggcr's `Repository.Name()`. */
export function repositoryName(repo: Repository): string {
  return `${repo.registry}/${repo.repository}`;
}

/** ggcr's `Reference.Name()`: `registry/repository:tag` or `registry/repository@digest`. */
export function referenceName(ref: Reference): string {
  return ref.digest
    ? `${repositoryName(ref)}@${ref.digest}`
    : `${repositoryName(ref)}:${ref.tag ?? "latest"}`;
}

/**
 * Fetches the image or index a reference names (cosign `ociremote.SignedEntity`).
 *
 * @param registry the registry client
 * @param ref the reference
 * @returns the fetched manifest
 * @throws {RegistryError} `MANIFEST_UNKNOWN` "entity not found in registry, error: …" for a 404
 * @throws {SigstoreError} `UNSUPPORTED` "unknown mime type: …" for anything but an image or index
 */
export async function getSignedEntity(
  registry: Registry,
  ref: Reference,
): Promise<FetchedManifest> {
  const repo = { registry: ref.registry, repository: ref.repository };
  let got: FetchedManifest;
  try {
    got = await registry.getManifest(repo, ref.digest ?? ref.tag ?? "latest");
  } catch (e) {
    if (isNotFound(e)) {
      throw new RegistryError(
        "MANIFEST_UNKNOWN",
        `entity not found in registry, error: ${(e as Error).message}`,
        { cause: e, status: 404 },
      );
    }
    throw e;
  }
  if (!isManifestMediaType(got.mediaType)) {
    throw new SigstoreError("UNSUPPORTED", `unknown mime type: ${got.mediaType}`);
  }
  return got;
}

/**
 * The digest a reference names: its digest, or the tag resolved by the registry (cosign
 * `ociremote.ResolveDigest`).
 *
 * @param registry the registry client
 * @param ref the reference
 * @returns `sha256:<hex>`
 * @throws {RegistryError} when the tag cannot be resolved
 */
export async function resolveDigest(registry: Registry, ref: Reference): Promise<string> {
  if (ref.digest) return ref.digest;
  const repo = { registry: ref.registry, repository: ref.repository };
  const tag = ref.tag ?? "latest";
  const head = await registry.headManifest(repo, tag);
  if (head) return head.digest;
  // HEAD answered 404: GET for the registry's error message.
  return (await registry.getManifest(repo, tag)).digest;
}

/** What {@link attachmentReference} names. */
export type TriangulateType = "signature" | "attestation" | "sbom" | "digest";

const SUFFIX: Record<Exclude<TriangulateType, "digest">, CosignAttachment> = {
  signature: "sig",
  attestation: "att",
  sbom: "sbom",
};

/**
 * The reference where cosign stores an attachment of an image, as `cosign triangulate` prints
 * it: `registry/repo:sha256-<hex>.sig`, or for `digest` `registry/repo@sha256:<hex>` (with the
 * tag prefix before the algorithm, as cosign's `DigestTag` does).
 *
 * @param registry the registry client (used only to resolve a tag)
 * @param ref the image
 * @param type what to locate
 * @param opts `COSIGN_REPOSITORY` and `--attachment-tag-prefix`
 * @returns the reference text
 */
export async function attachmentReference(
  registry: Registry,
  ref: Reference,
  type: TriangulateType,
  opts: CosignTagOptions = {},
): Promise<string> {
  const digest = await resolveDigest(registry, ref);
  const target = opts.targetRepository ?? ref;
  if (type === "digest") {
    return `${repositoryName(target)}@${opts.tagPrefix ?? ""}${digest}`;
  }
  return `${repositoryName(target)}:${cosignTag(digest, SUFFIX[type], opts.tagPrefix)}`;
}
