/**
 * `cosign pkcs11-tool list-tokens` and `list-keys-uris` (cosign cmd/cosign/cli/pkcs11_tool.go,
 * pkcs11cli/commands.go), which the Go cosign only has when built with `-tags=pkcs11key`; here
 * through Deno FFI (`--allow-ffi`), with the same flags and output.
 *
 * @module
 */
import type { Command, Context } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { readSecret, writeAll } from "../io.ts";

// cosign's persistent flag of the group, accepted (and unused, as in cosign) by each subcommand.
const noInputFlag = {
  name: "no-input",
  short: "f",
  type: "bool",
  help: "skip warnings and confirmations",
} as const;

const modulePathFlag = {
  name: "module-path",
  type: "string",
  help: "absolute path to the PKCS11 module",
} as const;

function modulePath(ctx: Context): string {
  // cosign's default is COSIGN_PKCS11_MODULE_PATH (options/pkcs11_tool.go).
  const path = (ctx.flags["module-path"] as string) ||
    ctx.io.getEnv("COSIGN_PKCS11_MODULE_PATH") || "";
  if (path === "") {
    throw new UsageError("please specify --module-path or set COSIGN_PKCS11_MODULE_PATH");
  }
  if (!path.startsWith("/")) throw new UsageError("--module-path must be an absolute path");
  return path;
}

const listTokensCommand: Command = {
  name: "list-tokens",
  short: "list-tokens lists all PKCS11 tokens linked to a PKCS11 module",
  example: `  cosign pkcs11-tool list-tokens --module-path /usr/lib/softhsm/libsofthsm2.so`,
  maxArgs: 0,
  flags: [modulePathFlag, noInputFlag],
  async run(ctx) {
    const path = modulePath(ctx);
    const { listPkcs11Tokens } = await import("../../lib/pkcs11/list_pkcs11_tokens.ts");
    const tokens = await listPkcs11Tokens(path);
    let out = `\nListing tokens of PKCS11 module '${path}'\n`;
    for (const { slot, info } of tokens) {
      out +=
        `Token in slot ${slot}\n\tLabel: ${info.label}\n\tManufacturer: ${info.manufacturerId}\n` +
        `\tModel: ${info.model}\n\tS/N: ${info.serialNumber}\n\n`;
    }
    await writeAll(ctx.io.stdout, out);
  },
};

const listKeysUrisCommand: Command = {
  name: "list-keys-uris",
  short: "list-keys-uris lists URIs of all keys in a PKCS11 token",
  example:
    `  cosign pkcs11-tool list-keys-uris --module-path /usr/lib/softhsm/libsofthsm2.so --slot-id 1 --pin 1234`,
  maxArgs: 0,
  flags: [
    modulePathFlag,
    { name: "slot-id", type: "int", default: 0, help: "id of the PKCS11 slot, uses 0 if empty" },
    {
      name: "pin",
      type: "string",
      help: "pin of the PKCS11 slot, uses environment variable COSIGN_PKCS11_PIN if empty",
    },
    noInputFlag,
  ],
  async run(ctx) {
    const path = modulePath(ctx);
    const slot = ctx.flags["slot-id"] as number;
    if (!Number.isSafeInteger(slot) || slot < 0) {
      throw new UsageError(`invalid argument "${slot}" for "--slot-id" flag: must be unsigned`);
    }
    const pin = (ctx.flags.pin as string) || ctx.io.getEnv("COSIGN_PKCS11_PIN") || "";
    const { listPkcs11KeyUris } = await import("../../lib/pkcs11/list_pkcs11_key_uris.ts");
    const keys = await listPkcs11KeyUris(path, slot, {
      pin,
      promptPin: ctx.io.isTerminal.stdin ? (prompt) => readSecret(ctx.io, prompt) : undefined,
    });
    let out = `\nListing URIs of keys in slot '${slot}' of PKCS11 module '${path}'\n`;
    keys.forEach((key, i) => {
      out += `Object ${i}\n`;
      if (key.label) out += `\tLabel: ${new TextDecoder().decode(key.label)}\n`;
      if (key.id) out += `\tID: ${key.id.toHex()}\n`;
      out += `\tURI: ${key.uri}\n`;
    });
    await writeAll(ctx.io.stdout, out);
  },
};

/** `cosign pkcs11-tool`. */
export const pkcs11ToolCommand: Command = {
  name: "pkcs11-tool",
  short: "Provides utilities for retrieving information from a PKCS11 token.",
  subcommands: [listTokensCommand, listKeysUrisCommand],
};
