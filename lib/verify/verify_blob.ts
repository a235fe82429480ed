/**
 * Verifies a detached blob signature with a public key, streaming the blob, as
 * `cosign verify-blob --key` does (cmd/cosign/cli/verify/verify_blob.go) for the signature
 * check itself. Transparency-log checks are composed around it by the caller.
 *
 * @module
 */
import { IoError } from "../errors.ts";
import { describeFsError } from "../atomic_file.ts";
import { type KeyRefDeps, readKeyRef } from "../keys/key_ref.ts";
import { parsePublicKeyPem, type PublicKey } from "../keys/public_key.ts";
import type { ByteReader } from "../stream.ts";
import { readAllBounded } from "../stream.ts";
import { decodeSignature } from "./decode_signature.ts";
import { verifySignature } from "./verify_signature.ts";

/** Most bytes accepted for a signature (a file, URL or literal). */
const SIGNATURE_LIMIT = 1024 * 1024;

/** Options for {@link verifyBlob}. */
export interface VerifyBlobOptions {
  /** A public key reference: file path, `env://VAR` or `http(s)://` URL. */
  keyRef: string;
  /** The signature: base64 text, a file holding base64 or raw bytes, or a URL. */
  signatureRef: string;
  /** The digest the verifier uses (cosign's --signature-digest-algorithm, default sha256). */
  hash: "sha256" | "sha384" | "sha512";
  /** The blob. */
  input: ByteReader;
  deps: KeyRefDeps;
}

/**
 * Reads a signature the way cosign's base64signature() does: a URL or file is read, and a value
 * that names no file is taken as the signature text itself.
 *
 * @returns the raw signature bytes
 * @throws {IoError} when a named file or URL cannot be read
 * @throws {TypeError} when base64 text is malformed
 */
export async function readSignatureRef(ref: string, deps: KeyRefDeps): Promise<Uint8Array> {
  let bytes: Uint8Array;
  if (/^(https?|env):\/\//.test(ref)) {
    bytes = await readKeyRef(ref, deps);
  } else {
    try {
      const file = await Deno.open(ref, { read: true });
      try {
        if ((await file.stat()).isDirectory) {
          throw new IoError("INPUT_UNREADABLE", `Cannot read signature ${ref}: is a directory`);
        }
        bytes = await readAllBounded(file, SIGNATURE_LIMIT, `signature ${ref}`);
      } finally {
        file.close();
      }
    } catch (e) {
      if (e instanceof IoError || e instanceof RangeError) throw e;
      if (!(e instanceof Deno.errors.NotFound) && !(e instanceof Deno.errors.InvalidData)) {
        throw new IoError(
          "INPUT_UNREADABLE",
          `Cannot read signature ${ref}: ${describeFsError(e)}`,
          {
            cause: e,
          },
        );
      }
      // Not a file: the value is the signature itself (cosign's documented behaviour). A value
      // that cannot be base64 (a typo'd file name like "sig.txt") is reported as a missing file
      // instead of failing later as a bogus signature.
      if (!/^[A-Za-z0-9+/=\r\n]+$/.test(ref)) {
        throw new IoError(
          "INPUT_NOT_FOUND",
          `Cannot read signature ${ref}: no such file or directory`,
        );
      }
      bytes = new TextEncoder().encode(ref);
    }
  }
  return decodeSignature(bytes);
}

/**
 * Loads the public key, reads the signature and verifies it over the streamed blob.
 *
 * @returns the public key that verified the signature
 * @throws {VerificationError} `SIGNATURE_INVALID` when the signature does not verify
 * @throws {KeyError} when the key cannot be read or parsed
 */
export async function verifyBlob(options: VerifyBlobOptions): Promise<PublicKey> {
  const publicKey = parsePublicKeyPem(await readKeyRef(options.keyRef, options.deps));
  const signature = await readSignatureRef(options.signatureRef, options.deps);
  await verifySignature({
    publicKey,
    hash: options.hash,
    signature,
    reader: options.input,
  });
  return publicKey;
}
