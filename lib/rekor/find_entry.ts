/**
 * Online transparency-log verification, as cosign 2 does it for a signature that carries no bundle
 * (pkg/cosign/verify.go tlogValidateEntry, pkg/cosign/tlog.go FindTlogEntry, proposedEntries,
 * verifyUUID, VerifyTLogEntryOffline): the hashedrekord entry the signature would have is proposed
 * to `POST /api/v1/log/entries/retrieve`; every returned entry must have a UUID that is the hash of
 * its body, and verify with the trusted log key (log ID, SET, time, inclusion proof, checkpoint)
 * and be about this very signature, key and digest. The earliest integrated entry is kept.
 * Attestations (an envelope, no raw signature) propose a dsse and an intoto entry instead
 * (lib/rekor/attestation_tlog.ts findEnvelopeEntry), checked the same way.
 *
 * @module
 */
import { SigstoreError, VerificationError } from "../errors.ts";
import { marshalPublicKeyPem, type PublicKey } from "../keys/public_key.ts";
import { hashedRekordProposal, type RekorClient, type RekorLogEntry } from "./client.ts";
import { hashLeaf } from "./merkle.ts";
import { type LogKeySelector, treeIdOfUuid, verifyTlogEntry } from "./verify_entry.ts";

/** At most this many returned entries are verified (one log normally returns one). */
export const MAX_FOUND_ENTRIES = 16;

/** What to look up and how to trust it. */
export interface FindTlogEntryOptions {
  client: RekorClient;
  /** The trusted log key (SIGSTORE_REKOR_PUBLIC_KEY), or a selector (from a trusted root). */
  logKey: PublicKey | LogKeySelector;
  /** The raw signature. */
  signature: Uint8Array;
  /** The key the signature is verified with (logged as its PEM). */
  publicKey: PublicKey;
  /** SHA-256 of the signed payload or blob (cosign always proposes sha256). */
  digest: Uint8Array;
  /** The current time in milliseconds (default `Date.now()`). */
  now?: number;
}

function entryUuidMatchesBody(e: RekorLogEntry): boolean {
  const uuid = e.uuid.slice(-64).toLowerCase();
  try {
    return hashLeaf(Uint8Array.fromBase64(e.body)).toHex() === uuid;
  } catch {
    return false;
  }
}

/** What {@link findVerifiedEntry} proposes and how it checks each entry found. */
export interface FindVerifiedEntryOptions {
  client: RekorClient;
  /** The proposed entries, searched in one request (cosign proposedEntries). */
  proposals: Record<string, unknown>[];
  /**
   * Every check of one returned entry (log key, SET, time, inclusion proof, checkpoint, binding).
   * Throws a {@link VerificationError} when the entry does not pass.
   */
  verify: (entry: RekorLogEntry) => Promise<void>;
  /** What an entry failing the binding is about, for the message ("another signature, …"). */
  other: string;
}

/**
 * The online lookup of cosign's tlogValidateEntry, for any proposed entries: search, then keep the
 * earliest integrated entry whose UUID is the leaf hash of its body and that passes `verify`.
 *
 * @returns the earliest integrated entry that passed every check
 * @throws {SigstoreError} `TLOG_REQUEST_FAILED` when the log cannot be reached or answers with an
 *   error (after the client's bounded retries); {VerificationError} `TLOG_ENTRY_NOT_FOUND` when
 *   the log has no such entry; otherwise the code of the failed check of the (first) returned
 *   entry: `TLOG_LOG_KEY_UNKNOWN`, `TLOG_SET_INVALID`, `TLOG_TIME_INVALID`,
 *   `TLOG_INCLUSION_INVALID`, `TLOG_CHECKPOINT_INVALID`, `TLOG_ENTRY_MISMATCH`, `TLOG_ENTRY_INVALID`
 */
export async function findVerifiedEntry(o: FindVerifiedEntryOptions): Promise<RekorLogEntry> {
  let found: RekorLogEntry[];
  try {
    found = await o.client.searchProposedEntries(o.proposals);
  } catch (e) {
    if (e instanceof SigstoreError && e.code !== "NETWORK") throw e;
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new SigstoreError(
      "TLOG_REQUEST_FAILED",
      `Cannot search the transparency log ${o.client.baseUrl}: ${
        (e as Error).message.replace(/^Cannot reach \S+: /, "")
      }`,
      { cause: e },
    );
  }
  if (found.length === 0) {
    throw new VerificationError(
      "TLOG_ENTRY_NOT_FOUND",
      "Cannot find the transparency log entry: signature not found in transparency log",
    );
  }
  const errors: VerificationError[] = [];
  let best: RekorLogEntry | undefined;
  for (const entry of found.slice(0, MAX_FOUND_ENTRIES)) {
    try {
      if (!entryUuidMatchesBody(entry)) {
        throw new VerificationError(
          "TLOG_ENTRY_MISMATCH",
          `Cannot verify transparency log entry: computed leaf hash did not match UUID ${entry.uuid}`,
        );
      }
      await o.verify(entry);
    } catch (e) {
      if (!(e instanceof VerificationError)) throw e;
      errors.push(
        e.code === "TLOG_ENTRY_MISMATCH" && !/UUID/.test(e.message)
          ? new VerificationError(
            "TLOG_ENTRY_MISMATCH",
            `Cannot verify transparency log entry: the log returned an entry for ${o.other} (${
              e.message.replace(/^Cannot verify transparency log entry: /, "")
            })`,
            { cause: e },
          )
          : e,
      );
      continue;
    }
    if (!best || entry.integratedTime < best.integratedTime) best = entry;
  }
  if (best) return best;
  if (errors.length === 1) throw errors[0];
  throw new VerificationError(
    errors[0].code,
    `Cannot verify transparency log entries: no valid tlog entries found: ${
      errors.map((e) => e.message).join(", ")
    }`,
    { cause: new AggregateError(errors) },
  );
}

/**
 * Finds and verifies the log entry of a signature that has no bundle: the hashedrekord entry it
 * would have is proposed ({@link findVerifiedEntry}).
 *
 * @returns the earliest integrated entry that passed every check
 * @throws the errors of {@link findVerifiedEntry}
 */
export function findTlogEntry(o: FindTlogEntryOptions): Promise<RekorLogEntry> {
  return findVerifiedEntry({
    client: o.client,
    proposals: [hashedRekordProposal({
      algorithm: "sha256",
      digest: o.digest,
      signature: o.signature,
      publicKeyPem: new TextEncoder().encode(marshalPublicKeyPem(o.publicKey)),
    })],
    verify: (entry) =>
      verifyTlogEntry(entry, {
        logKey: o.logKey,
        requireInclusionProof: true,
        treeId: treeIdOfUuid(entry.uuid),
        binding: {
          signature: o.signature,
          keyDer: o.publicKey.spki,
          digest: { algorithm: "sha256", value: o.digest },
        },
        now: o.now,
      }),
    other: "another signature, key or artifact",
  });
}
