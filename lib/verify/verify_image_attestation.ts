/**
 * Verifying container image attestations the way `cosign verify-attestation --key` does
 * (cmd/cosign/cli/verify/verify_attestation.go, pkg/cosign/verify.go `VerifyImageAttestations` →
 * `VerifyImageAttestation` → `verifyInternal` with `verifyOCIAttestation`, pkg/policy
 * `AttestationToPayloadJSON`, v2.6.4).
 *
 * Steps, in cosign's order: resolve the digest (a missing tag is the registry's error); read the
 * `.att` image (a missing tag is an empty list); then for every layer: size limit, download, the
 * signature annotation must exist (`static.Copy`), then the layer as a signed entity through
 * {@link verifyEntity}: the transparency log, the envelope's payload type and DSSE signature, and
 * with the policy's claims check a statement subject whose sha256 is the image digest. When no layer passes: "no matching attestations: <reasons joined by "\n ">".
 * Then the verified envelopes are filtered by predicate type (the policy's `type`, default `custom`, short
 * names mapped to their URI; exact match; a statement that does not parse aborts everything);
 * none left is "none of the attestations matched the predicate type: T, found: a,b".
 *
 * Exit codes: cosign maps none of these failures to 10/11/12 — `ErrNoMatchingAttestations` is not
 * in its exit-code table and the other errors are plain — so every failure exits 1. The codes below
 * keep the cases apart for library callers.
 *
 * @module
 */

import { settleInOrder } from "../concurrency.ts";
import { decodeStdBase64 } from "../base64.ts";
import { SigstoreError, VerificationError } from "../errors.ts";
import {
  BUNDLE_ANNOTATION,
  CERTIFICATE_ANNOTATION,
  fetchSignaturePayload,
  readSignatureImage,
  SIGNATURE_ANNOTATION,
} from "../oci/cosign_signatures.ts";
import { cosignAttachmentLocation, type CosignTagOptions } from "../oci/cosign_tags.ts";
import type { Descriptor, Reference, Registry, Repository } from "../registry/types.ts";
import { DEFAULT_MAX_ATTACHMENT_SIZE } from "../payload/attachment_size.ts";
import { parseEnvelope } from "../payload/dsse.ts";
import { GoJsonObject, parseGoJson } from "../payload/go_json.ts";
import { checkTypedStatement, parseStatement } from "../payload/intoto.ts";
import { predicateTypeUri } from "../payload/predicate_types.ts";
import type { VerificationPolicy } from "./verification_policy.ts";
import { verifyEntity } from "./verify_entity.ts";
import { annotationMaterial, annotationTimestamps } from "./_cosign_material.ts";

/** At most this many attestations are processed (cosign's `maxAllowedSigsOrAtts`). */
export const MAX_ATTESTATIONS = 100;
/** Layers verified at once. */
const CONCURRENCY = 16;

/** What {@link verifyImageAttestations} checks. */
export interface VerifyImageAttestationsOptions extends CosignTagOptions {
  registry: Registry;
  /** The image; a tag is resolved to its digest. */
  ref: Reference;
  /**
   * Who signed, how the log is checked, and the claims: `check` (default true: a statement
   * subject names the image digest) and `type` (cosign's default `custom`: a short name or a
   * predicate type URI).
   */
  policy: VerificationPolicy;
  /** `COSIGN_MAX_ATTACHMENT_SIZE` in bytes, checked before each download. */
  maxAttachmentSize?: number;
  /** The most attestation layers processed; more is an error (default {@link MAX_ATTESTATIONS}). */
  maxAttestations?: number;
}

/** An attestation that passed every check. */
export interface VerifiedAttestation {
  /** The layer's descriptor. */
  descriptor: Descriptor;
  /** The envelope as stored: what cosign prints. */
  envelope: Uint8Array;
  /** The signed statement (undefined when the payload is not standard base64). */
  statement?: Uint8Array;
  /** The statement's predicate type (read by the claims check or the predicate type filter). */
  predicateType?: string;
  /** Whether the transparency-log step verified a bundle offline. */
  bundleVerified: boolean;
  /** The certificate annotation (PEM), when the layer has one. */
  certificate?: string;
}

