/**
 * Content digests.
 *
 * @module
 */

/**
 * `sha256:<hex>` of some bytes.
 *
 * @param bytes the content
 * @returns the OCI digest
 */
export async function sha256Digest(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return `sha256:${new Uint8Array(d).toHex()}`;
}
