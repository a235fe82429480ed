/**
 * Transparency logs (Rekor v1): entries, signed entry timestamps, inclusion proofs, checkpoints,
 * the binding of an entry to the signature it accompanies, and cosign's blob bundle.
 *
 * @module
 */
export * from "./canonical_json.ts";
export * from "./merkle.ts";
export * from "./checkpoint.ts";
export * from "./verify_entry.ts";
export * from "./client.ts";
export * from "./find_entry.ts";
export * from "./blob_bundle.ts";
export * from "./attestation_tlog.ts";
export * from "./entry_body.ts";
export * from "./verify_uploaded_entry.ts";
export * from "./upload_entry.ts";
