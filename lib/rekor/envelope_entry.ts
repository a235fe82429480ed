/**
 * Rekor entries about DSSE envelopes (attestations), as cosign 2 logs and checks them: `attest`
 * and `attest-blob` upload the signed envelope as a dsse v0.0.1 entry (the default) or an intoto
 * v0.0.1 entry (`--rekor-entry-type intoto`); the log keeps hashes, signature and key in the
 * canonical body. A verifier binds the entry to the attestation as cosign's VerifyBundle does
 * for attestations (pkg/cosign/verify.go comparePublicKey, bundleHash): the key in the entry is
 * the verification key, and the entry's envelope hash is the SHA-256 of this very envelope —
 * which covers its payload and signature, so an entry spliced from another attestation fails.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { VerificationError } from "../errors.ts";
import { decodePem } from "../keys/pem.ts";
import {
  type RekorEntry,
  verifyInclusionProof,
  verifyIntegratedTime,
  verifyLogId,
  verifySet,
  type VerifyTlogEntryOptions,
} from "./verify_entry.ts";

/** What an envelope entry's canonical body says. */
export interface EnvelopeEntryBody {
  /** `dsse 0.0.1`, `intoto 0.0.1` or `intoto 0.0.2`. */
  kind: "dsse" | "intoto";
  apiVersion: string;
  /** The hash of the whole envelope (dsse `envelopeHash`, intoto `content.hash`). */
  envelopeHash: { algorithm: string; value: string };
  /** The PEM of the key or certificate the entry names. */
  publicKeyPem: Uint8Array;
}

/** What an envelope entry must be about. */
export interface EnvelopeBinding {
  /** The envelope bytes as stored (the attestation layer, or the blob bundle's signature). */
  envelope: Uint8Array;
  /** DER of the verification key's SPKI, or of the certificate. */
  keyDer: Uint8Array;
}

function invalid(detail: string): VerificationError {
  return new VerificationError(
    "TLOG_ENTRY_INVALID",
    `Cannot read transparency log entry: ${detail}`,
  );
}

function stdBase64(text: unknown, what: string): Uint8Array {
  if (
    typeof text !== "string" || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)
  ) {
    throw invalid(`${what} is not base64`);
  }
  return Uint8Array.fromBase64(text);
}

function hashOf(v: unknown, what: string): { algorithm: string; value: string } {
  // deno-lint-ignore no-explicit-any
  const h = v as any;
  if (typeof h?.algorithm !== "string" || typeof h?.value !== "string") {
    throw invalid(`missing ${what}`);
  }
  return { algorithm: h.algorithm, value: h.value };
}

/**
 * Decodes the canonical body of a dsse v0.0.1, intoto v0.0.1 or intoto v0.0.2 entry.
 *
 * @param body the base64 body
 * @throws {VerificationError} `TLOG_ENTRY_INVALID` for another kind, a malformed body, or a DSSE
 *   entry with other than one signature (cosign: "multiple signatures on DSSE envelopes are not
 *   currently supported")
 */
export function parseEnvelopeEntryBody(body: string): EnvelopeEntryBody {
  // deno-lint-ignore no-explicit-any
  let v: any;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(stdBase64(body, "body")));
  } catch (e) {
    if (e instanceof VerificationError) throw e;
    throw invalid("the body is not JSON");
  }
  const kind = v?.kind;
  const apiVersion = v?.apiVersion;
  const spec = v?.spec;
  if (kind === "dsse" && apiVersion === "0.0.1") {
    const sigs = spec?.signatures;
    if (!Array.isArray(sigs) || sigs.length === 0) throw invalid("missing spec.signatures");
    if (sigs.length > 1) {
      throw invalid("multiple signatures on DSSE envelopes are not currently supported");
    }
    return {
      kind,
      apiVersion,
      envelopeHash: hashOf(spec?.envelopeHash, "spec.envelopeHash"),
      publicKeyPem: stdBase64(sigs[0]?.verifier, "spec.signatures[0].verifier"),
    };
  }
  if (kind === "intoto" && apiVersion === "0.0.1") {
    return {
      kind,
      apiVersion,
      envelopeHash: hashOf(spec?.content?.hash, "spec.content.hash"),
      publicKeyPem: stdBase64(spec?.publicKey, "spec.publicKey"),
    };
  }
  if (kind === "intoto" && apiVersion === "0.0.2") {
    const sigs = spec?.content?.envelope?.signatures;
    if (!Array.isArray(sigs) || sigs.length === 0) {
      throw invalid("missing spec.content.envelope.signatures");
    }
    if (sigs.length > 1) {
      throw invalid("multiple signatures on DSSE envelopes are not currently supported");
    }
    return {
      kind,
      apiVersion,
      envelopeHash: hashOf(spec?.content?.hash, "spec.content.hash"),
      publicKeyPem: stdBase64(sigs[0]?.publicKey, "spec.content.envelope.signatures[0].publicKey"),
    };
  }
  throw invalid(`unsupported entry kind ${String(kind)} ${String(apiVersion)}`);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The binding step for an attestation: the entry names this key and the SHA-256 of this very
 * envelope.
 *
 * @throws {VerificationError} `TLOG_ENTRY_MISMATCH`, or `TLOG_ENTRY_INVALID` for a body that is
 *   not an envelope entry
 */
export function verifyEnvelopeEntryBinding(entry: RekorEntry, binding: EnvelopeBinding): void {
  const b = parseEnvelopeEntryBody(entry.body);
  const mismatch = (d: string) =>
    new VerificationError("TLOG_ENTRY_MISMATCH", `Cannot verify transparency log entry: ${d}`);
  const pem = decodePem(b.publicKeyPem);
  if (!pem || !equal(pem.bytes, binding.keyDer)) {
    throw mismatch("public key in the entry does not match the verification key");
  }
  if (b.envelopeHash.algorithm !== "sha256") {
    throw mismatch(`unexpected algorithm: "${b.envelopeHash.algorithm}"`);
  }
  const actual = new Uint8Array(createHash("sha256").update(binding.envelope).digest()).toHex();
  if (b.envelopeHash.value.toLowerCase() !== actual) {
    throw mismatch(
      `matching bundle to payload: bundle="${b.envelopeHash.value}", payload="${actual}"`,
    );
  }
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
  verifyLogId(entry, options.logKey);
  await verifySet(entry, options.logKey);
  verifyIntegratedTime(entry, options.now);
  if (options.requireInclusionProof) await verifyInclusionProof(entry, options.logKey);
  verifyEnvelopeEntryBinding(entry, options.binding);
}
