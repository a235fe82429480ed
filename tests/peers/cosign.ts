/**
 * Where the real Go cosign (our interop and performance peer) lives, and how tests find it.
 *
 * The binary is built by `scripts/peers/install.ts` (`deno task peers`) into a cache outside the
 * repository, so a second run is free:
 * `$COSIGN_DENO_CACHE/peers/cosign-v2.6.4/bin/cosign`, where `COSIGN_DENO_CACHE` defaults to
 * `$HOME/.cache/cosign-deno`.
 *
 * @module
 */
import { join } from "node:path";

/** The Go cosign release we test against: the last v2 release. */
export const COSIGN_VERSION = "v2.6.4";

/** The module `go install` builds. */
export const COSIGN_MODULE = "github.com/sigstore/cosign/v2/cmd/cosign";

/**
 * The root of our cache of peers.
 *
 * @returns `$COSIGN_DENO_CACHE`, else `$HOME/.cache/cosign-deno`
 * @throws {Error} when neither `COSIGN_DENO_CACHE` nor `HOME` is set
 */
export function cacheRoot(): string {
  const explicit = Deno.env.get("COSIGN_DENO_CACHE");
  if (explicit) return explicit;
  const home = Deno.env.get("HOME");
  if (!home) throw new Error("Cannot locate the peer cache: set HOME or COSIGN_DENO_CACHE");
  return join(home, ".cache", "cosign-deno");
}

/**
 * The folder `go install` writes the cosign binary to (its GOBIN).
 *
 * @returns the absolute folder path
 */
export function cosignBinDir(): string {
  return join(cacheRoot(), "peers", `cosign-${COSIGN_VERSION}`, "bin");
}

/**
 * The path the Go cosign binary is installed at (it may not exist yet).
 *
 * @returns the absolute path of the binary
 */
export function cosignPath(): string {
  return join(cosignBinDir(), "cosign");
}

/**
 * The path of the installed Go cosign peer, for tests and benchmarks.
 *
 * Never skips: a missing peer is a failure, locally and in CI, so interop cannot silently stop
 * being checked.
 *
 * @returns the absolute path of an executable Go cosign v2.6.4
 * @throws {Error} "Go cosign peer not installed: run deno task peers" when it is missing
 */
export async function cosignBinary(): Promise<string> {
  const path = cosignPath();
  try {
    const info = await Deno.stat(path);
    if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return path;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const where = Deno.env.get("CI") ? " (in CI the test task installs it first)" : "";
  throw new Error(`Go cosign peer not installed: run deno task peers${where}; expected ${path}`);
}
