/**
 * Tools for tests of a transparency log that lies: real entries from the local Rekor peer
 * (tests/peers/rekor.ts), changed and then re-signed with the log's own private key, so that the
 * SET and checkpoint signatures verify and only the check under test can catch the lie.
 *
 * @module
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign } from "node:crypto";
import { canonicalJson } from "../../lib/rekor/canonical_json.ts";
import type { RekorEntry } from "../../lib/rekor/verify_entry.ts";

/** The log's signing key. */
export interface LogSigner {
  privateKey: KeyObject;
  /** DER of the log key's SPKI. */
  spki: Uint8Array;
}

/**
 * Loads the Rekor peer's private key.
 *
 * @param path `RekorPeer.privateKeyPath`
 * @returns the signer
 */
export async function loadLogSigner(path: string): Promise<LogSigner> {
  const privateKey = createPrivateKey(await Deno.readTextFile(path));
  const spki = new Uint8Array(
    createPublicKey(privateKey).export({ type: "spki", format: "der" }),
  );
  return { privateKey, spki };
}

/**
 * A copy of `entry` with its SET re-signed over its (possibly changed) body, time, log ID and
 * index, as Rekor signs it (canonical JSON, ECDSA P-256 with SHA-256).
 *
 * @returns the entry with a valid SET
 */
export function resignSet<T extends RekorEntry>(entry: T, log: LogSigner): T {
  const payload = canonicalJson({
    body: entry.body,
    integratedTime: entry.integratedTime,
    logID: entry.logID,
    logIndex: entry.logIndex,
  });
  const set = new Uint8Array(sign("sha256", new TextEncoder().encode(payload), log.privateKey));
  return {
    ...entry,
    verification: { ...entry.verification, signedEntryTimestamp: set.toBase64() },
  };
}

/**
 * A checkpoint (signed note) re-signed by the log key, with the v1 key hint (first 4 bytes of
 * SHA-256 of the SPKI, which are the first 4 bytes of the log ID).
 *
 * @param note the note text: origin, size, base64 root hash, each followed by "\n"
 * @param name the signature line's name
 * @param logId the log ID (hex), for the key hint
 * @returns the checkpoint text
 */
export function signCheckpoint(
  note: string,
  name: string,
  logId: string,
  log: LogSigner,
): string {
  const sig = new Uint8Array(sign("sha256", new TextEncoder().encode(note), log.privateKey));
  const hint = Uint8Array.fromHex(logId.slice(0, 8));
  const blob = new Uint8Array(4 + sig.length);
  blob.set(hint);
  blob.set(sig, 4);
  return `${note}\n\u2014 ${name} ${blob.toBase64()}\n`;
}

/**
 * A copy of `entry` whose checkpoint has another origin line, re-signed by the log key (its size
 * and root hash unchanged, so only the origin is wrong).
 *
 * @returns the entry
 */
export function withCheckpointOrigin<T extends RekorEntry>(
  entry: T,
  origin: string,
  log: LogSigner,
): T {
  const proof = entry.verification!.inclusionProof!;
  const lines = proof.checkpoint!.split("\n");
  const note = `${origin}\n${lines[1]}\n${lines[2]}\n`;
  const name = origin.split(" - ")[0] || "rekor.local";
  return {
    ...entry,
    verification: {
      ...entry.verification,
      inclusionProof: { ...proof, checkpoint: signCheckpoint(note, name, entry.logID, log) },
    },
  };
}

/** Flips one bit in the middle of base64 data. */
export function flipBase64(b64: string): string {
  const bytes = Uint8Array.fromBase64(b64);
  bytes[bytes.length >> 1] ^= 1;
  return bytes.toBase64();
}
