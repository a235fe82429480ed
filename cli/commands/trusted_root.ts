/** `cosign trusted-root create` (cosign 3; cmd/cosign/cli/trustedroot.go). @module */
import type { Command, Context } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import type { Flag } from "../flags/parse.ts";
import { readLocalFile, writeResult } from "./_local_file.ts";

const spec = (name: string, what: string, keys: string): Flag => ({
  name,
  type: "stringArray",
  help: `${what} specification, as a comma-separated key-value list. ${keys}`,
});

const deprecated = (name: string, help: string, instead: string): Flag => ({
  name,
  type: "stringArray",
  help: `${help} (deprecated: use --${instead} instead)`,
  hidden: true,
});

/** The deprecated flags, each with the new flag that replaces it. */
const LEGACY: [Flag, string][] = [
  [
    deprecated(
      "certificate-chain",
      "path to a list of CA certificates in PEM format which will be needed when building the certificate chain for the signing certificate. Must start with the parent intermediate CA certificate of the signing certificate and end with the root certificate.",
      "fulcio",
    ),
    "fulcio",
  ],
  [deprecated("fulcio-uri", "URI of the Fulcio server issuing certificates.", "fulcio"), "fulcio"],
  [
    deprecated(
      "ctfe-key",
      "path to a PEM-encoded public key used by certificate authority for certificate transparency log.",
      "ctfe",
    ),
    "ctfe",
  ],
  [
    deprecated(
      "ctfe-start-time",
      "RFC 3339 string describing validity start time for key use by certificate transparency log.",
      "ctfe",
    ),
    "ctfe",
  ],
  [
    deprecated(
      "ctfe-end-time",
      "RFC 3339 string describing validity end time for key use by certificate transparency log.",
      "ctfe",
    ),
    "ctfe",
  ],
  [deprecated("ctfe-url", "URL of the certificate transparency log.", "ctfe"), "ctfe"],
  [
    deprecated(
      "rekor-key",
      "path to a PEM-encoded public key used by transparency log like Rekor. For Rekor V2, append the Rekor server name with ',', e.g. '--rekor-key=/path/to/key.pub,rekor.example.test'.",
      "rekor",
    ),
    "rekor",
  ],
  [
    deprecated(
      "rekor-start-time",
      "RFC 3339 string describing validity start time for key use by transparency log like Rekor.",
      "rekor",
    ),
    "rekor",
  ],
  [
    deprecated(
      "rekor-end-time",
      "RFC 3339 string describing validity end time for key use by transparency log like Rekor.",
      "rekor",
    ),
    "rekor",
  ],
  [deprecated("rekor-url", "URL of the transparency log.", "rekor"), "rekor"],
  [
    deprecated(
      "timestamp-certificate-chain",
      "path to PEM-encoded certificate chain file for the RFC3161 timestamp authority. Must contain the root CA certificate. Optionally may contain intermediate CA certificates",
      "tsa",
    ),
    "tsa",
  ],
  [deprecated("timestamp-uri", "URI of the timestamp authority server.", "tsa"), "tsa"],
];

const list = (ctx: Context, name: string) => ctx.flags[name] as string[];

