/**
 * A fresh hashedrekord upload for tests of the transparency log: a random blob signed by
 * `signer`, as the proposal sent to Rekor and as what verifyUploadedEntry checks the answer
 * against.
 *
 * @module
 */
import { sha256 } from "../../lib/digest.ts";
import { marshalPublicKeyPem } from "../../lib/keys/public_key.ts";
import { hashedRekordProposal } from "../../lib/rekor/client.ts";
import type { UploadedEntry } from "../../lib/rekor/verify_uploaded_entry.ts";
import type { Signer } from "../../lib/signature/signer.ts";
import { bytesReader } from "../../lib/stream.ts";

/**
 * Signs `<text> <random UUID>` (so that each call makes a new entry).
 *
 * @param signer the signer
 * @param text a prefix for the blob
 * @returns the proposal and the uploaded entry it describes
 */
export async function hashedRekord(
  signer: Signer,
  text: string,
): Promise<{ proposal: Record<string, unknown>; uploaded: UploadedEntry }> {
  const blob = new TextEncoder().encode(`${text} ${crypto.randomUUID()}`);
  const signature = await signer.sign(bytesReader(blob));
  const digest = sha256(blob);
  return {
    proposal: hashedRekordProposal({
      algorithm: "sha256",
      digest,
      signature,
      publicKeyPem: new TextEncoder().encode(marshalPublicKeyPem(signer.publicKey)),
    }),
    uploaded: {
      kind: "hashedrekord",
      signature,
      keyDer: signer.publicKey.spki,
      digest: { algorithm: "sha256", value: digest },
    },
  };
}
