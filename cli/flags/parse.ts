/**
 * A flag parser with the semantics of spf13/pflag, which cosign uses, so that the same command
 * lines mean the same thing: `--name=value`, `--name value`, booleans as `--name`,
 * `--name=false`, shorthands `-y`, `-o json`, `-ojson`, grouped booleans `-yd`, repeated slice
 * flags, flags after positional arguments, and `--` to end flags.
 *
 * `node:util` `parseArgs` cannot express `--b64=false` (it rejects a value on a boolean), which
 * cosign scripts use everywhere, hence this small parser.
 *
 * @module
 */
import { UsageError } from "../exit_codes.ts";

/** The value types cosign's flags use. */
export type FlagType = "string" | "bool" | "int" | "strings" | "duration" | "stringArray";

/** One flag, declared as data. */
export interface Flag {
  name: string;
  short?: string;
  type: FlagType;
  /** Default value; for `strings` an array, for `duration` milliseconds. */
  default?: string | boolean | number | string[];
  help: string;
  /** Hidden flags parse but are not listed in help (deprecated aliases). */
  hidden?: boolean;
  /** Shown as the value name in help, e.g. `FILE`. */
  metavar?: string;
}

/** Parsed values by flag name. */
export type FlagValues = Record<string, string | boolean | number | string[] | undefined>;

/** The result of parsing a command line against a set of flags. */
export interface Parsed {
  values: FlagValues;
  /** Names of flags set on the command line (or bound from the environment). */
  changed: Set<string>;
  args: string[];
}

const BOOL_TRUE = new Set(["1", "t", "T", "true", "TRUE", "True"]);
const BOOL_FALSE = new Set(["0", "f", "F", "false", "FALSE", "False"]);

/** Parses a boolean the way Go's strconv.ParseBool does. */
export function parseBool(text: string): boolean | undefined {
  if (BOOL_TRUE.has(text)) return true;
  if (BOOL_FALSE.has(text)) return false;
  return undefined;
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a Go duration ("3m", "1h30m", "250ms", "0") into milliseconds.
 *
 * @throws {SyntaxError} when the text is not a Go duration
 */
export function parseDuration(text: string): number {
  if (text === "0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let i = 0;
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) throw new SyntaxError(`time: invalid duration "${text}"`);
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    i = re.lastIndex;
  }
  if (text.length === 0) throw new SyntaxError(`time: invalid duration ""`);
  return total;
}

function defaultOf(f: Flag): FlagValues[string] {
  if (f.default !== undefined) return Array.isArray(f.default) ? [...f.default] : f.default;
  switch (f.type) {
    case "bool":
      return false;
    case "int":
    case "duration":
      return 0;
    case "strings":
    case "stringArray":
      return [];
    default:
      return "";
  }
}

/**
 * Converts a flag's text value to its typed value.
 *
 * @param source names where the value came from, for the message
 * @throws {UsageError} on a value of the wrong type
 */
export function convert(
  f: Flag,
  text: string,
  previous: FlagValues[string],
  fresh: boolean,
  source = `"--${f.name}" flag`,
): FlagValues[string] {
  const bad = (why: string) => new UsageError(`invalid argument "${text}" for ${source}: ${why}`);
  switch (f.type) {
    case "bool": {
      const b = parseBool(text);
      if (b === undefined) throw bad(`strconv.ParseBool: parsing "${text}": invalid syntax`);
      return b;
    }
    case "int": {
      if (!/^[+-]?\d+$/.test(text)) {
        throw bad(`strconv.ParseInt: parsing "${text}": invalid syntax`);
      }
      return Number(text);
    }
    case "duration":
      try {
        return parseDuration(text);
      } catch (e) {
        throw bad((e as Error).message);
      }
    case "strings": {
      // pflag StringSlice: each occurrence is CSV; the first occurrence replaces the default.
      const items = text === "" ? [] : text.split(",");
      return fresh ? items : [...(previous as string[]), ...items];
    }
    case "stringArray":
      // pflag StringArray: each occurrence is one value, commas included (service specs).
      return fresh ? [text] : [...(previous as string[]), text];
    default:
      return text;
  }
}

/**
 * Parses `argv` against `flags` with pflag semantics.
 *
 * @param argv the arguments after the command path
 * @param flags every flag the command accepts (its own and inherited ones)
 * @returns values (defaults filled in), which flags changed, and positional arguments
 * @throws {UsageError} on unknown flags, missing values and wrongly typed values
 */
