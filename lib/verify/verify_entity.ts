/**
 * The one verifier: a {@link SignedEntity} checked against a {@link VerificationPolicy} in fixed,
 * ordered steps, each failing with its own coded error (sigstore-js `Verifier.verify`,
 * sigstore-go `Verifier.Verify` in pkg/verify/signed_entity.go, cosign's `verifyInternal` in
 * pkg/cosign/verify.go, whose order this keeps):
 *
 * 0. material — the policy can verify what the entity carries (a key policy and a keyless-only
 *    bundle, a certificate policy and a key-only bundle or no certificate are refused), and the
 *    policy has what the log step will need (no I/O yet);
 * 1. timestamps — signed RFC 3161 timestamps over the signature, when the policy asks
 *    (lib/timestamp, against the policy's timestamp authorities);
 * 2. transparency log — the entry from the bundle verified offline (log key, SET, time, proofs,
 *    and its binding to this signature, key or certificate, and artifact), or looked up online;
 *    it yields the log's SET-signed integrated time;
 * 3. signer — the policy's keys, or (keyless) the certificate step
 *    (verify_certificate_material.ts): the path to a trusted authority at the signing times the
 *    log and the timestamps proved, the identity, the SCT; it yields the leaf's key;
 * 4. signature — over the payload, the streamed blob, or the DSSE envelope;
 * 5. policy — the entity's claims (image digest, annotations, in-toto subjects, predicate type).
 *
 * A blob is read once, as a stream: its digest is known only once the signature step has read
 * it, so for blob content step 2 runs after step 4 (its preconditions still run in step 0); with
 * a certificate, step 4 uses the leaf's key and step 3 (which needs the log's time) runs last,
 * so that a blob whose certificate does not verify still fails.
 *
 * @module
 */
import { SigstoreError, VerificationError } from "../errors.ts";
import type { PublicKey } from "../keys/public_key.ts";
import { INTOTO_PAYLOAD_TYPE } from "../payload/dsse.ts";
import { type VerifyHash, verifySignature } from "../signature/verify_signature.ts";
import { bytesReader } from "../stream.ts";
import { decodeStdBase64 } from "../base64.ts";
import type { VerifiedTimestamp } from "../timestamp/verify_timestamp.ts";
import type { CertificateIdentityOptions } from "../x509/match_identity.ts";
import type { SignedEntity, VerifiedFacts } from "./signed_entity.ts";
import type { CertificatePolicy, TlogCheck, VerificationPolicy } from "./verification_policy.ts";
import type { SigningTimeEvidence, SigningTimePolicy } from "./verify_certificate_material.ts";

// The modules of the steps a signature may not need (the log, timestamps, certificates, DSSE,
// streamed blobs) are imported when a step runs: with Deno's lazy dynamic imports, a key-based
// verification without the log never reads them (≈40 modules, tens of ms of start-up).
const tlogModules = () =>
  Promise.all([
    import("../digest.ts"),
    import("../rekor/attestation_tlog.ts"),
    import("../rekor/blob_bundle.ts"),
    import("../rekor/find_entry.ts"),
    import("../rekor/verify_entry.ts"),
    import("../bundle/verify_bundle_tlog.ts"),
  ]);
const certificateModules = () =>
  Promise.all([
    import("../x509/certificate.ts"),
    import("../x509/sct.ts"),
    import("./verify_certificate_material.ts"),
  ]);

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
  const timestamps = await verifyTimestamps(policy, entity);
  const streamed = entity.content.kind === "blob";
  if (!("key" in policy.signer)) {
    return await verifyKeyless(policy, policy.signer.certificate, entity, tlog, timestamps);
  }
  let log: TlogResult | undefined;
  if (tlog && !streamed) log = await verifyTlog(policy, tlog, entity);
  const facts = await verifySignatureStep(policy, entity, policy.signer.key);
  if (tlog && streamed) {
    log = await verifyTlog(policy, tlog, entity, facts.artifactDigest, facts.publicKey);
  }
  facts.tlogVerified = log !== undefined;
  await entity.checkClaims?.(facts);
  return facts;
}

/**
 * Steps 2 to 5 with a certificate: the log (bound to the certificate) and the timestamps give
 * the signing times, the certificate step gives the key. For a streamed blob the signature is
 * checked with the leaf's key first (the blob is read once, and its digest binds the log entry),
 * then the log, then the certificate.
 */
