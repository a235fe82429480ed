/**
 * Verifies a detached blob signature, streaming the blob, as `cosign verify-blob` does
 * (cmd/cosign/cli/verify/verify_blob.go): the signature (a `--signature` value, or cosign's bundle
 * file) and the blob become a signed entity checked by {@link verifyEntity} — the signature over
 * the stream, then the bundle's log entry offline or the entry looked up online.
 *
 * @module
 */
import { IoError, VerificationError } from "../errors.ts";
import { describeFsError } from "../atomic_file.ts";
import { type KeyRefDeps, readKeyRef } from "../keys/key_ref.ts";
import type { PublicKey } from "../keys/public_key.ts";
import type { ByteReader } from "../stream.ts";
import { readAllBounded } from "../stream.ts";
import { parseLocalBundle } from "../rekor/blob_bundle.ts";
import { parseHashedRekordBody } from "../rekor/verify_entry.ts";
import { decodeSignature } from "./decode_signature.ts";
import type { SignedEntity, VerificationMaterial } from "./signed_entity.ts";
import type { VerificationPolicy } from "./verification_policy.ts";
import { verifyEntity } from "./verify_entity.ts";
import { bundleCertificate } from "./_cosign_material.ts";

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
  /** `--rfc3161-timestamp`: the DER timestamp response (lib/timestamp `parseRfc3161Timestamp`). */
  rfc3161Timestamp?: Uint8Array;
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
  // Keyless: `--certificate` (and `--certificate-chain`) given on the command line.
  const given = "certificate" in policy.signer ? policy.signer.certificate : undefined;
  const timestamps = options.rfc3161Timestamp ? [options.rfc3161Timestamp] : undefined;
  let entity: SignedEntity;
  if (!options.bundle) {
    const signature = await readSignatureRef(options.signatureRef, options.deps);
    entity = {
      // Looked up online as cosign proposes it: by the blob's SHA-256.
      content: { kind: "blob", reader: options.input, signature, digestAlgorithm: "sha256" },
      material: given?.certificate
        ? { kind: "certificate", certificate: given.certificate, chain: [], only: true }
        : { kind: "none" },
      tlog: { kind: "none" },
      timestamps,
      subject: "signature",
    };
  } else {
    const bundle = parseLocalBundle(options.bundle);
    const bundleCert = bundle.cert ? bundleCertificate(bundle.cert) : undefined;
    if (given && !bundleCert && !given.certificate) {
      throw new VerificationError(
        "NO_CERTIFICATE",
        "bundle does not contain cert for verification, please provide public key",
      );
    }
    if (
      given?.certificate && bundleCert &&
      (bundleCert.length !== given.certificate.length ||
        !bundleCert.every((b, i) => b === given.certificate![i]))
    ) {
      throw new VerificationError(
        "SIGNATURE_INVALID",
        "the cert passed in does not match the cert in the provided bundle",
      );
    }
    const certificate = given?.certificate ?? bundleCert;
    const material: VerificationMaterial = certificate
      ? { kind: "certificate", certificate, chain: [], only: true }
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
      timestamps,
      subject: "signature",
    };
  }
  return (await verifyEntity(policy, entity)).publicKey;
}
