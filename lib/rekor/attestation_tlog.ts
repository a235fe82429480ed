/**
 * Rekor for attestations, as cosign 2 does it: `attest` / `attest-blob` log the signed DSSE
 * envelope (cosign pkg/cosign/tlog.go TLogUploadDSSEEnvelope, or TLogUploadInTotoAttestation with
 * `--rekor-entry-type intoto`); the entry travels as cosign's `bundle.RekorBundle` in the
 * attestation layer's `dev.sigstore.cosign/bundle` annotation, or in the blob bundle file's
 * `rekorBundle`, and verifiers check it offline with the log key. An attestation without a bundle
 * (`attach attestation`, `attest-blob --output-signature`) is looked up online
 * ({@link findEnvelopeEntry}).
 *
 * @module
 */
import { VerificationError } from "../errors.ts";
import { encodePem } from "../keys/pem.ts";
import { marshalPublicKeyPem, type PublicKey } from "../keys/public_key.ts";
import { parseRekorBundle } from "./blob_bundle.ts";
import { envelopeProposal, type RekorClient, type RekorLogEntry } from "./client.ts";
import { parseEntryBody, verifyEntryBodyBinding } from "./entry_body.ts";
import { findVerifiedEntry } from "./find_entry.ts";
import { parseEnvelope } from "../payload/dsse.ts";
import { verifyDsse } from "../payload/verify_dsse.ts";
import {
  type LogKeySelector,
  type RekorEntry,
  treeIdOfUuid,
  verifyTlogEntry,
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
  await verifyTlogEntry(entry, { ...options, binding: undefined });
  verifyEnvelopeEntryBinding(entry, options.binding);
}

/** What {@link findEnvelopeEntry} looks up. */
export interface FindEnvelopeEntryOptions {
  client: RekorClient;
  /** The trusted log key (SIGSTORE_REKOR_PUBLIC_KEY), or a selector (from a trusted root). */
  logKey: PublicKey | LogKeySelector;
  /** The envelope bytes exactly as stored (the attestation layer, or `--signature` file). */
  envelope: Uint8Array;
  /** The key the envelope is verified with (proposed as its PEM). */
  publicKey: PublicKey;
  /** Keyless: the signing certificate (DER), proposed and bound instead of the key. */
  certificate?: Uint8Array;
  /** The current time in milliseconds (default `Date.now()`). */
  now?: number;
}

/**
 * The online lookup of an attestation without a bundle, as cosign's tlogValidateEntry does it for
 * a signature with no raw signature (pkg/cosign/tlog.go proposedEntries): a dsse and an intoto
 * entry for the envelope and key are proposed in one search, so an entry logged as either kind is
 * found; every entry returned must have the UUID of its body and pass every step of
 * {@link verifyEnvelopeEntry} with its inclusion proof and checkpoint. The earliest counts. An
 * envelope that does not verify with the key is refused before any request, as cosign does.
 *
 * @returns the earliest integrated entry that passed every check
 * @throws {VerificationError} `SIGNATURE_INVALID` "Cannot verify attestation: could not verify
 *   envelope: …" or "…: payload must be a valid DSSE envelope: …" (no request sent); the errors
 *   of {@link findVerifiedEntry} (`TLOG_ENTRY_NOT_FOUND`, `TLOG_REQUEST_FAILED`, and the code of
 *   the failed check)
 */
