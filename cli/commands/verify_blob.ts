/** `cosign verify-blob`. @module */
import type { Command } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import {
  certVerifyFlags,
  commonVerifyFlags,
  rekorFlags,
  securityKeyFlags,
  signatureDigestFlags,
} from "../flags/groups.ts";
import { keyRefDeps } from "./_shared.ts";
import { IoError } from "../../lib/errors.ts";

const HASHES = new Set(["sha256", "sha384", "sha512"]);

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
    ...securityKeyFlags,
    ...rekorFlags,
    ...certVerifyFlags,
    ...commonVerifyFlags,
    ...signatureDigestFlags,
    {
      name: "key",
      type: "string",
      help: "path to the public key file, KMS URI or Kubernetes Secret",
    },
    { name: "signature", type: "string", help: "signature content or path or remote URL" },
    { name: "bundle", type: "string", help: "path to bundle FILE" },
    { name: "rfc3161-timestamp", type: "string", help: "path to RFC3161 timestamp FILE" },
  ],
  async run(ctx) {
    const f = ctx.flags;
    const key = f.key as string;
    const cert = f.certificate as string;
    const bundle = f.bundle as string;
    const ignoreTlog = f["insecure-ignore-tlog"] === true || f["private-infrastructure"] === true;
    const hash = (f["signature-digest-algorithm"] as string).trim().toLowerCase() || "sha256";
    if (!HASHES.has(hash)) {
      throw new UsageError(`unknown digest algorithm: ${f["signature-digest-algorithm"]}`);
    }
    const given = [key !== "", cert !== "", f.sk === true, bundle !== ""].filter(Boolean).length;
    if (given === 0) {
      throw new UsageError(
        "provide a key with --key or --sk, a certificate to verify against with --certificate, or a bundle with --bundle",
      );
    }
    if ([key !== "", f.sk === true, cert !== ""].filter(Boolean).length > 1) {
      throw new UsageError(
        "exactly one of: key reference (--key), certificate (--cert) or hardware token (--sk) must be provided",
      );
    }
    // Sigstore bundles (--new-bundle-format, or a --bundle that loads as one): their own path.
    let bundleBytes: Uint8Array | undefined;
    if (bundle !== "") {
      const { readKeyRef } = await import("../../lib/keys/key_ref.ts");
      bundleBytes = await readKeyRef(bundle, keyRefDeps(ctx)).catch((e) => {
        throw new IoError(
          "INPUT_UNREADABLE",
          `Cannot read bundle ${bundle}: ${
            (e as Error).message.replace(/^Cannot read key file [^:]*: /, "")
          }`,
          { cause: e },
        );
      });
    }
    const nb = await import("./_verify_new_bundle.ts");
    if (await nb.isNewBundle(f, bundleBytes)) return await nb.verifyNewBundle(ctx, bundleBytes);
    if (f["trusted-root"] !== "") {
      throw new UsageError("--trusted-root only supported with --new-bundle-format");
    }
    if (key === "") {
      throw new UsageError(
        "cannot verify without --key yet: certificates and hardware tokens are not supported",
      );
    }
    const signatureRef = f.signature as string;
    if (signatureRef === "" && bundle === "") throw new UsageError("missing flag '--signature'");
    // The log key comes from SIGSTORE_REKOR_PUBLIC_KEY (a path), as in cosign without TUF; a
    // signature without --bundle is looked up in the log at --rekor-url (unless --offline).
    let rekorPublicKey;
    const rekorKeyPath = ctx.io.getEnv("SIGSTORE_REKOR_PUBLIC_KEY");
    if (!ignoreTlog && rekorKeyPath) {
      const { readKeyRef } = await import("../../lib/keys/key_ref.ts");
      const { parsePublicKeyPem } = await import("../../lib/keys/public_key.ts");
      rekorPublicKey = parsePublicKeyPem(await readKeyRef(rekorKeyPath, keyRefDeps(ctx)));
    }
    let rekor;
    if (!ignoreTlog && bundle === "" && f.offline !== true) {
      const { RekorClient } = await import("../../lib/rekor/client.ts");
      rekor = new RekorClient(f["rekor-url"] as string, { signal: ctx.signal });
    }
    if (f["insecure-ignore-tlog"] === true && f["private-infrastructure"] !== true) {
      await ctx.warn(
        "Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the blob.",
      );
    }
    const { openBlob } = await import("../../lib/blob_input.ts");
    const { verifyBlob } = await import("../../lib/verify/verify_blob.ts");
    const input = await openBlob(ctx.args[0], ctx.io.stdin, ctx.io.isTerminal.stdin);
    try {
      await verifyBlob({
        keyRef: key,
        signatureRef,
        hash: hash as "sha256" | "sha384" | "sha512",
        input: input.reader,
        deps: keyRefDeps(ctx),
        bundle: bundleBytes,
        rekorPublicKey,
        ignoreTlog,
        rekor,
        offline: f.offline === true,
      });
    } finally {
      input.close();
    }
    await ctx.info("Verified OK");
  },
};
