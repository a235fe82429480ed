/** `cosign verify-blob`. @module */
import type { Command } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { blobVerifyFileFlags, verifyFamilyFlags } from "../flags/groups.ts";
import { keyRefDeps } from "../options/key_options.ts";
import {
  newBundlePolicy,
  readBundleFlag,
  rfc3161TimestampFlag,
  verifyPolicy,
} from "../options/verify_options.ts";

export const verifyBlobCommand: Command = {
  name: "verify-blob",
  short: "Verify a signature on the supplied blob",
  long: `Verify a signature on the supplied blob input using the specified key reference.
You may specify either a key, a certificate or a kms reference to verify against.
	If you use a key or a certificate, you must specify the path to them on disk.

The signature may be specified as a path to a file or a base64 encoded string.
The blob may be specified as a path to a file or - for stdin.`,
  example: `  # Verify a simple blob and message, skipping the transparency log
  cosign verify-blob --key cosign.pub --signature sig --insecure-ignore-tlog=true msg

  # Verify a signature from an environment variable
  cosign verify-blob --key cosign.pub --signature $sig --insecure-ignore-tlog=true msg

  # verify a signature with public key provided by URL
  cosign verify-blob --key https://host.for/[FILE] --signature $sig --insecure-ignore-tlog=true msg

  # Verify a signature against a payload from another process using process redirection
  cosign verify-blob --key cosign.pub --signature $sig --insecure-ignore-tlog=true <(git rev-parse HEAD)

  # Verify a blob with a Sigstore bundle (sign-blob --new-bundle-format) and a trusted root
  cosign verify-blob --key cosign.pub --bundle <FILE>.sigstore.json --trusted-root trusted_root.json <FILE>

  # Verify a blob read from standard input
  cat msg | cosign verify-blob --key cosign.pub --signature sig --insecure-ignore-tlog=true -`,
  argsUsage: "<blob|->",
  minArgs: 1,
  maxArgs: 1,
  bindEnv: true,
  flags: [
    ...verifyFamilyFlags,
    { name: "signature", type: "string", help: "signature content or path or remote URL" },
    ...blobVerifyFileFlags,
  ],
  async run(ctx) {
    const f = ctx.flags;
    // cosign's options.NOf: how many of the verification inputs were given.
    const count = (...given: boolean[]) => given.filter(Boolean).length;
    if (count(f.key !== "", f.certificate !== "", f.sk === true, f.bundle !== "") === 0) {
      throw new UsageError(
        "provide a key with --key or --sk, a certificate to verify against with --certificate, or a bundle with --bundle",
      );
    }
    if (count(f.key !== "", f.sk === true, f.certificate !== "") > 1) {
      throw new UsageError(
        "exactly one of: key reference (--key), certificate (--cert) or hardware token (--sk) must be provided",
      );
    }
    const bundle = await readBundleFlag(ctx);
    const { openBlob } = await import("../../lib/blob_input.ts");
    // Sigstore bundles: the key, or the bundle's certificate.
    const sigstore = await newBundlePolicy(ctx, bundle, {
      noun: "blob",
      keyless: true,
      detachedSignature: true,
    });
    if (sigstore) {
      const { verifyBlobBundle } = await import("../../lib/verify/verify_blob_bundle.ts");
      const input = await openBlob(ctx.args[0], ctx.io.stdin, ctx.io.isTerminal.stdin);
      try {
        await verifyBlobBundle({ ...sigstore, input: input.reader });
      } finally {
        input.close();
      }
      await ctx.info("Verified OK");
      return;
    }
    if (f["trusted-root"] !== "") {
      throw new UsageError("--trusted-root only supported with --new-bundle-format");
    }
    const timestampFile = await rfc3161TimestampFlag(ctx);
    if (f.signature === "" && f.bundle === "") throw new UsageError("missing flag '--signature'");
    // cosign's bundle file's entry is verified offline; a signature without one is looked up in
    // the log at --rekor-url (unless --offline). Keyless: the bundle's certificate, or
    // --certificate, checked against the trusted root (TUF's) or SIGSTORE_ROOT_FILE & co.
    const policy = await verifyPolicy(ctx, { noun: "blob", keyless: true, signatureChain: true });
    const { verifyBlob } = await import("../../lib/verify/verify_blob.ts");
    const input = await openBlob(ctx.args[0], ctx.io.stdin, ctx.io.isTerminal.stdin);
    try {
      await verifyBlob({
        policy,
        signatureRef: f.signature as string,
        input: input.reader,
        deps: keyRefDeps(ctx),
        bundle,
        rfc3161Timestamp: timestampFile,
      });
    } finally {
      input.close();
    }
    await ctx.info("Verified OK");
  },
};
