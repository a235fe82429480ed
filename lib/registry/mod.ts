/**
 * A generic OCI distribution client: references, the HTTP client with Docker's token
 * authentication, docker config and credential helpers, manifests, blobs, referrers (with the tag
 * schema fallback), OCI image layouts on disk and an in-memory registry. Knows nothing of cosign.
 *
 * @module
 */
export * from "./types.ts";
export * from "./reference.ts";
export * from "./media_types.ts";
export * from "./auth.ts";
export * from "./docker_config.ts";
export * from "./client.ts";
export * from "./layout.ts";
export { MemoryRegistry } from "./memory_registry.ts";
export type { MemoryRegistryOp, MemoryRegistryOptions } from "./memory_registry.ts";
export { isNotFound } from "./is_not_found.ts";
export { readBlob } from "./read_blob.ts";
export { marshalConfigFile, marshalDescriptor, marshalManifest } from "./marshal_manifest.ts";
