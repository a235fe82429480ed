/**
 * Installs the keyless peers: Fulcio v1.8.8 (`go install github.com/sigstore/fulcio@v1.8.8`, the
 * module root is its main package) and certificate-transparency-go's `ct_server` v1.3.3 (the CT
 * log Fulcio submits precertificates to; it runs on the Trillian built by scripts/peers/rekor.ts)
 * into the peer cache. Idempotent; a second run does nothing. Builds take about 3 minutes (Fulcio)
 * and 2 minutes (`ct_server`) on two busy cores with a warm module cache.
 *
 *     deno run -A scripts/peers/fulcio.ts
 *
 * @module
 */
import { dirname, join } from "node:path";
import {
  FULCIO_MODULE,
  FULCIO_VERSION,
  fulcioBinDir,
  fulcioPath,
} from "../../tests/peers/fulcio.ts";
import {
  CT_SERVER_MODULE,
  CT_VERSION,
  ctServerBinDir,
  ctServerPath,
} from "../../tests/peers/ct_log.ts";

function say(message: string): void {
  console.error(`peers: ${message}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** Whether `fulcio version` runs and names the pinned version. */
async function fulcioWorks(path: string): Promise<boolean> {
  try {
    const out = await new Deno.Command(path, { args: ["version"], stdin: "null" }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return out.success && new RegExp(`GitVersion:\\s+${FULCIO_VERSION}\\b`).test(text);
  } catch {
    return false;
  }
}

/**
 * Builds `spec` with `go install` into a temporary GOBIN beside `binDir` and renames the binary
 * into place, so an interrupted build never leaves a half-written binary behind.
 */
async function goInstall(spec: string, binDir: string, name: string): Promise<void> {
  await Deno.mkdir(dirname(binDir), { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: dirname(binDir), prefix: "build-" });
  try {
    say(`building ${spec} (CGO_ENABLED=0 GOFLAGS=-trimpath)`);
    const started = performance.now();
    const { code } = await new Deno.Command("go", {
      args: ["install", spec],
      env: { GOBIN: tmp, CGO_ENABLED: "0", GOFLAGS: "-trimpath" },
      stdin: "null",
    }).spawn().status;
    if (code !== 0) throw new Error(`Cannot build ${name}: go install ${spec} exited with ${code}`);
    await Deno.mkdir(binDir, { recursive: true });
    await Deno.rename(join(tmp, name), join(binDir, name));
    say(`built ${name} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * Makes sure Fulcio and `ct_server` are installed in the peer cache.
 *
 * @throws {Error} when `go` is missing or a build fails
 */
export async function ensureFulcio(): Promise<void> {
  if (await fulcioWorks(fulcioPath())) {
    say(`Fulcio ${FULCIO_VERSION} already installed at ${fulcioPath()}`);
  } else {
    await goInstall(`${FULCIO_MODULE}@${FULCIO_VERSION}`, fulcioBinDir(), "fulcio");
    if (!(await fulcioWorks(fulcioPath()))) {
      throw new Error(`Cannot build Fulcio: ${fulcioPath()} does not report ${FULCIO_VERSION}`);
    }
  }
  // ct_server has no version command: the folder name carries the pinned version.
  if (await exists(ctServerPath())) {
    say(`ct_server ${CT_VERSION} already installed at ${ctServerPath()}`);
  } else {
    await goInstall(`${CT_SERVER_MODULE}@${CT_VERSION}`, ctServerBinDir(), "ct_server");
  }
}

if (import.meta.main) {
  try {
    await ensureFulcio();
    say("Fulcio and CT log peers ready");
  } catch (e) {
    console.error(`peers: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