/** `cosign trusted-root create`. */
export const trustedRootCreateCommand: Command = {
  name: "create",
  short: "Create a Sigstore protobuf trusted root",
  long: `Create a Sigstore protobuf trusted root by supplying verification material.

Each service is specified via a repeatable flag (--fulcio, --rekor, --ctfe, --tsa) that takes a comma-separated list of key-value pairs.`,
  example: `  cosign trusted-root create \\
    --fulcio="url=https://fulcio.sigstore.dev,certificate-chain=/path/to/fulcio.pem,end-time=2025-01-01T00:00:00Z" \\
    --rekor="url=https://rekor.sigstore.dev,public-key=/path/to/rekor.pub,start-time=2024-01-01T00:00:00Z" \\
    --ctfe="url=https://ctfe.sigstore.dev,public-key=/path/to/ctfe.pub,start-time=2024-01-01T00:00:00Z" \\
    --tsa="url=https://timestamp.sigstore.dev/api/v1/timestamp,certificate-chain=/path/to/tsa.pem" \\
    --out trusted-root.json

  # a Rekor v2 log: its checkpoint key ID needs the log's origin
  cosign trusted-root create \\
    --rekor="url=https://log2025-1.rekor.sigstore.dev,public-key=rekor2.pub,start-time=2025-09-23T00:00:00Z,origin=log2025-1.rekor.sigstore.dev"

  # start from the Sigstore trusted root (TUF), add a private timestamp authority
  cosign trusted-root create --with-default-services --no-default-tsa \\
    --tsa="url=https://tsa.example.com/api/v1/timestamp,certificate-chain=tsa-chain.pem"`,
  maxArgs: 0,
  flags: [
    spec(
      "fulcio",
      "fulcio service",
      "Required keys: url, certificate-chain (path to PEM-encoded certificate chain). Optional keys: start-time, end-time.",
    ),
    spec(
      "ctfe",
      "ctfe service",
      "Required keys: url, public-key (path to PEM-encoded public key), start-time. Optional keys: end-time, origin.",
    ),
    spec(
      "tsa",
      "timestamping authority",
      "Required keys: url, certificate-chain (path to PEM-encoded certificate chain). Optional keys: start-time, end-time.",
    ),
    spec(
      "rekor",
      "rekor service",
      "Required keys: url, public-key (path to PEM-encoded public key), start-time. Optional keys: end-time, origin.",
    ),
    {
      name: "with-default-services",
      type: "bool",
      help:
        "use the Sigstore TUF root as default values to populate the trusted root. Specifying the other service flags will override the default values.",
    },
    {
      name: "no-default-fulcio",
      type: "bool",
      help: "removes the default Fulcio URLs from the trusted root.",
    },
    {
      name: "no-default-ctfe",
      type: "bool",
      help: "removes the default CTFE URLs from the trusted root.",
    },
    {
      name: "no-default-tsa",
      type: "bool",
      help: "removes the default TSA URLs from the trusted root.",
    },
    {
      name: "no-default-rekor",
      type: "bool",
      help: "removes the default Rekor URLs from the trusted root.",
    },
    { name: "out", type: "string", help: "path to output trusted root" },
    ...LEGACY.map(([f]) => f),
  ],
  async run(ctx) {
    // pflag's notice, once per use, in the order the flags were first given.
    for (const name of ctx.changed) {
      const instead = LEGACY.find(([f]) => f.name === name)?.[1];
      if (!instead) continue;
      for (const _ of list(ctx, name)) {
        await ctx.info(`Flag --${name} has been deprecated, use --${instead} instead`);
      }
    }
    // cosign refuses a new flag with any deprecated flag of the same service.
    const legacyUsed = (kind: string) =>
      LEGACY.some(([f, instead]) => instead === kind && list(ctx, f.name).length > 0);
    for (const kind of ["fulcio", "rekor", "ctfe", "tsa"]) {
      if (list(ctx, kind).length > 0 && legacyUsed(kind)) {
        throw new UsageError(`cannot use --${kind} and old ${kind} flags at the same time`);
      }
    }
    const { createTrustedRoot } = await import("../../lib/trust/create_trusted_root.ts");
    let defaults;
    if (ctx.flags["with-default-services"] === true) {
      const { trustedRootFromTuf } = await import("../options/tuf_options.ts");
      const { parseTrustedRoot } = await import("../../lib/trust/trusted_root.ts");
      const root = parseTrustedRoot(await trustedRootFromTuf(ctx));
      const omit = (["fulcio", "ctfe", "rekor", "tsa"] as const).filter((k) =>
        ctx.flags[`no-default-${k}`] === true
      );
      defaults = { root, omit };
    }
    const json = await createTrustedRoot({
      fulcio: list(ctx, "fulcio"),
      rekor: list(ctx, "rekor"),
      ctfe: list(ctx, "ctfe"),
      tsa: list(ctx, "tsa"),
      legacy: {
        certificateChain: list(ctx, "certificate-chain"),
        fulcioUri: list(ctx, "fulcio-uri"),
        ctfeKey: list(ctx, "ctfe-key"),
        ctfeStartTime: list(ctx, "ctfe-start-time"),
        ctfeEndTime: list(ctx, "ctfe-end-time"),
        ctfeUrl: list(ctx, "ctfe-url"),
        rekorKey: list(ctx, "rekor-key"),
        rekorStartTime: list(ctx, "rekor-start-time"),
        rekorEndTime: list(ctx, "rekor-end-time"),
        rekorUrl: list(ctx, "rekor-url"),
        timestampCertificateChain: list(ctx, "timestamp-certificate-chain"),
        timestampUri: list(ctx, "timestamp-uri"),
      },
      defaults,
      readFile: (path) => readLocalFile(path),
    });
    await writeResult(ctx, ctx.flags.out as string, json);
  },
};

/** `cosign trusted-root`. */
export const trustedRootCommand: Command = {
  name: "trusted-root",
  short: "Interact with a Sigstore protobuf trusted root",
  long: "Tools for interacting with a Sigstore protobuf trusted root",
  subcommands: [trustedRootCreateCommand],
};
