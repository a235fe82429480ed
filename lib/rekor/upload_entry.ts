/**
 * Uploading an entry to the transparency log and accepting the answer only once it is checked to
 * be that entry (lib/rekor verifyUploadedEntry): the one upload path of every signer (image
 * signatures, blobs, attestations).
 *
 * @module
 */
import { SigstoreError } from "../errors.ts";
import type { PublicKey } from "../keys/public_key.ts";
import type { RekorClient, RekorLogEntry } from "./client.ts";
import type { LogKeySelector } from "./verify_entry.ts";
import { type UploadedEntry, verifyUploadedEntry } from "./verify_uploaded_entry.ts";

/** How an uploader (lib/sign rekorWitness, envelopeUploader) reaches the log and checks it. */
export interface RekorUploaderOptions {
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /**
   * The log key to check answers with (SIGSTORE_REKOR_PUBLIC_KEY or a trusted root's logs);
   * without it, the key the log serves, as cosign does.
   */
  logKey?: PublicKey | LogKeySelector;
  /** The clock, in milliseconds (default `Date.now`). */
  now?: () => number;
}

/** How {@link uploadEntry} reports and checks. */
export interface UploadEntryOptions {
  /** The log key to check the answer with, e.g. from {@link uploadLogKey}. */
  logKey: () => Promise<PublicKey | LogKeySelector>;
  /** The log's URL as the user gave it, for messages (default: the client's base URL). */
  rekorUrl?: string;
  /** The clock, in milliseconds (default `Date.now`). */
  now?: () => number;
}

/**
 * Uploads `proposal` (a 409 fetches the existing entry, as cosign's doUpload does) and verifies
 * the log's answer against `uploaded`.
 *
 * @param client the log
 * @param proposal the proposed entry ({@link hashedRekordProposal}, {@link envelopeProposal})
 * @param uploaded what the proposal carries, to check the answer against
 * @param options the log key, the URL for messages and the clock
 * @returns the entry, `existed` when the log already had it
 * @throws {SigstoreError} `TLOG_REQUEST_FAILED` "Cannot upload to the transparency log <url>: …"
 *   when the log cannot be reached; the client's `TLOG_REQUEST_FAILED` / `TLOG_ENTRY_INVALID`
 *   when it refuses the entry or answers nonsense
 * @throws {VerificationError} with the `TLOG_*` code of the check the answer failed
 */
export async function uploadEntry(
  client: RekorClient,
  proposal: Record<string, unknown>,
  uploaded: UploadedEntry,
  options: UploadEntryOptions,
): Promise<RekorLogEntry & { existed: boolean }> {
  const now = options.now ?? Date.now;
  const sentAt = now();
  let entry;
  try {
    entry = await client.createProposedEntry(proposal);
  } catch (e) {
    if (e instanceof SigstoreError && e.code !== "NETWORK") throw e;
    throw new SigstoreError(
      "TLOG_REQUEST_FAILED",
      `Cannot upload to the transparency log ${options.rekorUrl ?? client.baseUrl}: ${
        (e as Error).message
      }`,
      { cause: e },
    );
  }
  await verifyUploadedEntry(entry, uploaded, {
    logKey: await options.logKey(),
    sentAt,
    now: now(),
  });
  return entry;
}
