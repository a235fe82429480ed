/**
 * Logging signed DSSE envelopes, as cosign 2's `attest` / `attest-blob` do (pkg/cosign/tlog.go
 * TLogUploadDSSEEnvelope, or TLogUploadInTotoAttestation with `--rekor-entry-type intoto`).
 *
 * @module
 */
import type { PublicKey } from "../keys/public_key.ts";
import type { Signer } from "../signature/signer.ts";
import { verifierOf } from "./_uploaded_verifier.ts";
import { decodeDsseBase64, parseEnvelope } from "../payload/dsse.ts";
import {
  type EnvelopeEntryType,
  envelopeProposal,
  RekorClient,
  type RekorLogEntry,
} from "../rekor/client.ts";
import { type RekorUploaderOptions, uploadEntry } from "../rekor/upload_entry.ts";
import { uploadLogKey } from "../rekor/verify_uploaded_entry.ts";

/**
 * Logs signed envelopes in one Rekor.
 *
 * @param rekorUrl the log (`--rekor-url`)
 * @param publicKey the signer's public key, uploaded with the entry; or the signer, whose
 *   certificate is uploaded when it has one (keyless), as cosign does
 * @param type `--rekor-entry-type` (cosign's default `dsse`)
 * @param options `logKey`: the log key to check answers with (SIGSTORE_REKOR_PUBLIC_KEY or a
 *   trusted root's logs); without it, the key the log serves, as cosign does
 * @returns a function uploading one envelope and returning the log entry, once the answer was
 *   checked to be that very envelope's entry (lib/rekor verifyUploadedEntry)
 * @throws (the returned function) {SigstoreError} `TLOG_REQUEST_FAILED`, `TLOG_ENTRY_INVALID`;
 *   {VerificationError} with the `TLOG_*` code of the check the answer failed
 */
export function envelopeUploader(
  rekorUrl: string,
  publicKey: PublicKey | Signer,
  type: EnvelopeEntryType = "dsse",
  options: RekorUploaderOptions = {},
): (envelope: Uint8Array) => Promise<RekorLogEntry & { existed: boolean }> {
  const client = new RekorClient(rekorUrl, options);
  const { pem, der } = verifierOf(publicKey);
  const logKey = uploadLogKey(options.logKey, client);
  return async (envelope) => {
    const parsed = parseEnvelope(envelope);
    if (parsed.signatures.length !== 1) {
      throw new TypeError(`"envelope" expected one signature, got ${parsed.signatures.length}`);
    }
    return await uploadEntry(client, envelopeProposal(type, envelope, pem), {
      kind: type,
      envelope,
      keyDer: der,
      payloadType: parsed.payloadType,
      payload: decodeDsseBase64(parsed.payload),
      signature: decodeDsseBase64(parsed.signatures[0].sig),
    }, { logKey, rekorUrl, now: options.now });
  };
}
