/**
 * Pushes a Sigstore bundle as an OCI 1.1 referrer of an image, as cosign v2.6.4's
 * pkg/oci/remote/write.go `WriteAttestationNewBundleFormat` → `WriteReferrer` does for both
 * `sign --new-bundle-format` and `attest --new-bundle-format`.
 *
 * The manifest is written in go-containerregistry's field order: the empty config `{}` (uploaded as
 * `application/vnd.oci.image.config.v1+json`, described as `application/vnd.oci.empty.v1+json` with
 * the artifact type, as cosign does), one layer holding the bundle, the annotations
 * `dev.sigstore.bundle.content: dsse-envelope`, `dev.sigstore.bundle.predicateType` and
 * `org.opencontainers.image.created` (Go marshals a map with its keys sorted), the subject and
 * `artifactType` = the bundle media type. As in cosign, `COSIGN_REPOSITORY` is not used: the
 * artifact goes into the image's repository. Without the referrers API, the subject's
 * `sha256-<hex>` index tag lists it (go-containerregistry's `remote.Put`).
 *
 * @module
 */
import { BUNDLE_V03_MEDIA_TYPE } from "../bundle/bundle.ts";
import { RegistryError } from "../errors.ts";
import { digestOf } from "../registry/verifying_stream.ts";
import { addFallbackReferrer } from "../registry/fallback_referrer.ts";
import { OCI_MANIFEST } from "../registry/media_types.ts";
import type { Registry, Repository } from "../registry/types.ts";

/** RFC 3339 seconds in UTC, as Go's `time.RFC3339` of a UTC time. */
function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Writes the bundle's blobs and its referring artifact manifest.
 *
 * @param registry the registry
 * @param repo the image's repository
 * @param digest the image manifest the bundle is about (the `subject`)
 * @param bundle the bundle JSON
 * @param predicateType the `dev.sigstore.bundle.predicateType` annotation
 * @param now the clock for `org.opencontainers.image.created`
 * @returns the digest of the artifact manifest
 * @throws {RegistryError} `MANIFEST_UNKNOWN` when the image does not exist; whatever the registry
 *   throws for a refused write
 */
export async function writeBundleReferrer(
  registry: Registry,
  repo: Repository,
  digest: string,
  bundle: string,
  predicateType: string,
  now: Date,
): Promise<string> {
  // WriteReferrer: HEAD the subject first (it must exist), then the blobs, then the manifest.
  const subject = await registry.headManifest(repo, digest);
  if (!subject) {
    throw new RegistryError(
      "MANIFEST_UNKNOWN",
      `Cannot sign ${repo.registry}/${repo.repository}@${digest}: the image does not exist`,
      { status: 404 },
    );
  }
  const config = new TextEncoder().encode("{}");
  const layer = new TextEncoder().encode(bundle);
  await registry.putBlob(repo, config);
  await registry.putBlob(repo, layer);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: {
      mediaType: "application/vnd.oci.empty.v1+json",
      size: config.length,
      digest: await digestOf(config),
      artifactType: BUNDLE_V03_MEDIA_TYPE,
    },
    layers: [{
      mediaType: BUNDLE_V03_MEDIA_TYPE,
      size: layer.length,
      digest: await digestOf(layer),
    }],
    annotations: {
      "dev.sigstore.bundle.content": "dsse-envelope",
      "dev.sigstore.bundle.predicateType": predicateType,
      "org.opencontainers.image.created": rfc3339(now),
    },
    subject: { mediaType: subject.mediaType, size: subject.size, digest: subject.digest },
    artifactType: BUNDLE_V03_MEDIA_TYPE,
  });
  const bytes = new TextEncoder().encode(manifest);
  const manifestDigest = await digestOf(bytes);
  await registry.putManifest(repo, manifestDigest, bytes, OCI_MANIFEST);
  await addFallbackReferrer(registry, repo, subject.digest, {
    mediaType: OCI_MANIFEST,
    size: bytes.length,
    digest: manifestDigest,
    artifactType: "application/vnd.oci.empty.v1+json",
  });
  return manifestDigest;
}