export function parseFlags(argv: readonly string[], flags: readonly Flag[]): Parsed {
  const byName = new Map(flags.map((f) => [f.name, f]));
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short!, f]));
  const values: FlagValues = {};
  for (const f of flags) values[f.name] = defaultOf(f);
  const changed = new Set<string>();
  const args: string[] = [];

  const set = (f: Flag, text: string) => {
    values[f.name] = convert(f, text, values[f.name], !changed.has(f.name));
    changed.add(f.name);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const f = byName.get(name);
      if (!f) throw new UsageError(`unknown flag: --${name}`);
      if (eq !== -1) set(f, arg.slice(eq + 1));
      else if (f.type === "bool") set(f, "true");
      else if (i + 1 < argv.length) set(f, argv[++i]);
      else throw new UsageError(`flag needs an argument: --${name}`);
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      // Shorthands: "-y", "-yd" (grouped booleans), "-o json", "-ojson", "-o=json".
      for (let j = 1; j < arg.length; j++) {
        const c = arg[j];
        const f = byShort.get(c);
        if (!f) throw new UsageError(`unknown shorthand flag: '${c}' in ${arg}`);
        const rest = arg.slice(j + 1);
        if (f.type === "bool") {
          if (rest.startsWith("=")) {
            set(f, rest.slice(1));
            break;
          }
          set(f, "true");
          continue;
        }
        if (rest.length > 0) set(f, rest.startsWith("=") ? rest.slice(1) : rest);
        else if (i + 1 < argv.length) set(f, argv[++i]);
        else throw new UsageError(`flag needs an argument: '${c}' in -${c}`);
        break;
      }
      continue;
    }
    args.push(arg);
  }
  return { values, changed, args };
}

/**
 * The environment variable cosign 2 binds a flag to: `COSIGN_` + the name upper-cased with
 * dashes turned into underscores (cmd/cosign/cli/options/root.go flagToEnvVar).
 */
export function envVarForFlag(name: string): string {
  return `COSIGN_${name.toUpperCase().replaceAll("-", "_")}`;
}

/**
 * Fills flags that were not given on the command line from `COSIGN_<FLAG>` variables, as cosign
 * 2 does through viper. Like viper, an empty variable counts as unset. Unlike cosign, which
 * silently ignores a value it cannot parse, a bad value is a usage error naming the variable.
 *
 * @param parsed the result of {@link parseFlags}, updated in place
 * @param flags the command's flags
 * @param getEnv reads one environment variable
 */
export function bindEnv(
  parsed: Parsed,
  flags: readonly Flag[],
  getEnv: (name: string) => string | undefined,
): void {
  for (const f of flags) {
    if (parsed.changed.has(f.name)) continue;
    const name = envVarForFlag(f.name);
    const text = getEnv(name);
    if (text === undefined || text === "") continue;
    parsed.values[f.name] = convert(f, text, parsed.values[f.name], true, `${name}`);
    parsed.changed.add(f.name);
  }
}

/**
 * Rewrites single-dash long flags the way cosign's main.go does before parsing: `-output`
 * becomes `--output` and `--o` becomes `-o`, each with a deprecation warning.
 *
 * @returns the rewritten arguments and the warnings to print
 */
export function normalizeArgs(argv: readonly string[]): { argv: string[]; warnings: string[] } {
  const out: string[] = [];
  const warnings: string[] = [];
  let ended = false;
  for (const arg of argv) {
    if (ended || arg === "--") {
      ended = true;
      out.push(arg);
      continue;
    }
    if ((arg.startsWith("-") && arg.length === 2) || (arg.startsWith("--") && arg.length >= 4)) {
      out.push(arg);
    } else if (arg.startsWith("--") && arg.length === 3) {
      const replacement = `-${arg[2]}`;
      warnings.push(
        `the flag ${arg} is deprecated and will be removed in a future release. Please use the flag ${replacement}.`,
      );
      out.push(replacement);
    } else if (arg.startsWith("-") && arg.length > 1) {
      let replacement = `-${arg}`;
      let kind = "flag";
      if (replacement === "--version") {
        replacement = "version";
        kind = "subcommand";
      }
      warnings.push(
        `the ${arg} flag is deprecated and will be removed in a future release. Please use the ${replacement} ${kind} instead.`,
      );
      out.push(replacement);
    } else {
      out.push(arg);
    }
  }
  return { argv: out, warnings };
}
