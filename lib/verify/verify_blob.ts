/**
 * Verifies a detached blob signature with a public key, streaming the blob, as
 * `cosign verify-blob --key` does (cmd/cosign/cli/verify/verify_blob.go) for the signature
 * check itself. Transparency-log checks are composed around it by the caller.
 *
 * @module
 */
import { IoError, VerificationError } from "../errors.ts";
import { describeFsError } from "../atomic_file.ts";
import { type KeyRefDeps, readKeyRef } from "../keys/key_ref.ts";
import { parsePublicKeyPem, type PublicKey } from "../keys/public_key.ts";
import type { ByteReader } from "../stream.ts";
import { readAllBounded } from "../stream.ts";
import { decodeSignature } from "./decode_signature.ts";
import { verifySignature } from "../signature/verify_signature.ts";
import type { RekorClient } from "../rekor/client.ts";

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
  /**
   * cosign's bundle file (`sign-blob --bundle`): its signature is used when `signatureRef` is
   * empty, and its Rekor entry is verified offline (log key, SET, time, and that it is about this
   * very signature, key and blob) unless `ignoreTlog`.
   */
  bundle?: Uint8Array;
  /** The transparency log's public key, for the bundle's entry. */
  rekorPublicKey?: PublicKey;
  /** `--insecure-ignore-tlog`: the bundle's entry is not checked. */
  ignoreTlog?: boolean;
  /**
   * Without a bundle (and unless `ignoreTlog`), the signature's entry is looked up in this log
   * (cosign's online verification, lib/rekor/find_entry.ts).
   */
  rekor?: RekorClient;
  /** `--offline`: without a bundle, fail instead of looking the entry up. */
  offline?: boolean;
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
  if (!options.bundle) {
    const signature = await readSignatureRef(options.signatureRef, options.deps);
    if (options.ignoreTlog) {
      await verifySignature({ publicKey, hash: options.hash, signature, reader: options.input });
      return publicKey;
    }
    await verifyBlobOnline(options, publicKey, signature);
    return publicKey;
  }
  const { parseLocalBundle, hashingReader } = await import("../rekor/blob_bundle.ts");
  const bundle = parseLocalBundle(options.bundle);
  if (bundle.cert) {
    throw new VerificationError(
      "UNSUPPORTED",
      "Cannot verify the bundle: it carries a certificate (keyless); certificate verification is not supported yet",
    );
  }
  const signature = options.signatureRef
    ? await readSignatureRef(options.signatureRef, options.deps)
    : decodeSignature(bundle.base64Signature);
  const entry = options.ignoreTlog ? undefined : bundle.entry;
  if (!options.ignoreTlog && !entry) {
    throw new VerificationError(
      "TLOG_ENTRY_NOT_FOUND",
      "Cannot verify the transparency log entry: the bundle has none (sign with --tlog-upload, or pass --insecure-ignore-tlog=true)",
    );
  }
  let reader = options.input;
  let digest: (() => Promise<Uint8Array>) | undefined;
  let algorithm: "sha256" | "sha384" | "sha512" = "sha256";
  if (entry) {
    const { parseHashedRekordBody } = await import("../rekor/verify_entry.ts");
    const named = parseHashedRekordBody(entry.body).algorithm;
    if (named !== "sha256" && named !== "sha384" && named !== "sha512") {
      throw new VerificationError(
        "TLOG_ENTRY_INVALID",
        `Cannot verify the transparency log entry: unsupported digest algorithm ${named}`,
      );
    }
    algorithm = named;
    const hashed = hashingReader(reader, algorithm);
    reader = hashed.reader;
    digest = hashed.digest;
  }
  await verifySignature({ publicKey, hash: options.hash, signature, reader });
  if (entry) {
    if (!options.rekorPublicKey) {
      throw new VerificationError(
        "TLOG_LOG_KEY_UNKNOWN",
        "Cannot verify the transparency log entry: no Rekor public key (set SIGSTORE_REKOR_PUBLIC_KEY)",
      );
    }
    const { verifyTlogEntry } = await import("../rekor/verify_entry.ts");
    await verifyTlogEntry(entry, {
      logKey: options.rekorPublicKey,
      binding: { signature, keyDer: publicKey.spki, digest: { algorithm, value: await digest!() } },
    });
  }
  return publicKey;
}

/**
 * A signature without a bundle, tlog on (cosign verifyInternal): `--offline` fails at once;
 * otherwise the blob is hashed (SHA-256, as cosign proposes it) while the signature is checked,
 * and the entry is then looked up. cosign looks up first, but Rekor refuses to search for a
 * proposed entry whose signature does not verify (HTTP 400), so checking the signature first
 * fails the same cases, names the signature as the failed check, and sends no request.
 */
async function verifyBlobOnline(
  options: VerifyBlobOptions,
  publicKey: PublicKey,
  signature: Uint8Array,
): Promise<void> {
  if (options.offline) {
    throw new VerificationError(
      "TLOG_ENTRY_NOT_FOUND",
      "Cannot verify the transparency log entry: offline verification failed (no --bundle, and --offline forbids looking the signature up in the log)",
    );
  }
  if (!options.rekorPublicKey) {
    throw new VerificationError(
      "TLOG_LOG_KEY_UNKNOWN",
      "Cannot verify the transparency log entry: no Rekor public key (set SIGSTORE_REKOR_PUBLIC_KEY)",
    );
  }
  if (!options.rekor) {
    throw new VerificationError(
      "TLOG_ENTRY_NOT_FOUND",
      "Cannot verify the transparency log entry: rekor client not provided for online verification",
    );
  }
  const { hashingReader } = await import("../rekor/blob_bundle.ts");
  const { findTlogEntry } = await import("../rekor/find_entry.ts");
  const hashed = hashingReader(options.input, "sha256");
  await verifySignature({ publicKey, hash: options.hash, signature, reader: hashed.reader });
  await findTlogEntry({
    client: options.rekor,
    logKey: options.rekorPublicKey,
    signature,
    publicKey,
    digest: await hashed.digest(),
  });
}
