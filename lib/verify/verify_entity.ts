/**
 * The one verifier: a {@link SignedEntity} checked against a {@link VerificationPolicy} in fixed,
 * ordered steps, each failing with its own coded error (sigstore-js `Verifier.verify`,
 * sigstore-go `Verifier.Verify` in pkg/verify/signed_entity.go, cosign's `verifyInternal` in
 * pkg/cosign/verify.go, whose order this keeps):
 *
 * 0. material — the policy can verify what the entity carries (a key policy and a keyless-only
 *    bundle, a certificate policy and a key-only bundle or no certificate are refused), and the
 *    policy has what the log step will need (no I/O yet);
 * 1. timestamps — signed RFC 3161 timestamps, when the policy asks (the seam; refused today);
 * 2. transparency log — the entry from the bundle verified offline (log key, SET, time, proofs,
 *    and its binding to this signature, key and artifact), or looked up online;
 * 3. signer — the policy's keys, or the certificate chain and identity (the keyless seam);
 * 4. signature — over the payload, the streamed blob, or the DSSE envelope;
 * 5. policy — the entity's claims (image digest, annotations, in-toto subjects, predicate type).
 *
 * A blob is read once, as a stream: its digest is known only once the signature step has read
 * it, so for blob content step 2 runs after step 4 (its preconditions still run in step 0).
 *
 * @module
 */
import { sha256 } from "../digest.ts";
import { SigstoreError, VerificationError } from "../errors.ts";
import { hashingReader } from "../incremental_digest.ts";
import type { PublicKey } from "../keys/public_key.ts";
import { INTOTO_PAYLOAD_TYPE } from "../payload/dsse.ts";
import { parseStatement } from "../payload/intoto.ts";
import { verifyDsse } from "../payload/verify_dsse.ts";
import { findEnvelopeEntry, verifyEnvelopeEntry } from "../rekor/attestation_tlog.ts";
import { parseRekorBundle } from "../rekor/blob_bundle.ts";
import { findTlogEntry } from "../rekor/find_entry.ts";
import { verifyTlogEntry } from "../rekor/verify_entry.ts";
import { verifyBundleTlog } from "../bundle/verify_bundle_tlog.ts";
import { verifySignature } from "../signature/verify_signature.ts";
import { bytesReader } from "../stream.ts";
import { decodeStdBase64 } from "../base64.ts";
import type { SignedEntity, VerifiedFacts } from "./signed_entity.ts";
import type { TlogCheck, VerificationPolicy, VerifiedTime } from "./verification_policy.ts";

/**
 * Verifies a signed entity against a policy.
 *
 * @param policy who may have signed, how the log and timestamps are checked, what is claimed
 * @param entity the normalised signature
 * @returns what the steps established (the key, whether a log entry verified, digests)
 * @throws {VerificationError} material: `UNSUPPORTED` (a keyless bundle with a key policy, a key
 *   bundle with a certificate policy, certificate verification), `NO_CERTIFICATE` (a certificate
 *   policy and no certificate); timestamps: `UNSUPPORTED`; log: `TLOG_*` (see lib/rekor,
 *   lib/bundle); signature: `SIGNATURE_INVALID`, `UNSUPPORTED` (an envelope's payload type);
 *   policy: whatever the entity's claims check throws (`CLAIMS_MISMATCH`, `SIGNATURE_INVALID`)
 * @throws {SigstoreError} `TLOG_UNAVAILABLE` when the log is checked but the policy has no log
 *   key, trusted root or (for a lookup) log client
 */
export async function verifyEntity(
  policy: VerificationPolicy,
  entity: SignedEntity,
): Promise<VerifiedFacts> {
  checkMaterial(policy, entity);
  const tlog = policy.tlog.ignore ? undefined : policy.tlog;
  if (tlog) checkTlogPreconditions(tlog, entity);
  const times = await verifyTimestamps(policy, entity);
  const streamed = entity.content.kind === "blob";
  let tlogVerified = false;
  if (tlog && !streamed) tlogVerified = await verifyTlog(policy, tlog, entity);
  const keys = await signerKeys(policy, entity, times);
  const facts = await verifySignatureStep(policy, entity, keys);
  if (tlog && streamed) {
    tlogVerified = await verifyTlog(policy, tlog, entity, facts.artifactDigest, facts.publicKey);
  }
  facts.tlogVerified = tlogVerified;
  await entity.checkClaims?.(facts);
  return facts;
}

/** Step 0: what the entity carries can be verified with what the policy trusts. */
function checkMaterial(policy: VerificationPolicy, entity: SignedEntity): void {
  const m = entity.material;
  if ("key" in policy.signer) {
    if (m.kind === "certificate" && m.only) throw keylessUnsupported(entity);
    return;
  }
  if (m.kind === "key") {
    throw new VerificationError(
      "UNSUPPORTED",
      "Cannot verify the bundle: it names a public key: pass it with --key",
    );
  }
  if (m.kind === "none") {
    // cosign ErrNoCertificateFoundOnSignature (exit 13).
    throw new VerificationError("NO_CERTIFICATE", "no certificate found on signature");
  }
}

