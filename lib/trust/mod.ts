/**
 * Trust material: Sigstore trusted roots (`trusted_root.json`) and the log key IDs they use.
 *
 * @module
 */
export * from "./trusted_root.ts";
