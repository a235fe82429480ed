/** `cosign sign`. @module */
import type { Command, Context } from "../command.ts";
import type { Reference } from "../../lib/registry/types.ts";
import { UsageError } from "../exit_codes.ts";
import { confirmContinue, readPassword } from "../io.ts";
import {
  annotationFlags,
  fulcioFlags,
  oidcFlags,
  registryFlags,
  rekorFlags,
  securityKeyFlags,
  signingCertificateFlags,
  signingKeyFlag,
  tlogUploadFlag,
  yesFlag,
} from "../flags/groups.ts";
import { keyRefDeps, rejectKeyAndSk, signingKeyRef } from "./_shared.ts";
import { dockerMediaTypes, parseImageRef, targetRepository, withRegistry } from "./_registry.ts";
import { PRIVACY_CONFIRMATION, PRIVACY_STATEMENT } from "./sign_blob.ts";

/** cosign's internal/ui TagReferenceMessage, printed when signing by tag. */
export const TAG_REFERENCE_MESSAGE = (ref: string) =>
  `Image reference ${ref} uses a tag, not a digest, to identify the image to sign.
    This can lead you to sign a different image than the intended one. Please use a
    digest (example.com/ubuntu@sha256:abc123...) rather than tag
    (example.com/ubuntu:latest) for the input to cosign. The ability to refer to
    images by tag will be removed in a future release.
`;

/**
 * Parses `-a key=value` annotations.
 *
 * @throws {UsageError} for an entry without exactly one "=" (cosign options/annotations.go)
 */
export function parseAnnotations(ctx: Context): Record<string, string> | undefined {
  const list = (ctx.flags.annotations as string[] | undefined) ?? [];
  if (list.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const a of list) {
    // options/annotations.go splits on every "=": "a=b=c" is refused, "=v" is the key "".
    const kv = a.split("=");
    if (kv.length !== 2) throw new UsageError(`unable to parse annotation: ${a}`);
    out[kv[0]] = kv[1];
  }
  return out;
}

/** The signing clock: `SOURCE_DATE_EPOCH` when set, as in cosign. */
export function clock(ctx: Context): () => Date {
  const epoch = ctx.io.getEnv("SOURCE_DATE_EPOCH");
  if (epoch === undefined || epoch === "") return () => new Date();
  if (!/^\d+$/.test(epoch)) throw new UsageError(`invalid SOURCE_DATE_EPOCH "${epoch}"`);
  return () => new Date(Number(epoch) * 1000);
}

