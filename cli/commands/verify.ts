/** `cosign verify`. @module */
import type { Command } from "../command.ts";
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
import { keyRefDeps } from "./_shared.ts";
import {
  maxAttachmentSize,
  parseImageRef,
  registryFromFlags,
  targetRepository,
} from "./_registry.ts";
import { parseAnnotations } from "./sign.ts";
import { SigstoreError, VerificationError } from "../../lib/errors.ts";

/** The refusal without a trusted log key (cosign would read it from TUF; we never skip silently). */
export function tlogVerifyNotAvailable(): SigstoreError {
  return new SigstoreError(
    "TLOG_UNAVAILABLE",
    "Cannot verify the transparency log entries: set SIGSTORE_REKOR_PUBLIC_KEY to the log's key " +
      "or pass --trusted-root (bundles are checked offline, other signatures are looked up at " +
      "--rekor-url), or pass " +
      "--insecure-ignore-tlog=true to verify the signatures alone",
  );
}

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
    const key = f.key as string;
    const ignoreTlog = f["insecure-ignore-tlog"] === true || f["private-infrastructure"] === true;
    if (key === "") {
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
    const hash = (f["signature-digest-algorithm"] as string).trim().toLowerCase() || "sha256";
    if (!["sha224", "sha256", "sha384", "sha512"].includes(hash)) {
      throw new UsageError(`unknown digest algorithm: ${f["signature-digest-algorithm"]}`);
    }
    if (f["new-bundle-format"] === true && f["local-image"] !== true) {
      const { verifyImageBundle } = await import("./_verify_image_bundle.ts");
      return await verifyImageBundle(ctx, hash);
    }
    // The log key comes from SIGSTORE_REKOR_PUBLIC_KEY (a path), as in cosign without TUF; each
    // signature's bundle annotation is then verified offline.
    const rekorKeyPath = ctx.io.getEnv("SIGSTORE_REKOR_PUBLIC_KEY");
    if (!ignoreTlog && !rekorKeyPath && f["trusted-root"] === "") throw tlogVerifyNotAvailable();
    const annotations = parseAnnotations(ctx);
    if (f["insecure-ignore-tlog"] === true && f["private-infrastructure"] !== true) {
      await ctx.warn(
        "Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the signature.",
      );
    }
    const { readKeyRef } = await import("../../lib/keys/key_ref.ts");
    const { parsePublicKeyPem } = await import("../../lib/keys/public_key.ts");
    const { verifyImage, renderVerificationHeader, renderVerificationOutput } = await import(
      "../../lib/verify/verify_image.ts"
    );
    const publicKey = parsePublicKeyPem(await readKeyRef(key, keyRefDeps(ctx)));
    // A signature without a bundle annotation is looked up at --rekor-url (cosign's online
    // verification), unless --offline.
    const offline = f.offline === true;
    const { RekorClient } = await import("../../lib/rekor/client.ts");
    const verifyTlog = ignoreTlog
      ? undefined
      : (await import("../../lib/verify/bundle_verifier.ts"))
        .bundleVerifier(
          // --trusted-root (the log picked by ID) or SIGSTORE_REKOR_PUBLIC_KEY, as cosign does.
          (await (await import("./_verify_new_bundle.ts")).oldBundleLogKey(ctx))!,
          publicKey,
          {
            offline,
            rekor: offline
              ? undefined
              : new RekorClient(f["rekor-url"] as string, { signal: ctx.signal }),
          },
        );
    // --local-image: the argument is a folder written by `cosign save`; its signatures are read
    // from the layout (lib/oci/cosign_layout.ts), and nothing is fetched from a registry.
    const local = f["local-image"] === true;
    const registry = local ? undefined : await registryFromFlags(ctx);
    try {
      for (const arg of ctx.args) {
        let target;
        if (local) {
          const { localImageView, readCosignLayout } = await import(
            "../../lib/oci/cosign_layout.ts"
          );
          const view = localImageView(await readCosignLayout(arg));
          target = { registry: view.registry, ref: view.ref, name: arg, repo: undefined };
        } else {
          const ref = await parseImageRef(arg);
          target = {
            registry: registry!,
            ref,
            name: arg,
            repo: await targetRepository(ctx, ref),
          };
        }
        const result = await verifyImage({
          registry: target.registry,
          ref: target.ref,
          publicKey,
          hash: hash as "sha256",
          checkClaims: f["check-claims"] === true,
          annotations,
          maxAttachmentSize: maxAttachmentSize(ctx),
          targetRepository: target.repo,
          verifyTlog,
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
            ref: target.name,
            checkClaims: f["check-claims"] === true,
            annotations: annotations !== undefined,
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
