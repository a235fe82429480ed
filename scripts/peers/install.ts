/**
 * Installs the real Go cosign v2.6.4, our interop and performance peer, idempotently.
 *
 *     deno task peers        # or: deno run -A scripts/peers/install.ts
 *
 * Builds with `go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.4` (CGO_ENABLED=0,
 * GOFLAGS=-trimpath) into `$COSIGN_DENO_CACHE/peers/cosign-v2.6.4/bin` (default
 * `$HOME/.cache/cosign-deno/...`), outside the repository. When a working binary of that version is
 * already there it does nothing. The build goes to a temporary folder and is renamed into place,
 * so an interrupted build never leaves a half-written binary behind. Messages go to stderr; a
 * missing `go` or a failed build exits non-zero.
 *
 * @module
 */
import { dirname, join } from "node:path";
import {
  COSIGN_MODULE,
  COSIGN_VERSION,
  cosignBinDir,
  cosignPath,
} from "../../tests/peers/cosign.ts";

const decoder = new TextDecoder();

function say(message: string): void {
  console.error(`peers: ${message}`);
}

/**
 * Whether the binary at `path` runs and reports the pinned version.
 *
 * @param path the cosign binary
 * @returns true when `cosign version` succeeds and names {@link COSIGN_VERSION}
 */
async function works(path: string): Promise<boolean> {
  try {
    const out = await new Deno.Command(path, { args: ["version"], stdin: "null" }).output();
    const text = decoder.decode(out.stdout) + decoder.decode(out.stderr);
    return out.success && new RegExp(`GitVersion:\\s+${COSIGN_VERSION}\\b`).test(text);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied) {
      return false;
    }
    throw err;
  }
}

/**
 * Makes sure Go cosign v2.6.4 is installed in the peer cache, building it when needed.
 *
 * @returns the absolute path of the working binary
 * @throws {Error} when `go` is not on PATH, the build fails, or the built binary does not run
 */
export async function ensureCosign(): Promise<string> {
  const target = cosignPath();
  if (await works(target)) {
    say(`Go cosign ${COSIGN_VERSION} already installed at ${target}`);
    return target;
  }

  let goVersion: Deno.CommandOutput;
  try {
    goVersion = await new Deno.Command("go", { args: ["version"], stdin: "null" }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error("Cannot build Go cosign: `go` is not on PATH (install Go 1.24 or later)", {
        cause: err,
      });
    }
    throw err;
  }
  if (!goVersion.success) {
    throw new Error(
      `Cannot build Go cosign: \`go version\` failed: ${decoder.decode(goVersion.stderr)}`,
    );
  }
  say(`using ${decoder.decode(goVersion.stdout).trim()}`);

  const binDir = cosignBinDir();
  await Deno.mkdir(dirname(binDir), { recursive: true });
  const buildDir = await Deno.makeTempDir({ dir: dirname(binDir), prefix: "build-" });
  try {
    const spec = `${COSIGN_MODULE}@${COSIGN_VERSION}`;
    say(`building ${spec} (CGO_ENABLED=0 GOFLAGS=-trimpath); this takes a few minutes`);
    const started = performance.now();
    const build = await new Deno.Command("go", {
      args: ["install", spec],
      env: { CGO_ENABLED: "0", GOFLAGS: "-trimpath", GOBIN: buildDir },
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const buildOutput = decoder.decode(build.stdout).trim();
    if (buildOutput) console.error(buildOutput);
    if (!build.success) {
      throw new Error(`Cannot build Go cosign: go install ${spec} exited with ${build.code}`);
    }
    const built = join(buildDir, "cosign");
    if (!(await works(built))) {
      throw new Error(`Cannot build Go cosign: ${built} does not report ${COSIGN_VERSION}`);
    }
    await Deno.mkdir(binDir, { recursive: true });
    await Deno.rename(built, target);
    say(`built in ${((performance.now() - started) / 1000).toFixed(0)} s: ${target}`);
  } finally {
    await Deno.remove(buildDir, { recursive: true }).catch(() => {});
  }
  return target;
}

if (import.meta.main) {
  try {
    await ensureCosign();
  } catch (err) {
    console.error(`peers: error: ${err instanceof Error ? err.message : String(err)}`);
    Deno.exit(1);
  }
}
