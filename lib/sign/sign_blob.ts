/**
 * Signs a blob and, as cosign 2 does by default, records the signature in a Rekor transparency log
 * (a hashedrekord v0.0.1 entry: the blob's digest, the signature and the public key), returning
 * what cosign's bundle file holds.
 *
 * @module
 */
import { SigstoreError } from "../errors.ts";
import { marshalPublicKeyPem } from "../keys/public_key.ts";
import { hashingReader, marshalLocalBundle } from "../rekor/blob_bundle.ts";
import { RekorClient } from "../rekor/client.ts";
import { verifyTlogEntry } from "../rekor/verify_entry.ts";
import type { RekorEntry } from "../rekor/verify_entry.ts";
import type { PublicKey } from "../keys/public_key.ts";
import type { ByteReader } from "../stream.ts";
import type { Signer } from "../signature/signer.ts";

/** Options for {@link signBlob}. */
export interface SignBlobOptions {
  signer: Signer;
  input: ByteReader;
  /** Upload to this Rekor (cosign `--rekor-url`); omitted means `--tlog-upload=false`. */
  rekorUrl?: string;
  /** When given, the entry the log returns is verified against this log key before use. */
  rekorPublicKey?: PublicKey;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/** What {@link signBlob} produced. */
export interface SignedBlob {
  signature: Uint8Array;
  /** The log entry (with its signed entry timestamp), when uploaded. */
  entry?: RekorEntry & { logIndex: number };
  /** The digest of the blob, with the signer's hash. */
  digest: Uint8Array;
  /** cosign's bundle JSON (`sign-blob --bundle`). */
  bundle(): string;
  /**
   * The Sigstore bundle v0.3 JSON (`sign-blob --new-bundle-format --bundle`): the key hint, the
   * log entry when there is one, and the message signature.
   *
   * @throws {SigstoreError} `TLOG_ENTRY_INVALID` when the log's entry has no inclusion proof
   */
  newBundle(): Promise<string>;
}

/**
 * Streams the blob through the signer (hashing it for the log entry on the way) and uploads the
 * entry. An entry the log already had (409) is fetched and used, as cosign does.
 *
 * @throws {SigstoreError} `TLOG_REQUEST_FAILED` when the log cannot be reached or refuses the entry
 * @throws {VerificationError} when `rekorPublicKey` is given and the returned entry does not verify
 */
export async function signBlob(options: SignBlobOptions): Promise<SignedBlob> {
  const { signer } = options;
  const hashed = hashingReader(options.input, signer.hash);
  const signature = await signer.sign(hashed.reader);
  const digest = await hashed.digest();
  let entry: SignedBlob["entry"];
  if (options.rekorUrl !== undefined) {
    const client = new RekorClient(options.rekorUrl, {
      fetch: options.fetch,
      signal: options.signal,
    });
    try {
      entry = await client.createEntry({
        algorithm: signer.hash,
        digest,
        signature,
        publicKeyPem: new TextEncoder().encode(marshalPublicKeyPem(signer.publicKey)),
      });
    } catch (e) {
      if (e instanceof SigstoreError && e.code !== "NETWORK") throw e;
      throw new SigstoreError(
        "TLOG_REQUEST_FAILED",
        `Cannot upload to the transparency log ${options.rekorUrl}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    if (options.rekorPublicKey) {
      await verifyTlogEntry(entry, {
        logKey: options.rekorPublicKey,
        binding: {
          signature,
          keyDer: signer.publicKey.spki,
          digest: { algorithm: signer.hash, value: digest },
        },
      });
    }
  }
  return {
    signature,
    entry,
    digest,
    bundle: () => marshalLocalBundle({ base64Signature: signature.toBase64(), entry }),
    async newBundle() {
      const { keyMessageBundle, marshalBundle } = await import("../bundle/mod.ts");
      return marshalBundle(
        await keyMessageBundle({
          spki: signer.publicKey.spki,
          algorithm: signer.hash,
          digest,
          signature,
          entry,
        }),
      );
    },
  };
}
