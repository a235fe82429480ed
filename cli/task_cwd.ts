/**
 * Where relative paths resolve: the directory the user ran the command from.
 *
 * `deno task` runs a task in the folder of its deno.json, not in the caller's, and records the
 * caller's folder in `INIT_CWD` (npm's convention; like npm, it keeps a value already set by an
 * outer `npm run` or `deno task`, so that `INIT_CWD` always names the folder where the outermost
 * task was typed). So that `deno task cosign generate-key-pair` writes `cosign.key` where the user
 * is, the entry points (cli/cosign.ts, cli/sget.ts) change into `INIT_CWD` before anything else,
 * but only when all of these hold:
 *
 * - `COSIGN_DENO_TASK` is `1`: deno.json's `cosign` and `sget` tasks set it. Without it `INIT_CWD`
 *   may be inherited from someone else's task (an npm script running `deno run …/cli/cosign.ts` in
 *   another folder), and the process's own working directory is what the user meant: this covers
 *   `deno run <file or url>` and `deno compile`d binaries;
 * - the process runs in the project folder (where deno.json is), as a task does: otherwise
 *   something already chose the directory on purpose;
 * - `INIT_CWD` is an absolute path.
 *
 * @module
 */

// Plain string work instead of node:path and node:url: importing them loads Deno's Node
// compatibility layer, ≈30 ms of CPU on every command (this module runs before any command).
const WINDOWS = Deno.build.os === "windows";

/** `path.isAbsolute`: `/x` (POSIX); `C:\x`, `C:/x`, `\x` or a UNC path (Windows). */
function isAbsolute(path: string): boolean {
  return WINDOWS ? /^([A-Za-z]:)?[\\/]/.test(path) : path.startsWith("/");
}

/** An absolute path with `.`, `..`, repeated and trailing separators resolved (`path.resolve`). */
function normalizeAbsolute(path: string): string {
  const sep = WINDOWS ? "\\" : "/";
  const m = WINDOWS
    ? /^([A-Za-z]:|[\\/]{2}[^\\/]+[\\/][^\\/]+)?(.*)$/s.exec(path)!
    : [path, "", path];
  const out: string[] = [];
  for (const part of m[2].split(WINDOWS ? /[\\/]/ : "/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return `${(m[1] ?? "").replaceAll("/", sep)}${sep}${out.join(sep)}`;
}

/** The project folder of an entry point's `file:` URL (`<project>/cli/cosign.ts` → `<project>`). */
function projectDirectory(entryUrl: string): string {
  const url = new URL("..", entryUrl);
  const path = decodeURIComponent(url.pathname);
  if (!WINDOWS) return normalizeAbsolute(path);
  // file:///C:/x/ → C:\x; file://server/share/x/ → \\server\share\x
  return normalizeAbsolute(
    url.hostname ? `//${url.hostname}${path}` : path.replace(/^\/(?=[A-Za-z]:)/, ""),
  );
}

/** The variable deno.json's `cosign` and `sget` tasks set to say "started by our task". */
export const TASK_MARKER = "COSIGN_DENO_TASK";

/** What {@link callerDirectory} decides from. */
export interface CallerDirectoryInput {
  /** Reads one environment variable. */
  getEnv(name: string): string | undefined;
  /** The process's working directory. */
  cwd: string;
  /** `import.meta.url` of the entry point (`<project>/cli/cosign.ts`). */
  entryUrl: string;
}

/**
 * The directory to change into before running, if any.
 *
 * @param input the environment, working directory and entry point
 * @returns `INIT_CWD` when we were started by our own `deno task` (see the module comment),
 *   otherwise `undefined` (stay where we are)
 */
export function callerDirectory(input: CallerDirectoryInput): string | undefined {
  if (input.getEnv(TASK_MARKER) !== "1") return undefined;
  const init = input.getEnv("INIT_CWD");
  if (init === undefined || init === "" || !isAbsolute(init)) return undefined;
  if (!input.entryUrl.startsWith("file:")) return undefined;
  if (normalizeAbsolute(input.cwd) !== projectDirectory(input.entryUrl)) return undefined;
  return init;
}

/** Reads a variable only when the environment permission is already granted (never prompts). */
function envIfGranted(name: string): string | undefined {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
      return undefined;
    }
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * Changes the process into the directory the user ran `deno task cosign` from (see the module
 * comment). Only the entry points call this.
 *
 * @param entryUrl `import.meta.url` of the entry point
 * @returns an error line to print (and exit 1) when the directory cannot be entered, else
 *   `undefined`
 */
export function enterCallerDirectory(entryUrl: string): string | undefined {
  let cwd: string;
  try {
    cwd = Deno.cwd();
  } catch {
    return undefined;
  }
  const dir = callerDirectory({ getEnv: envIfGranted, cwd, entryUrl });
  if (dir === undefined) return undefined;
  try {
    Deno.chdir(dir);
  } catch (e) {
    return `error: cannot change into the directory deno task was run from (INIT_CWD=${dir}): ${
      (e as Error).message
    }\n`;
  }
  return undefined;
}