export const signCommand: Command = {
  name: "sign",
  short: "Sign the supplied container image.",
  long: `Sign the supplied container image.

Make sure to sign the image by its digest (@sha256:...) rather than by tag
(:latest) so that you actually sign what you think you're signing! This prevents
race conditions or (worse) malicious tampering.`,
  example: `  # sign a container image and log the signature in Rekor (its bundle is attached)
  cosign sign --key cosign.key --rekor-url <REKOR URL> --yes <IMAGE DIGEST>

  # sign and attach a Sigstore bundle as an OCI referrer
  cosign sign --key cosign.key --new-bundle-format --yes <IMAGE DIGEST>

  # sign a container image with a local key pair file, without a transparency log entry
  cosign sign --key cosign.key --tlog-upload=false <IMAGE DIGEST>

  # sign a multi-arch container image AND all referenced, discrete images
  cosign sign --key cosign.key --tlog-upload=false --recursive <MULTI-ARCH IMAGE DIGEST>

  # sign a container image and add annotations
  cosign sign --key cosign.key --tlog-upload=false -a key1=value1 -a key2=value2 <IMAGE DIGEST>

  # sign a container image with a key stored in an environment variable
  cosign sign --key env://[ENV_VAR] --tlog-upload=false <IMAGE DIGEST>

  # store signatures in another repository
  COSIGN_REPOSITORY=registry.example/signatures cosign sign --key cosign.key --tlog-upload=false <IMAGE DIGEST>

  # sign a container in a registry which does not fully support OCI media types
  COSIGN_DOCKER_MEDIA_TYPES=1 cosign sign --key cosign.key --tlog-upload=false legacy-registry.example.com/my/image@<DIGEST>

  # sign without uploading, writing the signature and payload to files
  cosign sign --key cosign.key --tlog-upload=false --upload=false --output-signature sig --output-payload payload.json <IMAGE DIGEST>`,
  argsUsage: "<image digest uri> [...]",
  minArgs: 1,
  bindEnv: true,
  flags: [
    ...rekorFlags,
    ...fulcioFlags,
    ...oidcFlags,
    ...securityKeyFlags,
    ...annotationFlags,
    ...registryFlags,
    signingKeyFlag,
    ...signingCertificateFlags,
    { name: "upload", type: "bool", default: true, help: "whether to upload the signature" },
    { name: "output-signature", type: "string", help: "write the signature to FILE" },
    { name: "output-payload", type: "string", help: "write the signed payload to FILE" },
    { name: "output-certificate", type: "string", help: "write the certificate to FILE" },
    {
      name: "payload",
      type: "string",
      help: "path to a payload file to use rather than generating one",
    },
    {
      name: "recursive",
      short: "r",
      type: "bool",
      help: "if a multi-arch image is specified, additionally sign each discrete image",
    },
    {
      name: "attachment",
      type: "string",
      help: "DEPRECATED, related image attachment to sign (sbom), default none",
    },
    yesFlag,
    tlogUploadFlag,
    {
      name: "issue-certificate",
      type: "bool",
      help: "issue a code signing certificate from Fulcio, even if a key is provided",
    },
    {
      name: "sign-container-identity",
      type: "string",
      help:
        "manually set the .critical.docker-reference field for the signed identity, which is useful when image proxies are being used where the pull reference should match the signature",
    },
    {
      name: "record-creation-timestamp",
      type: "bool",
      help:
        "set the createdAt timestamp in the signature artifact to the time it was created; by default, cosign sets this to the zero value",
    },
    {
      name: "new-bundle-format",
      type: "bool",
      help: "expect the signature/attestation to be packaged in a Sigstore bundle",
    },
    {
      name: "trusted-root",
      type: "string",
      help: "optional path to a TrustedRoot JSON file to verify a signature after signing",
    },
  ],
  async run(ctx) {
    const f = ctx.flags;
    const key = signingKeyRef(ctx);
    rejectKeyAndSk(ctx);
    if (key === "" || f["issue-certificate"] === true) {
      throw new UsageError(
        "cannot sign without --key yet: keyless signing with Fulcio and hardware tokens are not supported; pass --key",
      );
    }
    if (f.attachment !== "") {
      throw new UsageError("cannot sign attachments: --attachment is deprecated and not supported");
    }
    if (f.certificate !== "" || f["certificate-chain"] !== "") {
      throw new UsageError(
        "cannot attach certificates yet: --certificate and --certificate-chain are not supported",
      );
    }
    const upload = f["tlog-upload"] === true;
    if (upload) {
      // cosign's ShouldUploadToTlog: the statement is always shown, the question unless --yes.
      await ctx.info(PRIVACY_STATEMENT);
      await ctx.info(PRIVACY_CONFIRMATION);
      if (f.yes !== true) await confirmContinue(ctx.io);
    }
    const annotations = parseAnnotations(ctx);
    const now = clock(ctx);
    if (f["new-bundle-format"] === true) {
      const { signNewBundle } = await import("./_sign_new_bundle.ts");
      return await signNewBundle(ctx, now, TAG_REFERENCE_MESSAGE);
    }
    const refs: { arg: string; ref: Reference }[] = [];
    for (const arg of ctx.args) refs.push({ arg, ref: await parseImageRef(arg) });
    let payload: Uint8Array | undefined;
    if (f.payload !== "") {
      await ctx.info(`Using payload from: ${f.payload}`);
      const { readAllBounded } = await import("../../lib/stream.ts");
      const { openBlob } = await import("../../lib/blob_input.ts");
      const input = await openBlob(f.payload as string, ctx.io.stdin, ctx.io.isTerminal.stdin);
      try {
        payload = await readAllBounded(input.reader, 128 * 1024 * 1024, `payload ${f.payload}`);
      } finally {
        input.close();
      }
    }
    const { loadSigner } = await import("../../lib/sign/load_signer.ts");
    const { signImage } = await import("../../lib/sign/sign_image.ts");
    const { writeFileAtomic } = await import("../../lib/atomic_file.ts");
    const signer = await loadSigner(key, {
      ...keyRefDeps(ctx),
      getPassword: () => readPassword(ctx.io, false),
    });
    await withRegistry(ctx, async (registry) => {
      for (const { arg, ref } of refs) {
        if (!ref.digest) await ctx.warn(TAG_REFERENCE_MESSAGE(arg).trimEnd());
        const result = await signImage({
          registry,
          ref,
          signer,
          annotations,
          claimedIdentity: (f["sign-container-identity"] as string) || undefined,
          payload,
          dockerMediaTypes: dockerMediaTypes(ctx),
          upload: f.upload === true,
          recursive: f.recursive === true,
          recordCreationTimestamp: f["record-creation-timestamp"] === true,
          now,
          targetRepository: await targetRepository(ctx, ref),
          tagPrefix: f["attachment-tag-prefix"] as string,
          witness: upload
            ? (await import("../../lib/sign/rekor_witness.ts")).rekorWitness(
              f["rekor-url"] as string,
              signer.publicKey,
              {
                signal: ctx.signal,
                logKey: await (await import("./_verify_new_bundle.ts")).oldBundleLogKey(ctx),
              },
            )
            : undefined,
        });
        for (const sig of result.signatures) {
          const suffix = f.recursive === true ? `-${sig.digest.replace(":", "-")}` : "";
          if (f["output-signature"] !== "") {
            await writeFileAtomic(`${f["output-signature"]}${suffix}`, sig.base64Signature, {
              mode: 0o600,
            });
          }
          if (f["output-payload"] !== "") {
            await writeFileAtomic(`${f["output-payload"]}${suffix}`, sig.payload, { mode: 0o600 });
          }
          if (sig.uploaded) {
            await ctx.info(
              `Pushing signature to: ${sig.location.repo.registry}/${sig.location.repo.repository}`,
            );
          }
        }
      }
    });
  },
};
