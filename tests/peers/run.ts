/**
 * Runs our cosign and the real Go cosign side by side (interop tests and the benchmark).
 *
 * Both tools get the same small, explicit environment: a throw-away HOME, PATH, DENO_DIR (so our
 * `deno run` reuses the module cache), COSIGN_PASSWORD when given, and proxy variables pointing at
 * a closed loopback port. Go cosign's `verify-blob` tries to refresh the public-good TUF root even
 * with `--key`; the dead proxy makes that fail at once (it then carries on with the key), so no test
 * ever reaches the network, and behaves the same whether the machine is online or not.
 *
 * `INTEROP_SELF_CHECK=go` runs the Go peer in place of ours, to check the harness itself (Go vs Go
 * must pass every interop test).
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cosignBinary } from "./cosign.ts";

/** The repository root. */
export const REPO_ROOT: string = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Our cosign entry point. */
export const OURS_ENTRY: string = join(REPO_ROOT, "cli", "cosign.ts");

/**
 * `deno run` flags besides permissions (the same as `deno task cosign`): modules behind a dynamic
 * `import()` are loaded when it runs, not all at start-up (≈15 ms of every command's start).
 */
export const OURS_RUN_FLAGS: readonly string[] = ["--unstable-lazy-dynamic-imports"];

/** The permissions our cosign is run with (the same as `deno task cosign`). */
export const OURS_PERMISSIONS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
  "--allow-run",
  "--allow-sys",
  "--allow-ffi",
];

/** A closed loopback port used as HTTP(S) proxy: any network attempt fails immediately. */
export const DEAD_PROXY = "http://127.0.0.1:1";

/** Which implementation to run. */
export type Tool = "ours" | "go";

/** Both tools, for tables that run each case in both directions. */
export const TOOLS: readonly Tool[] = ["go", "ours"];

/** How to run one command. */
export interface RunOptions {
  /** Working directory; also HOME unless `home` is given. */
  cwd: string;
  /** COSIGN_PASSWORD; `undefined` leaves it unset ("" is a real, empty password). */
  password?: string;
  /** Bytes piped to stdin; without them stdin is /dev/null. */
  stdin?: Uint8Array;
  /** HOME for the child; defaults to `cwd`. */
  home?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

/** What a command did. */
export interface RunResult {
  tool: Tool;
  /** A shell-like rendering of the command, for assertion messages. */
  command: string;
  code: number;
  stdout: string;
  stdoutBytes: Uint8Array;
  stderr: string;
}

const decoder = new TextDecoder();

let denoDir: Promise<string> | undefined;

/** The DENO_DIR of this Deno, so that children with another HOME reuse its caches. */
function currentDenoDir(): Promise<string> {
  denoDir ??= (async () => {
    const fromEnv = Deno.env.get("DENO_DIR");
    if (fromEnv) return fromEnv;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json"],
      stdin: "null",
      stderr: "null",
    }).output();
    if (!out.success) throw new Error("Cannot find DENO_DIR: `deno info --json` failed");
    return (JSON.parse(decoder.decode(out.stdout)) as { denoDir: string }).denoDir;
  })();
  return denoDir;
}

let oursReady: Promise<void> | undefined;

/**
 * Loads our CLI's dependencies into the module cache once, with the normal environment, so that
 * the sandboxed runs (dead proxy) never need the network.
 */
function prepareOurs(): Promise<void> {
  oursReady ??= (async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["cache", "--quiet", OURS_ENTRY],
      cwd: REPO_ROOT,
      stdin: "null",
    }).output();
    if (!out.success) {
      throw new Error(
        `Cannot load our cosign (${OURS_ENTRY}): deno cache exited with ${out.code}\n` +
          decoder.decode(out.stderr),
      );
    }
  })();
  return oursReady;
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command line (program and arguments) that runs `tool` with `args`.
 *
 * @param tool which cosign
 * @param args cosign arguments
 * @returns the program and its full argument list
 */
export async function commandLine(
  tool: Tool,
  args: readonly string[],
): Promise<[string, string[]]> {
  if (tool === "go" || Deno.env.get("INTEROP_SELF_CHECK") === "go") {
    return [await cosignBinary(), [...args]];
  }
  await prepareOurs();
  return [Deno.execPath(), ["run", ...OURS_RUN_FLAGS, ...OURS_PERMISSIONS, OURS_ENTRY, ...args]];
}

/**
 * The environment both tools run with.
 *
 * @param options the run options
 * @returns a complete environment (the child's own environment is cleared)
 */
export async function childEnv(options: RunOptions): Promise<Record<string, string>> {
  const env: Record<string, string> = {
    HOME: options.home ?? options.cwd,
    PATH: Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
    DENO_DIR: await currentDenoDir(),
    DENO_NO_UPDATE_CHECK: "1",
    NO_COLOR: "1",
    HTTPS_PROXY: DEAD_PROXY,
    HTTP_PROXY: DEAD_PROXY,
    https_proxy: DEAD_PROXY,
    http_proxy: DEAD_PROXY,
    NO_PROXY: "",
    no_proxy: "",
  };
  const tmp = Deno.env.get("TMPDIR");
  if (tmp) env.TMPDIR = tmp;
  if (options.password !== undefined) env.COSIGN_PASSWORD = options.password;
  return { ...env, ...options.env };
}

/**
 * Runs one cosign command and captures everything it did.
 *
 * @param tool `"go"` for the real cosign, `"ours"` for cli/cosign.ts
 * @param args cosign arguments, e.g. `["public-key", "--key", "cosign.key"]`
 * @param options working directory, password, stdin and environment
 * @returns exit code, stdout and stderr
 * @throws {Error} when the Go peer is not installed or our CLI cannot be loaded
 */
export async function run(
  tool: Tool,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  const [program, fullArgs] = await commandLine(tool, args);
  const child = new Deno.Command(program, {
    args: fullArgs,
    cwd: options.cwd,
    env: await childEnv(options),
    clearEnv: true,
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin) {
    const writer = child.stdin.getWriter();
    // A tool may exit before reading all of stdin (EPIPE): that is its result, not ours to throw.
    await writer.write(options.stdin).catch(() => {});
    await writer.close().catch(() => {});
  }
  const out = await child.output();
  const password = options.password === undefined
    ? ""
    : `COSIGN_PASSWORD=${quote(options.password)} `;
  return {
    tool,
    command: `${password}${tool === "go" ? "cosign" : "ours"} ${args.map(quote).join(" ")}`,
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stdoutBytes: out.stdout,
    stderr: decoder.decode(out.stderr),
  };
}

/** Runs the real Go cosign. See {@link run}. */
export function runGo(args: readonly string[], options: RunOptions): Promise<RunResult> {
  return run("go", args, options);
}

/** Runs our cosign. See {@link run}. */
export function runOurs(args: readonly string[], options: RunOptions): Promise<RunResult> {
  return run("ours", args, options);
}
