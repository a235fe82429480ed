/**
 * Verifying the transparency log material of a Sigstore bundle against a trusted root, as
 * sigstore-go's verify.VerifyTlogEntry does (which cosign's `verify-blob --new-bundle-format`
 * runs), as named steps reusing lib/rekor, each failing with its own code:
 *
 * 1. the log: the trusted root has a log with the entry's `logId.keyId`, valid at the entry's
 *    integrated time when a SET signs that time, otherwise valid now: an unsigned integrated
 *    time is never used (`TLOG_LOG_KEY_UNKNOWN`, `TLOG_TIME_INVALID`)
 * 2. SET (inclusion promise) over canonical JSON, when present (`TLOG_SET_INVALID`)
 * 3. a SET-signed integrated time not in the future (`TLOG_TIME_INVALID`)
 * 4. inclusion proof and checkpoint, when present: Rekor v1 checkpoints (origin "host - treeID")
 *    are signed with the v1 key hint; Rekor v2 ones carry the log's host as origin and the C2SP
 *    key hint (`TLOG_INCLUSION_INVALID`, `TLOG_CHECKPOINT_INVALID`)
 * 5. binding: the entry body records this bundle's signature(s), key or certificate, and digest
 *    or DSSE payload (`TLOG_ENTRY_MISMATCH`); CVE-2022-36056 is exactly a missing step 5
 *
 * @module
 */
import { VerificationError } from "../errors.ts";
import { type EntryBody, parseEntryBody, verifyEntryBodyBinding } from "../rekor/entry_body.ts";
import {
  type RekorEntry,
  verifyInclusionProof,
  verifyIntegratedTime,
  verifySet,
} from "../rekor/verify_entry.ts";
import {
  findLog,
  logKeyId,
  logOrigin,
  type TrustedLog,
  type TrustedRoot,
} from "../trust/trusted_root.ts";
import type { BundleTlogEntry, SigstoreBundle } from "./bundle.ts";

/** Options for {@link verifyBundleTlog}. */
export interface VerifyBundleTlogOptions {
  trustedRoot: TrustedRoot;
  /**
   * DER of the key the bundle's signature was verified with (key-based verification). Without
   * it, the entry must name the bundle's certificate.
   */
  keyDer?: Uint8Array;
  /** The artifact's digest, when known: a hashedrekord entry must name it. */
  artifactDigest?: { algorithm: string; value: Uint8Array };
  /** How many entries must verify (default 1, cosign's WithTransparencyLog(1)). */
  threshold?: number;
  /** The current time in milliseconds (default `Date.now()`). */
  now?: number;
}

/** An entry that verified, with the log that vouched for it. */
export interface VerifiedTlogEntry {
  entry: BundleTlogEntry;
  log: TrustedLog;
  /** Seconds since the epoch when the entry carries a SET-signed integrated time. */
  integratedTime?: number;
}

