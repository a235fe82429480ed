/**
 * Verifying a Rekor v1 log entry, the checks of cosign pkg/cosign/tlog.go
 * (VerifyTLogEntryOffline), pkg/cosign/verify.go (VerifyBundle, VerifySET, compareSigs,
 * comparePublicKey, bundleHash) and Rekor pkg/verify, as separate named steps, each with its
 * own error code:
 *
 * 1. log key: the entry's logID is SHA-256 of the trusted log key's SPKI (`TLOG_LOG_KEY_UNKNOWN`)
 * 2. SET: ECDSA over canonical `{"body","integratedTime","logID","logIndex"}` (`TLOG_SET_INVALID`)
 * 3. time: integratedTime not in the future (`TLOG_TIME_INVALID`)
 * 4. inclusion proof against the shard-local index (`TLOG_INCLUSION_INVALID`)
 * 5. checkpoint signed by the log key, same root and size (`TLOG_CHECKPOINT_INVALID`)
 * 6. binding: the hashedrekord body names this signature, key and artifact digest
 *    (`TLOG_ENTRY_MISMATCH`)
 *
 * @module
 */
import { sha256 } from "../digest.ts";
import { VerificationError } from "../errors.ts";
import type { PublicKey } from "../keys/public_key.ts";
import { bytesReader } from "../stream.ts";
import { verifySignature } from "../signature/verify_signature.ts";
import { canonicalJson } from "./canonical_json.ts";
import { verifyCheckpoint } from "./checkpoint.ts";
import { parseEntryBody } from "./entry_body.ts";
import { hashLeaf, verifyInclusion } from "./merkle.ts";

/** An inclusion proof as the Rekor v1 API returns it (hashes hex). */
export interface RekorInclusionProof {
  /** The index within the shard (tree), not the global log index. */
  logIndex: number;
  treeSize: number;
  rootHash: string;
  hashes: string[];
  checkpoint?: string;
}

/** A log entry as the Rekor v1 API returns it (models.LogEntryAnon). */
export interface RekorEntry {
  /** Base64 of the canonical entry body. */
  body: string;
  integratedTime: number;
  /** Hex SHA-256 of the log key's SPKI. */
  logID: string;
  /** The global log index. */
  logIndex: number;
  verification?: {
    /** Base64 of the SET (ASN.1 ECDSA signature). */
    signedEntryTimestamp?: string;
    inclusionProof?: RekorInclusionProof;
  };
}

/** What the entry must be about (cosign's compareSigs, comparePublicKey, bundleHash). */
export interface EntryBinding {
  /** The raw signature bytes being verified. */
  signature: Uint8Array;
  /** DER of the verification key's SPKI, or of the certificate. */
  keyDer: Uint8Array;
  /** The artifact digest. */
  digest: { algorithm: "sha256" | "sha384" | "sha512"; value: Uint8Array };
}

/** Options for {@link verifyTlogEntry}. */
export interface VerifyTlogEntryOptions {
  /** The trusted log key, or a selector picking it for each entry (a trusted root's logs). */
  logKey: PublicKey | LogKeySelector;
  /** Require (and verify) an inclusion proof and checkpoint (online lookups); a bundle has none. */
  requireInclusionProof?: boolean;
  /** When given, the entry must be about this signature, key and digest. */
  binding?: EntryBinding;
  /** The current time (default `Date.now()`), in milliseconds. */
  now?: number;
  /**
   * With `requireInclusionProof`: the tree the entry is in (from its UUID, {@link treeIdOfUuid});
   * the checkpoint must be that tree's head.
   */
  treeId?: bigint;
}

/**
 * Picks the key of the log an entry names, checking that the log is trusted for it (a trusted
 * root's logs: lib/trust rekorLogKeySelector).
 *
 * @throws {VerificationError} `TLOG_LOG_KEY_UNKNOWN`, `TLOG_TIME_INVALID`
 */
export type LogKeySelector = (entry: RekorEntry) => PublicKey;

/**
 * Step 1 for a given key or a selector: the selector picks (and vouches for) the key; a single
 * key must be the one the entry's log ID names ({@link verifyLogId}).
 *
 * @returns the key to verify the entry with
 */
export function selectLogKey(entry: RekorEntry, logKey: PublicKey | LogKeySelector): PublicKey {
  if (typeof logKey === "function") return logKey(entry);
  verifyLogId(entry, logKey);
  return logKey;
}

const MAX_BODY_BASE64 = 1024 * 1024;

function err(
  code: ConstructorParameters<typeof VerificationError>[0],
  msg: string,
  cause?: unknown,
) {
  return new VerificationError(code, msg, cause === undefined ? undefined : { cause });
}

