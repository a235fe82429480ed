/**
 * The referrers tag schema on write (OCI distribution spec v1.1, as go-containerregistry's
 * `commitSubjectReferrers`, which cosign uses through `remote.Put`): after a manifest with a
 * `subject` is pushed to a registry without the referrers API, its descriptor is added to the OCI
 * index tagged `<alg>-<hex>` of the subject (created when missing; kept sorted by digest; left
 * alone when the descriptor is already there).
 *
 * @module
 */
import { RegistryError } from "../errors.ts";
import { OCI_INDEX } from "./media_types.ts";
import type { Descriptor, ImageIndex, Platform, Registry, Repository } from "./types.ts";

/** A descriptor in go-containerregistry's `v1.Descriptor` field order, unknown fields dropped. */
function goDescriptor(d: Descriptor): Record<string, unknown> {
  const p: Platform | undefined = d.platform;
  return {
    mediaType: d.mediaType,
    size: d.size,
    digest: d.digest,
    data: d.data || undefined,
    urls: d.urls?.length ? d.urls : undefined,
    annotations: d.annotations && Object.keys(d.annotations).length
      ? Object.fromEntries(Object.entries(d.annotations).sort(([a], [b]) => (a < b ? -1 : 1)))
      : undefined,
    platform: p
      ? {
        architecture: p.architecture,
        os: p.os,
        "os.version": p["os.version"] || undefined,
        "os.features": p["os.features"]?.length ? p["os.features"] : undefined,
        variant: p.variant || undefined,
      }
      : undefined,
    artifactType: d.artifactType || undefined,
  };
}

/**
 * Records `add` as a referrer of `subject` when the registry has no referrers API.
 *
 * @param registry the registry (without `referrersApi`, it is assumed to keep referrers itself)
 * @param repo the repository of the subject and the referrer
 * @param subject the subject's digest
 * @param add the referrer's descriptor (cosign: media type, size, digest and the config media type
 *   as artifact type)
 * @throws {RegistryError} `UNSUPPORTED` when the fallback tag holds something else than a schema 2
 *   OCI index; whatever the registry throws
 */
export async function addFallbackReferrer(
  registry: Registry,
  repo: Repository,
  subject: string,
  add: Descriptor,
): Promise<void> {
  if (!registry.referrersApi || await registry.referrersApi(repo, subject)) return;
  const tag = subject.replace(":", "-");
  let manifests: Descriptor[];
  let index: ImageIndex | undefined;
  try {
    index = (await registry.getManifest(repo, tag)).manifest as ImageIndex;
  } catch (e) {
    if (!(e instanceof RegistryError && e.status === 404)) throw e;
  }
  if (!index) {
    manifests = [add];
  } else {
    const what = `Cannot update the referrers tag ${repo.registry}/${repo.repository}:${tag}`;
    if (index.schemaVersion !== 2) {
      throw new RegistryError(
        "UNSUPPORTED",
        `${what}: fallback tag manifest is not a schema version 2: ${index.schemaVersion}`,
      );
    }
    if (index.mediaType !== OCI_INDEX || !Array.isArray(index.manifests)) {
      throw new RegistryError(
        "UNSUPPORTED",
        `${what}: fallback tag manifest is not an OCI image index: ${index.mediaType ?? ""}`,
      );
    }
    if (index.manifests.some((d) => d.digest === add.digest)) return;
    manifests = [...index.manifests, add];
  }
  manifests.sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  const out = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: manifests.map(goDescriptor),
    annotations: index?.annotations && Object.keys(index.annotations).length
      ? Object.fromEntries(Object.entries(index.annotations).sort(([a], [b]) => (a < b ? -1 : 1)))
      : undefined,
    subject: index?.subject ? goDescriptor(index.subject) : undefined,
  };
  await registry.putManifest(repo, tag, new TextEncoder().encode(JSON.stringify(out)), OCI_INDEX);
}