function fail(code: ConstructorParameters<typeof VerificationError>[0], detail: string) {
  return new VerificationError(code, `Cannot verify transparency log entry: ${detail}`);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The entry in the Rekor v1 API shape lib/rekor verifies. */
function asRekorEntry(e: BundleTlogEntry, proofIndex: number): RekorEntry {
  const p = e.inclusionProof;
  return {
    body: e.canonicalizedBody.toBase64(),
    integratedTime: e.integratedTime,
    logID: e.logId.toHex(),
    logIndex: e.logIndex,
    verification: {
      signedEntryTimestamp: e.signedEntryTimestamp?.toBase64(),
      inclusionProof: p && {
        logIndex: proofIndex,
        treeSize: p.treeSize,
        rootHash: p.rootHash.toHex(),
        hashes: p.hashes.map((h) => h.toHex()),
        checkpoint: p.checkpoint,
      },
    },
  };
}

/** Rekor v1 signed tree heads name their tree: "rekor.sigstore.dev - 1193050959916656506". */
function hasV1TreeHead(checkpoint: string): boolean {
  const lines = checkpoint.split("\n");
  return lines.length >= 4 && /^.* - [0-9]+$/.test(lines[0]);
}

const DIGEST_NAMES: Record<string, string> = {
  SHA2_256: "sha256",
  SHA2_384: "sha384",
  SHA2_512: "sha512",
};

/** Step 5 with lib/rekor's one binding check: what the entry records is this bundle's. */
function verifyBinding(body: EntryBody, bundle: SigstoreBundle, o: VerifyBundleTlogOptions): void {
  const vm = bundle.verificationMaterial;
  const ms = bundle.messageSignature;
  const env = bundle.dsseEnvelope;
  if (!ms && !env) throw fail("TLOG_ENTRY_MISMATCH", "the bundle has no content");
  const named = ms?.messageDigest;
  // sigstore-go binds the entry to the envelope's one signature: a bundle with more is refused
  // (check_bundle_content.ts), here too, so no signature escapes the binding.
  if (!ms && env!.signatures.length !== 1) {
    throw fail("TLOG_ENTRY_MISMATCH", "exactly one DSSE signature is required");
  }
  if (!ms && body.signatures.length !== 1) {
    throw fail("TLOG_ENTRY_MISMATCH", `the entry records ${body.signatures.length} signatures`);
  }
  verifyEntryBodyBinding(body, {
    key: o.keyDer,
    certificate: o.keyDer ? undefined : vm.certificate ?? vm.x509CertificateChain?.[0],
    messageSignature: ms && {
      signature: ms.signature,
      messageDigest: named && {
        algorithm: DIGEST_NAMES[named.algorithm] ?? named.algorithm,
        value: named.digest,
      },
      artifactDigest: o.artifactDigest,
    },
    dsse: ms ? undefined : env && {
      payloadType: env.payloadType,
      payload: env.payload,
      signatures: env.signatures.map((s) => s.sig),
    },
  });
}

/**
 * Verifies one log entry's own material against its log (steps 1 to 4: validity, SET, time,
 * inclusion proof and checkpoint), without looking at what it records.
 *
 * @param entry the entry
 * @param log the trusted log whose key ID the entry names
 * @param now the current time in milliseconds (default `Date.now()`)
 * @throws {VerificationError} with the code of the failed step
 */
export async function verifyTlogEntryMaterial(
  entry: BundleTlogEntry,
  log: TrustedLog,
  now?: number,
): Promise<void> {
  const key = log.publicKey;
  const t = entry.integratedTime;
  if (!entry.signedEntryTimestamp && !entry.inclusionProof) {
    throw fail("TLOG_INCLUSION_INVALID", "entry must contain an inclusion proof and/or promise");
  }
  // The integrated time is the log's word only when its SET signs it (protobuf-specs
  // TransparencyLogEntry; sigstore-js GHSA-xgjw-pm74-86q4): a checkpoint carries no time. Without
  // a SET the entry's time is not used at all, and the log key must be valid now.
  const signedTime = entry.signedEntryTimestamp !== undefined && t !== 0;
  const at = signedTime ? t * 1000 : now ?? Date.now();
  if (signedTime || entry.signedEntryTimestamp === undefined) {
    if (at < log.validFor.start || (log.validFor.end !== undefined && at > log.validFor.end)) {
      throw fail(
        "TLOG_TIME_INVALID",
        signedTime
          ? "rekor log public key not valid at payload integrated time"
          : "rekor log public key not valid now, and the entry has no signed integrated time",
      );
    }
  }
  const proof = entry.inclusionProof;
  const v1 = !proof || hasV1TreeHead(proof.checkpoint);
  // Rekor v2 (rekor-tiles VerifyInclusionProof) proves the entry's own index.
  const rekorEntry = asRekorEntry(entry, v1 ? proof?.logIndex ?? 0 : entry.logIndex);
  if (entry.signedEntryTimestamp) await verifySet(rekorEntry, key);
  if (signedTime) verifyIntegratedTime(rekorEntry, now);
  if (proof) {
    if (v1) {
      await verifyInclusionProof(rekorEntry, key);
    } else {
      const origin = logOrigin(log.baseUrl);
      if (origin === "") {
        throw fail(
          "TLOG_CHECKPOINT_INVALID",
          "cannot verify Rekor v2 entry without baseUrl in transparency log's trusted root",
        );
      }
      await verifyInclusionProof(rekorEntry, key, {
        keyHint: logKeyId(key, origin).subarray(0, 4),
        origin,
      });
    }
  }
}

async function verifyOne(
  entry: BundleTlogEntry,
  log: TrustedLog,
  bundle: SigstoreBundle,
  o: VerifyBundleTlogOptions,
): Promise<VerifiedTlogEntry> {
  await verifyTlogEntryMaterial(entry, log, o.now);
  const body = parseEntryBody(entry.canonicalizedBody);
  if (body.kind === "intoto" && body.apiVersion === "0.0.1") {
    // sigstore-go (tlog.ParseEntry) reads intoto 0.0.2 only; cosign's old bundles take 0.0.1.
    throw fail("TLOG_ENTRY_INVALID", "unsupported entry type: intoto 0.0.1");
  }
  if (body.kind !== entry.kind || body.apiVersion !== entry.version) {
    throw fail(
      "TLOG_ENTRY_INVALID",
      `kind and version mismatch: ${body.kind}/${body.apiVersion} != ${entry.kind}/${entry.version}`,
    );
  }
  verifyBinding(body, bundle, o);
  const t = entry.integratedTime;
  return { entry, log, integratedTime: entry.signedEntryTimestamp && t !== 0 ? t : undefined };
}

/**
 * Verifies a bundle's log entries against the trusted root's logs. Entries from logs the root
 * does not know are skipped (as sigstore-go does); every other entry must verify, and at least
 * `threshold` must.
 *
 * @returns the verified entries
 * @throws {VerificationError} with the code of the first failed step; `TLOG_ENTRY_NOT_FOUND`
 *   when the bundle has no entry, `TLOG_LOG_KEY_UNKNOWN` when no entry is from a trusted log
 */
export async function verifyBundleTlog(
  bundle: SigstoreBundle,
  options: VerifyBundleTlogOptions,
): Promise<VerifiedTlogEntry[]> {
  const entries = bundle.verificationMaterial.tlogEntries;
  const threshold = options.threshold ?? 1;
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      if (
        equal(entries[i].logId, entries[j].logId) && entries[i].logIndex === entries[j].logIndex
      ) {
        throw fail("TLOG_ENTRY_INVALID", "duplicate tlog entries found");
      }
    }
  }
  const verified: VerifiedTlogEntry[] = [];
  let unknown: string | undefined;
  for (const entry of entries) {
    const log = findLog(options.trustedRoot.tlogs, entry.logId);
    if (!log) {
      unknown ??= entry.logId.toBase64();
      continue;
    }
    verified.push(await verifyOne(entry, log, bundle, options));
  }
  if (verified.length < threshold) {
    if (entries.length === 0) {
      throw fail("TLOG_ENTRY_NOT_FOUND", "the bundle has no transparency log entry");
    }
    if (unknown !== undefined) {
      throw fail(
        "TLOG_LOG_KEY_UNKNOWN",
        `no transparency log with key ID ${unknown} in the trusted root`,
      );
    }
    throw fail(
      "TLOG_ENTRY_NOT_FOUND",
      `not enough verified log entries from transparency log: ${verified.length} < ${threshold}`,
    );
  }
  return verified;
}