function keylessUnsupported(entity: SignedEntity): VerificationError {
  const where = entity.material.kind === "certificate" && entity.material.only
    ? "the bundle"
    : `the ${entity.subject}`;
  return new VerificationError(
    "UNSUPPORTED",
    `Cannot verify ${where}: it carries a certificate (keyless); certificate verification is not supported yet`,
  );
}

function tlogUnavailable(what: string): SigstoreError {
  return new SigstoreError(
    "TLOG_UNAVAILABLE",
    `Cannot verify the transparency log entry: no ${what} to verify it with`,
  );
}

/** Step 0, log part: the policy has what the entity's evidence needs; no request is made. */
function checkTlogPreconditions(tlog: TlogCheck, entity: SignedEntity): void {
  const evidence = entity.tlog;
  if (evidence.kind === "bundle") {
    if (!tlog.trustedRoot) throw tlogUnavailable("trusted root");
    return;
  }
  if (evidence.kind === "none" && tlog.offline) {
    throw new VerificationError(
      "TLOG_ENTRY_NOT_FOUND",
      `Cannot verify the transparency log entry: offline verification failed (the ${entity.subject} has no bundle, and --offline forbids looking it up in the log)`,
    );
  }
  if (!tlog.logKey) throw tlogUnavailable("log key");
  if (evidence.kind === "none" && !tlog.rekor) {
    throw new VerificationError(
      "TLOG_ENTRY_NOT_FOUND",
      "Cannot verify the transparency log entry: rekor client not provided for online verification",
    );
  }
}

/** Step 1: signed timestamps (the RFC 3161 seam). */
async function verifyTimestamps(
  policy: VerificationPolicy,
  entity: SignedEntity,
): Promise<VerifiedTime[]> {
  const t = policy.timestamps;
  if (!t?.required) return [];
  if (!t.verifier) {
    throw new VerificationError(
      "UNSUPPORTED",
      "Cannot verify the signed timestamps: RFC 3161 timestamp verification is not supported yet",
    );
  }
  const timestamps = entity.timestamps ?? [];
  if (timestamps.length === 0) {
    throw new VerificationError(
      "UNSUPPORTED",
      "Cannot verify the signed timestamps: the signature carries none",
    );
  }
  return await t.verifier.verify({ signature: signatureBytes(entity), timestamps });
}

/** The raw signature (an envelope's first). */
function signatureBytes(entity: SignedEntity): Uint8Array {
  const c = entity.content;
  if (c.kind !== "envelope") return c.signature;
  const sig = c.envelope().signatures[0]?.sig ?? "";
  return decodeStdBase64(sig);
}

/** Runs `fn` with each key until one passes; rethrows the last failure. */
async function withAnyKey<T>(keys: PublicKey[], fn: (key: PublicKey) => Promise<T>): Promise<T> {
  let failure: unknown = new TypeError("Cannot verify: no key");
  for (const key of keys) {
    try {
      return await fn(key);
    } catch (e) {
      failure = e;
    }
  }
  throw failure;
}

/**
 * Step 2: the transparency log. A bundle that fails never falls back to a lookup (cosign).
 *
 * @param digest the blob's digest (blob content only)
 * @param verifiedKey the key the blob's signature verified with (blob content only)
 * @returns true once an entry verified (cosign's bundleVerified)
 */
