/**
 * `cosign bundle create` and `cosign bundle inspect` (cosign 3's cmd/cosign/cli/bundle.go;
 * `create` also exists in 2.6.4).
 *
 * @module
 */
import type { Command, Context } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { writeAll } from "../io.ts";
import { readLocalFile, writeResult } from "./_local_file.ts";
import { keyRefDeps } from "../options/key_options.ts";

/** cobra's MarkFlagsMutuallyExclusive check. */
function exclusive(ctx: Context, a: string, b: string): void {
  if (ctx.changed.has(a) && ctx.changed.has(b)) {
    throw new UsageError(
      `if any flags in the group [${a} ${b}] are set none of the others can be; [${a} ${b}] were all set`,
    );
  }
}

/** Go's base64.StdEncoding.DecodeString of a file's text, with Go's error. */
async function decodeBase64File(text: string): Promise<Uint8Array> {
  const { decodeStdBase64 } = await import("../../lib/base64.ts");
  try {
    return decodeStdBase64(text);
  } catch (e) {
    const clean = text.replace(/[\r\n]/g, "");
    const at = clean.search(/[^A-Za-z0-9+/=]/);
    const pos = at >= 0 ? at : clean.length - (clean.length % 4 || 4);
    throw new SyntaxError(`illegal base64 data at input byte ${Math.max(pos, 0)}`, { cause: e });
  }
}

/** Reads the artifact as cosign's payloadBytes: a file, or `-` for standard input; its SHA-256. */
async function artifactDigest(ctx: Context, path: string): Promise<Uint8Array> {
  const { openBlob } = await import("../../lib/blob_input.ts");
  const { incrementalDigest } = await import("../../lib/incremental_digest.ts");
  const { forEachChunk } = await import("../../lib/stream.ts");
  const blob = await openBlob(path, ctx.io.stdin, ctx.io.isTerminal.stdin);
  try {
    const d = incrementalDigest("sha256", { copy: true });
    await forEachChunk(blob.reader, (chunk) => d.update(chunk));
    return await d.digest();
  } finally {
    blob.close();
  }
}

