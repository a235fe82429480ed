/** `cosign verify`. @module */
import type { Command, Context } from "../command.ts";
import { ExitCode, exitCodeFor, UsageError } from "../exit_codes.ts";
import { writeAll } from "../io.ts";
import {
  annotationFlags,
  certVerifyFlags,
  commonVerifyFlags,
  registryFlags,
  rekorFlags,
  securityKeyFlags,
  signatureDigestFlags,
} from "../flags/groups.ts";
import { checkNewBundleFlags, verifyPolicy } from "../options/verify_options.ts";
import {
  maxAttachmentSize,
  parseImageRef,
  registryFromFlags,
  targetRepository,
} from "./_registry.ts";
import { SigstoreError, VerificationError } from "../../lib/errors.ts";
import type { VerificationPolicy } from "../../lib/verify/verification_policy.ts";

export const verifyCommand: Command = {
  name: "verify",
  short: "Verify a signature on the supplied container image",
  long: `Verify signature and annotations on an image by checking the claims
against the transparency log.`,
  example: `  # verify image with an on-disk public key (signature made with --tlog-upload=false)
  cosign verify --key cosign.pub --insecure-ignore-tlog=true <IMAGE>

  # verify multiple images
  cosign verify --key cosign.pub --insecure-ignore-tlog=true <IMAGE_1> <IMAGE_2> ...

  # additionally verify specified annotations
  cosign verify --key cosign.pub --insecure-ignore-tlog=true -a key1=val1 -a key2=val2 <IMAGE>

  # verify image with an on-disk signed image from 'cosign save'
  cosign verify --key cosign.pub --insecure-ignore-tlog=true --local-image <PATH>

  # print the verified payloads as text instead of JSON
  cosign verify --key cosign.pub --insecure-ignore-tlog=true -o text <IMAGE>

  # check the transparency log: bundles offline with the log's key, other signatures at --rekor-url
  SIGSTORE_REKOR_PUBLIC_KEY=rekor.pub cosign verify --key cosign.pub --rekor-url <REKOR URL> <IMAGE>

  # the log's key from a trusted root; Sigstore bundles attached as referrers (sign --new-bundle-format)
  cosign verify --key cosign.pub --trusted-root trusted_root.json <IMAGE>
  cosign verify --key cosign.pub --new-bundle-format --trusted-root trusted_root.json <IMAGE>`,
  argsUsage: "<image uri> [...]",
  minArgs: 1,
  bindEnv: true,
  flags: [
    ...securityKeyFlags,
    ...rekorFlags,
    ...certVerifyFlags,
    ...registryFlags,
    ...signatureDigestFlags,
    ...annotationFlags,
    ...commonVerifyFlags,
    {
      name: "key",
      type: "string",
      help: "path to the public key file, KMS URI or Kubernetes Secret",
    },
    {
      name: "check-claims",
      type: "bool",
      default: true,
      help: "whether to check the claims found",
    },
    {
      name: "attachment",
      type: "string",
      help: "DEPRECATED, related image attachment to verify (sbom), default none",
    },
    {
      name: "output",
      short: "o",
      type: "string",
      default: "json",
      help: "output format for the signing image information (json|text)",
    },
    { name: "signature", type: "string", help: "signature content or path or remote URL" },
    { name: "payload", type: "string", help: "payload path or remote URL" },
    {
      name: "local-image",
      type: "bool",
      help: "whether the specified image is a path to an image saved locally via 'cosign save'",
    },
  ],
  async run(ctx) {
    const f = ctx.flags;
    if (f.key === "") {
      throw new UsageError(
        "cannot verify without --key yet: keyless (certificate) verification is not supported; pass --key",
      );
    }
    if (f.sk === true || f.certificate !== "") {
      throw new UsageError(
        "exactly one of: key reference (--key), certificate (--cert) or hardware token (--sk) must be provided",
      );
    }
    if (f.attachment !== "") {
      throw new UsageError(
        "cannot verify attachments: --attachment is deprecated and not supported",
      );
    }
    if (f.signature !== "" || f.payload !== "") {
      throw new UsageError("cannot verify a detached --signature/--payload yet");
    }
    if (f["new-bundle-format"] === true && f["local-image"] !== true) {
      checkNewBundleFlags(ctx, IMAGE_NEW_BUNDLE_CONFLICTS);
      const policy = await verifyPolicy(ctx, {
        noun: "signature",
        newBundle: true,
        annotations: true,
      });
      return await verifyBundles(ctx, policy);
    }
    const policy = await verifyPolicy(ctx, {
      noun: "signature",
      trustedRootForOldBundles: true,
      annotations: true,
    });
    // --local-image: the argument is a folder written by `cosign save`; its signatures are read
    // from the layout (lib/oci/cosign_layout.ts), and nothing is fetched from a registry.
    const local = f["local-image"] === true;
    const registry = local ? undefined : await registryFromFlags(ctx);
    const { verifyImage, renderVerificationHeader, renderVerificationOutput } = await import(
      "../../lib/verify/verify_image.ts"
    );
    try {
      for (const arg of ctx.args) {
        let target;
        if (local) {
          const { localImageView, readCosignLayout } = await import(
            "../../lib/oci/cosign_layout.ts"
          );
          const view = localImageView(await readCosignLayout(arg));
          target = { registry: view.registry, ref: view.ref, repo: undefined };
        } else {
          const ref = await parseImageRef(arg);
          target = { registry: registry!, ref, repo: await targetRepository(ctx, ref) };
        }
        const result = await verifyImage({
          registry: target.registry,
          ref: target.ref,
          policy,
          maxAttachmentSize: maxAttachmentSize(ctx),
          targetRepository: target.repo,
          tagPrefix: local ? "" : f["attachment-tag-prefix"] as string,
        }).catch((e) => {
          // cosign returns --local-image failures unwrapped (verify.go: only the registry path
          // calls cosignError.WrapError), so they exit 1, not 10/11/12.
          if (local && e instanceof SigstoreError && exitCodeFor(e) !== ExitCode.failure) {
            throw new VerificationError("SIGNATURE_INVALID", e.message, { cause: e });
          }
          throw e;
        });
        await writeAll(
          ctx.io.stderr,
          renderVerificationHeader({
            ref: arg,
            checkClaims: policy.claims?.check !== false,
            annotations: policy.claims?.annotations !== undefined,
            bundleVerified: result.bundleVerified,
            publicKey: true,
          }),
        );
        await writeAll(
          ctx.io.stdout,
          renderVerificationOutput(result.signatures, f.output as string),
        );
      }
    } finally {
      registry?.close();
    }
  },
};

