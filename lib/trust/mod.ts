/**
 * Trust material: Sigstore trusted roots (`trusted_root.json`) and the log key IDs they use;
 * building trusted roots and signing configs as cosign 3's `trusted-root create` and
 * `signing-config create` do.
 *
 * @module
 */
export * from "./trusted_root.ts";
export * from "./create_trusted_root.ts";
export * from "./signing_config.ts";
export * from "./select_signing_services.ts";