export async function findEnvelopeEntry(o: FindEnvelopeEntryOptions): Promise<RekorLogEntry> {
  // Rekor's dsse CreateFromArtifactProperties, which cosign builds the proposal with, reads the
  // envelope and verifies it with the key (SHA-256) before anything is sent.
  const fail = (detail: string, cause: unknown) =>
    new VerificationError("SIGNATURE_INVALID", `Cannot verify attestation: ${detail}`, { cause });
  let envelope;
  try {
    envelope = parseEnvelope(o.envelope);
  } catch (e) {
    if (!(e instanceof SyntaxError || e instanceof TypeError)) throw e;
    throw fail(`payload must be a valid DSSE envelope: ${e.message}`, e);
  }
  try {
    await verifyDsse({ envelope, publicKey: o.publicKey, hash: "sha256" });
  } catch (e) {
    if (!(e instanceof VerificationError)) throw e;
    throw fail(
      `could not verify envelope: ${e.message.replace(/^Cannot verify attestation: /, "")}`,
      e,
    );
  }
  const pem = new TextEncoder().encode(
    o.certificate ? encodePem("CERTIFICATE", o.certificate) : marshalPublicKeyPem(o.publicKey),
  );
  return await findVerifiedEntry({
    client: o.client,
    proposals: [
      envelopeProposal("dsse", o.envelope, pem),
      envelopeProposal("intoto", o.envelope, pem),
    ],
    verify: (entry) =>
      verifyEnvelopeEntry(entry, {
        logKey: o.logKey,
        requireInclusionProof: true,
        treeId: treeIdOfUuid(entry.uuid),
        now: o.now,
        binding: { envelope: o.envelope, keyDer: o.certificate ?? o.publicKey.spki },
      }),
    other: "another attestation or key",
  });
}

/** Options for {@link verifyEnvelopeTlog}. */
export interface VerifyEnvelopeTlogOptions {
  /** The transparency log's public key, or a selector (a trusted root's logs). */
  logKey: PublicKey | LogKeySelector;
  /** The key the envelope is verified with; the entry must name it. */
  publicKey: PublicKey;
  /**
   * Where to look up an envelope that has no bundle ({@link findEnvelopeEntry}, `--rekor-url`);
   * without it such an envelope fails.
   */
  rekor?: RekorClient;
  /** `--offline`: an envelope without a bundle fails without any request. */
  offline?: boolean;
  /** The current time in milliseconds (default `Date.now()`). */
  now?: number;
}

/**
 * The transparency step for one envelope, as cosign's verifyInternal: its bundle (cosign's
 * `bundle.RekorBundle` JSON) must verify offline with the log key and be about this very envelope
 * and key, and a bundle that fails never falls back to a lookup; without a bundle the entry is
 * looked up in the log ({@link findEnvelopeEntry}) unless `offline`.
 *
 * @param envelope the envelope bytes as stored
 * @param bundle the bundle JSON, if the attestation carries one
 * @returns true once verified (cosign's bundleVerified, set after an online lookup too)
 * @throws {VerificationError} `TLOG_ENTRY_NOT_FOUND` without a bundle when `offline`, without a
 *   log, or when the log has no entry; the codes of {@link verifyEnvelopeEntry} and
 *   {@link findEnvelopeEntry}
 */
export async function verifyEnvelopeTlog(
  envelope: Uint8Array,
  bundle: string | RekorEntry | undefined,
  opts: VerifyEnvelopeTlogOptions,
): Promise<boolean> {
  const entry = typeof bundle === "string" ? parseRekorBundle(bundle) : bundle;
  if (entry !== undefined) {
    await verifyEnvelopeEntry(entry, {
      logKey: opts.logKey,
      now: opts.now,
      binding: { envelope, keyDer: opts.publicKey.spki },
    });
    return true;
  }
  if (opts.offline) {
    throw new VerificationError(
      "TLOG_ENTRY_NOT_FOUND",
      "Cannot verify the transparency log entry: offline verification failed (the attestation has no bundle, and --offline forbids looking it up in the log)",
    );
  }
  if (!opts.rekor) {
    throw new VerificationError(
      "TLOG_ENTRY_NOT_FOUND",
      "Cannot verify the transparency log entry: rekor client not provided for online verification",
    );
  }
  await findEnvelopeEntry({
    client: opts.rekor,
    logKey: opts.logKey,
    envelope,
    publicKey: opts.publicKey,
    now: opts.now,
  });
  return true;
}
