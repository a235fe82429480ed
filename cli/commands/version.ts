/** `cosign version`. @module */
import type { Command } from "../command.ts";
import { writeAll } from "../io.ts";
import { VERSION } from "../../version.ts";

const BANNER = String.raw`  ______   ______        _______. __    _______ .__   __.
 /      | /  __  \      /       ||  |  /  _____||  \ |  |
|  ,----'|  |  |  |    |   (----` + "`" + String.raw`|  | |  |  __  |   \|  |
|  |     |  |  |  |     \   \    |  | |  | |_ | |  . ` + "`" + String.raw`  |
|  ` + "`" + String.raw`----.|  ` + "`" + String.raw`--'  | .----)   |   |  | |  |__| | |  |\   |
 \______| \______/  |_______/    |__|  \______| |__| \__|`;

/** The version fields cosign prints (sigs.k8s.io/release-utils), with Deno in place of Go. */
export function versionInfo(): Record<string, string> {
  return {
    gitVersion: `v${VERSION}`,
    gitCommit: "unknown",
    gitTreeState: "unknown",
    buildDate: "unknown",
    goVersion: `deno${Deno.version.deno}`,
    compiler: "deno",
    platform: `${Deno.build.os}/${Deno.build.arch === "x86_64" ? "amd64" : Deno.build.arch}`,
  };
}

export const versionCommand: Command = {
  name: "version",
  short: "Prints the version",
  example: `  cosign version
  cosign version --json | jq -r .gitVersion`,
  maxArgs: 0,
  flags: [{ name: "json", type: "bool", help: "print JSON instead of text" }],
  async run(ctx) {
    const info = versionInfo();
    if (ctx.flags.json === true) {
      await writeAll(ctx.io.stdout, JSON.stringify(info, null, 2) + "\n");
      return;
    }
    const labels: Record<string, string> = {
      gitVersion: "GitVersion",
      gitCommit: "GitCommit",
      gitTreeState: "GitTreeState",
      buildDate: "BuildDate",
      goVersion: "GoVersion",
      compiler: "Compiler",
      platform: "Platform",
    };
    const lines = Object.entries(info).map(([k, v]) => `${(labels[k] + ":").padEnd(15)}${v}`);
    await writeAll(
      ctx.io.stdout,
      `${BANNER}\ncosign: A tool for Container Signing, Verification and Storage in an OCI registry.\n\n${
        lines.join("\n")
      }\n\n`,
    );
  },
};
