/**
 * Logging signed DSSE envelopes, as cosign 2's `attest` / `attest-blob` do (pkg/cosign/tlog.go
 * TLogUploadDSSEEnvelope, or TLogUploadInTotoAttestation with `--rekor-entry-type intoto`).
 *
 * @module
 */
import { SigstoreError } from "../errors.ts";
import { marshalPublicKeyPem, type PublicKey } from "../keys/public_key.ts";
import {
  type EnvelopeEntryType,
  envelopeProposal,
  RekorClient,
  type RekorLogEntry,
} from "../rekor/client.ts";

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