async function verifyKeyless(
  policy: VerificationPolicy,
  cert: CertificatePolicy,
  entity: SignedEntity,
  tlog: TlogCheck | undefined,
  timestamps: VerifiedTimestamp[] | undefined,
): Promise<VerifiedFacts> {
  const m = entity.material;
  if (!cert.trust) throw keylessUnsupported(entity);
  const carried = m.kind === "certificate" ? m : undefined;
  const leafDer = cert.certificate ?? carried?.certificate;
  if (!leafDer) throw new VerificationError("NO_CERTIFICATE", "no certificate found on signature");
  const chainDer = cert.chain ?? carried?.chain ?? [];
  const sigstoreBundle = entity.tlog.kind === "bundle";
  const [{ parseCertificate }, { parseDetachedSct }, { verifyCertificateMaterial }] =
    await certificateModules();
  const certify = async (log: TlogResult | undefined) => {
    const evidence: SigningTimeEvidence = {
      policy: timePolicy(policy, entity, tlog),
      logTimes: log?.logTimes ?? [],
      unsignedLogTimes: log?.unsignedLogTimes ?? [],
      verifiedTimestamps: timestamps ?? [],
      now: policy.now,
    };
    return await verifyCertificateMaterial({
      material: {
        leaf: parseCertificate(leafDer),
        chain: chainDer.map(parseCertificate),
        chainSource: sigstoreBundle && !cert.chain ? "bundle" : "signature",
      },
      trust: cert.trust!,
      evidence,
      policy: {
        identity: identityOptions(cert),
        identityMode: sigstoreBundle ? "sigstore-go" : "cosign",
        ignoreSct: cert.sct?.ignore,
        detachedSct: cert.sct?.detached ? parseDetachedSct(cert.sct.detached) : undefined,
      },
    });
  };
  const certificateKey = { certificate: leafDer };
  if (entity.content.kind === "blob") {
    const { parsePublicKeyDer } = await import("../keys/public_key.ts");
    const leafKey = parsePublicKeyDer(parseCertificate(leafDer).spki);
    const facts = await verifySignatureStep(
      policy,
      entity,
      [leafKey],
      sigstoreBundle ? "sigstore-go" : "cosign",
    );
    const log = tlog
      ? await verifyTlog(policy, tlog, entity, facts.artifactDigest, undefined, certificateKey)
      : undefined;
    facts.certificate = await certify(log);
    facts.tlogVerified = log !== undefined;
    await entity.checkClaims?.(facts);
    return facts;
  }
  const log = tlog
    ? await verifyTlog(policy, tlog, entity, undefined, undefined, certificateKey)
    : undefined;
  const verified = await certify(log);
  const facts = await verifySignatureStep(
    policy,
    entity,
    [verified.publicKey],
    sigstoreBundle ? "sigstore-go" : "cosign",
  );
  facts.certificate = verified;
  facts.tlogVerified = log !== undefined;
  await entity.checkClaims?.(facts);
  return facts;
}

/**
 * Which signing times count, as cosign chooses them: Sigstore bundles with sigstore-go's options
 * (the log's integrated time, or signed timestamps with `--use-signed-timestamps`, or the current
 * time when the log is ignored), cosign's old formats with its own `verifyInternal` (every time
 * the log and the timestamps gave, else the current time).
 */
function timePolicy(
  policy: VerificationPolicy,
  entity: SignedEntity,
  tlog: TlogCheck | undefined,
): SigningTimePolicy {
  if (entity.tlog.kind !== "bundle") return "all";
  if (policy.timestamps?.required) return "signed";
  return tlog ? "log" : "now";
}