function stdBase64(text: unknown, what: string): Uint8Array {
  if (
    typeof text !== "string" || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)
  ) {
    throw err("TLOG_ENTRY_INVALID", `Cannot read transparency log entry: ${what} is not base64`);
  }
  return Uint8Array.fromBase64(text);
}

function hexBytes(
  text: unknown,
  what: string,
  code: "TLOG_ENTRY_INVALID" | "TLOG_INCLUSION_INVALID",
): Uint8Array {
  if (typeof text !== "string" || !/^([0-9a-fA-F]{2})*$/.test(text)) {
    throw err(code, `Cannot read transparency log entry: ${what} is not hex`);
  }
  return Uint8Array.fromHex(text.toLowerCase());
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function isInt(n: unknown): n is number {
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
}

/**
 * Checks the shape of a decoded log entry (one value of a `{uuid: entry}` API response).
 *
 * @param value parsed JSON
 * @returns the entry
 * @throws {VerificationError} `TLOG_ENTRY_INVALID` when a field is missing or of the wrong type
 */
export function parseRekorEntry(value: unknown): RekorEntry {
  const bad = (field: string) =>
    err("TLOG_ENTRY_INVALID", `Cannot read transparency log entry: invalid ${field}`);
  if (typeof value !== "object" || value === null) throw bad("entry");
  const e = value as Record<string, unknown>;
  if (typeof e.body !== "string" || e.body.length > MAX_BODY_BASE64) throw bad("body");
  if (!isInt(e.integratedTime)) throw bad("integratedTime");
  if (!isInt(e.logIndex)) throw bad("logIndex");
  if (typeof e.logID !== "string") throw bad("logID");
  const out: RekorEntry = {
    body: e.body,
    integratedTime: e.integratedTime,
    logID: e.logID,
    logIndex: e.logIndex,
  };
  if (e.verification !== undefined) {
    const v = e.verification as Record<string, unknown>;
    if (typeof v !== "object" || v === null) throw bad("verification");
    out.verification = {};
    if (v.signedEntryTimestamp !== undefined) {
      if (typeof v.signedEntryTimestamp !== "string") throw bad("signedEntryTimestamp");
      out.verification.signedEntryTimestamp = v.signedEntryTimestamp;
    }
    if (v.inclusionProof !== undefined) {
      const p = v.inclusionProof as Record<string, unknown>;
      if (typeof p !== "object" || p === null) throw bad("inclusionProof");
      if (!isInt(p.logIndex)) throw bad("inclusionProof.logIndex");
      if (!isInt(p.treeSize)) throw bad("inclusionProof.treeSize");
      if (typeof p.rootHash !== "string") throw bad("inclusionProof.rootHash");
      if (
        !Array.isArray(p.hashes) || p.hashes.length > 64 ||
        !p.hashes.every((h) => typeof h === "string")
      ) {
        throw bad("inclusionProof.hashes");
      }
      if (p.checkpoint !== undefined && typeof p.checkpoint !== "string") {
        throw bad("inclusionProof.checkpoint");
      }
      out.verification.inclusionProof = {
        logIndex: p.logIndex,
        treeSize: p.treeSize,
        rootHash: p.rootHash,
        hashes: p.hashes as string[],
        checkpoint: p.checkpoint as string | undefined,
      };
    }
  }
  return out;
}

/**
 * The log ID of a Rekor v1 log: hex SHA-256 of its key's SPKI DER
 * (cosign GetTransparencyLogID).
 *
 * @returns 64 lowercase hex digits
 */
export function logIdOf(logKey: PublicKey): string {
  return sha256(logKey.spki).toHex();
}

/**
 * Step 1: the entry was made by the trusted log.
 *
 * @throws {VerificationError} `TLOG_LOG_KEY_UNKNOWN`
 */
export function verifyLogId(entry: RekorEntry, logKey: PublicKey): void {
  if (entry.logID.toLowerCase() !== logIdOf(logKey)) {
    throw err(
      "TLOG_LOG_KEY_UNKNOWN",
      "Cannot verify transparency log entry: rekor log public key not found for payload (log ID " +
        `${entry.logID} is not the trusted log key's ${logIdOf(logKey)})`,
    );
  }
}

/**
 * The bytes a SET signs: RFC 8785 canonical JSON of body, integratedTime, logID and logIndex
 * (the global index), as cosign VerifySET builds them.
 *
 * @returns UTF-8 bytes
 */
export function setPayload(entry: RekorEntry): Uint8Array {
  return new TextEncoder().encode(canonicalJson({
    body: entry.body,
    integratedTime: entry.integratedTime,
    logID: entry.logID,
    logIndex: entry.logIndex,
  }));
}

/**
 * Step 2: the signed entry timestamp verifies with the log key.
 *
 * @throws {VerificationError} `TLOG_SET_INVALID`
 */
export async function verifySet(entry: RekorEntry, logKey: PublicKey): Promise<void> {
  const set = entry.verification?.signedEntryTimestamp;
  if (!set) {
    throw err("TLOG_SET_INVALID", "Cannot verify signed entry timestamp: none in the entry");
  }
  let signature: Uint8Array;
  try {
    signature = stdBase64(set, "signedEntryTimestamp");
  } catch (e) {
    throw err("TLOG_SET_INVALID", "Cannot verify signed entry timestamp: not base64", e);
  }
  try {
    await verifySignature({
      publicKey: logKey,
      hash: "sha256",
      signature,
      reader: bytesReader(setPayload(entry)),
    });
  } catch (e) {
    throw err("TLOG_SET_INVALID", "Cannot verify signed entry timestamp: unable to verify SET", e);
  }
}

/**
 * Step 3: the log did not integrate the entry in the future.
 *
 * @throws {VerificationError} `TLOG_TIME_INVALID`
 */
export function verifyIntegratedTime(entry: RekorEntry, now: number = Date.now()): void {
  // A little slack for clock skew between the log and us.
  if (entry.integratedTime * 1000 > now + 5 * 60_000) {
    throw err(
      "TLOG_TIME_INVALID",
      `Cannot verify transparency log entry: integrated time ${entry.integratedTime} is in the future`,
    );
  }
}

/** Options for {@link verifyInclusionProof}. */
export interface InclusionProofOptions {
  /**
   * The checkpoint key hint of the log key (default: Rekor v1's, the first 4 bytes of SHA-256
   * of its SPKI; Rekor v2 Ed25519 logs use the C2SP signed-note key ID).
   */
  keyHint?: Uint8Array;
  /** When given, the checkpoint's origin line must be exactly this (Rekor v2: the log's host). */
  origin?: string;
  /**
   * Rekor v1: the tree (shard) the entry is in, from its 80-hex UUID ({@link treeIdOfUuid}). The
   * checkpoint's origin must then be `<log name> - <treeId>` (Rekor's CreateAndSignCheckpoint),
   * compared as text: a tree head of another tree, or an origin of any other form, fails.
   */
  treeId?: bigint;
}

/**
 * The tree (shard) ID an 80-hex Rekor v1 entry UUID starts with (Rekor pkg/sharding: 16 hex
 * digits of the int64 tree ID, then the 64-hex leaf hash).
 *
 * @param uuid an entry UUID
 * @returns the tree ID, or undefined for a 64-hex UUID (no tree named) or anything else
 */
export function treeIdOfUuid(uuid: string): bigint | undefined {
  if (!/^[0-9a-fA-F]{80}$/.test(uuid)) return undefined;
  return BigInt(`0x${uuid.slice(0, 16)}`);
}

/**
 * Whether a checkpoint origin is Rekor v1's `<log name> - <treeId>` for this tree: the text after
 * the last " - " must be the tree ID's decimal digits exactly, and the name before it non-empty.
 * Compared as text, never as a pattern: an origin is data the log signed, not a regular
 * expression.
 *
 * @returns true when it is
 */
export function isV1OriginOf(origin: string, treeId: bigint): boolean {
  const at = origin.lastIndexOf(" - ");
  return at > 0 && origin.slice(at + 3) === treeId.toString();
}

/**
 * Steps 4 and 5: the inclusion proof leads from the body's leaf hash to the root, and the
 * checkpoint signed by the log key names that root and tree size.
 *
 * @throws {VerificationError} `TLOG_INCLUSION_INVALID` or `TLOG_CHECKPOINT_INVALID`
 */
export async function verifyInclusionProof(
  entry: RekorEntry,
  logKey: PublicKey,
  options: InclusionProofOptions = {},
): Promise<void> {
  const proof = entry.verification?.inclusionProof;
  if (!proof) {
    throw err(
      "TLOG_INCLUSION_INVALID",
      "Cannot verify inclusion proof: inclusion proof not provided",
    );
  }
  const hashes = proof.hashes.map((h, i) =>
    hexBytes(h, `inclusion proof hash ${i}`, "TLOG_INCLUSION_INVALID")
  );
  const root = hexBytes(proof.rootHash, "root hash", "TLOG_INCLUSION_INVALID");
  const body = stdBase64(entry.body, "body");
  verifyInclusion(BigInt(proof.logIndex), BigInt(proof.treeSize), hashLeaf(body), hashes, root);
  if (proof.checkpoint === undefined) {
    throw err("TLOG_CHECKPOINT_INVALID", "Cannot verify checkpoint: none in the inclusion proof");
  }
  const cp = await verifyCheckpoint(proof.checkpoint, logKey, options.keyHint);
  if (options.treeId !== undefined && !isV1OriginOf(cp.origin, options.treeId)) {
    throw err(
      "TLOG_CHECKPOINT_INVALID",
      `Cannot verify checkpoint: origin ${
        JSON.stringify(cp.origin)
      } is not the tree head of tree ${options.treeId}`,
    );
  }
  if (options.origin !== undefined && cp.origin !== options.origin) {
    throw err(
      "TLOG_CHECKPOINT_INVALID",
      `Cannot verify checkpoint: origin ${JSON.stringify(cp.origin)} is not the log's ${
        JSON.stringify(options.origin)
      }`,
    );
  }
  if (!equal(cp.rootHash, root)) {
    throw err(
      "TLOG_CHECKPOINT_INVALID",
      `Cannot verify checkpoint: proof root hash does not match signed tree head, expected ${proof.rootHash} got ${cp.rootHash.toHex()}`,
    );
  }
  if (cp.size !== BigInt(proof.treeSize)) {
    throw err(
      "TLOG_CHECKPOINT_INVALID",
      `Cannot verify checkpoint: tree size ${cp.size} does not match the proof's ${proof.treeSize}`,
    );
  }
}

/** The fields of a hashedrekord v0.0.1 body cosign compares. */
export interface HashedRekordBody {
  algorithm: string;
  /** Hex digest. */
  digest: string;
  signature: Uint8Array;
  /** DER of the public key or certificate the entry names. */
  keyDer: Uint8Array;
}

/**
 * Decodes a hashedrekord v0.0.1 entry body (Rekor pkg/types/hashedrekord/v0.0.1; cosign 1.x's
 * x509 `rekord` 0.0.1 entries read the same), through the one body parser (entry_body.ts).
 *
 * @param body the base64 body
 * @throws {VerificationError} `TLOG_ENTRY_INVALID` for any other kind or a malformed body
 */
export function parseHashedRekordBody(body: string): HashedRekordBody {
  const b = parseEntryBody(body);
  const sig = b.signatures[0];
  if (b.kind !== "hashedrekord" || b.apiVersion !== "0.0.1" || !b.digest || !sig?.signature) {
    throw err(
      "TLOG_ENTRY_INVALID",
      `Cannot read transparency log entry: unsupported entry kind ${b.kind} ${b.apiVersion}`,
    );
  }
  return {
    algorithm: b.digest.algorithm,
    digest: b.digest.value.toHex(),
    signature: sig.signature,
    keyDer: sig.verifier,
  };
}

/**
 * Step 6: the entry is about this signature, this key and this artifact — an entry spliced
 * from another signature is rejected.
 *
 * @throws {VerificationError} `TLOG_ENTRY_MISMATCH`, or `TLOG_ENTRY_INVALID` for a body that
 *   is not hashedrekord v0.0.1
 */
export function verifyEntryBinding(entry: RekorEntry, binding: EntryBinding): void {
  const b = parseHashedRekordBody(entry.body);
  const mismatch = (d: string) =>
    err("TLOG_ENTRY_MISMATCH", `Cannot verify transparency log entry: ${d}`);
  if (!equal(b.signature, binding.signature)) {
    throw mismatch("signature in bundle does not match signature being verified");
  }
  if (!equal(b.keyDer, binding.keyDer)) {
    throw mismatch("public key in the entry does not match the verification key");
  }
  if (b.algorithm !== binding.digest.algorithm) {
    throw mismatch(`unexpected algorithm: "${b.algorithm}"`);
  }
  if (b.digest.toLowerCase() !== binding.digest.value.toHex()) {
    throw mismatch(
      `matching bundle to payload: bundle="${b.digest}", payload="${binding.digest.value.toHex()}"`,
    );
  }
}

/**
 * Runs every step on one entry: log key, SET, time, then (when required) inclusion proof and
 * checkpoint, then (when given) the binding.
 *
 * @throws {VerificationError} with the code of the first failed step
 */
export async function verifyTlogEntry(
  entry: RekorEntry,
  options: VerifyTlogEntryOptions,
): Promise<void> {
  const logKey = selectLogKey(entry, options.logKey);
  await verifySet(entry, logKey);
  verifyIntegratedTime(entry, options.now);
  if (options.requireInclusionProof) {
    await verifyInclusionProof(entry, logKey, { treeId: options.treeId });
  }
  if (options.binding) verifyEntryBinding(entry, options.binding);
}
