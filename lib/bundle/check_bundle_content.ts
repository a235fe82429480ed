/**
 * What a Sigstore bundle's content must be before anything in it is verified, as sigstore-go
 * (v1.1.4, which cosign's new-bundle path runs) requires it:
 *
 * - a message signature names its digest (`Bundle.SignatureContent`: a `messageSignature` without
 *   `messageDigest` is "missing verification material"), for every bundle version
 * - a DSSE envelope carries exactly one signature (pkg/verify/signature.go verifyEnvelope:
 *   "exactly one signature is required"), the one its log entry binds
 * - its payload type is in-toto's and its payload a statement (`Envelope.Statement`, which the
 *   verifier reads for every DSSE bundle: "unsupported media type")
 * - when the statement's subjects are compared with an artifact: at most 1024 subjects with at
 *   most 32 digests each (limitSubjects, which sigstore-go runs only then)
 *
 * @module
 */
import { VerificationError } from "../errors.ts";
import { INTOTO_PAYLOAD_TYPE } from "../payload/dsse.ts";
import { parseJsonBounded } from "../payload/go_json.ts";
import type { SigstoreBundle } from "./bundle.ts";

/** Most subjects of a bundle's statement (sigstore-go maxAllowedSubjects). */
export const MAX_STATEMENT_SUBJECTS = 1024;
/** Most digests of one subject (sigstore-go maxAllowedSubjectDigests). */
export const MAX_SUBJECT_DIGESTS = 32;

function refuse(detail: string): VerificationError {
  return new VerificationError("SIGNATURE_INVALID", `Cannot verify the bundle: ${detail}`);
}

/**
 * Checks a parsed bundle's content before anything is verified: a message signature names its
 * digest, a DSSE envelope has exactly one signature. The statement is checked after the
 * signature ({@link checkBundleStatement}).
 *
 * @param bundle the bundle, as {@link parseBundle} read it
 * @throws {TypeError} "Cannot read bundle: missing verification material (…)" for a message
 *   signature without its digest
 * @throws {VerificationError} `SIGNATURE_INVALID` for a DSSE envelope with no or several
 *   signatures
 */
export function checkBundleContent(bundle: SigstoreBundle): void {
  const ms = bundle.messageSignature;
  if (ms && !ms.messageDigest) {
    throw new TypeError(
      "Cannot read bundle: missing verification material (the message signature has no messageDigest)",
    );
  }
  const env = bundle.dsseEnvelope;
  if (!env) return;
  if (env.signatures.length !== 1) {
    throw refuse(
      `exactly one signature is required, the DSSE envelope has ${env.signatures.length}`,
    );
  }
}

/**
 * Checks a DSSE bundle's statement, after its signature verified (sigstore-go reads
 * `Envelope.Statement` then): in-toto payload type, a JSON object and, with `limitSubjects`, at
 * most {@link MAX_STATEMENT_SUBJECTS} subjects of at most {@link MAX_SUBJECT_DIGESTS} digests.
 * A message-signature bundle passes.
 *
 * @param bundle the bundle
 * @param options `limitSubjects`: the subjects will be compared with an artifact (cosign's
 *   `--check-claims`, the default), so their number and digests are bounded first
 * @throws {VerificationError} `SIGNATURE_INVALID` for another payload type, a payload that is not
 *   a statement, or too many subjects or digests
 */
export function checkBundleStatement(
  bundle: SigstoreBundle,
  options: { limitSubjects?: boolean } = {},
): void {
  const env = bundle.dsseEnvelope;
  if (!env) return;
  if (env.payloadType !== INTOTO_PAYLOAD_TYPE) {
    throw refuse(
      `failed to fetch envelope statement: payload type ${
        JSON.stringify(env.payloadType)
      } is not ${INTOTO_PAYLOAD_TYPE}`,
    );
  }
  let statement: unknown;
  try {
    statement = parseJsonBounded(new TextDecoder("utf-8", { fatal: true }).decode(env.payload));
  } catch {
    throw refuse("failed to fetch envelope statement: the payload is not JSON");
  }
  if (typeof statement !== "object" || statement === null || Array.isArray(statement)) {
    throw refuse("failed to fetch envelope statement: the payload is not a statement");
  }
  const subjects = (statement as Record<string, unknown>).subject;
  if (!options.limitSubjects || !Array.isArray(subjects)) return;
  if (subjects.length > MAX_STATEMENT_SUBJECTS) {
    throw refuse(`too many subjects: ${subjects.length} > ${MAX_STATEMENT_SUBJECTS}`);
  }
  for (const s of subjects) {
    const digest = (s as Record<string, unknown> | null)?.digest;
    if (typeof digest !== "object" || digest === null) continue;
    const count = Object.keys(digest).length;
    if (count > MAX_SUBJECT_DIGESTS) {
      throw refuse(`too many digests: ${count} > ${MAX_SUBJECT_DIGESTS}`);
    }
  }
}
