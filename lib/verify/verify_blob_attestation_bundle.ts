/**
 * `cosign verify-blob-attestation --bundle F --trusted-root R` for a Sigstore bundle with a DSSE
 * envelope, key-based (cosign verify_blob_attestation.go, the `co.NewBundleFormat` branch:
 * VerifyNewBundle with sigstore-go, then the predicate type). Steps in sigstore-go's order: the
 * log entries against the trusted root and their binding to the envelope and key (lib/bundle
 * verifyBundleTlog); the signature over the DSSE PAE; a subject digest of the statement is the
 * blob's (unless `--check-claims=false`); then cosign's predicate type check.
 *
 * @module
 */
import { VerificationError } from "../errors.ts";
import { parseBundle, type SigstoreBundle } from "../bundle/bundle.ts";
import { checkBundleContent, checkBundleStatement } from "../bundle/check_bundle_content.ts";
import { verifyBundleTlog } from "../bundle/verify_bundle_tlog.ts";
import { type KeyRefDeps, readKeyRef } from "../keys/key_ref.ts";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import { INTOTO_PAYLOAD_TYPE } from "../payload/dsse.ts";
import type { InTotoStatement } from "../payload/intoto.ts";
import type { TrustedRoot } from "../trust/trusted_root.ts";
import { checkPredicate, readStatement } from "./verify_blob_attestation.ts";
import { verifyDsse } from "../payload/verify_dsse.ts";
import type { VerifyHash } from "../signature/verify_signature.ts";

/** Options for {@link verifyBlobAttestationBundle}. */
export interface VerifyBlobAttestationBundleOptions {
  /** The bundle file's bytes. */
  bundle: Uint8Array;
  trustedRoot: TrustedRoot;
  /** A public key reference (`--key`). */
  keyRef?: string;
  /** `--type`; absent: the predicate type is not checked (`verify --new-bundle-format`). */
  type?: string;
  /**
   * The digest a subject must have (the blob's sha256, or `--digest`/`--digestAlg`); without
   * it the claims are not checked (`--check-claims=false`).
   */
  artifactDigest?: { algorithm: string; value: Uint8Array };
  /** The digest ECDSA and RSA verify with (`--signature-digest-algorithm`). */
  hash: VerifyHash;
  deps: KeyRefDeps;
  /** `--insecure-ignore-tlog`: the log entries are not checked. */
  ignoreTlog?: boolean;
  /** The current time in milliseconds (default `Date.now()`). */
  now?: number;
}

/** sigstore-go's limit on the subjects of a statement it compares. */
const MAX_SUBJECTS = 1024;

function fail(code: "SIGNATURE_INVALID" | "CLAIMS_MISMATCH" | "UNSUPPORTED", detail: string) {
  return new VerificationError(code, `Cannot verify attestation: ${detail}`);
}

/**
 * Verifies a Sigstore bundle of a blob attestation with a key and a trusted root.
 *
 * @returns the verified statement
 * @throws {TypeError | SyntaxError} when the bundle is malformed or of an unsupported version
 * @throws {VerificationError} the `TLOG_*` code of the failed log check; `SIGNATURE_INVALID`
 *   when the signature does not verify; `CLAIMS_MISMATCH` when no subject has the artifact's
 *   digest or the predicate type differs; `UNSUPPORTED` for a message signature, a bundle
 *   with a certificate (keyless, after its log entries were checked) or no `--key`
 */
export async function verifyBlobAttestationBundle(
  o: VerifyBlobAttestationBundleOptions,
): Promise<InTotoStatement> {
  const bundle: SigstoreBundle = parseBundle(o.bundle);
  checkBundleContent(bundle);
  const env = bundle.dsseEnvelope;
  if (!env) throw fail("UNSUPPORTED", "bundle does not contain a DSSE envelope");
  const vm = bundle.verificationMaterial;
  const certificate = vm.certificate ?? vm.x509CertificateChain?.[0];
  if (certificate) {
    if (!o.ignoreTlog) {
      await verifyBundleTlog(bundle, { trustedRoot: o.trustedRoot, now: o.now });
    }
    throw fail(
      "UNSUPPORTED",
      "the bundle carries a certificate (keyless); certificate verification is not supported yet",
    );
  }
  if (!o.keyRef) throw fail("UNSUPPORTED", "the bundle names a public key: pass it with --key");
  const publicKey = parsePublicKeyPem(await readKeyRef(o.keyRef, o.deps));
  if (!o.ignoreTlog) {
    await verifyBundleTlog(bundle, {
      trustedRoot: o.trustedRoot,
      keyDer: publicKey.spki,
      now: o.now,
    });
  }
  await verifyDsse({
    envelope: {
      payloadType: env.payloadType,
      payload: env.payload.toBase64(),
      signatures: env.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig.toBase64() })),
    },
    publicKey,
    hash: o.hash,
  });
  checkBundleStatement(bundle, { limitSubjects: o.artifactDigest !== undefined });
  const statement = readStatement(env.payload, "unmarshal in-toto statement");
  const digest = o.artifactDigest;
  if (digest) {
    if (env.payloadType !== INTOTO_PAYLOAD_TYPE) {
      throw fail(
        "CLAIMS_MISMATCH",
        "could not verify artifact: unable to extract statement from envelope: " +
          `payload type ${env.payloadType} is not ${INTOTO_PAYLOAD_TYPE}`,
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
      throw fail(
        "CLAIMS_MISMATCH",
        "provided artifact digests does not match digests in statement",
      );
    }
    if (!named.some((d) => d.toLowerCase() === hex)) {
      throw fail(
        "CLAIMS_MISMATCH",
        "provided artifact digest does not match any digest in statement",
      );
    }
  }
  if (o.type !== undefined) checkPredicate(statement, env.payload, o.type);
  return statement;
}