/** `cosign bundle create`. */
export const bundleCreateCommand: Command = {
  name: "create",
  short: "Create a Sigstore protobuf bundle",
  long: "Create a Sigstore protobuf bundle by supplying signed material",
  example: `  # create a bundle from a signature and certificate
  cosign bundle create --artifact <path> --signature <sig> --certificate <cert> --out bundle.sigstore.json

  # create a bundle from an attestation
  cosign bundle create --artifact <path> --attestation <att> --out bundle.sigstore.json

  # from a signature made with a key and not uploaded to a transparency log, with a timestamp
  cosign bundle create --artifact blob.txt --signature blob.sig --key cosign.pub \\
    --rfc3161-timestamp blob.timestamp.json --ignore-tlog --out blob.sigstore.json

  # from cosign's older bundle format (the log entry is looked up at --rekor-url)
  cosign bundle create --artifact blob.txt --bundle blob.bundle --rekor-url <REKOR URL> --out blob.sigstore.json`,
  maxArgs: 0,
  flags: [
    { name: "artifact", type: "string", help: "path to artifact FILE" },
    { name: "attestation", type: "string", help: "path to attestation FILE" },
    { name: "bundle", type: "string", help: "path to old format bundle FILE" },
    {
      name: "certificate",
      type: "string",
      help: "path to the signing certificate, likely from Fulcio.",
    },
    {
      name: "ignore-tlog",
      type: "bool",
      help:
        "ignore transparency log verification, to be used when an artifact signature has not been uploaded to the transparency log.",
    },
    {
      name: "key",
      type: "string",
      help: "path to the public key file, KMS URI or Kubernetes Secret",
    },
    { name: "out", type: "string", help: "path to output bundle" },
    {
      name: "rekor-url",
      type: "string",
      default: "https://rekor.sigstore.dev",
      help: "address of rekor STL server",
    },
    { name: "rfc3161-timestamp", type: "string", help: "path to RFC3161 timestamp FILE" },
    {
      name: "signature",
      type: "string",
      help: "path to base64-encoded signature over attestation in DSSE format",
    },
    { name: "sk", type: "bool", help: "whether to use a hardware security key" },
    {
      name: "slot",
      type: "string",
      default: "signature",
      help:
        "security key slot to use for generated key (authentication|signature|card-authentication|key-management)",
    },
  ],
  async run(ctx) {
    exclusive(ctx, "bundle", "certificate");
    exclusive(ctx, "bundle", "signature");
    const f = ctx.flags;
    const artifact = f.artifact as string;
    if (artifact === "") throw new UsageError("must supply --artifact");
    if (f.bundle === "" && f.signature === "") {
      throw new UsageError("must at least supply signature via --bundle or --signature");
    }
    const ignoreTlog = f["ignore-tlog"] === true;
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    let certificate: Uint8Array | undefined;
    let signature: Uint8Array | undefined;
    let envelope;
    const { parseEnvelope } = await import("../../lib/payload/dsse.ts");
    const { decodePem } = await import("../../lib/keys/pem.ts");
    const { parseCertificate } = await import("../../lib/x509/certificate.ts");

    if (f.bundle !== "") {
      const { parseLocalBundle } = await import("../../lib/rekor/blob_bundle.ts");
      const old = parseLocalBundle(await readLocalFile(f.bundle as string));
      if (ignoreTlog && old.entry?.verification?.signedEntryTimestamp) {
        throw new UsageError(
          "cannot ignore transparency log when the provided bundle contains a Signed Entry Timestamp",
        );
      }
      if (old.cert !== "") {
        const block = decodePem(await decodeBase64File(old.cert));
        if (!block) throw new SyntaxError("no certs found in bundle");
        certificate = parseCertificate(block.bytes).der;
      }
      if (old.base64Signature !== "") {
        const sig = await decodeBase64File(old.base64Signature);
        // An envelope (attest-blob's bundle) or, when it is not JSON of one, a raw signature.
        try {
          envelope = parseEnvelope(sig);
        } catch {
          signature = sig;
        }
      }
    }
    if (f.signature !== "") {
      signature = await decodeBase64File(text(await readLocalFile(f.signature as string)));
    }
    let rfc3161Timestamp: Uint8Array | undefined;
    if (f["rfc3161-timestamp"] !== "") {
      const { parseRfc3161Timestamp } = await import("../../lib/timestamp/rfc3161_timestamp.ts");
      const der = parseRfc3161Timestamp(await readLocalFile(f["rfc3161-timestamp"] as string));
      if (der.length) rfc3161Timestamp = der;
    }
    if (f.certificate !== "") {
      const pem = await decodeBase64File(text(await readLocalFile(f.certificate as string)));
      const block = decodePem(pem);
      if (!block) throw new SyntaxError("unable to decode provided certificate");
      certificate = parseCertificate(block.bytes).der;
    }
    if (f.attestation !== "") {
      envelope = parseEnvelope(await readLocalFile(f.attestation as string));
    }
    let publicKey;
    if (f.key !== "") {
      // A file, URL, env:// or a provider's key (KMS, PKCS#11), as cosign's PublicKeyFromKeyRef.
      const { loadPublicKey } = await import("../../lib/verify/load_public_key.ts");
      try {
        publicKey = await loadPublicKey(f.key as string, keyRefDeps(ctx));
      } catch (e) {
        throw new TypeError(`loading public key: ${(e as Error).message}`, { cause: e });
      }
    } else if (f.sk === true) {
      throw new UsageError("cannot read a public key from a hardware token (--sk) yet: pass --key");
    }
    const { RekorClient } = await import("../../lib/rekor/client.ts");
    const { createBundle } = await import("../../lib/bundle/create_bundle.ts");
    const { marshalBundle } = await import("../../lib/bundle/marshal_bundle.ts");
    const bundle = await createBundle({
      artifactDigest: await artifactDigest(ctx, artifact),
      signature,
      envelope,
      certificate,
      publicKey,
      rfc3161Timestamp,
      rekor: ignoreTlog ? undefined : new RekorClient(f["rekor-url"] as string, {
        signal: ctx.signal,
      }),
    });
    await writeResult(ctx, f.out as string, marshalBundle(bundle));
  },
};

/** `cosign bundle inspect`. */
export const bundleInspectCommand: Command = {
  name: "inspect",
  short: "Inspect a Sigstore protobuf bundle",
  long: `Inspect a Sigstore protobuf bundle: print what it holds (verification material,
certificate fields and extensions, transparency log entries and checkpoints, timestamps, the
signed content) as a tree. Nothing is verified. Log and CA URLs are named from the Sigstore
trusted root when TUF has been initialized (cosign initialize).`,
  example: `  cosign bundle inspect artifact.sigstore.json`,
  argsUsage: "BUNDLE",
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    await writeAll(
      ctx.io.stderr,
      "WARNING: This command only inspects the contents of the bundle.\n" +
        "It does not perform cryptographic verification or verify log inclusion.\n\n",
    );
    const { parseTrustedRoot } = await import("../../lib/trust/trusted_root.ts");
    let trustedRoot;
    try {
      const { trustedRootFromTuf } = await import("../options/tuf_options.ts");
      trustedRoot = parseTrustedRoot(await trustedRootFromTuf(ctx));
    } catch (e) {
      await ctx.info(
        `Local TUF environment not initialized, some details will be omitted: ${
          (e as Error).message
        }`,
      );
    }
    let data: Uint8Array;
    try {
      data = await readLocalFile(ctx.args[0]);
    } catch (e) {
      throw new TypeError(`opening bundle file: ${(e as Error).message}`, { cause: e });
    }
    const { inspectBundle } = await import("../../lib/bundle/inspect_bundle.ts");
    await writeAll(ctx.io.stdout, inspectBundle(data, trustedRoot));
  },
};

/** `cosign bundle`. */
export const bundleCommand: Command = {
  name: "bundle",
  short: "Interact with a Sigstore protobuf bundle",
  long: "Tools for interacting with a Sigstore protobuf bundle",
  subcommands: [bundleCreateCommand, bundleInspectCommand],
};
