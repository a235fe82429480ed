/**
 * Rekor for image signatures, as cosign 2 does it: each signature layer is logged as a hashedrekord
 * entry over the SHA-256 of its payload (pkg/cosign/tlog.go TLogUpload), and the entry travels in
 * the layer's `dev.sigstore.cosign/bundle` annotation.
 *
 * @module
 */
import { sha256 } from "../digest.ts";
import { SigstoreError } from "../errors.ts";
import { marshalPublicKeyPem, type PublicKey } from "../keys/public_key.ts";
import { marshalRekorBundle } from "../rekor/blob_bundle.ts";
import { RekorClient } from "../rekor/client.ts";
import type { SignatureWitness } from "./sign_image.ts";

/**
 * A signImage witness that logs each signature in Rekor and returns its bundle annotation.
 *
 * @param rekorUrl the log (`--rekor-url`)
 * @param publicKey the signer's public key, uploaded with the entry
 */
export function rekorWitness(
  rekorUrl: string,
  publicKey: PublicKey,
  options: { fetch?: typeof fetch; signal?: AbortSignal } = {},
): SignatureWitness {
  const client = new RekorClient(rekorUrl, options);
  return async ({ payload, signature }) => {
    try {
      const entry = await client.createEntry({
        algorithm: "sha256",
        digest: sha256(payload),
        signature,
        publicKeyPem: new TextEncoder().encode(marshalPublicKeyPem(publicKey)),
      });
      return { bundle: marshalRekorBundle(entry) };
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
