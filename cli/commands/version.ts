/** `cosign version`. @module */
import type { Command } from "../command.ts";
import { writeAll } from "../io.ts";
import { COSIGN_COMPAT, GIT_VERSION } from "../../version.ts";

const BANNER = String.raw`  ______   ______        _______. __    _______ .__   __.
 /      | /  __  \      /       ||  |  /  _____||  \ |  |
|  ,----'|  |  |  |    |   (----` + "`" + String.raw`|  | |  |  __  |   \|  |
|  |     |  |  |  |     \   \    |  | |  | |_ | |  . ` + "`" + String.raw`  |
|  ` + "`" + String.raw`----.|  ` + "`" + String.raw`--'  | .----)   |   |  | |  |__| | |  |\   |
 \______| \______/  |_______/    |__|  \______| |__| \__|`;

/**
 * The version fields cosign prints (sigs.k8s.io/release-utils), with Deno in place of Go, plus
 * `cosignCompat`: the cosign release whose behaviour this implements. GitVersion is that release
 * with our own version as build metadata (`v2.6.4+deno.0.1.0`, see version.ts).
 */
export function versionInfo(): Record<string, string> {
  return {
    gitVersion: GIT_VERSION,
    gitCommit: "unknown",
    gitTreeState: "unknown",
    buildDate: "unknown",
    goVersion: `deno${Deno.version.deno}`,
    compiler: "deno",
    platform: `${Deno.build.os}/${Deno.build.arch === "x86_64" ? "amd64" : Deno.build.arch}`,
    cosignCompat: `v${COSIGN_COMPAT}`,
  };
}

/**
 * The text `version` prints (release-utils' format), with or without cosign's banner, or JSON.
 *
 * @param json print JSON instead of text
 * @param banner the program's ASCII-art banner and one-line description, if any
 */
export function renderVersion(json: boolean, banner?: string): string {
  const info = versionInfo();
  if (json) return JSON.stringify(info, null, 2) + "\n";
  const labels: Record<string, string> = {
    gitVersion: "GitVersion",
    gitCommit: "GitCommit",
    gitTreeState: "GitTreeState",
    buildDate: "BuildDate",
    goVersion: "GoVersion",
    compiler: "Compiler",
    platform: "Platform",
    cosignCompat: "CosignCompat",
  };
  // release-utils aligns with a tabwriter: the longest label, its colon, and two spaces.
  const width = Math.max(...Object.keys(info).map((k) => labels[k].length)) + 3;
  const lines = Object.entries(info).map(([k, v]) => `${(labels[k] + ":").padEnd(width)}${v}`);
  return banner ? `${banner}\n\n${lines.join("\n")}\n\n` : `${lines.join("\n")}\n`;
}

export const versionCommand: Command = {
  name: "version",
  short: "Prints the version",
  long: `Prints the version. GitVersion is the cosign release whose behaviour this implements, with
our own version as SemVer build metadata (v2.6.4+deno.0.1.0): version checks such as "cosign >= 2"
compare the cosign behaviour they get. CosignCompat (cosignCompat in JSON) names that release alone.`,
  example: `  cosign version
  cosign version --json | jq -r .gitVersion

  # the cosign release whose behaviour this implements
  cosign version --json | jq -r .cosignCompat`,
  maxArgs: 0,
  flags: [{ name: "json", type: "bool", help: "print JSON instead of text" }],
  async run(ctx) {
    await writeAll(
      ctx.io.stdout,
      renderVersion(
        ctx.flags.json === true,
        `${BANNER}\ncosign: A tool for Container Signing, Verification and Storage in an OCI registry.`,
      ),
    );
  },
};