async function verifyTlog(
  policy: VerificationPolicy,
  tlog: TlogCheck,
  entity: SignedEntity,
  digest?: Uint8Array,
  verifiedKey?: PublicKey,
): Promise<boolean> {
  const c = entity.content;
  const now = policy.now;
  const evidence = entity.tlog;
  // The keys an entry may name: the policy's (undefined: the certificate the entity carries).
  const keys = verifiedKey ? [verifiedKey] : "key" in policy.signer ? policy.signer.key : undefined;
  if (evidence.kind === "bundle") {
    const artifactDigest = c.kind === "blob"
      ? { algorithm: c.digestAlgorithm, value: digest! }
      : undefined;
    if (!keys) {
      // Bound to the bundle's certificate.
      await verifyBundleTlog(evidence.bundle, { trustedRoot: tlog.trustedRoot!, now });
      return true;
    }
    await withAnyKey(keys, (key) =>
      verifyBundleTlog(evidence.bundle, {
        trustedRoot: tlog.trustedRoot!,
        keyDer: key.spki,
        artifactDigest,
        now,
      }));
    return true;
  }
  // cosign's old formats: bound to a key (the keyless binding comes with the certificate step).
  if (!keys) throw keylessUnsupported(entity);
  const logKey = tlog.logKey!;
  const raw = c.kind === "envelope" ? c.raw : undefined;
  if (c.kind === "envelope" && !raw) {
    throw new TypeError("Cannot verify the log entry: no envelope");
  }
  if (evidence.kind === "rekor") {
    const entry = typeof evidence.entry === "string"
      ? parseRekorBundle(evidence.entry)
      : evidence.entry;
    if (c.kind === "envelope") {
      await withAnyKey(keys, (key) =>
        verifyEnvelopeEntry(entry, {
          logKey,
          now,
          binding: { envelope: raw!, keyDer: key.spki },
        }));
      return true;
    }
    const value = c.kind === "payload" ? sha256(c.payload) : digest!;
    const algorithm = c.kind === "payload" ? "sha256" : c.digestAlgorithm;
    await withAnyKey(keys, (key) =>
      verifyTlogEntry(entry, {
        logKey,
        now,
        binding: { signature: c.signature, keyDer: key.spki, digest: { algorithm, value } },
      }));
    return true;
  }
  // No bundle: the earliest entry the log holds for this signature (cosign tlogValidateEntry).
  const client = tlog.rekor!;
  if (c.kind === "envelope") {
    await withAnyKey(
      keys,
      (publicKey) => findEnvelopeEntry({ client, logKey, envelope: raw!, publicKey, now }),
    );
    return true;
  }
  const value = c.kind === "payload" ? sha256(c.payload) : digest!;
  await withAnyKey(
    keys,
    (publicKey) =>
      findTlogEntry({ client, logKey, signature: c.signature, publicKey, digest: value, now }),
  );
  return true;
}

/** Step 3: the keys the signature must verify with. */
async function signerKeys(
  policy: VerificationPolicy,
  entity: SignedEntity,
  times: VerifiedTime[],
): Promise<PublicKey[]> {
  if ("key" in policy.signer) return policy.signer.key;
  const cert = policy.signer.certificate;
  const m = entity.material;
  if (m.kind !== "certificate" || !cert.verifier) throw keylessUnsupported(entity);
  return [
    await cert.verifier.verify({
      certificate: cert.certificate ?? m.certificate,
      chain: m.chain,
      policy: cert,
      times,
    }),
  ];
}

/** Step 4: the signature, with any of the keys. */
async function verifySignatureStep(
  policy: VerificationPolicy,
  entity: SignedEntity,
  keys: PublicKey[],
): Promise<VerifiedFacts> {
  const hash = policy.hash ?? "sha256";
  const c = entity.content;
  if (c.kind === "payload") {
    const publicKey = await withAnyKey(keys, async (publicKey) => {
      await verifySignature({
        publicKey,
        hash,
        signature: c.signature,
        reader: bytesReader(c.payload),
      });
      return publicKey;
    });
    return { publicKey, tlogVerified: false };
  }
  if (c.kind === "blob") {
    // A stream is read once: one key.
    if (keys.length !== 1) {
      throw new TypeError(`Cannot verify a streamed blob with ${keys.length} keys: pass one`);
    }
    const hashed = hashingReader(c.reader, c.digestAlgorithm);
    await verifySignature({
      publicKey: keys[0],
      hash,
      signature: c.signature,
      reader: hashed.reader,
    });
    const digest = await hashed.digest();
    const claimed = c.claimedDigest;
    if (
      claimed && (claimed.length !== digest.length || !claimed.every((b, i) => b === digest[i]))
    ) {
      // sigstore-go ignores the message digest when it has the artifact; a bundle whose digest
      // is not the artifact's is inconsistent, so we refuse it.
      throw new VerificationError(
        "SIGNATURE_INVALID",
        "Cannot verify the bundle: artifact does not match digest",
      );
    }
    return { publicKey: keys[0], tlogVerified: false, artifactDigest: digest };
  }
  const envelope = c.envelope();
  const refuse = () =>
    new VerificationError(
      "UNSUPPORTED",
      `Cannot verify attestation: invalid payloadType ${envelope.payloadType} on envelope. Expected ${INTOTO_PAYLOAD_TYPE}`,
    );
  // cosign 1.3/1.4 wrote the predicate type URI as payloadType; such an envelope counts when its
  // statement (read after the signature verified) names that same predicate type.
  const legacy = c.legacyPayloadType === true && envelope.payloadType !== INTOTO_PAYLOAD_TYPE;
  if (legacy && !/^https?:\/\//.test(envelope.payloadType)) throw refuse();
  let statement: Uint8Array | undefined;
  const publicKey = await withAnyKey(keys, async (publicKey) => {
    statement = await verifyDsse({ envelope, publicKey, hash });
    return publicKey;
  });
  if (legacy) {
    let named: string | undefined;
    try {
      named = parseStatement(decodeStdBase64(envelope.payload)).predicateType;
    } catch {
      named = undefined;
    }
    if (named !== envelope.payloadType) throw refuse();
  }
  return { publicKey, tlogVerified: false, statement };
}
