/** `cosign verify-blob-attestation`. @module */
import type { Command } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import {
  blobVerifyFileFlags,
  predicateTypeFlag,
  subjectDigestFlags,
  verifyFamilyFlags,
} from "../flags/groups.ts";
import {
  newBundlePolicy,
  readBundleFlag,
  rfc3161TimestampFlag,
  verifyPolicy,
} from "../options/verify_options.ts";

export const verifyBlobAttestationCommand: Command = {
  name: "verify-blob-attestation",
  short: "Verify an attestation on the supplied blob",
  long: `Verify an attestation on the supplied blob input using the specified key reference.
You may specify either a key or a kms reference to verify against.

The signature may be specified as a path to a file or a base64 encoded string.
The blob may be specified as a path to a file.`,
  example:
    `  cosign verify-blob-attestation (--key <key path>|<key url>|<kms uri>) --signature <sig> [path to BLOB]

  # Verify a blob attestation from cosign's bundle (attest-blob --bundle), its log entry checked offline
  SIGSTORE_REKOR_PUBLIC_KEY=rekor.pub cosign verify-blob-attestation --key cosign.pub --bundle <bundle path> <BLOB>

  # Verify a blob attestation whose log entry is looked up at --rekor-url
  SIGSTORE_REKOR_PUBLIC_KEY=rekor.pub cosign verify-blob-attestation --key cosign.pub --signature <sig path> <BLOB>

  # Verify a simple blob attestation with a DSSE style signature, skipping the transparency log
  cosign verify-blob-attestation --key cosign.pub --signature <sig path> --insecure-ignore-tlog=true <BLOB>

  # Verify an SLSA provenance attestation given the blob's digest instead of the blob
  cosign verify-blob-attestation --key cosign.pub --signature <sig path> --type slsaprovenance \\
    --digest <sha256 hex> --digestAlg sha256 --insecure-ignore-tlog=true

  # Verify only the envelope's signature
  cosign verify-blob-attestation --key cosign.pub --signature <sig path> --check-claims=false --insecure-ignore-tlog=true

  # check the bundle's transparency log entry offline with the log's key
  SIGSTORE_REKOR_PUBLIC_KEY=rekor.pub cosign verify-blob-attestation --key cosign.pub --bundle <BLOB>.bundle --type <TYPE> <BLOB>

  # a Sigstore bundle, against a trusted root
  cosign verify-blob-attestation --key cosign.pub --bundle <BLOB>.sigstore.json --trusted-root trusted_root.json --type <TYPE> <BLOB>`,
  argsUsage: "[blob]",
  maxArgs: 1,
  bindEnv: true,
  flags: [
    predicateTypeFlag,
    ...verifyFamilyFlags,
    {
      name: "signature",
      type: "string",
      help: "path to base64-encoded signature over attestation in DSSE format",
    },
    ...blobVerifyFileFlags,
    {
      name: "check-claims",
      type: "bool",
      default: true,
      help: "if true, verifies the digest exists in the in-toto subject (using either the " +
        "provided digest and digest algorithm or the provided blob's sha256 digest). If false, " +
        "only the DSSE envelope is verified.",
    },
    ...subjectDigestFlags,
  ],
  async run(ctx) {
    const f = ctx.flags;
    const key = f.key as string;
    const bundlePath = f.bundle as string;
    const digest = f.digest as string;
    const digestAlg = f.digestAlg as string;
    const checkClaims = f["check-claims"] === true;
    if (checkClaims && ctx.args.length === 0 && (digest === "" || digestAlg === "")) {
      throw new UsageError(
        "must provide path to blob or digest and digestAlg; run `cosign verify-blob-attestation -h` for more help",
      );
    }
    if (f.signature === "" && bundlePath === "") {
      throw new UsageError(
        "please specify path to the DSSE envelope signature via --signature or --bundle",
      );
    }
    if (key === "" && f.certificate === "" && f.sk !== true && bundlePath === "") {
      throw new UsageError(
        "provide a key with --key or --sk, a certificate to verify against with --certificate, or a bundle with --bundle",
      );
    }
    if (key !== "" && f.sk === true) {
      throw new UsageError(
        "exactly one of: key reference (--key), or hardware token (--sk) must be provided",
      );
    }
    const { openBlob } = await import("../../lib/blob_input.ts");
    const { maxAttachmentSize } = await import("../../lib/payload/attachment_size.ts");
    const path = checkClaims && ctx.args.length === 1 ? ctx.args[0] : undefined;
    const maxSize = maxAttachmentSize(ctx.io.getEnv("COSIGN_MAX_ATTACHMENT_SIZE"));
    const blob = {
      openBlob: path === undefined
        ? undefined
        : () => openBlob(path, ctx.io.stdin, ctx.io.isTerminal.stdin),
      digest: { hex: digest, algorithm: digestAlg },
      maxSize,
    };
    // Sigstore bundles (--new-bundle-format, or a --bundle that loads as one, cosign's
    // checkNewBundle): their own path. A bundle that cannot be read is left to the old path.
    const bundle = await readBundleFlag(ctx).catch(() => undefined);
    const sigstore = await newBundlePolicy(ctx, bundle, {
      noun: "blob attestation",
      type: true,
      keyless: true,
    });
    if (sigstore) {
      const { verifyBlobAttestationBundle } = await import(
        "../../lib/verify/verify_blob_attestation_bundle.ts"
      );
      if (path !== undefined && digest !== "" && digestAlg !== "") {
        await ctx.warn("Ignoring provided digest and digestAlg in favor of provided blob");
      }
      await verifyBlobAttestationBundle({ ...sigstore, subject: blob });
      await ctx.info("Verified OK");
      return;
    }
    if (f["trusted-root"] !== "") {
      throw new UsageError("--trusted-root only supported with --new-bundle-format");
    }
    // The bundle's entry is verified offline, and an envelope without one (--signature, or a
    // bundle with no rekorBundle) is looked up at --rekor-url (unless --offline).
    const timestampFile = await rfc3161TimestampFlag(ctx);
    const policy = await verifyPolicy(ctx, {
      noun: "blob attestation",
      type: true,
      keyless: true,
      signatureChain: true,
    });
    const { verifyBlobAttestation } = await import("../../lib/verify/verify_blob_attestation.ts");
    if (path !== undefined && digest !== "" && digestAlg !== "") {
      await ctx.warn("Ignoring provided digest and digestAlg in favor of provided blob");
    }
    await verifyBlobAttestation({
      policy,
      envelopePath: f.signature as string,
      bundlePath: bundlePath === "" ? undefined : bundlePath,
      rfc3161Timestamp: timestampFile,
      ...blob,
    });
    await ctx.info("Verified OK");
  },
};
