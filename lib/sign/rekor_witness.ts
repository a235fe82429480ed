/**
 * Rekor for image signatures, as cosign 2 does it: each signature layer is logged as a hashedrekord
 * entry over the SHA-256 of its payload (pkg/cosign/tlog.go TLogUpload), and the entry travels in
 * the layer's `dev.sigstore.cosign/bundle` annotation.
 *
 * @module
 */
import { sha256 } from "../digest.ts";
import type { PublicKey } from "../keys/public_key.ts";
import type { Signer } from "../signature/signer.ts";
import { verifierOf } from "./_uploaded_verifier.ts";
import { marshalRekorBundle } from "../rekor/blob_bundle.ts";
import { hashedRekordProposal, RekorClient } from "../rekor/client.ts";
import { type RekorUploaderOptions, uploadEntry } from "../rekor/upload_entry.ts";
import { uploadLogKey } from "../rekor/verify_uploaded_entry.ts";
import type { SignatureWitness } from "./sign_image.ts";

/**
 * A signImage witness that logs each signature in Rekor and returns its bundle annotation.
 *
 * @param rekorUrl the log (`--rekor-url`)
 * @param publicKey the signer's public key, uploaded with the entry; or the signer, whose
 *   certificate is uploaded when it has one (keyless), as cosign does
 * @param options `logKey`: the log key to check answers with (SIGSTORE_REKOR_PUBLIC_KEY or a
 *   trusted root's logs); without it, the key the log serves, as cosign does
 * @returns the witness; it throws {SigstoreError} `TLOG_REQUEST_FAILED` when the log cannot be
 *   reached or refuses the entry, and {VerificationError} with a `TLOG_*` code when the log's
 *   answer is not this signature's entry (lib/rekor verifyUploadedEntry): nothing is pushed then
 */
export function rekorWitness(
  rekorUrl: string,
  publicKey: PublicKey | Signer,
  options: RekorUploaderOptions = {},
): SignatureWitness {
  const client = new RekorClient(rekorUrl, options);
  const logKey = uploadLogKey(options.logKey, client);
  const { pem, der } = verifierOf(publicKey);
  return async ({ payload, signature }) => {
    const digest = sha256(payload);
    const entry = await uploadEntry(
      client,
      hashedRekordProposal({ algorithm: "sha256", digest, signature, publicKeyPem: pem }),
      {
        kind: "hashedrekord",
        signature,
        keyDer: der,
        digest: { algorithm: "sha256", value: digest },
      },
      { logKey, rekorUrl, now: options.now },
    );
    return { bundle: marshalRekorBundle(entry) };
  };
}
