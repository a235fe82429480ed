/**
 * `run(argv, io)`: finds the command, parses its flags (pflag semantics, `COSIGN_<FLAG>`
 * binding), runs it and turns any error into one `error: …` line and cosign's exit code.
 *
 * @module
 */
import type { Command, Context } from "./command.ts";
import { renderHelp, resolveCommand } from "./command.ts";
import { ExitCode, exitCodeFor, UsageError } from "./exit_codes.ts";
import { helpFlag, rootFlags } from "./flags/groups.ts";
import { bindEnv, type Flag, normalizeArgs, parseFlags } from "./flags/parse.ts";
import { type Io, writeAll, type Writer } from "./io.ts";
import type { AtomicFile } from "../lib/atomic_file.ts";

/** Options for {@link run}. */
export interface RunOptions {
  /** Persistent flags of the program (cosign's root flags). */
  persistentFlags?: Flag[];
  /** Rewrite `-flag` to `--flag` as cosign's main.go does. */
  normalize?: boolean;
}

/**
 * Finds the command named by the leading non-flag words of `argv`, loading the module of a
 * command table entry on the way.
 *
 * @returns the command, its path, and `argv` without the command words
 */
export async function findCommand(
  root: Command,
  argv: string[],
  persistent: Flag[],
): Promise<{ cmd: Command; path: string[]; rest: string[] }> {
  let cmd = root;
  const path = [root.name];
  const rest: string[] = [];
  const takesValue = new Set(
    persistent.filter((f) => f.type !== "bool").flatMap((
      f,
    ) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]),
  );
  let descending = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    if (a.startsWith("-")) {
      rest.push(a);
      if (takesValue.has(a) && i + 1 < argv.length) rest.push(argv[++i]);
      continue;
    }
    if (descending && cmd.subcommands?.length) {
      const sub = cmd.subcommands.find((c) => c.name === a);
      if (sub) {
        // Only now is the command's module imported (cli/commands/mod.ts is a table of names).
        cmd = await resolveCommand(sub);
        path.push(a);
        continue;
      }
      if (!cmd.run) throw new UsageError(`unknown command "${a}" for "${path.join(" ")}"`);
    }
    descending = false;
    rest.push(a);
  }
  return { cmd, path, rest };
}

/** Lower-cases the first letter of a message unless it starts an acronym ("Cannot" → "cannot"). */
function lowerFirst(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s[0].toLowerCase() + s.slice(1) : s;
}

/** Formats an error as one line, plus its cause chain when `verbose`. */
export function formatError(err: unknown, verbose: boolean): string {
  const msg = err instanceof Error ? err.message : String(err);
  let out = `error: ${lowerFirst(msg.split("\n")[0])}\n`;
  if (verbose) {
    let cause = err instanceof Error ? err.cause : undefined;
    for (let depth = 0; cause !== undefined && depth < 10; depth++) {
      const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
      out += `  caused by: ${text.split("\n")[0]}\n`;
      cause = cause instanceof Error ? cause.cause : undefined;
    }
  }
  return out;
}

/**
 * Runs one command line.
 *
 * @param root the program's root command
 * @param argv the arguments (without the program name)
 * @param io the process boundary
 * @returns the exit code
 */
export async function run(
  root: Command,
  argv: string[],
  io: Io,
  options: RunOptions = {},
): Promise<number> {
  const persistent = options.persistentFlags ?? rootFlags;
  let verbose = argv.includes("--verbose") || argv.includes("-d");
  if (options.normalize) {
    const n = normalizeArgs(argv);
    for (const w of n.warnings) await writeAll(io.stderr, `WARNING: ${w}\n`);
    argv = n.argv;
  }
  // `cosign help [command]`
  if (argv[0] === "help") {
    const { cmd, path } = await findCommand(root, argv.slice(1), persistent);
    await writeAll(io.stdout, renderHelp(cmd, path, persistent));
    return ExitCode.ok;
  }
  let outputFile: AtomicFile | undefined;
  try {
    const { cmd, path, rest } = await findCommand(root, argv, persistent);
    const flags = [...(cmd.flags ?? []), ...persistent, helpFlag];
    const parsed = parseFlags(rest, flags);
    verbose = parsed.values.verbose === true;
    if (parsed.values.help === true || (!cmd.run && parsed.args.length === 0)) {
      await writeAll(io.stdout, renderHelp(cmd, path, persistent));
      return ExitCode.ok;
    }
    if (cmd.bindEnv) bindEnv(parsed, flags, io.getEnv);
    verbose = parsed.values.verbose === true;
    const n = parsed.args.length;
    if (cmd.minArgs !== undefined && cmd.minArgs === cmd.maxArgs && n !== cmd.minArgs) {
      throw new UsageError(`accepts ${cmd.minArgs} arg(s), received ${n}`);
    }
    if (cmd.minArgs !== undefined && n < cmd.minArgs) {
      throw new UsageError(`requires at least ${cmd.minArgs} arg(s), only received ${n}`);
    }
    if (cmd.maxArgs !== undefined && n > cmd.maxArgs) {
      throw new UsageError(
        cmd.maxArgs === 0
          ? `unknown command "${parsed.args[0]}" for "${path.join(" ")}"`
          : `accepts at most ${cmd.maxArgs} arg(s), received ${n}`,
      );
    }
    let cmdIo = io;
    const outPath = parsed.values["output-file"];
    if (typeof outPath === "string" && outPath !== "") {
      // cosign sends standard output to this file; we write it atomically, on success only.
      // Imported here: most commands never need it at start-up.
      const { AtomicFile } = await import("../lib/atomic_file.ts");
      outputFile = await AtomicFile.create(outPath);
      const stdout: Writer = outputFile;
      cmdIo = { ...io, stdout };
    }
    const timeout = parsed.values.timeout as number;
    const ctx: Context = {
      io: cmdIo,
      flags: parsed.values,
      changed: parsed.changed,
      args: parsed.args,
      info: (line) => writeAll(io.stderr, line + "\n"),
      warn: (line) => writeAll(io.stderr, `WARNING: ${line}\n`),
      signal: timeout > 0 ? AbortSignal.timeout(timeout) : new AbortController().signal,
    };
    const code = (await cmd.run!(ctx)) ?? ExitCode.ok;
    if (outputFile) {
      if (code === ExitCode.ok) await outputFile.commit();
      else await outputFile.abort();
    }
    return code;
  } catch (err) {
    await outputFile?.abort();
    await writeAll(io.stderr, formatError(err, verbose));
    return exitCodeFor(err);
  }
}
