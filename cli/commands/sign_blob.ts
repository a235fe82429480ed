/** `cosign sign-blob`. @module */
import type { Command } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { confirmContinue, readPassword, writeAll } from "../io.ts";
import {
  fulcioFlags,
  oidcFlags,
  rekorFlags,
  securityKeyFlags,
  signingKeyFlag,
  tlogUploadFlag,
  yesFlag,
} from "../flags/groups.ts";
import { keyRefDeps, rejectKeyAndSk, signingKeyRef } from "./_shared.ts";
import { SigstoreError } from "../../lib/errors.ts";

/** The error for a transparency-log upload we cannot do yet: it never silently skips. */
export function tlogNotAvailable(): SigstoreError {
  return new SigstoreError(
    "TLOG_UNAVAILABLE",
    "Cannot upload to the transparency log: Rekor support is not available yet; " +
      "pass --tlog-upload=false to sign without a transparency log entry",
  );
}

/** cosign cmd/cosign/cli/sign/privacy/privacy.go Statement (its indentation is cosign's). */
export const PRIVACY_STATEMENT = `
\tThe sigstore service, hosted by sigstore a Series of LF Projects, LLC, is provided pursuant to the Hosted Project Tools Terms of Use, available at https://lfprojects.org/policies/hosted-project-tools-terms-of-use/.
\tNote that if your submission includes personal data associated with this signed artifact, it will be part of an immutable record.
\tThis may include the email address associated with the account with which you authenticate your contractual Agreement.
\tThis information will be used for signing this artifact and will be stored in public transparency logs and cannot be removed later, and is subject to the Immutable Record notice at https://lfprojects.org/policies/hosted-project-tools-immutable-records/.
`;

/** cosign's StatementConfirmation. */
export const PRIVACY_CONFIRMATION =
  "By typing 'y', you attest that (1) you are not submitting the personal data of any other person; and (2) you understand and agree to the statement and the Agreement terms at the URLs listed above.";

export const signBlobCommand: Command = {
  name: "sign-blob",
  short: "Sign the supplied blob, outputting the base64-encoded signature to stdout.",
  example: `  # sign a blob with a local key pair file, without a transparency log entry
  cosign sign-blob --key cosign.key --tlog-upload=false <FILE>

  # write the signature to a file instead of standard output
  cosign sign-blob --key cosign.key --tlog-upload=false --output-signature <FILE>.sig <FILE>

  # sign standard input, writing the raw (not base64) signature
  cat <FILE> | cosign sign-blob --key cosign.key --tlog-upload=false --b64=false - > <FILE>.sig

  # sign a blob, log it in Rekor and write a Sigstore bundle (v0.3) for verify-blob --bundle
  cosign sign-blob --key cosign.key --yes --new-bundle-format --bundle <FILE>.sigstore.json <FILE>

  # sign a blob with a key stored in an environment variable
  cosign sign-blob --key env://[ENV_VAR] --tlog-upload=false <FILE>`,
  argsUsage: "<blob|-> [blob ...]",
  minArgs: 1,
  bindEnv: true,
  flags: [
    ...securityKeyFlags,
    ...fulcioFlags,
    ...rekorFlags,
    ...oidcFlags,
    signingKeyFlag,
    { name: "b64", type: "bool", default: true, help: "whether to base64 encode the output" },
    { name: "output-signature", type: "string", help: "write the signature to FILE" },
    { name: "output", type: "string", help: "write the signature to FILE", hidden: true },
    { name: "output-certificate", type: "string", help: "write the certificate to FILE" },
    {
      name: "bundle",
      type: "string",
      help: "write everything required to verify the blob to a FILE",
    },
    {
      name: "new-bundle-format",
      type: "bool",
      help: "output bundle in new format that contains all verification material",
    },
    {
      name: "trusted-root",
      type: "string",
      help: "optional path to a TrustedRoot JSON file to verify a signature after signing",
    },
    yesFlag,
    tlogUploadFlag,
    {
      name: "issue-certificate",
      type: "bool",
      help: "issue a code signing certificate from Fulcio, even if a key is provided",
    },
  ],
  async run(ctx) {
    const f = ctx.flags;
    const key = signingKeyRef(ctx);
    rejectKeyAndSk(ctx);
    if (key === "" || f["issue-certificate"] === true) {
      throw new UsageError(
        "cannot sign without --key yet: keyless signing with Fulcio is not supported; pass --key",
      );
    }
    const upload = f["tlog-upload"] === true;
    if (upload) {
      // cosign's ShouldUploadToTlog: the statement is always shown, the question unless --yes.
      await ctx.info(PRIVACY_STATEMENT);
      await ctx.info(PRIVACY_CONFIRMATION);
      if (f.yes !== true) await confirmContinue(ctx.io);
    }

    let outputSignature = f["output-signature"] as string;
    if (f.output !== "") {
      await ctx.warn(
        "the '--output' flag is deprecated and will be removed in the future. Use '--output-signature'",
      );
      outputSignature = f.output as string;
    }

    const { openBlob } = await import("../../lib/blob_input.ts");
    const { loadSigner } = await import("../../lib/sign/load_signer.ts");
    // Every input must open before the password is asked for.
    const inputs = [];
    try {
      for (const path of ctx.args) {
        inputs.push(await openBlob(path, ctx.io.stdin, ctx.io.isTerminal.stdin));
      }
      // cosign signs Ed25519 keys with Ed25519ph when the signature goes to the log.
      const signer = await loadSigner(key, {
        ...keyRefDeps(ctx),
        getPassword: () => readPassword(ctx.io, false),
      }, { ed25519ph: upload });
      const { signBlob } = await import("../../lib/sign/sign_blob.ts");
      for (const [i, path] of ctx.args.entries()) {
        if (path !== "-") await ctx.info(`Using payload from: ${path}`);
        const signed = await signBlob({
          signer,
          input: inputs[i].reader,
          rekorUrl: upload ? f["rekor-url"] as string : undefined,
          // The log's answer is checked with --trusted-root or SIGSTORE_REKOR_PUBLIC_KEY, if given.
          logKey: upload
            ? await (await import("./_verify_new_bundle.ts")).oldBundleLogKey(ctx)
            : undefined,
          signal: ctx.signal,
        });
        if (signed.entry) await ctx.info(`tlog entry created with index: ${signed.entry.logIndex}`);
        if (f.bundle !== "") {
          const { writeFileAtomic } = await import("../../lib/atomic_file.ts");
          const contents = f["new-bundle-format"] === true
            ? await signed.newBundle()
            : signed.bundle();
          await writeFileAtomic(f.bundle as string, contents, { mode: 0o600 });
          await ctx.info(`Wrote bundle to file ${f.bundle}`);
        }
        const signature = signed.signature;
        const out = f.b64 === true ? new TextEncoder().encode(signature.toBase64()) : signature;
        if (outputSignature !== "") {
          const { writeFileAtomic } = await import("../../lib/atomic_file.ts");
          await writeFileAtomic(outputSignature, out, { mode: 0o600 });
          await ctx.info(`Wrote signature to file ${outputSignature}`);
        } else {
          await writeAll(ctx.io.stdout, out);
          if (f.b64 === true) await writeAll(ctx.io.stdout, "\n");
        }
      }
    } finally {
      for (const input of inputs) input.close();
    }
  },
};