/** The result of {@link verifyImageAttestations}. */
export interface VerifyImageAttestationsResult {
  /** The verified image digest. */
  digest: string;
  /** Where the attestations were read. */
  location: { repo: Repository; tag: string };
  /** The attestations that passed and have the wanted predicate type, in layer order. */
  attestations: VerifiedAttestation[];
  /** Whether any attestation's bundle was verified offline. */
  bundleVerified: boolean;
}

/**
 * Verifies the attestations of an image.
 *
 * @param opts the image, key(s), predicate type and checks
 * @returns the verified attestations of the wanted type
 * @throws {RegistryError} when the tag cannot be resolved (`MANIFEST_UNKNOWN`, exit 1 as cosign)
 * @throws {VerificationError} `NOT_SIGNED` "no matching attestations: none attached" when there is
 *   no attestation; `NO_MATCHING_ATTESTATIONS` "no matching attestations: <reason>\n <reason>…";
 *   `CLAIMS_MISMATCH` "none of the attestations matched the predicate type: T, found: …";
 *   `SIGNATURE_INVALID` "converting to consumable policy validation: …" — all exit 1, as in cosign
 * @throws {SigstoreError} `TOO_MANY` "maximum number of attestations on an image is 100, found N",
 *   or "number of layers (N) exceeded the limit (1000)"
 */
export async function verifyImageAttestations(
  opts: VerifyImageAttestationsOptions,
): Promise<VerifyImageAttestationsResult> {
  const { registry, ref } = opts;
  const type = opts.policy.claims?.type ?? "custom";
  const repo: Repository = { registry: ref.registry, repository: ref.repository };
  const digest = ref.digest ?? (await registry.getManifest(repo, ref.tag ?? "latest")).digest;
  const location = cosignAttachmentLocation(repo, digest, "att", opts);
  const image = await readSignatureImage(registry, location.repo, location.tag);
  const layers = image?.manifest.layers ?? [];
  if (layers.length === 0) {
    // cosign prints "no matching attestations: " (nothing after the colon) here.
    throw new VerificationError("NOT_SIGNED", "no matching attestations: none attached");
  }
  const max = opts.maxAttestations ?? MAX_ATTESTATIONS;
  if (layers.length > max) {
    throw new SigstoreError(
      "TOO_MANY",
      `maximum number of attestations on an image is ${max}, found ${layers.length}`,
    );
  }
  const results = await settleInOrder(
    layers,
    CONCURRENCY,
    (layer) => verifyLayer(opts, location.repo, layer, digest),
  );
  const verified = results.filter((r): r is VerifiedAttestation => !(r instanceof Error));
  if (verified.length === 0) {
    const errors = results as Error[];
    throw new VerificationError(
      "NO_MATCHING_ATTESTATIONS",
      `no matching attestations: ${errors.map(reason).join("\n ")}`,
      { cause: new AggregateError(errors, "every attestation failed") },
    );
  }
  // AttestationToPayloadJSON, for each verified attestation in order.
  if (type === "") {
    throw new VerificationError(
      "SIGNATURE_INVALID",
      "converting to consumable policy validation: missing predicate type",
    );
  }
  const want = predicateTypeUri(type);
  const found: string[] = [];
  const attestations: VerifiedAttestation[] = [];
  for (const a of verified) {
    const st = policyStatement(a);
    a.predicateType = st.predicateType;
    found.push(st.predicateType);
    if (st.predicateType !== want) continue;
    try {
      checkTypedStatement(type, st.bytes);
    } catch (e) {
      if (!(e instanceof TypeError || e instanceof SyntaxError)) throw e;
      throw new VerificationError(
        "SIGNATURE_INVALID",
        `converting to consumable policy validation: ${e.message}`,
        { cause: e },
      );
    }
    attestations.push(a);
  }
  if (attestations.length === 0) {
    throw new VerificationError(
      "CLAIMS_MISMATCH",
      `none of the attestations matched the predicate type: ${type}, found: ${found.join(",")}`,
    );
  }
  return {
    digest,
    location,
    attestations,
    bundleVerified: attestations.some((a) => a.bundleVerified),
  };
}

/** The reason cosign prints for a failed layer: the message without our step prefix. */
function reason(e: Error): string {
  return e.message.replace(/^Cannot verify (attestation|signature): /, "");
}

/** Go's `base64.StdEncoding.DecodeString` (cosign reads the statement with it), or undefined. */
function stdBase64(text: string): Uint8Array | undefined {
  try {
    return decodeStdBase64(text);
  } catch {
    return undefined;
  }
}

