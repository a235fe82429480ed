/**
 * `cosign sign --new-bundle-format` with a key (sign.go `signDigestBundle`): each image is signed
 * into a Sigstore bundle pushed as a referrer of the image. Annotations, `--payload`, `--upload`
 * and the `--output-*` files are not used on this path, as in cosign.
 *
 * @module
 */
import type { Context } from "../command.ts";
import type { Reference } from "../../lib/registry/types.ts";
import type { RekorEntry } from "../../lib/rekor/verify_entry.ts";
import { readPassword } from "../io.ts";
import { keyRefDeps, signingKeyRef } from "./_shared.ts";
import { parseImageRef, withRegistry } from "./_registry.ts";

/**
 * Signs `ctx.args` into bundles; the privacy statement has already been shown when logging.
 *
 * @param ctx the command context (flags of `cosign sign`)
 * @param now the signing clock
 * @param tagWarning the warning for a reference by tag
 */
export async function signNewBundle(
  ctx: Context,
  now: () => Date,
  tagWarning: (ref: string) => string,
): Promise<void> {
  const f = ctx.flags;
  const refs: { arg: string; ref: Reference }[] = [];
  for (const arg of ctx.args) refs.push({ arg, ref: await parseImageRef(arg) });
  const { loadSigner } = await import("../../lib/sign/load_signer.ts");
  const { signImageBundle } = await import("../../lib/sign/sign_image_bundle.ts");
  const signer = await loadSigner(signingKeyRef(ctx), {
    ...keyRefDeps(ctx),
    getPassword: () => readPassword(ctx.io, false),
  });
  let upload: ((envelope: Uint8Array) => Promise<RekorEntry>) | undefined;
  if (f["tlog-upload"] === true) {
    const { envelopeUploader } = await import("../../lib/sign/envelope_uploader.ts");
    // cosign's TLogUploadDSSEEnvelope: always a dsse entry.
    upload = envelopeUploader(f["rekor-url"] as string, signer.publicKey, "dsse", {
      signal: ctx.signal,
      logKey: await (await import("./_verify_new_bundle.ts")).oldBundleLogKey(ctx),
    });
  }
  await withRegistry(ctx, async (registry) => {
    for (const { arg, ref } of refs) {
      if (!ref.digest) await ctx.warn(tagWarning(arg).trimEnd());
      await signImageBundle({
        registry,
        ref,
        signer,
        recursive: f.recursive === true,
        upload,
        now,
      });
    }
  });
}
