/** `cosign login` (go-containerregistry's `crane auth login`, which cosign embeds). @module */
import type { Command } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { readAllBounded } from "../../lib/stream.ts";

export const loginCommand: Command = {
  name: "login",
  short: "Log in to a registry",
  example: `  # Log in to reg.example.com
  cosign login reg.example.com -u AzureDiamond -p hunter2

  # take the password from standard input (keeps it out of the process list)
  echo "$TOKEN" | cosign login ghcr.io -u robot --password-stdin`,
  argsUsage: "[SERVER]",
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: "username", short: "u", type: "string", help: "Username" },
    { name: "password", short: "p", type: "string", help: "Password" },
    { name: "password-stdin", type: "bool", help: "Take the password from stdin" },
  ],
  async run(ctx) {
    const { parseRepository } = await import("../../lib/registry/reference.ts");
    const { dockerConfigPath, login } = await import("../../lib/registry/docker_config.ts");
    let password = ctx.flags.password as string;
    if (ctx.flags["password-stdin"] === true) {
      const bytes = await readAllBounded(ctx.io.stdin, 64 * 1024, "password from standard input");
      password = new TextDecoder().decode(bytes).replace(/\n$/, "").replace(/\r$/, "");
    }
    const user = ctx.flags.username as string;
    if (user === "" && password === "") throw new UsageError("username and password required");
    let registry: string;
    try {
      // A registry name is the first component of a repository path ("host[:port]"); any
      // valid repository name after it will do for parsing.
      const server = ctx.args[0].replace(/^https?:\/\//, "").replace(/\/+$/, "");
      registry = parseRepository(`${server}/cosign`).registry;
    } catch (e) {
      throw new UsageError(`invalid registry "${ctx.args[0]}": ${(e as Error).message}`);
    }
    const configPath = dockerConfigPath({
      DOCKER_CONFIG: ctx.io.getEnv("DOCKER_CONFIG"),
      HOME: ctx.io.getEnv("HOME"),
    });
    if (!configPath) {
      throw new UsageError("cannot locate the docker config: set HOME or DOCKER_CONFIG");
    }
    await login(registry, user, password, configPath);
    await ctx.info(`logged in via ${configPath}`);
  },
};
