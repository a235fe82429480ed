/** `cosign attest-blob`. @module */
import type { Command } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { writeAll } from "../io.ts";
import {
  attestFamilyFlags,
  blobBundleOutputFlags,
  signFamilyFlags,
  signOutputFlags,
} from "../flags/groups.ts";
import { rekorEntryType } from "./_shared.ts";
import { envelopeWitness, signingOptions } from "../options/sign_options.ts";
import { applySigningConfig, signingConfigFlags } from "../options/signing_config_options.ts";

export const attestBlobCommand: Command = {
  name: "attest-blob",
  short: "Attest the supplied blob.",
  example:
    `  cosign attest-blob --key <key path>|<kms uri> [--predicate <path>] [--a key=value] [--f] [--r] <BLOB uri>

  # attach an attestation to a blob with a local key pair file and print the attestation
  cosign attest-blob --predicate <FILE> --type <TYPE> --key cosign.key --output-attestation <path> <BLOB>

  # sign a complete in-toto statement instead of a predicate
  cosign attest-blob --statement <FILE> --key cosign.key --output-signature <BLOB>.att.json

  # log the attestation in Rekor and write cosign's bundle (or a Sigstore bundle)
  cosign attest-blob --predicate <FILE> --type <TYPE> --key cosign.key --yes --bundle <BLOB>.bundle <BLOB>
  cosign attest-blob --predicate <FILE> --type <TYPE> --key cosign.key --yes --new-bundle-format --bundle <BLOB>.sigstore.json <BLOB>

  # supply the predicate via stdin
  echo <PAYLOAD> | cosign attest-blob --predicate - --key cosign.key --yes <BLOB>`,
  argsUsage: "<blob>",
  bindEnv: true,
  flags: [
    ...signFamilyFlags,
    ...attestFamilyFlags,
    ...signOutputFlags,
    { name: "output-attestation", type: "string", help: "write the attestation to FILE" },
    ...blobBundleOutputFlags,
    ...signingConfigFlags("bundle"),
    {
      name: "hash",
      type: "string",
      help: "hash of blob in hexadecimal (base16). Used if you want to sign an artifact stored " +
        "elsewhere and have the hash",
    },
    {
      name: "rfc3161-timestamp-bundle",
      type: "string",
      help: "path to an RFC 3161 timestamp bundle FILE",
    },
  ],
  async run(ctx) {
    const f = ctx.flags;
    const predicatePath = f.predicate as string;
    const statementPath = f.statement as string;
    if (predicatePath === "" && statementPath === "") {
      throw new UsageError(
        "at least one of the flags in the group [predicate statement] is required",
      );
    }
    if (statementPath === "" && ctx.args.length !== 1) {
      throw new UsageError(`accepts 1 arg(s), received ${ctx.args.length}`);
    }
    // The signing config's services replace the URL flags; cosign then writes a Sigstore bundle.
    const services = await applySigningConfig(ctx, "bundle");
    if (services) f["new-bundle-format"] = true;
    // cosign signs attestations with Ed25519ph for Ed25519 keys (its verifier checks pure
    // Ed25519, so Go cannot verify those either).
    const o = signingOptions(ctx, "attest", { ed25519ph: true });
    if (predicatePath !== "" && statementPath !== "") {
      throw new UsageError("one of --predicate or --statement must be set");
    }
    const entryType = rekorEntryType(ctx);
    const timestampPath = f["rfc3161-timestamp-bundle"] as string;
    const newBundle = f.bundle !== "" && f["new-bundle-format"] === true;
    if (o.timestampServerUrl !== "" && timestampPath === "" && f["new-bundle-format"] !== true) {
      throw new UsageError(
        "expected either new bundle or an rfc3161-timestamp path when using a TSA server",
      );
    }
    if (f.certificate !== "" || f["certificate-chain"] !== "") {
      throw new UsageError("cannot attach a certificate yet: --certificate is not supported");
    }
    const { attestBlob, readInputFile } = await import("../../lib/sign/attest_blob.ts");
    const { maxAttachmentSize } = await import("../../lib/payload/attachment_size.ts");
    const limit = maxAttachmentSize(ctx.io.getEnv("COSIGN_MAX_ATTACHMENT_SIZE"));
    const blobPath = ctx.args.length === 1 ? ctx.args[0] : "";
    const hash = f.hash as string;
    const getSigner = o.signer;

    let result;
    if (statementPath !== "") {
      await ctx.info(`Using statement from: ${statementPath}`);
      const statement = await readInputFile(statementPath, "statement", limit, ctx.io.stdin);
      result = await attestBlob({ statement, statementName: statementPath, getSigner });
    } else {
      const { openBlob } = await import("../../lib/blob_input.ts");
      let blob;
      if (hash === "") {
        if (blobPath !== "-") await ctx.info(`Using payload from: ${blobPath}`);
        blob = await openBlob(blobPath, ctx.io.stdin, ctx.io.isTerminal.stdin);
      }
      try {
        await ctx.info(
          `Using payload from: ${predicatePath === "-" ? "standard input" : predicatePath}`,
        );
        const predicate = await readInputFile(predicatePath, "predicate", limit, ctx.io.stdin);
        result = await attestBlob({
          predicate,
          predicateName: predicatePath,
          type: f.type as string,
          blobPath,
          blob: blob?.reader,
          hash: hash || undefined,
          getSigner,
        });
      } finally {
        blob?.close();
      }
    }

    const { writeFileAtomic } = await import("../../lib/atomic_file.ts");
    const { marshalLocalBundle } = await import("../../lib/rekor/blob_bundle.ts");
    const { marshalPublicKeyPem } = await import("../../lib/keys/public_key.ts");
    const signer = await getSigner();
    // Keyless (or --issue-certificate): the signer's certificate stands for its key everywhere.
    const certPem = (signer as { certificatePem?: string }).certificatePem;
    const certDer = (signer as { certificateDer?: Uint8Array }).certificateDer;
    // attest_blob.go: the timestamp before the log upload. What is timestamped depends on the
    // output: the envelope's signature for a Sigstore bundle (what bundle verifiers check), else
    // the whole envelope JSON (cosign's historical choice, what verify-blob-attestation checks).
    const timestamper = await o.timestamper();
    let timestamp: Uint8Array | undefined;
    if (timestamper) {
      const { dsseSignatureBytes } = await import("../../lib/sign/timestamp_signature.ts");
      timestamp = await timestamper(
        f["new-bundle-format"] === true ? dsseSignatureBytes(result.envelope) : result.envelope,
      );
    }
    const entry = o.tlogUpload
      ? await envelopeWitness(ctx, o, entryType)(result.envelope)
      : undefined;
    if (timestamp && timestampPath !== "") {
      const { marshalRfc3161Timestamp } = await import("../../lib/timestamp/rfc3161_timestamp.ts");
      await writeFileAtomic(timestampPath, marshalRfc3161Timestamp(timestamp), { mode: 0o600 });
      // cosign: fmt.Fprintln(os.Stderr, "RFC3161 timestamp bundle written to file ", path).
      await ctx.info(`RFC3161 timestamp bundle written to file  ${timestampPath}`);
    }
    if (newBundle) {
      // cosign's MakeNewBundle: a v0.3 Sigstore bundle with the DSSE envelope.
      const { keyDsseBundle, marshalBundle } = await import("../../lib/bundle/marshal_bundle.ts");
      const bundle = marshalBundle(
        await keyDsseBundle({
          spki: signer.publicKey.spki,
          certificate: certDer,
          envelope: result.envelope,
          entry,
          timestamps: timestamp ? [timestamp] : [],
        }),
      );
      await writeFileAtomic(f.bundle as string, bundle, { mode: 0o600 });
      if (services) {
        // cosign's signing-config path (attest_blob.go) writes the bundle only.
        await ctx.info(`Wrote bundle to file ${f.bundle}`);
        return;
      }
      await ctx.info(`Bundle wrote in the file  ${f.bundle}`);
    } else if (f.bundle !== "") {
      // cosign's LocalSignedPayload: the envelope, the signer's PEM, the log entry.
      const bundle = marshalLocalBundle({
        base64Signature: result.envelope.toBase64(),
        cert: new TextEncoder().encode(certPem ?? marshalPublicKeyPem(signer.publicKey))
          .toBase64(),
        entry,
      });
      await writeFileAtomic(f.bundle as string, bundle, { mode: 0o600 });
      await ctx.info(`Bundle wrote in the file  ${f.bundle}`);
    }
    const outputSignature = f["output-signature"] as string;
    if (outputSignature !== "") {
      await writeFileAtomic(outputSignature, result.envelope, { mode: 0o600 });
      await ctx.info(`Signature written in ${outputSignature}`);
    } else {
      await writeAll(ctx.io.stdout, result.envelope);
      await writeAll(ctx.io.stdout, "\n");
    }
    const outputAttestation = f["output-attestation"] as string;
    if (outputAttestation !== "") {
      await writeFileAtomic(outputAttestation, result.statement, { mode: 0o600 });
      await ctx.info(`Attestation written in ${outputAttestation}`);
    }
    if (f["output-certificate"] !== "" && certPem !== undefined) {
      await writeFileAtomic(f["output-certificate"] as string, certPem, { mode: 0o600 });
      // cosign's Println("Certificate written to file ", path): two spaces.
      await ctx.info(`Certificate written to file  ${f["output-certificate"]}`);
    } else if (f["output-certificate"] !== "") {
      // cosign tries to parse the public key as a certificate and says so.
      await ctx.info(
        "Could not output signer certificate. Was a certificate used?  x509: malformed serial number",
      );
    }
  },
};
