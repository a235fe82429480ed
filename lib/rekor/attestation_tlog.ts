/**
 * Rekor for attestations, as cosign 2 does it: `attest` / `attest-blob` log the signed DSSE
 * envelope (cosign pkg/cosign/tlog.go TLogUploadDSSEEnvelope, or TLogUploadInTotoAttestation with
 * `--rekor-entry-type intoto`); the entry travels as cosign's `bundle.RekorBundle` in the
 * attestation layer's `dev.sigstore.cosign/bundle` annotation, or in the blob bundle file's
 * `rekorBundle`, and verifiers check it offline with the log key.
 *
 * @module
 */
import { SigstoreError, VerificationError } from "../errors.ts";
import { marshalPublicKeyPem, type PublicKey } from "../keys/public_key.ts";
import { BUNDLE_ANNOTATION } from "../oci/cosign_signatures.ts";
import type { Descriptor } from "../oci/types.ts";
import { parseRekorBundle } from "./blob_bundle.ts";
import {
  type EnvelopeEntryType,
  envelopeProposal,
  RekorClient,
  type RekorLogEntry,
} from "./client.ts";
import { parseEntryBody, verifyEntryBodyBinding } from "./entry_body.ts";
import {
  type LogKeySelector,
  type RekorEntry,
  selectLogKey,
  verifyInclusionProof,
  verifyIntegratedTime,
  verifySet,
  type VerifyTlogEntryOptions,
} from "./verify_entry.ts";

/** What an envelope entry must be about (cosign's old bundles of attestations). */
export interface EnvelopeBinding {
  /** The envelope bytes as stored (the attestation layer, or the blob bundle's signature). */
  envelope: Uint8Array;
  /** DER of the verification key's SPKI, or of the certificate. */
  keyDer: Uint8Array;
}

/**
 * The binding step for an attestation, as cosign's VerifyBundle does it (comparePublicKey,
 * bundleHash): a dsse or intoto entry naming this key and the SHA-256 of this very envelope.
 *
 * @throws {VerificationError} `TLOG_ENTRY_MISMATCH`, or `TLOG_ENTRY_INVALID` for a body that is
 *   not a dsse/intoto entry or records several signatures
 */
export function verifyEnvelopeEntryBinding(entry: RekorEntry, binding: EnvelopeBinding): void {
  const body = parseEntryBody(entry.body);
  if (body.kind !== "dsse" && body.kind !== "intoto") {
    throw new VerificationError(
      "TLOG_ENTRY_INVALID",
      `Cannot read transparency log entry: unsupported entry kind ${body.kind} ${body.apiVersion}`,
    );
  }
  verifyEntryBodyBinding(body, {
    key: binding.keyDer,
    envelope: binding.envelope,
    singleSignature: true,
  });
}

/**
 * Every step on an entry about an envelope: log key, SET, time, then (when required) inclusion
 * proof and checkpoint, then the binding to the envelope and key.
 *
 * @throws {VerificationError} with the code of the first failed step
 */
export async function verifyEnvelopeEntry(
  entry: RekorEntry,
  options: Omit<VerifyTlogEntryOptions, "binding"> & { binding: EnvelopeBinding },
): Promise<void> {
  const logKey = selectLogKey(entry, options.logKey);
  await verifySet(entry, logKey);
  verifyIntegratedTime(entry, options.now);
  if (options.requireInclusionProof) await verifyInclusionProof(entry, logKey);
  verifyEnvelopeEntryBinding(entry, options.binding);
}

/**
 * Logs signed envelopes in one Rekor.
 *
 * @param rekorUrl the log (`--rekor-url`)
 * @param publicKey the signer's public key, uploaded with the entry
 * @param type `--rekor-entry-type` (cosign's default `dsse`)
 * @returns a function uploading one envelope and returning the log entry
 * @throws (the returned function) {SigstoreError} `TLOG_REQUEST_FAILED`, `TLOG_ENTRY_INVALID`
 */
export function envelopeUploader(
  rekorUrl: string,
  publicKey: PublicKey,
  type: EnvelopeEntryType = "dsse",
  options: { fetch?: typeof fetch; signal?: AbortSignal } = {},
): (envelope: Uint8Array) => Promise<RekorLogEntry & { existed: boolean }> {
  const client = new RekorClient(rekorUrl, options);
  const pem = new TextEncoder().encode(marshalPublicKeyPem(publicKey));
  return async (envelope) => {
    try {
      return await client.createProposedEntry(envelopeProposal(type, envelope, pem));
    } catch (e) {
      if (e instanceof SigstoreError && e.code !== "NETWORK") throw e;
      throw new SigstoreError(
        "TLOG_REQUEST_FAILED",
        `Cannot upload to the transparency log ${rekorUrl}: ${(e as Error).message}`,
        { cause: e },
      );
    }
  };
}

/**
 * Finds a log entry for an envelope when it carries no bundle (an online lookup); `undefined`
 * when the log has none. The entry returned is verified like a bundle, with its inclusion proof.
 */
export type EnvelopeEntryLookup = (
  query: { envelope: Uint8Array; publicKey: PublicKey },
) => Promise<RekorEntry | undefined>;

/** Options for {@link verifyEnvelopeTlog}. */
export interface VerifyEnvelopeTlogOptions {
  /** The transparency log's public key, or a selector (a trusted root's logs). */
  logKey: PublicKey | LogKeySelector;
  /** The key the envelope is verified with; the entry must name it. */
  publicKey: PublicKey;
  /** Looks the entry up online when there is no bundle; without it, no bundle fails. */
  lookup?: EnvelopeEntryLookup;
  /** The current time in milliseconds (default `Date.now()`). */
  now?: number;
}

/**
 * The transparency step for one envelope: its bundle (cosign's `bundle.RekorBundle` JSON) must
 * verify offline with the log key and be about this very envelope and key.
 *
 * @param envelope the envelope bytes as stored
 * @param bundle the bundle JSON, if the attestation carries one
 * @returns true once verified
 * @throws {VerificationError} `TLOG_ENTRY_NOT_FOUND` without a bundle (and no lookup, or the lookup
 *   found nothing), or the code of the failed step
 */
export async function verifyEnvelopeTlog(
  envelope: Uint8Array,
  bundle: string | RekorEntry | undefined,
  opts: VerifyEnvelopeTlogOptions,
): Promise<boolean> {
  let entry = typeof bundle === "string" ? parseRekorBundle(bundle) : bundle;
  const online = entry === undefined && opts.lookup !== undefined;
  if (entry === undefined && opts.lookup) {
    entry = await opts.lookup({ envelope, publicKey: opts.publicKey });
  }
  if (entry === undefined) {
    throw new VerificationError(
      "TLOG_ENTRY_NOT_FOUND",
      opts.lookup
        ? "attestation has no transparency log bundle and the log has no entry for it"
        : "attestation has no transparency log bundle (looking entries up online is not available yet)",
    );
  }
  await verifyEnvelopeEntry(entry, {
    logKey: opts.logKey,
    requireInclusionProof: online,
    now: opts.now,
    binding: { envelope, keyDer: opts.publicKey.spki },
  });
  return true;
}

/**
 * A verifyImageAttestations transparency step: each layer's bundle annotation is checked with
 * {@link verifyEnvelopeTlog}.
 *
 * @returns the step
 */
export function attestationBundleVerifier(
  opts: VerifyEnvelopeTlogOptions,
): (layer: { descriptor: Descriptor; envelope: Uint8Array }) => Promise<boolean> {
  return (layer) =>
    verifyEnvelopeTlog(layer.envelope, layer.descriptor.annotations?.[BUNDLE_ANNOTATION], opts);
}
