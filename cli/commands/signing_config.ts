/** `cosign signing-config create` (cosign 3; cmd/cosign/cli/signingconfig.go). @module */
import type { Command } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import type { Flag } from "../flags/parse.ts";
import { readLocalFile, writeResult } from "./_local_file.ts";

const spec = (name: string, what: string): Flag => ({
  name,
  type: "stringArray",
  help:
    `${what} specification, as a comma-separated key-value list. Required keys: url, api-version (integer), start-time, operator. Optional keys: end-time.`,
});

/** `cosign signing-config create`. */
export const signingConfigCreateCommand: Command = {
  name: "create",
  short: "Create a Sigstore protobuf signing config",
  long:
    `Create a Sigstore protobuf signing config by supplying verification material for Fulcio, Rekor, OIDC, and TSA services.
Each service is specified via a repeatable flag (--fulcio, --rekor, --oidc-provider, --tsa) that takes a comma-separated list of key-value pairs.

Use --base-config to start from an existing signing config and override specific services. Service flags will replace services from the base config.`,
  example: `  # Create from scratch
  cosign signing-config create \\
    --fulcio="url=https://fulcio.sigstore.dev,api-version=1,start-time=2024-01-01T00:00:00Z,end-time=2025-01-01T00:00:00Z,operator=sigstore.dev" \\
    --rekor="url=https://rekor.sigstore.dev,api-version=1,start-time=2024-01-01T00:00:00Z,operator=sigstore.dev" \\
    --rekor-config="ANY" \\
    --oidc-provider="url=https://oauth2.sigstore.dev/auth,api-version=1,start-time=2024-01-01T00:00:00Z,operator=sigstore.dev" \\
    --tsa="url=https://timestamp.sigstore.dev/api/v1/timestamp,api-version=1,start-time=2024-01-01T00:00:00Z,operator=sigstore.dev" \\
    --tsa-config="EXACT:1" \\
    --out signing-config.json

  # Override OIDC provider from base config
  cosign signing-config create \\
    --base-config signing_config.v0.2.json \\
    --oidc-provider="url=https://custom-oidc.example.com,api-version=1,start-time=2024-01-01T00:00:00Z,operator=example.com" \\
    --out custom-signing-config.json`,
  maxArgs: 0,
  flags: [
    {
      name: "base-config",
      type: "string",
      help:
        "path to base signing config file to use as starting point. Service flags will replace services from the base config.",
    },
    spec("fulcio", "fulcio service"),
    spec("rekor", "rekor service"),
    spec("oidc-provider", "oidc provider"),
    spec("tsa", "timestamping authority"),
    {
      name: "tsa-config",
      type: "string",
      help:
        "timestamping authority configuration. Required if --tsa is provided. One of: ANY, ALL, EXACT:<count>",
    },
    {
      name: "rekor-config",
      type: "string",
      help: "rekor configuration. Required if --rekor is provided. One of: ANY, ALL, EXACT:<count>",
    },
    {
      name: "with-default-services",
      type: "bool",
      help:
        "use the Sigstore TUF root as default values to populate the signing config. Specifying the other service flags will override the default values.",
    },
    {
      name: "with-default-rekor-v2",
      type: "bool",
      help:
        "use the Sigstore TUF root, with the Rekor v2 service, as default values to populate the signing config. Specifying the other service flags will override the default values.",
    },
    {
      name: "no-default-fulcio",
      type: "bool",
      help: "removes the default Fulcio URLs from the signing config.",
    },
    {
      name: "no-default-rekor",
      type: "bool",
      help: "removes the default Rekor URLs from the signing config.",
    },
    {
      name: "no-default-oidc",
      type: "bool",
      help: "removes the default OIDC provider URLs from the signing config.",
    },
    {
      name: "no-default-tsa",
      type: "bool",
      help: "removes the default TSA URLs from the signing config.",
    },
    { name: "out", type: "string", help: "path to output signing config" },
  ],
  async run(ctx) {
    const f = ctx.flags;
    const base = f["base-config"] as string;
    for (const other of ["with-default-services", "with-default-rekor-v2"]) {
      if (base !== "" && ctx.changed.has(other)) {
        // cobra's MarkFlagsMutuallyExclusive message.
        throw new UsageError(
          `if any flags in the group [base-config ${other}] are set none of the others can be; [base-config ${other}] were all set`,
        );
      }
    }
    if (f["with-default-services"] === true || f["with-default-rekor-v2"] === true) {
      throw new UsageError(
        "cannot read the Sigstore signing config from TUF yet: pass --base-config with a signing config file instead of --with-default-services",
      );
    }
    const { createSigningConfig, parseSigningConfig } = await import(
      "../../lib/trust/signing_config.ts"
    );
    let baseConfig;
    if (base !== "") {
      try {
        baseConfig = parseSigningConfig(await readLocalFile(base));
      } catch (e) {
        const msg = (e as Error).message.replace(/^Cannot read signing config: /, "");
        throw new TypeError(`loading base config from ${base}: ${msg}`, { cause: e });
      }
    }
    const omit = (["fulcio", "rekor", "oidc", "tsa"] as const).filter((k) =>
      f[`no-default-${k}`] === true
    );
    const json = createSigningConfig({
      fulcio: f.fulcio as string[],
      rekor: f.rekor as string[],
      oidcProvider: f["oidc-provider"] as string[],
      tsa: f.tsa as string[],
      rekorConfig: f["rekor-config"] as string,
      tsaConfig: f["tsa-config"] as string,
      base: baseConfig,
      omit,
    });
    await writeResult(ctx, f.out as string, json);
  },
};

/** `cosign signing-config`. */
export const signingConfigCommand: Command = {
  name: "signing-config",
  short: "Interact with a Sigstore protobuf signing config",
  long: "Tool for interacting with a Sigstore protobuf signing config",
  subcommands: [signingConfigCreateCommand],
};
