/** `cosign attach signature|attestation|sbom`. @module */
import type { Command, Context } from "../command.ts";
import { IoError } from "../../lib/errors.ts";
import { describeFsError } from "../../lib/atomic_file.ts";
import { readAllBounded } from "../../lib/stream.ts";
import { registryFlags, signingCertificateFlags } from "../flags/groups.ts";
import {
  dockerMediaTypes,
  maxAttachmentSize,
  parseImageRef,
  referrersMode,
  referrersModeFlag,
  targetRepository,
  withRegistry,
} from "../options/registry_options.ts";
import { UsageError } from "../exit_codes.ts";

/** The largest file read for --signature, --payload, --certificate … (cosign reads them whole). */
const MAX_INPUT = 128 * 1024 * 1024;

async function readInput(flagPath: string, what: string): Promise<Uint8Array> {
  const path = flagPath === "" ? "." : flagPath; // Go's filepath.Clean("") is "."
  try {
    const info = await Deno.stat(path);
    if (info.isFile && info.size > MAX_INPUT) {
      throw new IoError("TOO_LARGE", `Cannot read ${what} ${path}: larger than ${MAX_INPUT} bytes`);
    }
    // Bounded while reading too: a FIFO or a device (/dev/zero) has no size to check first.
    using file = await Deno.open(path);
    return await readAllBounded(file, MAX_INPUT, `${what} ${path}`);
  } catch (e) {
    if (e instanceof IoError) throw e;
    if (e instanceof RangeError) throw new IoError("TOO_LARGE", e.message, { cause: e });
    // Go's os.ReadFile messages: "open x: no such file or directory", "read .: is a directory".
    if (e instanceof Deno.errors.NotFound) {
      throw new IoError("INPUT_NOT_FOUND", `open ${path}: no such file or directory`, { cause: e });
    }
    if (e instanceof Deno.errors.IsADirectory || (e as Error)?.message?.includes("directory")) {
      throw new IoError("INPUT_UNREADABLE", `read ${path}: is a directory`, { cause: e });
    }
    throw new IoError("INPUT_UNREADABLE", `open ${path}: ${describeFsError(e)}`, { cause: e });
  }
}

async function readStdin(ctx: Context, what = "signature"): Promise<Uint8Array> {
  return await readAllBounded(ctx.io.stdin, MAX_INPUT, `${what} from standard input`);
}

const attachSignatureCommand: Command = {
  name: "signature",
  short: "Attach signatures to the supplied container image",
  example:
    `  cosign attach signature [--payload <path>] [--signature < path>] [--rekor-response < path>] <image uri>

  # attach a signature made elsewhere, with the payload it covers
  cosign attach signature --payload payload.json --signature payload.sig <IMAGE>

  # attach a signature read from standard input
  cosign attach signature --payload payload.json --signature - <IMAGE> < payload.sig

  # also attach the signing certificate and chain, and an RFC3161 timestamp response
  cosign attach signature --payload payload.json --signature payload.sig --certificate cert.pem --certificate-chain chain.pem --tsr=payload.tsr <IMAGE>

  # attach payload, signature and the rekor bundle of a 'cosign sign-blob --bundle' file
  cosign attach signature --payload payload.json --signature payload.sig --rekor-response bundle.json <IMAGE>`,
  argsUsage: "<image uri>",
  minArgs: 1,
  maxArgs: 1,
  bindEnv: true,
  flags: [
    ...registryFlags,
    { name: "signature", type: "string", help: "path to the signature, or {-} for stdin" },
    { name: "payload", type: "string", help: "path to the payload covered by the signature" },
    ...signingCertificateFlags,
    {
      name: "tsr",
      type: "string",
      help: "path to the Time Stamped Signature Response from RFC3161 compliant TSA",
    },
    { name: "rekor-response", type: "string", help: "path to the rekor bundle" },
  ],
  async run(ctx) {
    const f = ctx.flags;
    const sigPath = f.signature as string;
    // attach/sig.go: "-" is standard input, anything else a file (an empty flag opens "").
    const sigBytes = sigPath === "-" ? await readStdin(ctx) : await readInput(sigPath, "signature");
    if (sigBytes.length === 0) throw new Error("empty signature");
    const ref = await parseImageRef(ctx.args[0]);
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    const payload = f.payload !== "" ? await readInput(f.payload as string, "payload") : undefined;
    const certificate = f.certificate !== ""
      ? text(await readInput(f.certificate as string, "certificate"))
      : undefined;
    const chain = f["certificate-chain"] !== ""
      ? text(await readInput(f["certificate-chain"] as string, "certificate chain"))
      : undefined;
    const timestampResponse = f.tsr !== "" ? await readInput(f.tsr as string, "tsr") : undefined;
    let bundleJson: string | undefined;
    if (f["rekor-response"] !== "") {
      const { rekorBundleFromLocalPayload } = await import("../../lib/oci/attach_signature.ts");
      bundleJson = rekorBundleFromLocalPayload(
        await readInput(f["rekor-response"] as string, "rekor response"),
      );
    }
    const { attachSignature } = await import("../../lib/oci/attach_signature.ts");
    await withRegistry(ctx, async (registry) => {
      await attachSignature({
        registry,
        ref,
        base64Signature: text(sigBytes),
        payload,
        certificate,
        chain,
        timestampResponse,
        bundleJson,
        dockerMediaTypes: dockerMediaTypes(ctx),
        targetRepository: await targetRepository(ctx, ref),
        tagPrefix: f["attachment-tag-prefix"] as string,
        onImpliedPayload: (digested) =>
          ctx.warn(
            `using obsolete implied signature payload data (with digested reference ${digested}); specify it explicitly with --payload instead`,
          ),
      });
    });
  },
};

