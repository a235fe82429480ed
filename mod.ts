/**
 * cosign for Deno, as a library: cosign-compatible keys, blob signing and verification.
 *
 * @example
 * ```ts
 * import { generateKeyPair, loadPrivateKey, keySigner, bytesReader } from "./mod.ts";
 * const password = new TextEncoder().encode("s3cret");
 * const { privatePem } = await generateKeyPair(password);
 * const key = await loadPrivateKey(new TextEncoder().encode(privatePem), password);
 * const signature = await keySigner(key).sign(bytesReader(new TextEncoder().encode("hello")));
 * ```
 *
 * @module
 */
export * from "./lib/errors.ts";
export * from "./lib/keys/mod.ts";
export * from "./lib/signature/mod.ts";
export * from "./lib/registry/mod.ts";
export * from "./lib/sign/mod.ts";
export * from "./lib/verify/mod.ts";
export * from "./lib/payload/mod.ts";
export * from "./lib/oci/mod.ts";
export * from "./lib/rekor/mod.ts";
export * from "./lib/bundle/mod.ts";
export * from "./lib/trust/mod.ts";
export * from "./lib/tuf/mod.ts";
export * from "./lib/timestamp/mod.ts";
export * from "./lib/x509/mod.ts";
export * from "./lib/oidc/mod.ts";
export * from "./lib/fulcio/mod.ts";
export * from "./lib/pkcs11/mod.ts";
export * from "./lib/kms/mod.ts";
export { bytesReader, forEachChunk, readAllBounded } from "./lib/stream.ts";
export type { ByteReader } from "./lib/stream.ts";
export { AtomicFile, writeFileAtomic } from "./lib/atomic_file.ts";
export { openBlob } from "./lib/blob_input.ts";
export type { BlobInput } from "./lib/blob_input.ts";
export { COSIGN_COMPAT, VERSION } from "./version.ts";
