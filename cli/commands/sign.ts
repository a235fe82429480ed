/** `cosign sign`. @module */
import { applySigningConfig, signingConfigFlags } from "../options/signing_config_options.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import {
  annotationFlags,
  registryFlags,
  signFamilyFlags,
  signingCertificateFlags,
  signOutputFlags,
  signTrustedRootFlag,
  timestampClientFlags,
} from "../flags/groups.ts";
import { signingOptions, TAG_REFERENCE_MESSAGE } from "../options/sign_options.ts";
import { parseAnnotations } from "../options/parse_annotations.ts";
import { SIGNATURE_ARTIFACT_TYPE } from "../../lib/oci/signature_referrer.ts";
import {
  imageTargets,
  referrersMode,
  referrersModeFlag,
  withRegistry,
} from "../options/registry_options.ts";

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
    ...signFamilyFlags,
    ...annotationFlags,
    ...registryFlags,
    ...signingCertificateFlags,
    { name: "upload", type: "bool", default: true, help: "whether to upload the signature" },
    ...signOutputFlags,
    ...timestampClientFlags,
    { name: "output-payload", type: "string", help: "write the signed payload to FILE" },
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
    ...signingConfigFlags("new-bundle-format"),
    signTrustedRootFlag,
    referrersModeFlag,
  ],
  async run(ctx) {
    const f = ctx.flags;
    // oci-1-1 needs COSIGN_EXPERIMENTAL=1, as in cosign.
    const oci11 = referrersMode(ctx) === "oci-1-1";
    // The signing config's services replace the URL flags (cosign sign.go).
    await applySigningConfig(ctx, "new-bundle-format");
    const o = signingOptions(ctx, "sign");
    if (f.attachment !== "") {
      throw new UsageError("cannot sign attachments: --attachment is deprecated and not supported");
    }
    if (f.certificate !== "" || f["certificate-chain"] !== "") {
      throw new UsageError(
        "cannot attach certificates yet: --certificate and --certificate-chain are not supported",
      );
    }
    // cosign's ShouldUploadToTlog: the statement is always shown, the question unless --yes.
    if (o.tlogUpload) await o.consent();
    const annotations = parseAnnotations(ctx);
    const images = await imageTargets(ctx);
    if (
      oci11 && images.some((i) =>
        i.targetRepository.registry !== i.ref.registry ||
        i.targetRepository.repository !== i.ref.repository
      )
    ) {
      // cosign reads the .sig tag from COSIGN_REPOSITORY but pushes the referrer beside the image.
      throw new UsageError(
        "cannot use --registry-referrers-mode=oci-1-1 with COSIGN_REPOSITORY yet",
      );
    }
    if (f["new-bundle-format"] === true) {
      const { signNewBundle } = await import("./_sign_new_bundle.ts");
      return await signNewBundle(ctx, o, images);
    }
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
    // The key's scrypt runs on a worker thread: load the signing and registry modules meanwhile.
    const signing = o.signer();
    signing.catch(() => {}); // awaited below, after the imports
    const [{ signImage }, { writeFileAtomic }] = await Promise.all([
      import("../../lib/sign/sign_image.ts"),
      import("../../lib/atomic_file.ts"),
      import("../../lib/registry/client.ts"),
    ]);
    const signer = await signing;
    // cosign nests its signers: the timestamp of the raw signature (tsa.NewSigner), then the log
    // upload (irekor.NewSigner); nothing is pushed when either fails.
    const timestamper = await o.timestamper();
    const { chainWitnesses, timestampWitness } = await import(
      "../../lib/sign/timestamp_signature.ts"
    );
    const witness = chainWitnesses(
      timestamper && timestampWitness(timestamper),
      o.tlogUpload
        ? (await import("../../lib/sign/rekor_witness.ts")).rekorWitness(
          o.rekorUrl,
          // A keyless signer's entry records its certificate.
          signer,
          {
            signal: ctx.signal,
            logKey: await o.logKey(),
          },
        )
        : undefined,
    );
    await withRegistry(ctx, async (registry) => {
      for (const image of images) {
        if (!image.ref.digest) await ctx.warn(TAG_REFERENCE_MESSAGE(image.arg).trimEnd());
        const result = await signImage({
          registry,
          ...image,
          signer,
          annotations,
          claimedIdentity: (f["sign-container-identity"] as string) || undefined,
          payload,
          upload: f.upload === true,
          recursive: f.recursive === true,
          recordCreationTimestamp: f["record-creation-timestamp"] === true,
          now: o.now,
          witness,
          oci11Referrer: oci11,
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
          if (f["output-certificate"] !== "") {
            // cosign sign.go: the signer's bytes — its certificate PEM when keyless, else its
            // PEM public key.
            const { marshalPublicKeyPem } = await import("../../lib/keys/public_key.ts");
            await writeFileAtomic(
              f["output-certificate"] as string,
              (signer as { certificatePem?: string }).certificatePem ??
                marshalPublicKeyPem(signer.publicKey),
              { mode: 0o600 },
            );
            await ctx.info(`Certificate wrote in the file ${f["output-certificate"]}`);
          }
          if (sig.uploaded) {
            await ctx.info(
              `Pushing signature to: ${sig.location.repo.registry}/${sig.location.repo.repository}`,
            );
          }
          if (sig.referrer) {
            // WriteSignaturesExperimentalOCI's line.
            const at = `${image.ref.registry}/${image.ref.repository}`;
            await ctx.info(
              `Uploading signature for [${at}@${sig.digest}] to [${at}@${sig.referrer}] with ` +
                `config.mediaType [${SIGNATURE_ARTIFACT_TYPE}] layers[0].mediaType ` +
                `[application/vnd.dev.cosign.simplesigning.v1+json].`,
            );
          }
        }
      }
    });
  },
};
