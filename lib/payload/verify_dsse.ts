/**
 * Verifying a DSSE envelope with a public key, the way cosign's `verifyOCIAttestation` does with
 * go-securesystemslib v0.9.1's `EnvelopeVerifier` (threshold 1) around sigstore's verifier.
 *
 * @module
 */
import { VerificationError } from "../errors.ts";
import type { PublicKey } from "../keys/public_key.ts";
import { decodeDsseBase64, type DsseEnvelope, pae } from "./dsse.ts";
import { bytesReader } from "../stream.ts";
import { type VerifyHash, verifySignature } from "../signature/verify_signature.ts";

/** What {@link verifyDsse} checks. */
export interface VerifyDsseOptions {
  envelope: DsseEnvelope;
  publicKey: PublicKey;
  /** The digest ECDSA and RSA verify with (cosign `--signature-digest-algorithm`, default sha256). */
  hash: VerifyHash;
}

/**
 * Verifies an envelope: it counts when at least one of its signatures verifies over
 * PAE(payloadType, payload) with the key. `keyid`s are not compared (cosign gives the verifier
 * no key ID). As in go-securesystemslib, a signature that is not base64 fails the whole envelope.
 *
 * This threshold-1 rule is kept on purpose for cosign's own `.att` layers and DSSE files, as the
 * Go cosign applies it: other signatures (by other signers, or garbage) do not change that the
 * payload was signed by this key, and multi-signer envelopes from other tools stay verifiable.
 * Sigstore bundles are stricter: exactly one signature, bound to the log entry
 * (lib/bundle/check_bundle_content.ts, as sigstore-go's verifyEnvelope).
 *
 * @param opts the envelope, key and hash
 * @returns the decoded payload
 * @throws {VerificationError} `SIGNATURE_INVALID`: "Cannot verify attestation: no signature found",
 *   "Cannot verify attestation: unable to base64 decode payload (is payload in the right format?)"
 *   or "Cannot verify attestation: accepted signatures do not match threshold, Found: 0, Expected 1"
 */
export async function verifyDsse(opts: VerifyDsseOptions): Promise<Uint8Array> {
  const { envelope, publicKey, hash } = opts;
  const fail = (detail: string, cause?: unknown) =>
    new VerificationError("SIGNATURE_INVALID", `Cannot verify attestation: ${detail}`, { cause });
  if (envelope.signatures.length === 0) throw fail("no signature found");
  let body: Uint8Array;
  try {
    body = decodeDsseBase64(envelope.payload);
  } catch (e) {
    throw fail((e as Error).message, e);
  }
  const signatures: Uint8Array[] = [];
  for (const s of envelope.signatures) {
    try {
      signatures.push(decodeDsseBase64(s.sig));
    } catch (e) {
      throw fail((e as Error).message, e);
    }
  }
  const message = pae(envelope.payloadType, body);
  let lastError: unknown;
  for (const signature of signatures) {
    try {
      await verifySignature({ publicKey, hash, signature, reader: bytesReader(message) });
      return body;
    } catch (e) {
      if (!(e instanceof VerificationError)) throw e;
      lastError = e;
    }
  }
  throw fail("accepted signatures do not match threshold, Found: 0, Expected 1", lastError);
}
