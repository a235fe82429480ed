/**
 * The transparency-log step of image verification, as cosign 2 does it: each signature layer's
 * `dev.sigstore.cosign/bundle` annotation is checked offline, or the entry is looked up online.
 *
 * @module
 */
import { sha256 } from "../digest.ts";
import { VerificationError } from "../errors.ts";
import type { PublicKey } from "../keys/public_key.ts";
import { parseRekorBundle } from "../rekor/blob_bundle.ts";
import type { RekorClient } from "../rekor/client.ts";
import { findTlogEntry } from "../rekor/find_entry.ts";
import { verifyTlogEntry } from "../rekor/verify_entry.ts";
import type { SignatureLayer } from "./verify_image.ts";

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