/** `cosign attach attestation`. */
const attachAttestationCommand: Command = {
  name: "attestation",
  short: "Attach attestation to the supplied container image",
  example: `  cosign attach attestation --attestation <attestation file path> <image uri>

  # attach attestations from multiple files to a container image
  cosign attach attestation --attestation <attestation file path> --attestation <attestation file path> <image uri>

  # attach attestation from bundle files in form of JSONLines to a container image
  cosign attach attestation --attestation <attestation bundle file path> <image uri>`,
  argsUsage: "<image uri>",
  minArgs: 1,
  maxArgs: 1,
  bindEnv: true,
  flags: [
    ...registryFlags,
    { name: "attestation", type: "strings", help: "path to the attestation envelope" },
  ],
  async run(ctx) {
    const files = ctx.flags.attestation as string[];
    if (files.length === 0) throw new UsageError(`required flag "attestation" not set`);
    const ref = await parseImageRef(ctx.args[0]);
    const { attachAttestation } = await import("../../lib/oci/cosign_attestations.ts");
    const { openBlob } = await import("../../lib/blob_input.ts");
    const max = maxAttachmentSize(ctx);
    await withRegistry(ctx, async (registry) => {
      for (const file of files) {
        const input = await openBlob(file, ctx.io.stdin, ctx.io.isTerminal.stdin);
        let bytes: Uint8Array;
        try {
          bytes = await readAllBounded(input.reader, max, `attestation ${file}`);
        } finally {
          input.close();
        }
        await attachAttestation({
          registry,
          ref,
          dockerMediaTypes: dockerMediaTypes(ctx),
          targetRepository: await targetRepository(ctx, ref),
          tagPrefix: ctx.flags["attachment-tag-prefix"] as string,
        }, bytes);
      }
    });
  },
};

/** cosign options/deprecate.go `SBOMAttachmentDeprecation`, printed by attach/download sbom. */
export const SBOM_DEPRECATION =
  "WARNING: SBOM attachments are deprecated and support will be removed in a Cosign release soon after 2024-02-22 (see https://github.com/sigstore/cosign/issues/2755). Instead, please use SBOM attestations.";

const attachSbomCommand: Command = {
  name: "sbom",
  short: "DEPRECATED: Attach sbom to the supplied container image",
  long: "Attach sbom to the supplied container image\n\n" + SBOM_DEPRECATION,
  example: `  cosign attach sbom <image uri>

  # attach an SPDX JSON SBOM (the media type follows --type and the .json ending)
  cosign attach sbom --sbom sbom.spdx.json registry.example/app@sha256:<digest>

  # attach a CycloneDX XML SBOM read from standard input
  cosign attach sbom --type cyclonedx --input-format xml --sbom - registry.example/app:v1 < bom.xml

  # the signed alternative cosign recommends: an SBOM attestation
  cosign attest --type spdxjson --predicate sbom.spdx.json --key cosign.key registry.example/app:v1`,
  argsUsage: "<image uri>",
  minArgs: 1,
  maxArgs: 1,
  bindEnv: true,
  flags: [
    ...registryFlags,
    referrersModeFlag,
    { name: "sbom", type: "string", help: "path to the sbom, or {-} for stdin" },
    {
      name: "type",
      type: "string",
      default: "spdx",
      help: "type of sbom (spdx|cyclonedx|syft)",
    },
    {
      name: "input-format",
      type: "string",
      help: "type of sbom input format (json|xml|text)",
    },
  ],
  async run(ctx) {
    const f = ctx.flags;
    // cosign checks the flag while parsing, before anything is printed.
    if (referrersMode(ctx) === "oci-1-1") {
      throw new UsageError(
        "cannot use --registry-referrers-mode=oci-1-1 with attach sbom: OCI 1.1 referrers are not supported yet, only the legacy tag layout",
      );
    }
    await ctx.info(SBOM_DEPRECATION);
    const path = f.sbom as string;
    const { sbomMediaType, attachSbom } = await import("../../lib/oci/sbom.ts");
    const mediaType = sbomMediaType(f.type as string, f["input-format"] as string, path);
    await ctx.warn(
      `Attaching SBOMs this way does not sign them. To sign them, use 'cosign attest --predicate ${path} --key <key path>'.`,
    );
    const ref = await parseImageRef(ctx.args[0]);
    // attach/sbom.go sbomBytes: "-" is standard input, anything else a file ("" opens ".").
    const sbom = path === "-" ? await readStdin(ctx, "SBOM") : await readInput(path, "SBOM");
    await withRegistry(ctx, async (registry) => {
      await attachSbom({
        registry,
        ref,
        sbom,
        mediaType,
        targetRepository: await targetRepository(ctx, ref),
        tagPrefix: f["attachment-tag-prefix"] as string,
        // cosign's ui.Infof of a message ending in "\n": an empty line follows.
        onUpload: (image, dst, mt) =>
          ctx.info(`Uploading SBOM file for [${image}] to [${dst}] with mediaType [${mt}].\n`),
      });
    });
  },
};

export const attachCommand: Command = {
  name: "attach",
  short: "Provides utilities for attaching artifacts to other artifacts in a registry",
  subcommands: [attachSignatureCommand, attachAttestationCommand, attachSbomCommand],
};
