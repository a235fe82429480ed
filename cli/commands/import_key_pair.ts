/** `cosign import-key-pair`. @module */
import type { Command } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { readPassword } from "../io.ts";
import { confirmOverwrite } from "./_shared.ts";
import { IoError } from "../../lib/errors.ts";
import { describeFsError } from "../../lib/atomic_file.ts";
import { MAX_KEY_BYTES } from "../../lib/keys/key_ref.ts";
import { readAllBounded } from "../../lib/stream.ts";

export const importKeyPairCommand: Command = {
  name: "import-key-pair",
  short: "Imports a PEM-encoded RSA or EC private key.",
  long: "Imports a PEM-encoded RSA or EC private key for signing.",
  example: `  cosign import-key-pair  --key openssl.key --output-key-prefix my-key

  # import PEM-encoded RSA or EC private key and write to import-cosign.key and import-cosign.pub files
  cosign import-key-pair --key <key path>

  # import PEM-encoded RSA or EC private key and write to my-key.key and my-key.pub files
  cosign import-key-pair --key <key path> --output-key-prefix my-key

CAVEATS:
  This command interactively prompts for a password. You can use
  the COSIGN_PASSWORD environment variable to provide one.`,
  maxArgs: 0,
  bindEnv: true,
  flags: [
    { name: "key", short: "k", type: "string", help: "import key pair to use for signing" },
    {
      name: "output-key-prefix",
      short: "o",
      type: "string",
      default: "import-cosign",
      help: "name used for outputted key pairs",
    },
    {
      name: "yes",
      short: "y",
      type: "bool",
      help: "skip confirmation prompts for overwriting existing key",
    },
  ],
  async run(ctx) {
    const keyPath = ctx.flags.key as string;
    if (keyPath === "") throw new UsageError(`required flag "key" not set`);
    const prefix = ctx.flags["output-key-prefix"] as string;
    if (prefix === "") throw new UsageError("--output-key-prefix must not be empty");
    let pem: Uint8Array;
    try {
      if ((await Deno.stat(keyPath)).isDirectory) throw new Deno.errors.IsADirectory();
      using file = await Deno.open(keyPath);
      pem = await readAllBounded(file, MAX_KEY_BYTES, `key file ${keyPath}`);
    } catch (e) {
      if (e instanceof RangeError) throw new IoError("TOO_LARGE", e.message, { cause: e });
      throw new IoError(
        "INPUT_NOT_FOUND",
        `Cannot read key file ${keyPath}: ${describeFsError(e)}`,
        {
          cause: e,
        },
      );
    }
    const { importKeyPair } = await import("../../lib/keys/import_key_pair.ts");
    const { writeKeyPair } = await import("../../lib/keys/write_key_pair.ts");
    const password = await readPassword(ctx.io, true);
    let pair;
    try {
      pair = await importKeyPair(pem, password);
    } finally {
      password.fill(0);
      pem.fill(0);
    }
    // cosign's import-key-pair does have --yes (and so COSIGN_YES, through viper).
    const overwrite = await confirmOverwrite(ctx, prefix, {
      yes: ctx.flags.yes === true,
      hint: "(pass --yes to overwrite)",
    });
    const { privatePath, publicPath } = await writeKeyPair(prefix, pair, overwrite);
    await ctx.info(`Private key written to ${privatePath}`);
    await ctx.info(`Public key written to ${publicPath}`);
  },
};
