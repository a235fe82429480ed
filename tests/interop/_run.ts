/**
 * Test helpers for the interop suites: assertions on runs, temporary folders, case tables.
 * How the two cosigns are run (environment, sandboxing) lives in tests/peers/run.ts.
 *
 * @module
 */
import { join } from "node:path";
import { REPO_ROOT, run, type RunOptions, type RunResult, type Tool, TOOLS } from "../peers/run.ts";

export {
  REPO_ROOT,
  run,
  runGo,
  type RunOptions,
  runOurs,
  type RunResult,
  type Tool,
  TOOLS,
} from "../peers/run.ts";

/**
 * Describes a result for an assertion message: command, exit code, stdout and stderr.
 *
 * @param result what a command did
 * @returns several lines of text
 */
export function describe(result: RunResult): string {
  const clip = (s: string) => (s.length > 2000 ? `${s.slice(0, 2000)}...` : s).trimEnd();
  return `[${result.tool}] $ ${result.command}\n  exit ${result.code}\n  stdout: ${
    clip(result.stdout)
  }\n  stderr: ${clip(result.stderr)}`;
}

/**
 * Throws unless the command exited with 0.
 *
 * @param result what a command did
 * @param what what the command was meant to do, for the message
 * @returns the same result, for chaining
 * @throws {Error} with the command, exit code and output when it failed
 */
export function expectSuccess(result: RunResult, what: string): RunResult {
  if (result.code !== 0) throw new Error(`${what}: expected exit 0\n${describe(result)}`);
  return result;
}

/**
 * Throws unless every result failed with one and the same non-zero exit code (the Go peer's code
 * is the reference: cosign exits 1 for a bad signature, key or password).
 *
 * @param results the runs of the same failing case by each tool
 * @param what the case, for the message
 * @throws {Error} showing every command, exit code and stderr when they disagree
 */
export function expectSameFailure(results: readonly RunResult[], what: string): void {
  const codes = results.map((r) => r.code);
  const details = results.map(describe).join("\n");
  if (codes.some((code) => code === 0)) {
    throw new Error(
      `${what}: expected every tool to fail, exit codes ${codes.join(", ")}\n${details}`,
    );
  }
  if (new Set(codes).size !== 1) {
    throw new Error(`${what}: exit codes differ (${codes.join(" vs ")})\n${details}`);
  }
  for (const r of results) {
    if (r.stderr.includes("Verified OK") || r.stdout.includes("Verified OK")) {
      throw new Error(`${what}: a failing run printed "Verified OK"\n${details}`);
    }
  }
}

/**
 * Throws unless a verify-blob run succeeded and said "Verified OK" on stderr, as cosign does.
 *
 * @param result the verify-blob run
 * @param what the case, for the message
 * @returns the same result
 * @throws {Error} with the command and its output otherwise
 */
export function expectVerified(result: RunResult, what: string): RunResult {
  if (result.code !== 0 || !result.stderr.includes("Verified OK")) {
    throw new Error(`${what}: expected exit 0 and "Verified OK" on stderr\n${describe(result)}`);
  }
  return result;
}

/** The other tool. */
export function other(tool: Tool): Tool {
  return tool === "go" ? "ours" : "go";
}

/**
 * Creates a temporary folder, runs `fn` in it and removes it afterwards.
 *
 * @param fn the work to do with the folder
 * @returns what `fn` returned
 */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "cosign-interop-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * A temporary folder for a whole suite, removed when the test process unloads.
 *
 * @param prefix the folder name's prefix
 * @returns the folder's path
 */
export async function suiteDir(prefix: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  return dir;
}

/** Loopback must bypass the harness's dead proxy: registries and Rekor run on 127.0.0.1. */
export const LOOPBACK_ENV: Readonly<Record<string, string>> = {
  NO_PROXY: "127.0.0.1,localhost",
  no_proxy: "127.0.0.1,localhost",
};

/**
 * The usual options of a suite's runs: in `dir`, an empty key password, loopback not proxied.
 *
 * @param dir the working folder
 * @param env more environment variables
 * @returns the run options
 */
