/** `cosign sign-blob`. @module */
import type { Command } from "../command.ts";
import { writeAll } from "../io.ts";
import {
  blobBundleOutputFlags,
  signFamilyFlags,
  signOutputFlags,
  signTrustedRootFlag,
  timestampClientFlags,
} from "../flags/groups.ts";
import { UsageError } from "../exit_codes.ts";
import { signingOptions } from "../options/sign_options.ts";
import { applySigningConfig, signingConfigFlags } from "../options/signing_config_options.ts";

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
    ...signFamilyFlags,
    { name: "b64", type: "bool", default: true, help: "whether to base64 encode the output" },
    ...signOutputFlags,
    { name: "output", type: "string", help: "write the signature to FILE", hidden: true },
    ...blobBundleOutputFlags,
    ...signingConfigFlags("bundle"),
    signTrustedRootFlag,
    ...timestampClientFlags,
    { name: "rfc3161-timestamp", type: "string", help: "write the RFC3161 timestamp to a file" },
  ],
  async run(ctx) {
    const f = ctx.flags;
    // The signing config's services replace the URL flags; cosign then writes a Sigstore bundle.
    const services = await applySigningConfig(ctx, "bundle");
    if (services) f["new-bundle-format"] = true;
    // cosign signs Ed25519 keys with Ed25519ph when the signature goes to the log.
    const o = signingOptions(ctx, "sign", { ed25519ph: f["tlog-upload"] === true });
    const timestampPath = f["rfc3161-timestamp"] as string;
    // sign_blob.go: a timestamp must go somewhere (checked after ShouldUploadToTlog there; before
    // it here, so that the question is not asked for nothing).
    if (o.timestampServerUrl !== "" && timestampPath === "" && f["new-bundle-format"] !== true) {
      throw new UsageError("must use protobuf bundle or set timestamp output path");
    }
    // cosign's ShouldUploadToTlog: the statement is always shown, the question unless --yes.
    if (o.tlogUpload) await o.consent();

    let outputSignature = f["output-signature"] as string;
    if (f.output !== "") {
      await ctx.warn(
        "the '--output' flag is deprecated and will be removed in the future. Use '--output-signature'",
      );
      outputSignature = f.output as string;
    }

    const { openBlob } = await import("../../lib/blob_input.ts");
    // Every input must open before the password is asked for.
    const inputs = [];
    try {
      for (const path of ctx.args) {
        inputs.push(await openBlob(path, ctx.io.stdin, ctx.io.isTerminal.stdin));
      }
      // The key's scrypt runs on a worker thread: load the signing modules meanwhile.
      const signing = o.signer();
      signing.catch(() => {}); // awaited below, after the import
      const timestamper = await o.timestamper();
      const { signBlob } = await import("../../lib/sign/sign_blob.ts");
      const signer = await signing;
      for (const [i, path] of ctx.args.entries()) {
        if (path !== "-") await ctx.info(`Using payload from: ${path}`);
        const signed = await signBlob({
          signer,
          input: inputs[i].reader,
          rekorUrl: o.tlogUpload ? o.rekorUrl : undefined,
          // The log's answer is checked with --trusted-root or SIGSTORE_REKOR_PUBLIC_KEY, if given.
          logKey: o.tlogUpload ? await o.logKey() : undefined,
          signal: ctx.signal,
          timestamper,
        });
        if (signed.timestamp && timestampPath !== "") {
          const { writeFileAtomic } = await import("../../lib/atomic_file.ts");
          const { marshalRfc3161Timestamp } = await import(
            "../../lib/timestamp/rfc3161_timestamp.ts"
          );
          await writeFileAtomic(timestampPath, marshalRfc3161Timestamp(signed.timestamp), {
            mode: 0o600,
          });
          // cosign: ui.Infof(ctx, "RFC3161 timestamp written to file %s\n", path).
          await ctx.info(`RFC3161 timestamp written to file ${timestampPath}\n`);
        }
        if (signed.entry) await ctx.info(`tlog entry created with index: ${signed.entry.logIndex}`);
        if (f.bundle !== "") {
          const { writeFileAtomic } = await import("../../lib/atomic_file.ts");
          const contents = f["new-bundle-format"] === true
            ? await signed.newBundle()
            : signed.bundle();
          await writeFileAtomic(f.bundle as string, contents, { mode: 0o600 });
          await ctx.info(`Wrote bundle to file ${f.bundle}`);
          // cosign's signing-config path (sign_blob.go) writes the bundle only.
          if (services) continue;
        }
        // cosign writes the certificate (base64 of its PEM unless --b64=false) only when there
        // is one: keyless, or --issue-certificate (sign_blob.go, `rekorBytes`).
        const certPem = (signer as { certificatePem?: string }).certificatePem;
        if (f["output-certificate"] !== "" && certPem !== undefined) {
          const { writeFileAtomic } = await import("../../lib/atomic_file.ts");
          const pem = new TextEncoder().encode(certPem);
          await writeFileAtomic(
            f["output-certificate"] as string,
            f.b64 === true ? pem.toBase64() : pem,
            { mode: 0o600 },
          );
          await ctx.info(`Wrote certificate to file ${f["output-certificate"]}`);
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
