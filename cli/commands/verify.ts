/** `cosign verify`. @module */
import type { Command, Context } from "../command.ts";
import { ExitCode, exitCodeFor, UsageError } from "../exit_codes.ts";
import { writeAll } from "../io.ts";
import { annotationFlags, imageVerifyFlags } from "../flags/groups.ts";
import {
  checkNewBundleFlags,
  checkVerifyFlags,
  ignoresTlog,
  IMAGE_NEW_BUNDLE_CONFLICTS,
  printVerificationHeader,
  verifyPolicy,
} from "../options/verify_options.ts";
import { type ImageTarget, maxAttachmentSize } from "../options/registry_options.ts";
import {
  lookForBundles,
  recursiveVerifyFlag,
  refuseRecursiveLocal,
  signatureSource,
  verifyImageArgs,
} from "./_verify_images.ts";
import { SigstoreError, VerificationError } from "../../lib/errors.ts";
import { SIGNATURE_ARTIFACT_TYPE } from "../../lib/oci/signature_referrer.ts";
import type { VerificationPolicy } from "../../lib/verify/verification_policy.ts";
import type { Registry } from "../../lib/registry/types.ts";

export const verifyCommand: Command = {
  name: "verify",
  short: "Verify a signature on the supplied container image",
  long: `Verify signature and annotations on an image by checking the claims
against the transparency log.`,
  example: `  # verify image with a Fulcio certificate (keyless): the identity and its OIDC issuer
  cosign verify --certificate-identity=name@example.com --certificate-oidc-issuer=https://accounts.example.com <IMAGE>

  # verify image with a Fulcio certificate, the identity given by regular expressions
  cosign verify --certificate-identity-regexp='@example\.com$' --certificate-oidc-issuer-regexp='^https://' <IMAGE>

  # keyless with a private Sigstore deployment's trusted root, or its individual pieces
  cosign verify --trusted-root trusted_root.json --certificate-identity=... --certificate-oidc-issuer=... <IMAGE>
  SIGSTORE_ROOT_FILE=fulcio.pem SIGSTORE_REKOR_PUBLIC_KEY=rekor.pub SIGSTORE_CT_LOG_PUBLIC_KEY_FILE=ctfe.pub \\
    cosign verify --certificate-identity=... --certificate-oidc-issuer=... <IMAGE>

  # verify image with an on-disk public key (signature made with --tlog-upload=false)
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
  # are verified when there are any, else the signatures in the .sig tag; only bundles with the flag
  cosign verify --key cosign.pub --trusted-root trusted_root.json <IMAGE>
  cosign verify --key cosign.pub --new-bundle-format --trusted-root trusted_root.json <IMAGE>

  # verify a multi-arch index and every image in it (one result line each on stderr)
  cosign verify --key cosign.pub --trusted-root trusted_root.json --recursive <MULTI-ARCH IMAGE>`,
  argsUsage: "<image uri> [...]",
  minArgs: 1,
  bindEnv: true,
  flags: [
    ...imageVerifyFlags,
    ...annotationFlags,
    {
      name: "attachment",
      type: "string",
      help: "DEPRECATED, related image attachment to verify (sbom), default none",
    },
    { name: "signature", type: "string", help: "signature content or path or remote URL" },
    { name: "payload", type: "string", help: "payload path or remote URL" },
    recursiveVerifyFlag,
  ],
  async run(ctx) {
    const f = ctx.flags;
    if (f.sk === true || (f.key !== "" && f.certificate !== "")) {
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
    refuseRecursiveLocal(ctx);
    if (f["local-image"] === true && f["experimental-oci11"] === true) {
      // cosign ignores the flag there (a layout has no referrers); we do not pretend to look.
      throw new UsageError("cannot use --experimental-oci11 with --local-image");
    }
    if (f["local-image"] !== true) return await verifyRegistryImages(ctx);
    const policy = await verifyPolicy(ctx, OLD_FORMAT);
    const { verifyImage, renderVerificationOutput, certificateOptional, renderCertificateSummary } =
      await import("../../lib/verify/verify_image.ts");
    const verifyOne = async (registry: Registry, image: LocalOrRemote) => {
      const result = await verifyImage({ registry, policy, ...image });
      await printVerificationHeader(ctx, image.arg, policy, result.bundleVerified);
      if (f.output === "text") {
        // cosign's text mode: each certificate's summary on stderr, the payloads on stdout.
        for (const s of result.signatures) {
          const summary = renderCertificateSummary(s.certificate);
          if (summary) await writeAll(ctx.io.stderr, summary);
        }
      }
      await writeAll(
        ctx.io.stdout,
        renderVerificationOutput(result.signatures, f.output as string, certificateOptional),
      );
    };
    // --local-image: the argument is a folder written by `cosign save`; its signatures are read
    // from the layout (lib/oci/cosign_layout.ts), and nothing is fetched from a registry.
    const { localImageView, readCosignLayout } = await import("../../lib/oci/cosign_layout.ts");
    for (const arg of ctx.args) {
      const view = localImageView(await readCosignLayout(arg));
      await verifyOne(view.registry, {
        arg,
        ref: view.ref,
        tagPrefix: "",
        maxAttachmentSize: maxAttachmentSize(ctx),
      }).catch((e) => {
        // cosign returns --local-image failures unwrapped (verify.go: only the registry path
        // calls cosignError.WrapError), so they exit 1, not 10/11/12.
        if (e instanceof SigstoreError && exitCodeFor(e) !== ExitCode.failure) {
          throw new VerificationError("SIGNATURE_INVALID", e.message, { cause: e });
        }
        throw e;
      });
    }
  },
};

/** `verify` checks annotations; old bundles' log key may come from `--trusted-root`. */
const OLD_FORMAT = {
  noun: "signature",
  trustedRootForOldBundles: true,
  annotations: true,
  keyless: true,
  oci11: true,
};

/**
 * Images in a registry: Sigstore bundles attached as referrers (verify.go's `co.NewBundleFormat`
 * branch, lib/verify/verify_image_bundles.ts) or the signatures in the `.sig` tag
 * (lib/verify/verify_image.ts), chosen per image as ./_verify_images.ts describes; each policy is
 * built when first needed (the flags are checked before any request).
 */
async function verifyRegistryImages(ctx: Context): Promise<void> {
  const f = ctx.flags;
  const source = signatureSource(ctx);
  if (source === "bundles") checkNewBundleFlags(ctx, VERIFY_BUNDLE_CONFLICTS);
  checkVerifyFlags(ctx, OLD_FORMAT);
  let bundlePolicy: Promise<VerificationPolicy> | undefined;
  let tagPolicy: Promise<VerificationPolicy> | undefined;
  const { renderVerificationOutput, certificateOptional, renderCertificateSummary } = await import(
    "../../lib/verify/verify_image.ts"
  );
  await verifyImageArgs(ctx, async (registry, image, name) => {
    const found = await lookForBundles(registry, image, source);
    if (found) {
      bundlePolicy ??= (async () => {
        // cosign refuses detached material once it has found bundles (verify.go).
        checkNewBundleFlags(ctx, VERIFY_BUNDLE_CONFLICTS);
        return await verifyPolicy(ctx, { ...OLD_FORMAT, newBundle: true });
      })();
      const policy = await bundlePolicy;
      const { verifyImageBundles } = await import("../../lib/verify/verify_image_bundles.ts");
      const result = await verifyImageBundles({ registry, ref: image.ref, name, policy, found });
      const payloads = result.verified.map((v) => ({
        descriptor: { mediaType: "", digest: v.manifestDigest, size: 0 },
        payload: v.payload,
        base64Signature: "",
      }));
      const types = [...new Set(result.verified.map((v) => v.statement.predicateType))];
      return {
        format: "sigstore-bundle",
        note: source === "auto"
          ? `Verified the Sigstore bundles attached to ${name} as OCI referrers (predicate ` +
            `types: ${types.join(", ")}); signatures in its .sig tag, if any, were not read`
          : undefined,
        // cosign prints the annotations line for -a, though bundles carry none to check, and
        // claims the log was checked even with --insecure-ignore-tlog; we say what was checked.
        printHeader: () => printVerificationHeader(ctx, name, policy, !ignoresTlog(ctx)),
        stdout: renderVerificationOutput(payloads, f.output as string),
        json: jsonItems(renderVerificationOutput(payloads, "json")),
      };
    }
    tagPolicy ??= verifyPolicy(ctx, OLD_FORMAT);
    const policy = await tagPolicy;
    const { verifyImage } = await import("../../lib/verify/verify_image.ts");
    let result;
    let note: string | undefined;
    let referrers = 0;
    if (f["experimental-oci11"] === true) {
      // pkg/cosign/verify.go VerifyImageSignatures: the OCI 1.1 signature referrer first; on any
      // error, the .sig tag. cosign says neither which was verified nor why the referrer failed.
      try {
        result = await verifyImage({
          registry,
          policy,
          ...image,
          oci11Referrer: true,
          onReferrers: (n) => referrers = n,
        });
        note = `Verified the signatures in the OCI 1.1 signature referrer ` +
          `${result.referrer!.digest} of ${name}; its .sig tag, if any, was not read`;
      } catch (e) {
        note = `Could not verify an OCI 1.1 signature referrer of ${name} ` +
          `(${(e as Error).message}); verified the signatures in its .sig tag instead`;
      }
    }
    result ??= await verifyImage({ registry, policy, ...image });
    const referrer = result.referrer;
    return {
      format: referrer ? "oci11-referrer" : "tag",
      note,
      printHeader: async () => {
        if (referrers > 1) {
          // cosign's ui.Warnf in verifyImageSignaturesExperimentalOCI (the referrer verified or not).
          await ctx.warn(
            `there were a total of ${referrers} references with artifactType ` +
              `${SIGNATURE_ARTIFACT_TYPE}`,
          );
        }
        await printVerificationHeader(ctx, name, policy, result.bundleVerified);
        if (f.output !== "text") return;
        // cosign's text mode: each certificate's summary on stderr, the payloads on stdout.
        for (const s of result.signatures) {
          const summary = renderCertificateSummary(s.certificate);
          if (summary) await writeAll(ctx.io.stderr, summary);
        }
      },
      stdout: renderVerificationOutput(result.signatures, f.output as string, certificateOptional),
      json: jsonItems(
        renderVerificationOutput(result.signatures, "json", certificateOptional),
      ),
    };
  }, f.output === "text");
}

/** cosign v2.6.4 verify.go's refusals on the bundle path (`--certificate` first). */
const VERIFY_BUNDLE_CONFLICTS = [
  {
    flags: ["certificate"],
    message:
      "unsupported: certificate may not be provided using --certificate when using --new-bundle-format (cert must be in bundle)",
  },
  ...IMAGE_NEW_BUNDLE_CONFLICTS,
];

/** The JSON array cosign prints, as values (empty when it printed an error instead). */
function jsonItems(text: string): unknown[] {
  try {
    const v = JSON.parse(text);
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

/** An image from a registry, or from a `cosign save` layout (`--local-image`). */
type LocalOrRemote = Pick<ImageTarget, "arg" | "ref" | "tagPrefix" | "maxAttachmentSize"> & {
  targetRepository?: ImageTarget["targetRepository"];
};
