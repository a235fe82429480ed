/** `cosign generate-key-pair`. @module */
import type { Command } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { readPassword } from "../io.ts";
import { confirmOverwrite } from "./_shared.ts";

export const generateKeyPairCommand: Command = {
  name: "generate-key-pair",
  short: "Generates a key-pair.",
  long: "Generates a key-pair for signing.",
  example: `  # generate key-pair and write to cosign.key and cosign.pub files
  cosign generate-key-pair

  # generate key-pair and write to custom named my-name.key and my-name.pub files
  cosign generate-key-pair --output-key-prefix my-name

  # non-interactively, with the password from the environment, replacing existing files
  # (as in cosign there is no --yes here, and COSIGN_YES does not apply: answer the prompt)
  echo y | COSIGN_PASSWORD=s3cret cosign generate-key-pair

CAVEATS:
  This command interactively prompts for a password. You can use
  the COSIGN_PASSWORD environment variable to provide one.`,
  maxArgs: 1,
  argsUsage: "[k8s://NAMESPACE/NAME]",
  bindEnv: true,
  flags: [
    { name: "kms", type: "string", help: "create key pair in KMS service to use for signing" },
    {
      name: "output-key-prefix",
      type: "string",
      default: "cosign",
      help: "name used for generated .pub and .key files",
    },
  ],
  async run(ctx) {
    if (ctx.flags.kms !== "" || ctx.args.length > 0) {
      throw new UsageError(
        "cannot generate a key in a KMS or secret store yet: only local key files are supported",
      );
    }
    const prefix = ctx.flags["output-key-prefix"] as string;
    if (prefix === "") throw new UsageError("--output-key-prefix must not be empty");
    // Ask about overwriting before the password, so nobody types a password for nothing. cosign
    // has no --yes here (so COSIGN_YES cannot replace a key): only an explicit "y" on standard
    // input does, and not when standard input is the password.
    const overwrite = await confirmOverwrite(ctx, prefix, {
      stdinIsPassword: ctx.io.getEnv("COSIGN_PASSWORD") === undefined && !ctx.io.isTerminal.stdin,
    });
    const password = await readPassword(ctx.io, true);
    const { generateKeyPair } = await import("../../lib/keys/generate_key_pair.ts");
    const { writeKeyPair } = await import("../../lib/keys/write_key_pair.ts");
    let pair;
    try {
      pair = await generateKeyPair(password);
    } finally {
      password.fill(0);
    }
    const { privatePath, publicPath } = await writeKeyPair(prefix, pair, overwrite);
    await ctx.info(`Private key written to ${privatePath}`);
    await ctx.info(`Public key written to ${publicPath}`);
  },
};
