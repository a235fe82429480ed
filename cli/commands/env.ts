/** `cosign env`. @module */
import type { Command } from "../command.ts";
import { writeAll } from "../io.ts";
import { ENV_VARIABLES } from "../env.ts";

export const envCommand: Command = {
  name: "env",
  short: "Prints Cosign environment variables",
  example: `  # every variable cosign reads, with descriptions and current values
  cosign env

  # values only, including sensitive ones (passwords, tokens)
  cosign env --show-descriptions=false --show-sensitive-values`,
  maxArgs: 0,
  flags: [
    {
      name: "show-descriptions",
      type: "bool",
      default: true,
      help: "show descriptions for environment variables",
    },
    {
      name: "show-sensitive-values",
      type: "bool",
      help: "show values of sensitive environment variables",
    },
  ],
  async run(ctx) {
    const describe = ctx.flags["show-descriptions"] === true;
    const showSensitive = ctx.flags["show-sensitive-values"] === true;
    const out: string[] = [];
    const registered = new Set(ENV_VARIABLES.map((v) => v.name));
    for (const v of ENV_VARIABLES) {
      const val = ctx.io.getEnv(v.name) ?? "";
      if (describe) out.push(`# ${v.name} ${v.description}`, `# Expects: ${v.expects}`);
      out.push(
        v.sensitive && !showSensitive && val !== "" ? `${v.name}=******` : `${v.name}=${val}`,
      );
    }
    // Unregistered variables that may still influence behaviour (as cosign prints them).
    const others = Object.entries(ctx.io.envObject())
      .filter(([k]) => /^(COSIGN_|SIGSTORE_|TUF_)/.test(k) && !registered.has(k))
      .sort(([a], [b]) => a.localeCompare(b));
    if (others.length && describe) {
      out.push(
        "# Environment variables below are not registered with cosign,",
        "# but might still influence cosign's behavior.",
      );
    }
    for (const [k, v] of others) out.push(!showSensitive && v !== "" ? `${k}=******` : `${k}=${v}`);
    await writeAll(ctx.io.stdout, out.join("\n") + "\n");
  },
};
