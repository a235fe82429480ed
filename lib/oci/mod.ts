/**
 * OCI registries: references, the HTTP client, authentication and docker config, OCI layouts on
 * disk, an in-memory registry, and cosign's storage of signatures in registries.
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
export * from "./cosign_tags.ts";
export * from "./cosign_signatures.ts";
