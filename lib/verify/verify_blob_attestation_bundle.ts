/**
 * `cosign verify-blob-attestation --bundle F --trusted-root R` for a Sigstore bundle with a DSSE
 * envelope, key-based (cosign verify_blob_attestation.go, the `co.NewBundleFormat` branch:
 * VerifyNewBundle with sigstore-go, then the predicate type). The bundle becomes a signed entity
 * checked by {@link verifyEntity}, in sigstore-go's order: the log entries against the trusted
 * root and their binding to the envelope and key (lib/bundle verifyBundleTlog); the signature over
 * the DSSE PAE; a subject digest of the statement is the blob's (unless `--check-claims=false`);
 * then cosign's predicate type check.
 *
 * @module
 */
import { VerificationError } from "../errors.ts";
import { parseBundle, type SigstoreBundle } from "../bundle/bundle.ts";
import { checkBundleContent, checkBundleStatement } from "../bundle/check_bundle_content.ts";
import { INTOTO_PAYLOAD_TYPE } from "../payload/dsse.ts";
import type { InTotoStatement } from "../payload/intoto.ts";
import {
  checkPredicate,
  claimsDigest,
  readStatement,
  type VerifyBlobAttestationOptions,
} from "./verify_blob_attestation.ts";
import type { VerificationPolicy } from "./verification_policy.ts";
import { verifyEntity } from "./verify_entity.ts";
import { bundleMaterial } from "./_bundle_material.ts";

/** Options for {@link verifyBlobAttestationBundle}. */
export interface VerifyBlobAttestationBundleOptions {
  /** The bundle file's bytes. */
  bundle: Uint8Array;
  /**
   * Who signed; the log's entries are checked against `policy.tlog.trustedRoot`; `claims.type`
   * absent: the predicate type is not checked (`verify --new-bundle-format`).
   */
  policy: VerificationPolicy;
  /**
   * The digest a subject must have (the blob's sha256, or `--digest`/`--digestAlg`); without
   * it the claims are not checked (`--check-claims=false`).
   */
  artifactDigest?: { algorithm: string; value: Uint8Array };
  /**
   * Instead of `artifactDigest`: the blob (or `--digest`/`--digestAlg`) whose digest a subject
   * must have, when the policy checks claims (`verify-blob-attestation`).
   */
  subject?: Pick<VerifyBlobAttestationOptions, "openBlob" | "digest" | "maxSize">;
}

/** sigstore-go's limit on the subjects of a statement it compares. */
const MAX_SUBJECTS = 1024;

function fail(code: "SIGNATURE_INVALID" | "CLAIMS_MISMATCH" | "UNSUPPORTED", detail: string) {
  return new VerificationError(code, `Cannot verify attestation: ${detail}`);
}

/**
 * Verifies a Sigstore bundle of a blob attestation.
 *
 * @returns the verified statement
 * @throws {TypeError | SyntaxError} when the bundle is malformed or of an unsupported version,
 *   or `subject.digest` is not hex
 * @throws {IoError} `TOO_LARGE` for a subject blob larger than `subject.maxSize`
 * @throws {VerificationError} the `TLOG_*` code of the failed log check; `SIGNATURE_INVALID`
 *   when the signature does not verify; `CLAIMS_MISMATCH` when no subject has the artifact's
 *   digest or the predicate type differs; `UNSUPPORTED` for a message signature, a bundle
 *   with a certificate (keyless) or a key bundle without a key policy
 */
export async function verifyBlobAttestationBundle(
  o: VerifyBlobAttestationBundleOptions,
): Promise<InTotoStatement> {
  let artifactDigest = o.artifactDigest;
  if (!artifactDigest && o.subject && (o.policy.claims?.check ?? true)) {
    const named = await claimsDigest(o.subject);
    const i = named.lastIndexOf(":");
    artifactDigest = {
      algorithm: named.slice(0, i),
      value: Uint8Array.fromHex(named.slice(i + 1).toLowerCase()),
    };
  }
  const bundle: SigstoreBundle = parseBundle(o.bundle);
  checkBundleContent(bundle);
  const env = bundle.dsseEnvelope;
  if (!env) throw fail("UNSUPPORTED", "bundle does not contain a DSSE envelope");
  const type = o.policy.claims?.type;
  let statement: InTotoStatement | undefined;
  await verifyEntity(o.policy, {
    content: {
      kind: "envelope",
      envelope: () => ({
        payloadType: env.payloadType,
        payload: env.payload.toBase64(),
        signatures: env.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig.toBase64() })),
      }),
    },
    material: bundleMaterial(bundle),
    tlog: { kind: "bundle", bundle },
    timestamps: bundle.verificationMaterial.rfc3161Timestamps,
    subject: "attestation",
    checkClaims: () => {
      checkBundleStatement(bundle, { limitSubjects: artifactDigest !== undefined });
      statement = readStatement(env.payload, "unmarshal in-toto statement");
      if (artifactDigest) checkSubject(statement, env.payloadType, artifactDigest);
      if (type !== undefined) checkPredicate(statement, env.payload, type);
    },
  });
  return statement!;
}

/** sigstore-go's artifact policy for statements: a subject with the artifact's digest. */
function checkSubject(
  statement: InTotoStatement,
  payloadType: string,
  digest: { algorithm: string; value: Uint8Array },
): void {
  if (payloadType !== INTOTO_PAYLOAD_TYPE) {
    throw fail(
      "CLAIMS_MISMATCH",
      "could not verify artifact: unable to extract statement from envelope: " +
        `payload type ${payloadType} is not ${INTOTO_PAYLOAD_TYPE}`,
    );
  }
  if (statement.subject.length > MAX_SUBJECTS) {
    throw fail("CLAIMS_MISMATCH", `too many subjects: ${statement.subject.length}`);
  }
  const hex = digest.value.toHex();
  const named = statement.subject.map((s) => s.digest?.get(digest.algorithm)).filter((d) =>
    d !== undefined
  );
  if (named.length === 0) {
    throw fail("CLAIMS_MISMATCH", "provided artifact digests does not match digests in statement");
  }
  if (!named.some((d) => d.toLowerCase() === hex)) {
    throw fail(
      "CLAIMS_MISMATCH",
      "provided artifact digest does not match any digest in statement",
    );
  }
}