async function verifyLayer(
  opts: VerifyImageAttestationsOptions,
  repo: Repository,
  descriptor: Descriptor,
  digest: string,
): Promise<VerifiedAttestation> {
  const fail = (m: string, cause?: unknown) =>
    new VerificationError("SIGNATURE_INVALID", m, { cause });
  // static.Copy: payload (size-checked) first, then the signature annotation must exist.
  const envelope = await fetchSignaturePayload(
    opts.registry,
    repo,
    descriptor,
    opts.maxAttachmentSize ?? DEFAULT_MAX_ATTACHMENT_SIZE,
  );
  const annotations = descriptor.annotations ?? {};
  if (annotations[SIGNATURE_ANNOTATION] === undefined) {
    throw fail(
      `signature layer ${descriptor.digest} is missing "${SIGNATURE_ANNOTATION}" annotation`,
    );
  }
  // The statement, as IntotoSubjectClaimVerifier and AttestationToPayloadJSON read it: the
  // envelope's `payload` member, standard base64. Without the claims check cosign reads it only in
  // the policy step (where a failure aborts the command).
  let statement: Uint8Array | undefined;
  let predicateType: string | undefined;
  const bundle = annotations[BUNDLE_ANNOTATION];
  const facts = await verifyEntity(opts.policy, {
    content: {
      kind: "envelope",
      raw: envelope,
      envelope: () => {
        try {
          return parseEnvelope(envelope);
        } catch (e) {
          throw fail((e as Error).message, e);
        }
      },
      legacyPayloadType: true,
    },
    material: annotationMaterial(annotations),
    tlog: bundle ? { kind: "rekor", entry: bundle } : { kind: "none" },
    timestamps: annotationTimestamps(annotations),
    subject: "attestation",
    checkClaims: () => {
      const outer = parseGoJson(envelope);
      const payload = outer instanceof GoJsonObject ? outer.get("payload") : undefined;
      statement = typeof payload === "string" ? stdBase64(payload) : undefined;
      if (!(opts.policy.claims?.check ?? true)) return;
      if (!statement) throw fail("illegal base64 data in the envelope's payload");
      let parsed;
      try {
        parsed = parseStatement(statement);
      } catch (e) {
        throw fail((e as Error).message, e);
      }
      const match = parsed.subject.some((s) => {
        const d = s.digest?.get("sha256");
        return d !== undefined && `sha256:${d}` === digest;
      });
      if (!match) {
        throw new VerificationError("CLAIMS_MISMATCH", "no matching subject digest found");
      }
      predicateType = parsed.predicateType;
    },
  });
  return {
    descriptor,
    envelope,
    statement,
    predicateType,
    bundleVerified: facts.tlogVerified,
    ...(annotations[CERTIFICATE_ANNOTATION]
      ? { certificate: annotations[CERTIFICATE_ANNOTATION] }
      : {}),
  };
}

/** pkg/policy AttestationToPayloadJSON's reading of the statement. */
function policyStatement(a: VerifiedAttestation): { bytes: Uint8Array; predicateType: string } {
  const fail = (m: string, cause?: unknown) =>
    new VerificationError(
      "SIGNATURE_INVALID",
      `converting to consumable policy validation: ${m}`,
      { cause },
    );
  if (!a.statement) throw fail("decoding payload: illegal base64 data");
  if (a.predicateType !== undefined) return { bytes: a.statement, predicateType: a.predicateType };
  try {
    return { bytes: a.statement, predicateType: parseStatement(a.statement).predicateType };
  } catch (e) {
    throw fail(`unmarshal in-toto statement: ${(e as Error).message}`, e);
  }
}

/**
 * What `cosign verify-attestation` prints to stdout: every verified envelope as stored, each
 * followed by "\n" (cosign always prints attestations in its "text" mode, whatever `-o` says).
 *
 * @param attestations the verified attestations
 * @returns the stdout bytes
 */
export function renderAttestationOutput(attestations: VerifiedAttestation[]): Uint8Array {
  const size = attestations.reduce((n, a) => n + a.envelope.length + 1, 0);
  const out = new Uint8Array(size);
  let off = 0;
  for (const a of attestations) {
    out.set(a.envelope, off);
    off += a.envelope.length;
    out[off++] = 0x0a;
  }
  return out;
}
