/**
 * `cosign sign --new-bundle-format` with a key (sign.go `signDigestBundle`): each image is signed
 * into a Sigstore bundle pushed as a referrer of the image. Annotations, `--payload`, `--upload`
 * and the `--output-*` files are not used on this path, as in cosign.
 *
 * @module
 */
import type { Context } from "../command.ts";
import type { RekorEntry } from "../../lib/rekor/verify_entry.ts";
import { type ImageTarget, withRegistry } from "../options/registry_options.ts";
import { type SigningOptions, TAG_REFERENCE_MESSAGE } from "../options/sign_options.ts";

/**
 * Signs the images into bundles; the privacy statement has already been shown when logging.
 *
 * @param ctx the command context (flags of `cosign sign`)
 * @param o the signing options
 * @param images the parsed image arguments
 */
export async function signNewBundle(
  ctx: Context,
  o: SigningOptions,
  images: ImageTarget[],
): Promise<void> {
  const { signImageBundle } = await import("../../lib/sign/sign_image_bundle.ts");
  const signer = await o.signer();
  let upload: ((envelope: Uint8Array) => Promise<RekorEntry>) | undefined;
  if (o.tlogUpload) {
    const { envelopeUploader } = await import("../../lib/sign/envelope_uploader.ts");
    // cosign's TLogUploadDSSEEnvelope: always a dsse entry.
    // A keyless signer's entry records its certificate.
    upload = envelopeUploader(o.rekorUrl, signer, "dsse", {
      signal: ctx.signal,
      logKey: await o.logKey(),
    });
  }
  await withRegistry(ctx, async (registry) => {
    for (const { arg, ref } of images) {
      if (!ref.digest) await ctx.warn(TAG_REFERENCE_MESSAGE(arg).trimEnd());
      await signImageBundle({
        registry,
        ref,
        signer,
        recursive: ctx.flags.recursive === true,
        upload,
        timestamper: await o.timestamper(),
        now: o.now,
      });
    }
  });
}
