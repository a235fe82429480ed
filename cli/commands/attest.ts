/** `cosign attest`. @module */
import { applySigningConfig, signingConfigFlags } from "../options/signing_config_options.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { writeAll } from "../io.ts";
import { attestFamilyFlags, registryFlags, signFamilyFlags } from "../flags/groups.ts";
import { rekorEntryType } from "./_shared.ts";
import { imageTargets, maxAttachmentSize, withRegistry } from "../options/registry_options.ts";
import { envelopeWitness, signingOptions, TAG_REFERENCE_MESSAGE } from "../options/sign_options.ts";

export const attestCommand: Command = {
  name: "attest",
  short: "Attest the supplied container image.",
  example:
    `  cosign attest --key <key path>|<kms uri> [--predicate <path>] [--a key=value] [--no-upload=true|false] [--record-creation-timestamp=true|false] [--f] [--r] <image uri>

  # attach an attestation to a container image with a local key pair file
  cosign attest --predicate <FILE> --type <TYPE> --key cosign.key <IMAGE>

  # the same, without a transparency log entry
  cosign attest --predicate <FILE> --type <TYPE> --key cosign.key --tlog-upload=false <IMAGE>

  # replace the image's attestations of the same predicate type
  cosign attest --predicate <FILE> --type slsaprovenance --key cosign.key --replace <IMAGE>

  # attach an attestation to a container image which does not fully support OCI media types
  COSIGN_DOCKER_MEDIA_TYPES=1 cosign attest --predicate <FILE> --type <TYPE> --key cosign.key legacy-registry.example.com/my/image

  # supply attestation via stdin
  echo <PAYLOAD> | cosign attest --predicate - --key cosign.key <IMAGE>

  # write attestation to stdout
  cosign attest --predicate <FILE> --type <TYPE> --key cosign.key --no-upload true <IMAGE>

  # attach an attestation to a container image and honor the creation timestamp of the signature
  cosign attest --predicate <FILE> --type <TYPE> --key cosign.key --record-creation-timestamp <IMAGE>

  # attach the attestation as a Sigstore bundle, an OCI 1.1 referrer of the image
  cosign attest --predicate <FILE> --type <TYPE> --key cosign.key --new-bundle-format <IMAGE>`,
  argsUsage: "<image uri> [...]",
  minArgs: 1,
  bindEnv: true,
  flags: [
    ...signFamilyFlags,
    ...attestFamilyFlags,
    ...registryFlags,
    {
      name: "no-upload",
      type: "bool",
      help: "do not upload the generated attestation, but send the attestation output to STDOUT",
    },
    { name: "replace", type: "bool", help: "" },
    {
      name: "record-creation-timestamp",
      type: "bool",
      help: "set the createdAt timestamp in the attestation artifact to the time it was " +
        "created; by default, cosign sets this to the zero value",
    },
    {
      name: "new-bundle-format",
      type: "bool",
      help: "attach a Sigstore bundle using OCI referrers API",
    },
    ...signingConfigFlags("new-bundle-format"),
  ],
  async run(ctx) {
    const f = ctx.flags;
    const predicatePath = f.predicate as string;
    if (predicatePath === "" && f.statement === "") {
      throw new UsageError(
        "at least one of the flags in the group [predicate statement] is required",
      );
    }
    // cosign's checks of the signing config flags (attest.go); its services then stand for
    // --fulcio-url, --rekor-url and --timestamp-server-url (the bundle goes to the referrers).
    await applySigningConfig(ctx, "new-bundle-format");
    // cosign signs attestations with Ed25519ph for Ed25519 keys (its verifier checks pure
    // Ed25519, so Go cannot verify those either).
    const o = signingOptions(ctx, "attest", { ed25519ph: true });
    // cosign's attest reads only --predicate; --statement is accepted by the flag set and ignored.
    if (predicatePath === "") {
      throw new UsageError(
        "predicate cannot be empty: cosign attest does not use --statement; pass --predicate",
      );
    }
    const entryType = rekorEntryType(ctx);
    const { parsePredicateType } = await import("../../lib/payload/predicate_types.ts");
    try {
      parsePredicateType(f.type as string);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (f.certificate !== "" || f["certificate-chain"] !== "") {
      throw new UsageError(
        "cannot attach certificates yet: --certificate and --certificate-chain are not supported",
      );
    }
    const newBundle = f["new-bundle-format"] === true;
    const noUpload = f["no-upload"] === true;
    const images = await imageTargets(ctx);
    const { readInputFile } = await import("../../lib/sign/attest_blob.ts");
    const { attestImage } = await import("../../lib/sign/attest_image.ts");
    const limit = maxAttachmentSize(ctx);
    // cosign: after signing, ShouldUploadToTlog (the privacy statement, once), then the upload;
    // nothing is written to the registry when logging fails.
    const upload = o.tlogUpload ? envelopeWitness(ctx, o, entryType) : undefined;
    // attest.go: the timestamp before the upload, of the whole envelope JSON in the old format,
    // of the envelope's signature in a new bundle.
    const timestamper = noUpload ? undefined : await o.timestamper();
    const witness = !newBundle && (upload || timestamper) && (async (envelope: Uint8Array) => {
      const out: { bundle?: string; rfc3161Timestamp?: string } = {};
      if (timestamper) {
        const { marshalRfc3161Timestamp } = await import(
          "../../lib/timestamp/rfc3161_timestamp.ts"
        );
        out.rfc3161Timestamp = marshalRfc3161Timestamp(await timestamper(envelope));
      }
      if (upload) {
        const { marshalRekorBundle } = await import("../../lib/rekor/blob_bundle.ts");
        out.bundle = marshalRekorBundle(await upload(envelope));
      }
      return out;
    });
    await withRegistry(ctx, async (registry) => {
      for (const image of images) {
        if (!image.ref.digest) await ctx.warn(TAG_REFERENCE_MESSAGE(image.arg));
        const predicate = async () => {
          await ctx.info(
            `Using payload from: ${predicatePath === "-" ? "standard input" : predicatePath}`,
          );
          return await readInputFile(predicatePath, "predicate", limit, ctx.io.stdin);
        };
        const result = await attestImage({
          registry,
          ...image,
          signer: o.signer,
          predicate,
          predicateName: predicatePath,
          type: f.type as string,
          replace: f.replace === true,
          upload: !noUpload,
          recordCreationTimestamp: f["record-creation-timestamp"] === true,
          maxAttachmentSize: limit,
          now: o.now,
          log: (line) => ctx.info(line),
          witness: witness || undefined,
          // cosign's new-bundle path: the entry goes into the bundle, the bundle is a referrer.
          newBundle: newBundle ? { upload, timestamper } : undefined,
        });
        if (noUpload) {
          await writeAll(ctx.io.stdout, result.envelope);
          await writeAll(ctx.io.stdout, "\n");
        }
      }
    });
  },
};
