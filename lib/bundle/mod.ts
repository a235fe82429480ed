/**
 * Sigstore bundles (protobuf JSON, v0.1–v0.3): read, write as cosign's
 * `sign-blob --new-bundle-format` does, and verify their transparency log material against a
 * trusted root.
 *
 * @module
 */
export * from "./bundle.ts";
export * from "./check_bundle_content.ts";
export * from "./marshal_bundle.ts";
export * from "./verify_bundle_tlog.ts";
export * from "./create_bundle.ts";
export * from "./inspect_bundle.ts";