export function suiteOptions(dir: string, env: Record<string, string> = {}): RunOptions {
  return { cwd: dir, password: "", env: { ...LOOPBACK_ENV, ...env } };
}

/**
 * Writes a trusted_root.json with one transparency log (as made for a local Rekor): its base URL,
 * its key (SPKI DER, ECDSA P-256), its log ID (SHA-256 of the SPKI), valid from `start`; no
 * certificate authorities, CT logs or timestamp authorities.
 *
 * @param path where to write it
 * @param log the log's URL, key and start of validity (default 2020-01-01)
 */
export async function writeTrustedRoot(
  path: string,
  log: { baseUrl: string; spki: Uint8Array; start?: string },
): Promise<void> {
  const logId = new Uint8Array(await crypto.subtle.digest("SHA-256", log.spki as BufferSource));
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
      tlogs: [{
        baseUrl: log.baseUrl,
        hashAlgorithm: "SHA2_256",
        publicKey: {
          rawBytes: log.spki.toBase64(),
          keyDetails: "PKIX_ECDSA_P256_SHA_256",
          validFor: { start: log.start ?? "2020-01-01T00:00:00Z" },
        },
        logId: { keyId: logId.toBase64() },
      }],
      certificateAuthorities: [],
      ctlogs: [],
      timestampAuthorities: [],
    }),
  );
}

/**
 * Runs every case with at most `limit` at a time and reports all failures together, so that one
 * run of the suite shows every broken case, not only the first.
 *
 * @param cases the table of cases
 * @param name a label for each case in the failure report
 * @param fn the check for one case; it throws to fail
 * @param limit how many cases run at once (each case spawns processes that use ~100 MiB)
 * @throws {Error} listing each failed case with its message
 */
export async function checkAll<T>(
  cases: readonly T[],
  name: (c: T) => string,
  fn: (c: T) => Promise<void>,
  limit = 4,
): Promise<void> {
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      try {
        await fn(c);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        failures.push(`- ${name(c)}: ${message.replaceAll("\n", "\n    ")}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, cases.length) }, worker));
  if (failures.length > 0) {
    throw new Error(`${failures.length} of ${cases.length} cases failed:\n${failures.join("\n")}`);
  }
}

/** Reads a text file. */
export function readText(path: string): Promise<string> {
  return Deno.readTextFile(path);
}

/** A blob of `size` bytes that differ from run to run (crypto.getRandomValues, 64 KiB at a time). */
export function randomBlob(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return bytes;
}

/** The fixtures folder. */
export const FIXTURES: string = join(REPO_ROOT, "tests", "fixtures");

/** A case of {@link runCasesWithBoth}: what, the arguments, the environment, whether it passes. */
export type BothCase = [what: string, args: string[], options: RunOptions, ok: boolean];

/**
 * Runs every case with both tools: when it should pass, exit 0 and `verified` on stderr from
 * both; otherwise the same failure ({@link expectSameFailure}). Every case runs; the failures are
 * reported together.
 *
 * @param cases the cases
 * @param verified the text a passing run prints on stderr ("" for none)
 * @returns each case's results, Go's first
 * @throws {Error} listing every case that did not go as expected
 */
export async function runCasesWithBoth(
  cases: BothCase[],
  verified = "Verified OK",
): Promise<RunResult[][]> {
  const failures: string[] = [];
  const all: RunResult[][] = [];
  for (const [what, args, options, ok] of cases) {
    const results = [];
    for (const tool of TOOLS) results.push(await run(tool, args, options));
    all.push(results);
    try {
      if (ok) {
        for (const r of results) {
          expectSuccess(r, what);
          if (verified && !r.stderr.includes(verified)) {
            throw new Error(`${what}: no "${verified}"\n${describe(r)}`);
          }
        }
      } else {
        expectSameFailure(results, what);
      }
    } catch (e) {
      failures.push(`- ${(e as Error).message}`);
    }
  }
  if (failures.length) throw new Error(failures.join("\n"));
  return all;
}
