/**
 * Verifies a detached blob signature, streaming the blob, as `cosign verify-blob` does
 * (cmd/cosign/cli/verify/verify_blob.go): the signature (a `--signature` value, or cosign's bundle
 * file) and the blob become a signed entity checked by {@link verifyEntity} — the signature over
 * the stream, then the bundle's log entry offline or the entry looked up online.
 *
 * @module
 */
import { decodeStdBase64 } from "../base64.ts";
import { IoError, VerificationError } from "../errors.ts";
import { describeFsError } from "../atomic_file.ts";
import { type KeyRefDeps, readKeyRef } from "../keys/key_ref.ts";
import { decodePem } from "../keys/pem.ts";
import type { PublicKey } from "../keys/public_key.ts";
import type { ByteReader } from "../stream.ts";
import { readAllBounded } from "../stream.ts";
import { parseLocalBundle } from "../rekor/blob_bundle.ts";
import { parseHashedRekordBody } from "../rekor/verify_entry.ts";
import { decodeSignature } from "./decode_signature.ts";
import type { SignedEntity, VerificationMaterial } from "./signed_entity.ts";
import type { VerificationPolicy } from "./verification_policy.ts";
import { verifyEntity } from "./verify_entity.ts";

/** Most bytes accepted for a signature (a file, URL or literal). */
const SIGNATURE_LIMIT = 1024 * 1024;

/** Options for {@link verifyBlob}. */
export interface VerifyBlobOptions {
  /** Who signed and how the log is checked. */
  policy: VerificationPolicy;
  /**
   * The signature: base64 text, a file holding base64 or raw bytes, or a URL; may be empty with
   * a bundle.
   */
  signatureRef: string;
  /** The blob. */
  input: ByteReader;
  deps: KeyRefDeps;
  /**
   * cosign's bundle file (`sign-blob --bundle`): its signature is used when `signatureRef` is
   * empty, and its Rekor entry is verified offline (log key, SET, time, and that it is about this
   * very signature, key and blob) unless the policy ignores the log.
   */
  bundle?: Uint8Array;
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
 * Reads the signature (or the bundle) and verifies it over the streamed blob.
 *
 * @returns the public key that verified the signature
 * @throws {VerificationError} `SIGNATURE_INVALID` when the signature does not verify; `UNSUPPORTED`
 *   for a bundle with a certificate; `TLOG_ENTRY_NOT_FOUND` for a bundle without an entry when the
 *   log is checked; the codes of {@link verifyEntity}
 * @throws {IoError} when the signature cannot be read
 */
export async function verifyBlob(options: VerifyBlobOptions): Promise<PublicKey> {
  const { policy } = options;
  const ignoreTlog = policy.tlog.ignore === true;
  let entity: SignedEntity;
  if (!options.bundle) {
    const signature = await readSignatureRef(options.signatureRef, options.deps);
    entity = {
      // Looked up online as cosign proposes it: by the blob's SHA-256.
      content: { kind: "blob", reader: options.input, signature, digestAlgorithm: "sha256" },
      material: { kind: "none" },
      tlog: { kind: "none" },
      subject: "signature",
    };
  } else {
    const bundle = parseLocalBundle(options.bundle);
    const material: VerificationMaterial = bundle.cert
      ? { kind: "certificate", certificate: bundleCertificate(bundle.cert), chain: [], only: true }
      : { kind: "none" };
    const signature = options.signatureRef
      ? await readSignatureRef(options.signatureRef, options.deps)
      : decodeSignature(bundle.base64Signature);
    const entry = ignoreTlog ? undefined : bundle.entry;
    if (!ignoreTlog && !entry && !bundle.cert) {
      throw new VerificationError(
        "TLOG_ENTRY_NOT_FOUND",
        "Cannot verify the transparency log entry: the bundle has none (sign with --tlog-upload, or pass --insecure-ignore-tlog=true)",
      );
    }
    let algorithm: "sha256" | "sha384" | "sha512" = "sha256";
    if (entry) {
      const named = parseHashedRekordBody(entry.body).algorithm;
      if (named !== "sha256" && named !== "sha384" && named !== "sha512") {
        throw new VerificationError(
          "TLOG_ENTRY_INVALID",
          `Cannot verify the transparency log entry: unsupported digest algorithm ${named}`,
        );
      }
      algorithm = named;
    }
    entity = {
      content: { kind: "blob", reader: options.input, signature, digestAlgorithm: algorithm },
      material,
      tlog: entry ? { kind: "rekor", entry } : { kind: "none" },
      subject: "signature",
    };
  }
  return (await verifyEntity(policy, entity)).publicKey;
}

/** The bundle's `cert` (base64 of a PEM certificate), DER; empty when it does not decode. */
function bundleCertificate(cert: string): Uint8Array {
  try {
    return decodePem(decodeStdBase64(cert))?.bytes ?? new Uint8Array();
  } catch {
    return new Uint8Array();
  }
}
