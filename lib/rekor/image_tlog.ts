/**
 * Rekor for image signatures, as cosign 2 does it: each signature layer is logged as a hashedrekord
 * entry over the SHA-256 of its payload (pkg/cosign/tlog.go TLogUpload), and the entry travels in
 * the layer's `dev.sigstore.cosign/bundle` annotation, which verifiers check offline.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { SigstoreError, VerificationError } from "../errors.ts";
import { marshalPublicKeyPem, type PublicKey } from "../keys/public_key.ts";
import type { SignatureWitness } from "../sign/sign_image.ts";
import type { SignatureLayer } from "../verify/verify_image.ts";
import { marshalRekorBundle, parseRekorBundle } from "./blob_bundle.ts";
import { RekorClient } from "./client.ts";
import { verifyTlogEntry } from "./verify_entry.ts";

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

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

/**
 * A verifyImage transparency step: the layer's bundle must verify offline with the log key and be
 * about this very signature, key and payload. A layer without a bundle fails: looking entries up
 * online is not available yet.
 *
 * @param logKey the transparency log's public key
 * @param publicKey the key the signatures are verified with
 */
export function bundleVerifier(
  logKey: Parameters<typeof verifyTlogEntry>[1]["logKey"],
  publicKey: PublicKey,
): (layer: SignatureLayer) => Promise<boolean> {
  return async (layer) => {
    if (!layer.bundle) {
      throw new VerificationError(
        "TLOG_ENTRY_NOT_FOUND",
        "signature has no transparency log bundle (looking entries up online is not available yet)",
      );
    }
    const entry = parseRekorBundle(layer.bundle);
    await verifyTlogEntry(entry, {
      logKey,
      binding: {
        signature: Uint8Array.fromBase64(layer.base64Signature.replace(/[\r\n]/g, "")),
        keyDer: publicKey.spki,
        digest: { algorithm: "sha256", value: sha256(layer.payload) },
      },
    });
    return true;
  };
}
