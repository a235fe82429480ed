/**
 * Media types of the OCI image spec v1.1 and Docker schema 2, and the `Accept` header a client
 * must send to get any of them (distribution answers 404 for an OCI manifest fetched without
 * the OCI type in `Accept`).
 *
 * @module
 */

/** OCI image manifest. */
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
/** OCI image index. */
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
/** OCI image config. */
export const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
/** OCI empty descriptor's media type (`{}`), used as the config of artifacts. */
export const OCI_EMPTY = "application/vnd.oci.empty.v1+json";
/** OCI gzip layer. */
export const OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
/** Docker schema 2 manifest. */
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
/** Docker manifest list. */
export const DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
/** Docker image config. */
export const DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
/** Docker gzip layer. */
export const DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/** Manifest types we read, most preferred first. */
export const MANIFEST_TYPES: readonly string[] = [
  OCI_MANIFEST,
  OCI_INDEX,
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
];

/** The `Accept` header for manifest requests. */
export const MANIFEST_ACCEPT: string = MANIFEST_TYPES.join(", ");

/**
 * Whether a media type is an index (OCI index or Docker manifest list).
 *
 * @param mediaType a media type
 * @returns true for index types
 */
export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST;
}

/**
 * Whether a media type is one of the manifest types we know.
 *
 * @param mediaType a media type
 * @returns true for OCI/Docker manifests and indexes
 */
export function isManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && MANIFEST_TYPES.includes(mediaType);
}