/** The identity policy in lib/x509's terms. */
function identityOptions(cert: CertificatePolicy): CertificateIdentityOptions {
  const [id] = cert.identities;
  const w = cert.githubWorkflow ?? {};
  return {
    certificateIdentity: id?.subject,
    certificateIdentityRegexp: id?.subjectRegExp,
    certificateOidcIssuer: id?.issuer,
    certificateOidcIssuerRegexp: id?.issuerRegExp,
    certificateGithubWorkflowTrigger: w.trigger,
    certificateGithubWorkflowSha: w.sha,
    certificateGithubWorkflowName: w.name,
    certificateGithubWorkflowRepository: w.repository,
    certificateGithubWorkflowRef: w.ref,
  };
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
  if (m.kind === "none" && !policy.signer.certificate.certificate) {
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

/**
 * Step 1: signed timestamps. Sigstore bundles follow sigstore-go's `WithSignedTimestamps(1)`
 * (at least one must verify); cosign's old formats its `VerifyRFC3161Timestamp` (a signature
 * without one passes this step, one that it carries must verify).
 *
 * @returns the verified timestamps, or undefined when the policy does not ask for them
 */
async function verifyTimestamps(
  policy: VerificationPolicy,
  entity: SignedEntity,
): Promise<VerifiedTimestamp[] | undefined> {
  const t = policy.timestamps;
  if (!t?.required) return undefined;
  const timestamps = entity.timestamps ?? [];
  if (timestamps.length === 0) {
    if (entity.tlog.kind !== "bundle") return [];
    throw new VerificationError(
      "SIGNING_TIME_MISSING",
      "Cannot verify the signed timestamps: threshold not met for verified signed timestamps: 0 < 1 (the bundle carries none)",
    );
  }
  const { verifySignedTimestamps } = await import("../timestamp/verify_signed_timestamps.ts");
  const { verified } = await verifySignedTimestamps({
    timestamps,
    signature: timestampedBytes(entity),
    authorities: t.authorities,
  });
  return verified;
}

/**
 * What a timestamp is over: the raw signature; for cosign's old-format attestations (which carry
 * no raw signature) the envelope as stored (pkg/cosign/verify.go `VerifyRFC3161Timestamp`).
 */
function timestampedBytes(entity: SignedEntity): Uint8Array {
  const c = entity.content;
  if (c.kind === "envelope" && c.raw && entity.tlog.kind !== "bundle") return c.raw;
  return signatureBytes(entity);
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

/** What the log step established. */
interface TlogResult {
  /** Integrated times a verified SET signs, with the log's URL (milliseconds). */
  logTimes: { time: number; uri?: string }[];
  /** Integrated times of verified entries no SET covers (milliseconds; 0 for Rekor v2). */
  unsignedLogTimes: number[];
}

/**
 * Step 2: the transparency log. A bundle that fails never falls back to a lookup (cosign).
 *
 * @param digest the blob's digest (blob content only)
 * @param verifiedKey the key the blob's signature verified with (blob content only)
 * @param keyless the signing certificate the entry must name (certificate policies)
 * @returns the times the verified entries vouch for
 */
async function verifyTlog(
  policy: VerificationPolicy,
  tlog: TlogCheck,
  entity: SignedEntity,
  digest?: Uint8Array,
  verifiedKey?: PublicKey,
  keyless?: { certificate: Uint8Array },
): Promise<TlogResult> {
  const [
    { sha256 },
    { findEnvelopeEntry, verifyEnvelopeEntry },
    { parseRekorBundle },
    { findTlogEntry },
    { verifyTlogEntry },
    { verifyBundleTlog },
  ] = await tlogModules();
  const c = entity.content;
  const now = policy.now;
  const evidence = entity.tlog;
  const signed = (seconds: number) => ({
    logTimes: [{ time: seconds * 1000 }],
    unsignedLogTimes: [],
  });
  if (evidence.kind === "bundle") {
    const artifactDigest = c.kind === "blob" && digest
      ? { algorithm: c.digestAlgorithm, value: digest }
      : undefined;
    let entries;
    if (keyless) {
      // Bound to the bundle's certificate.
      entries = await verifyBundleTlog(evidence.bundle, {
        trustedRoot: tlog.trustedRoot!,
        artifactDigest,
        now,
      });
    } else {
      const keys = verifiedKey ? [verifiedKey] : "key" in policy.signer ? policy.signer.key : [];
      entries = await withAnyKey(keys, (key) =>
        verifyBundleTlog(evidence.bundle, {
          trustedRoot: tlog.trustedRoot!,
          keyDer: key.spki,
          artifactDigest,
          now,
        }));
    }
    return {
      logTimes: entries.filter((e) => e.integratedTime !== undefined).map((e) => ({
        time: e.integratedTime! * 1000,
        ...(e.log.baseUrl ? { uri: e.log.baseUrl } : {}),
      })),
      unsignedLogTimes: entries.filter((e) => e.integratedTime === undefined).map((e) =>
        e.entry.integratedTime * 1000
      ),
    };
  }
  // cosign's old formats: bound to a key, or to the certificate (cosign keyBytes).
  const bindings: Uint8Array[] = keyless
    ? [keyless.certificate]
    : (verifiedKey ? [verifiedKey] : "key" in policy.signer ? policy.signer.key : []).map((k) =>
      k.spki
    );
  const keys = verifiedKey ? [verifiedKey] : "key" in policy.signer ? policy.signer.key : [];
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
      await withAny(
        bindings,
        (keyDer) =>
          verifyEnvelopeEntry(entry, { logKey, now, binding: { envelope: raw!, keyDer } }),
      );
      return signed(entry.integratedTime);
    }
    const value = c.kind === "payload" ? sha256(c.payload) : digest!;
    const algorithm = c.kind === "payload" ? "sha256" : c.digestAlgorithm;
    await withAny(bindings, (keyDer) =>
      verifyTlogEntry(entry, {
        logKey,
        now,
        binding: { signature: c.signature, keyDer, digest: { algorithm, value } },
      }));
    return signed(entry.integratedTime);
  }
  // No bundle: the earliest entry the log holds for this signature (cosign tlogValidateEntry).
  const client = tlog.rekor!;
  if (keyless) {
    const { parsePublicKeyDer } = await import("../keys/public_key.ts");
    const { parseCertificate } = await import("../x509/certificate.ts");
    keys.push(parsePublicKeyDer(parseCertificate(keyless.certificate).spki));
  }
  const certificate = keyless?.certificate;
  if (c.kind === "envelope") {
    const found = await withAnyKey(
      keys,
      (publicKey) =>
        findEnvelopeEntry({ client, logKey, envelope: raw!, publicKey, certificate, now }),
    );
    return signed(found.integratedTime);
  }
  const value = c.kind === "payload" ? sha256(c.payload) : digest!;
  const found = await withAnyKey(
    keys,
    (publicKey) =>
      findTlogEntry({
        client,
        logKey,
        signature: c.signature,
        publicKey,
        certificate,
        digest: value,
        now,
      }),
  );
  return signed(found.integratedTime);
}

/** Runs `fn` with each binding until one passes; rethrows the last failure. */
async function withAny<T>(items: Uint8Array[], fn: (item: Uint8Array) => Promise<T>): Promise<T> {
  let failure: unknown = new TypeError("Cannot verify: no key");
  for (const item of items) {
    try {
      return await fn(item);
    } catch (e) {
      failure = e;
    }
  }
  throw failure;
}

/** Step 4: the signature, with any of the keys. */
async function verifySignatureStep(
  policy: VerificationPolicy,
  entity: SignedEntity,
  keys: PublicKey[],
  certificate?: "cosign" | "sigstore-go",
): Promise<VerifiedFacts> {
  const c = entity.content;
  // A key policy: --signature-digest-algorithm. A certificate's key: cosign loads it with SHA-256
  // (ValidateAndUnpackCert); sigstore-go with the key's own hash (P-384: SHA-384, P-521:
  // SHA-512), a message signature with the digest its bundle names, and falls back to SHA-256
  // for v0.1-v0.3 bundles (its compatibility verifier).
  let hash = certificate ? "sha256" : policy.hash ?? "sha256";
  if (certificate === "sigstore-go") {
    hash = c.kind === "blob" ? c.digestAlgorithm : keyHash(keys[0]);
  }
  if (c.kind === "payload") {
    const publicKey = await withAnyKey(keys, async (publicKey) => {
      await verifySignature({
        publicKey,
        hash: hash as VerifyHash,
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
    const { hashingReader } = await import("../incremental_digest.ts");
    const hashed = hashingReader(c.reader, c.digestAlgorithm);
    await verifySignature({
      publicKey: keys[0],
      hash: hash as VerifyHash,
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
  const { verifyDsse } = await import("../payload/verify_dsse.ts");
  let statement: Uint8Array | undefined;
  const publicKey = await withAnyKey(keys, async (publicKey) => {
    try {
      statement = await verifyDsse({ envelope, publicKey, hash: hash as VerifyHash });
    } catch (e) {
      if (certificate !== "sigstore-go" || hash === "sha256") throw e;
      statement = await verifyDsse({ envelope, publicKey, hash: "sha256" });
    }
    return publicKey;
  });
  if (legacy) {
    const { parseStatement } = await import("../payload/intoto.ts");
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

/** sigstore-go's default hash for a key (its PublicKeyDetails defaults). */
function keyHash(key: PublicKey | undefined): VerifyHash {
  if (key?.kind !== "ecdsa") return "sha256";
  return key.curve === "P-384" ? "sha384" : key.curve === "P-521" ? "sha512" : "sha256";
}
