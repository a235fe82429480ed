/** `cosign debug providers` (hidden in cosign's help, as here). @module */
import type { Command } from "../command.ts";
import { writeAll } from "../io.ts";

const debugProvidersCommand: Command = {
  name: "providers",
  short: "Show enabled/disabled OIDC providers.",
  long:
    `Show enabled/disabled OIDC providers: for each ambient identity-token provider cosign knows, in
cosign's order, whether it is enabled here (a token file or socket exists, or its environment
variables are set). This tells what cosign would use for keyless signing on this machine; this
implementation detects them the way its keyless signing uses them.`,
  example: `  cosign debug providers

  # in a GitHub Actions job with "id-token: write"
  cosign debug providers | grep github-actions   # github-actions: true`,
  async run(ctx) {
    const { AMBIENT_PROVIDERS } = await import("../../lib/oidc/ambient_providers.ts");
    const env = { getEnv: ctx.io.getEnv };
    // `cosign debug providers` lists them in its own order (observed with cosign v2.6.4), which is
    // not the order they are tried in for signing (AMBIENT_PROVIDERS).
    const order = [
      "filesystem",
      "envvar",
      "github-actions",
      "buildkite-agent",
      "spiffe",
      "google-workload-identity",
      "google-impersonate",
    ];
    const providers = await Promise.all(
      order.map((name) => AMBIENT_PROVIDERS.find((p) => p.name === name)!).map(async (p) => ({
        name: p.name,
        enabled: await p.enabled(env).catch(() => false),
      })),
    );
    await writeAll(
      ctx.io.stdout,
      providers.map((p) => `${p.name}: ${p.enabled}\n`).join(""),
    );
  },
};

/**
 * `cosign debug`: a hidden group. Alone it prints its help; an unknown subcommand is an error
 * (cosign prints the help and exits 0 there, as for every group: see README, exit codes).
 */
export const debugCommand: Command = {
  name: "debug",
  short: "Debugging utilities.",
  hidden: true,
  subcommands: [debugProvidersCommand],
};
