/**
 * The shape of a command, declared as data, and its help text. Help puts examples first.
 *
 * @module
 */
import type { Flag, FlagValues } from "./flags/parse.ts";
import type { Io } from "./io.ts";

/** What a command's `run` receives. */
export interface Context {
  io: Io;
  /** Typed flag values, defaults filled in. */
  flags: FlagValues;
  /** Flags given on the command line or bound from `COSIGN_<FLAG>`. */
  changed: ReadonlySet<string>;
  args: string[];
  /** Prints a line for people on stderr. */
  info(line: string): Promise<void>;
  /** Prints `WARNING: <line>` on stderr, as cosign's ui.Warnf. */
  warn(line: string): Promise<void>;
  /** A signal that fires when `--timeout` expires. */
  signal: AbortSignal;
}

/** A command or a group of subcommands. */
export interface Command {
  name: string;
  /** One line, shown in lists. */
  short: string;
  /** A longer description for the command's own help. */
  long?: string;
  /** Examples, shown first in help; each line indented by two spaces. */
  example?: string;
  /** The argument part of the usage line, e.g. `<blob>`. */
  argsUsage?: string;
  minArgs?: number;
  maxArgs?: number;
  flags?: Flag[];
  /** Binds unset flags to `COSIGN_<FLAG>` variables (cosign's options.BindViper). */
  bindEnv?: boolean;
  subcommands?: Command[];
  hidden?: boolean;
  /**
   * Loads the full command: set on the entries of a command table ({@link lazyCommand}), which
   * name a command and give its one-line help without importing its module.
   */
  load?(): Promise<Command>;
  /** Runs the command; returns the exit code (0 when nothing is returned). */
  run?(ctx: Context): Promise<number | void>;
}

function flagLine(f: Flag): [string, string] {
  const short = f.short ? `-${f.short}, ` : "    ";
  const metavar = f.type === "bool"
    ? ""
    : ` ${f.metavar ?? (f.type === "strings" ? "strings" : f.type)}`;
  let help = f.help;
  const d = f.default;
  if (f.type === "bool" && d === true) help += " (default true)";
  else if (f.type === "duration" && typeof d === "number" && d > 0) {
    help += ` (default ${goDuration(d)})`;
  } else if (f.type === "int" && typeof d === "number" && d !== 0) help += ` (default ${d})`;
  else if (f.type === "string" && typeof d === "string" && d !== "") help += ` (default "${d}")`;
  else if (f.type === "strings" && Array.isArray(d) && d.length) {
    help += ` (default [${d.join(",")}])`;
  }
  return [`  ${short}--${f.name}${metavar}`, help];
}

function goDuration(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return (h ? `${h}h` : "") + (h || m ? `${m}m` : "") + `${s}s`;
}

function flagTable(flags: Flag[]): string {
  const rows = flags.filter((f) => !f.hidden).map(flagLine);
  const width = Math.max(...rows.map(([l]) => l.length)) + 3;
  return rows.map(([l, h]) => l.padEnd(width) + h).join("\n");
}

/**
 * Renders a command's help: description, examples, usage, subcommands, flags.
 *
 * @param path the command path, e.g. `["cosign", "upload", "blob"]`
 * @param inherited the persistent flags shown as global flags
 */
export function renderHelp(cmd: Command, path: string[], inherited: Flag[]): string {
  const out: string[] = [];
  out.push((cmd.long ?? cmd.short).trimEnd(), "");
  if (cmd.example) out.push("Examples:", cmd.example.replace(/^\n+/, "").trimEnd(), "");
  const full = path.join(" ");
  out.push("Usage:");
  if (cmd.run) out.push(`  ${full} [flags]${cmd.argsUsage ? " " + cmd.argsUsage : ""}`);
  if (cmd.subcommands?.length) out.push(`  ${full} [command]`);
  out.push("");
  const subs = cmd.subcommands?.filter((c) => !c.hidden) ?? [];
  if (subs.length) {
    const width = Math.max(...subs.map((c) => c.name.length)) + 3;
    out.push("Available Commands:");
    for (const c of [...subs].sort((a, b) => a.name.localeCompare(b.name))) {
      out.push(`  ${c.name.padEnd(width)}${c.short}`);
    }
    out.push("");
  }
  const own = cmd.flags ?? [];
  out.push(
    "Flags:",
    flagTable([...own, { name: "help", short: "h", type: "bool", help: `help for ${cmd.name}` }]),
    "",
  );
  if (inherited.length) out.push("Global Flags:", flagTable(inherited), "");
  if (subs.length) {
    out.push(`Use "${full} [command] --help" for more information about a command.`, "");
  }
  return out.join("\n");
}

/**
 * An entry of a command table: the command's name and one-line help, enough for listings, with
 * its module imported only when the command is looked up ({@link resolveCommand}). Start-up then
 * evaluates the modules of the one command that runs, not of every command.
 *
 * @param name the command's name
 * @param short its one-line help (the same as the loaded command's)
 * @param load imports the command's module and returns the command
 * @returns the entry
 */
export function lazyCommand(name: string, short: string, load: () => Promise<Command>): Command {
  return { name, short, load };
}

/**
 * The full command behind a table entry (the command itself when it is not an entry).
 *
 * @param cmd a command or a {@link lazyCommand} entry
 * @returns the loaded command
 * @throws {Error} when the loaded command's name is not the entry's (a mistake in the table)
 */
export async function resolveCommand(cmd: Command): Promise<Command> {
  if (!cmd.load) return cmd;
  const loaded = await cmd.load();
  if (loaded.name !== cmd.name) {
    throw new Error(`Cannot load command ${cmd.name}: its module gave ${loaded.name}`);
  }
  return loaded;
}

/**
 * A command tree with every table entry loaded, for what needs every command's flags (shell
 * completion scripts).
 *
 * @param cmd the root
 * @returns a copy of the tree without lazy entries
 */
export async function loadCommandTree(cmd: Command): Promise<Command> {
  const full = await resolveCommand(cmd);
  if (!full.subcommands?.length) return full;
  return { ...full, subcommands: await Promise.all(full.subcommands.map(loadCommandTree)) };
}
