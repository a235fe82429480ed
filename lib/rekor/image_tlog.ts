/**
 * Rekor for image signatures, as cosign 2 does it: each signature layer is logged as a hashedrekord
 * entry over the SHA-256 of its payload (pkg/cosign/tlog.go TLogUpload), and the entry travels in
 * the layer's `dev.sigstore.cosign/bundle` annotation, which verifiers check offline.
 *
 * @module
 */
import { sha256 } from "../digest.ts";
import { SigstoreError, VerificationError } from "../errors.ts";
import { marshalPublicKeyPem, type PublicKey } from "../keys/public_key.ts";
import type { SignatureWitness } from "../sign/sign_image.ts";
import type { SignatureLayer } from "../verify/verify_image.ts";
import { marshalRekorBundle, parseRekorBundle } from "./blob_bundle.ts";
import { RekorClient } from "./client.ts";
import { findTlogEntry } from "./find_entry.ts";
import { verifyTlogEntry } from "./verify_entry.ts";

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

/** Options for {@link bundleVerifier}. */
export interface BundleVerifierOptions {
  /**
   * Where to look up a signature that has no bundle (cosign's online verification,
   * {@link findTlogEntry}). Without it such a signature fails.
   */
  rekor?: RekorClient;
  /** `--offline`: a signature without a bundle fails without any request. */
  offline?: boolean;
  /** The current time in milliseconds (tests). */
  now?: number;
}

/**
 * A verifyImage transparency step, as cosign verifyInternal: the layer's bundle must verify
 * offline with the log key and be about this very signature, key and payload; a bundle that fails
 * never falls back to a lookup. A layer without a bundle is looked up in the log (unless
 * `offline`), and the earliest entry that verifies (inclusion proof and checkpoint included) and
 * is bound to it counts.
 *
 * @param logKey the transparency log's public key
 * @param publicKey the key the signatures are verified with
 * @returns a step that resolves to true (cosign's bundleVerified, set after an online lookup too)
 * @throws {VerificationError} `TLOG_ENTRY_NOT_FOUND` for no bundle with `offline` or no log, and
 *   the codes of {@link verifyTlogEntry} and {@link findTlogEntry}
 */
export function bundleVerifier(
  logKey: Parameters<typeof verifyTlogEntry>[1]["logKey"],
  publicKey: PublicKey,
  options: BundleVerifierOptions = {},
): (layer: SignatureLayer) => Promise<boolean> {
  return async (layer) => {
    const signature = Uint8Array.fromBase64(layer.base64Signature.replace(/[\r\n]/g, ""));
    const digest = sha256(layer.payload);
    if (!layer.bundle) {
      if (options.offline) {
        throw new VerificationError(
          "TLOG_ENTRY_NOT_FOUND",
          "Cannot verify the transparency log entry: offline verification failed (the signature has no bundle, and --offline forbids looking it up in the log)",
        );
      }
      if (!options.rekor) {
        throw new VerificationError(
          "TLOG_ENTRY_NOT_FOUND",
          "Cannot verify the transparency log entry: rekor client not provided for online verification",
        );
      }
      await findTlogEntry({
        client: options.rekor,
        logKey,
        signature,
        publicKey,
        digest,
        now: options.now,
      });
      return true;
    }
    const entry = parseRekorBundle(layer.bundle);
    await verifyTlogEntry(entry, {
      logKey,
      binding: {
        signature,
        keyDer: publicKey.spki,
        digest: { algorithm: "sha256", value: digest },
      },
      now: options.now,
    });
    return true;
  };
}