/** cosign's refusals of detached material with `--new-bundle-format` on images (verify.go). */
const IMAGE_NEW_BUNDLE_CONFLICTS = [
  {
    flags: ["certificate-chain"],
    message:
      "unsupported: certificate chain may not be provided using --certificate-chain when using --new-bundle-format (cert must be in bundle)",
  },
  {
    flags: ["ca-roots", "ca-intermediates"],
    message:
      "unsupported: CA roots/intermediates must be provided using --trusted-root when using --new-bundle-format",
  },
  {
    flags: ["timestamp-certificate-chain"],
    message:
      "unsupported: TSA certificate chain path may only be provided using --trusted-root when using --new-bundle-format",
  },
];

/**
 * `--new-bundle-format` (verify.go, the `co.NewBundleFormat` branch): the Sigstore bundles
 * attached as referrers (lib/verify/verify_image_bundles.ts), printed with cosign's header and
 * its transformed payloads.
 */
async function verifyBundles(ctx: Context, policy: VerificationPolicy): Promise<void> {
  const { verifyImageBundles } = await import("../../lib/verify/verify_image_bundles.ts");
  const { renderVerificationHeader, renderVerificationOutput } = await import(
    "../../lib/verify/verify_image.ts"
  );
  const registry = await registryFromFlags(ctx);
  try {
    for (const arg of ctx.args) {
      const ref = await parseImageRef(arg);
      const result = await verifyImageBundles({ registry, ref, name: arg, policy });
      await writeAll(
        ctx.io.stderr,
        renderVerificationHeader({
          ref: arg,
          checkClaims: policy.claims?.check !== false,
          // cosign prints the annotations line for -a, though bundles carry none to check.
          annotations: policy.claims?.annotations !== undefined,
          bundleVerified: true,
          publicKey: true,
        }),
      );
      await writeAll(
        ctx.io.stdout,
        renderVerificationOutput(
          result.verified.map((v) => ({
            descriptor: { mediaType: "", digest: v.manifestDigest, size: 0 },
            payload: v.payload,
            base64Signature: "",
          })),
          ctx.flags.output as string,
        ),
      );
    }
  } finally {
    registry.close();
  }
}
