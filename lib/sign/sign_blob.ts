/**
 * Signs a blob and, as cosign 2 does by default, records the signature in a Rekor transparency log
 * (a hashedrekord v0.0.1 entry: the blob's digest, the signature and the public key), returning
 * what cosign's bundle file holds.
 *
 * @module
 */
import { isCertifiedSigner, uploadedVerifier } from "./_uploaded_verifier.ts";
import { hashingReader, marshalLocalBundle } from "../rekor/blob_bundle.ts";
import { hashedRekordProposal, RekorClient } from "../rekor/client.ts";
import type { LogKeySelector, RekorEntry } from "../rekor/verify_entry.ts";
import { uploadEntry } from "../rekor/upload_entry.ts";
import { uploadLogKey } from "../rekor/verify_uploaded_entry.ts";
import type { PublicKey } from "../keys/public_key.ts";
import type { ByteReader } from "../stream.ts";
import type { Signer } from "../signature/signer.ts";
import type { Timestamper } from "./timestamp_signature.ts";

/** Options for {@link signBlob}. */
export interface SignBlobOptions {
  signer: Signer;
  input: ByteReader;
  /** Upload to this Rekor (cosign `--rekor-url`); omitted means `--tlog-upload=false`. */
  rekorUrl?: string;
  /**
   * The log key the log's answer is checked with (SIGSTORE_REKOR_PUBLIC_KEY, or a trusted root's
   * logs); without it, the key the log serves (`GET /api/v1/log/publicKey`), as cosign does.
   */
  logKey?: PublicKey | LogKeySelector;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** The clock in milliseconds (default `Date.now`). */
  now?: () => number;
  /**
   * Timestamps the raw signature (`--timestamp-server-url`), before the log upload as cosign
   * does; omitted means no timestamp.
   */
  timestamper?: Timestamper;
}

/** What {@link signBlob} produced. */
export interface SignedBlob {
  signature: Uint8Array;
  /** The log entry (with its signed entry timestamp), when uploaded. */
  entry?: RekorEntry & { logIndex: number };
  /** The digest of the blob, with the signer's hash. */
  digest: Uint8Array;
  /** The DER TimeStampResp over the signature, when a timestamper was given. */
  timestamp?: Uint8Array;
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
 * entry. An entry the log already had (409) is fetched and used, as cosign does. Either way the
 * log's answer must be this signature's entry, signed by the log (lib/rekor verifyUploadedEntry),
 * before it is returned: nothing is produced from an answer about anything else. With a
 * timestamper, the signature is timestamped first (cosign sign_blob.go); a refused timestamp
 * stops before the log is written to.
 *
 * @throws {SigstoreError} `TLOG_REQUEST_FAILED` when the log cannot be reached or refuses the entry
 * @throws whatever the timestamper throws ({VerificationError} `TIMESTAMP_*`, {IoError})
 * @throws {VerificationError} with the `TLOG_*` code of the check the log's answer failed
 */
export async function signBlob(options: SignBlobOptions): Promise<SignedBlob> {
  const { signer } = options;
  const hashed = hashingReader(options.input, signer.hash);
  const signature = await signer.sign(hashed.reader);
  const digest = await hashed.digest();
  const timestamp = options.timestamper ? await options.timestamper(signature) : undefined;
  let entry: SignedBlob["entry"];
  // A keyless signer's entry records its certificate (cosign sign_blob.go: rekorBytes).
  const verifier = uploadedVerifier(signer);
  const cert = isCertifiedSigner(signer) ? signer : undefined;
  if (options.rekorUrl !== undefined) {
    const client = new RekorClient(options.rekorUrl, {
      fetch: options.fetch,
      signal: options.signal,
    });
    entry = await uploadEntry(
      client,
      hashedRekordProposal({
        algorithm: signer.hash,
        digest,
        signature,
        publicKeyPem: verifier.pem,
      }),
      {
        kind: "hashedrekord",
        signature,
        keyDer: verifier.der,
        digest: { algorithm: signer.hash, value: digest },
      },
      {
        logKey: uploadLogKey(options.logKey, client),
        rekorUrl: options.rekorUrl,
        now: options.now,
      },
    );
  }
  return {
    signature,
    entry,
    digest,
    timestamp,
    // cosign's LocalSignedPayload.Cert: base64 of the certificate PEM.
    bundle: () =>
      marshalLocalBundle({
        base64Signature: signature.toBase64(),
        cert: cert ? new TextEncoder().encode(cert.certificatePem).toBase64() : undefined,
        entry,
      }),
    async newBundle() {
      const { keyMessageBundle, marshalBundle } = await import("../bundle/mod.ts");
      return marshalBundle(
        await keyMessageBundle({
          spki: signer.publicKey.spki,
          certificate: cert?.certificateDer,
          algorithm: signer.hash,
          digest,
          signature,
          entry,
          timestamps: timestamp ? [timestamp] : [],
        }),
      );
    },
  };
}
