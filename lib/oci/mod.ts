/**
 * Cosign's storage conventions on top of the generic registry client (lib/registry): the
 * `sha256-<hex>.sig|.att|.sbom` tags and their images, attach, download, copy, clean, tree, save/load.
 *
 * @module
 */
export * from "./cosign_tags.ts";
export * from "./cosign_signatures.ts";
export * from "./sbom.ts";
