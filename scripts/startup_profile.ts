/**
 * Start-up profile: what each command costs before it does its work, against an empty Deno
 * script, and which modules it loads.
 *
 *     deno run -A scripts/startup_profile.ts            # 15 runs per command
 *     deno run -A scripts/startup_profile.ts --runs 31 --json
 *
 * For each command (`cosign version`, `cosign verify --help`, `cosign generate-key-pair`,
 * `sget --help`; Go cosign's first three when its peer is installed) it prints the median wall
 * time and, with GNU `/usr/bin/time`, the median CPU time (user + system: steadier than wall time on
 * a busy machine) and the peak RSS, each also as the difference to an empty Deno script run the
 * same way; then the modules the command loaded (ours, npm, `node:` built-ins) as Deno's debug log
 * names them, and the static import graph of the entry point (`deno info --json`): what start-up
 * would load if every dynamic `import()` were followed eagerly.
 *
 * Runs are interleaved (one of each command in turn) so that a busy machine slows all alike.
 * Ours runs exactly as `deno task cosign` / `deno task sget` run it.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { cosignPath } from "../tests/peers/cosign.ts";
import { childEnv, OURS_PERMISSIONS, OURS_RUN_FLAGS, REPO_ROOT } from "../tests/peers/run.ts";

interface Case {
  name: string;
  program: string;
  args: string[];
  /** Runs before each run (a fresh output prefix for generate-key-pair). */
  prepare?: (dir: string, i: number) => string[];
  /** The entry point of ours, for the module lists. */
  entry?: string;
}

interface Sample {
  wallMs: number;
  cpuMs: number | null;
  rssKiB: number | null;
}

const decoder = new TextDecoder();

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function hasGnuTime(): Promise<boolean> {
  try {
    return (await new Deno.Command("/usr/bin/time", {
      args: ["-f", "%e", "true"],
      stdout: "null",
      stderr: "null",
    }).output()).success;
  } catch {
    return false;
  }
}

async function runOnce(
  c: Case,
  args: string[],
  dir: string,
  env: Record<string, string>,
  gnuTime: boolean,
): Promise<Sample> {
  const timeFile = join(dir, "time.txt");
  const [program, programArgs] = gnuTime
    ? ["/usr/bin/time", ["-f", "%U %S %M", "-o", timeFile, c.program, ...args]]
    : [c.program, args];
  const started = performance.now();
  const out = await new Deno.Command(program, {
    args: programArgs,
    cwd: dir,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const wallMs = performance.now() - started;
  if (!out.success) {
    throw new Error(`${c.name} exited with ${out.code}:\n${decoder.decode(out.stderr)}`);
  }
  if (!gnuTime) return { wallMs, cpuMs: null, rssKiB: null };
  const [user, system, rss] = (await Deno.readTextFile(timeFile)).trim().split(/\s+/).map(Number);
  return { wallMs, cpuMs: (user + system) * 1000, rssKiB: rss };
}

/**
 * The modules one run loads, from Deno's debug log: local files as its file fetcher reads them, npm
 * files as their imports are resolved, and the `node:` modules imported statically.
 */
async function loadedModules(
  c: Case,
  dir: string,
  env: Record<string, string>,
): Promise<{ ours: string[]; npm: string[]; node: string[] }> {
  const args = c.prepare ? c.prepare(dir, 9999) : c.args;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [args[0], "-L", "debug", ...args.slice(1)],
    cwd: dir,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  // deno-lint-ignore no-control-regex
  const log = decoder.decode(out.stderr).replace(/\x1b\[[0-9;]*m/g, "");
  const root = `file://${REPO_ROOT}/`;
  const ours = new Set<string>();
  const npm = new Set<string>();
  const node = new Set<string>();
  // Local modules as the file fetcher reads them; npm modules as their imports are resolved.
  for (const m of log.matchAll(/fetch_no_follow - specifier: (file:\/\/\S+)/g)) {
    if (m[1].startsWith(root)) ours.add(m[1].slice(root.length));
  }
  const npmName = (url: string) => url.replace(/^.*\/npm\/[^/]+\//, "");
  for (const m of log.matchAll(/resolving in npm package: specifier=(\S+) referrer=(file:\S+)/g)) {
    npm.add(npmName(m[2]));
    if (m[1].startsWith(".")) npm.add(npmName(new URL(m[1], m[2]).href));
  }
  for (const m of log.matchAll(/Specifier "(node:[\w/]+)" was not mapped/g)) node.add(m[1]);
  return { ours: [...ours].sort(), npm: [...npm].sort(), node: [...node].sort() };
}

/** Modules and bytes of the static graph of an entry point, with and without dynamic imports. */
async function staticGraph(
  entry: string,
): Promise<{ static: [number, number]; all: [number, number] }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  const info = JSON.parse(decoder.decode(out.stdout)) as {
    roots: string[];
    redirects?: Record<string, string>;
    modules: {
      specifier: string;
      size?: number;
      dependencies?: { isDynamic?: boolean; code?: { specifier?: string } }[];
    }[];
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const walk = (followDynamic: boolean): [number, number] => {
    const seen = new Set<string>();
    const stack = [...info.roots];
    while (stack.length) {
      const raw = stack.pop()!;
      const s = info.redirects?.[raw] ?? raw;
      if (seen.has(s)) continue;
      seen.add(s);
      for (const d of bySpecifier.get(s)?.dependencies ?? []) {
        if (d.isDynamic && !followDynamic) continue;
        if (d.code?.specifier) stack.push(d.code.specifier);
      }
    }
    let bytes = 0;
    for (const s of seen) bytes += bySpecifier.get(s)?.size ?? 0;
    return [seen.size, bytes];
  };
  return { static: walk(false), all: walk(true) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string", default: "15" },
      json: { type: "boolean", default: false },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`"--runs" expected a count`);

  const dir = await Deno.makeTempDir({ prefix: "startup-profile-" });
  try {
    const empty = join(dir, "empty.ts");
    await Deno.writeTextFile(empty, "");
    const deno = Deno.execPath();
    const cosign = join(REPO_ROOT, "cli", "cosign.ts");
    const sget = join(REPO_ROOT, "cli", "sget.ts");
    const ours = (entry: string, args: string[]) => [
      "run",
      ...OURS_RUN_FLAGS,
      ...OURS_PERMISSIONS,
      entry,
      ...args,
    ];
    const cases: Case[] = [
      { name: "empty Deno script", program: deno, args: ["run", ...OURS_RUN_FLAGS, empty] },
      { name: "cosign version", program: deno, args: ours(cosign, ["version"]), entry: cosign },
      {
        name: "cosign verify --help",
        program: deno,
        args: ours(cosign, ["verify", "--help"]),
        entry: cosign,
      },
      {
        name: "cosign generate-key-pair",
        program: deno,
        args: [],
        prepare: (_, i) => ours(cosign, ["generate-key-pair", "--output-key-prefix", `ours-${i}`]),
        entry: cosign,
      },
      { name: "sget --help", program: deno, args: ours(sget, ["--help"]), entry: sget },
    ];
    try {
      const go = cosignPath();
      await Deno.stat(go);
      cases.push(
        { name: "Go cosign version", program: go, args: ["version"] },
        { name: "Go cosign verify --help", program: go, args: ["verify", "--help"] },
        {
          name: "Go cosign generate-key-pair",
          program: go,
          args: [],
          prepare: (_, i) => ["generate-key-pair", "--output-key-prefix", `go-${i}`],
        },
      );
    } catch { /* no Go peer: ours only */ }

    // The interop tests' sandbox: own HOME, the same DENO_DIR, no network, an empty password.
    const env = await childEnv({ cwd: dir, home: dir, password: "" });

    const gnuTime = await hasGnuTime();
    // One warm-up run each (module and code caches), not counted.
    for (const c of cases) {
      await runOnce(c, c.prepare ? c.prepare(dir, -1) : c.args, dir, env, false);
    }
    const samples = new Map<Case, Sample[]>(cases.map((c) => [c, []]));
    for (let i = 0; i < runs; i++) {
      console.error(`startup_profile: run ${i + 1}/${runs}`);
      for (const c of cases) {
        samples.get(c)!.push(
          await runOnce(c, c.prepare ? c.prepare(dir, i) : c.args, dir, env, gnuTime),
        );
      }
    }

    const base = samples.get(cases[0])!;
    const baseWall = median(base.map((s) => s.wallMs));
    const baseCpu = gnuTime ? median(base.map((s) => s.cpuMs!)) : NaN;
    const report = [];
    for (const c of cases) {
      const s = samples.get(c)!;
      const wall = median(s.map((x) => x.wallMs));
      const cpu = gnuTime ? median(s.map((x) => x.cpuMs!)) : null;
      const rss = gnuTime ? Math.max(...s.map((x) => x.rssKiB!)) / 1024 : null;
      const modules = c.program === deno && c !== cases[0]
        ? await loadedModules(c, dir, env)
        : undefined;
      const graph = c.entry ? await staticGraph(c.entry) : undefined;
      report.push({
        name: c.name,
        wallMs: wall,
        wallOverEmptyMs: c.program === deno ? wall - baseWall : null,
        cpuMs: cpu,
        cpuOverEmptyMs: cpu !== null && c.program === deno ? cpu - baseCpu : null,
        peakRssMiB: rss,
        modules,
        graph,
      });
    }

    if (values.json) {
      console.log(JSON.stringify({ runs, gnuTime, report }, null, 2));
      return;
    }
    const ms = (v: number | null) => v === null ? "n/a" : v.toFixed(0);
    const plus = (v: number | null) => v === null ? "" : ` (${v >= 0 ? "+" : ""}${v.toFixed(0)})`;
    console.log(
      `Median of ${runs} runs; in parentheses the difference to the empty Deno script.` +
        (gnuTime ? "" : " (No /usr/bin/time: wall time only.)"),
    );
    console.log("");
    console.log(
      "| command | wall ms | CPU ms | peak RSS | modules loaded (ours / npm / node: imports) |",
    );
    console.log("|---|--:|--:|--:|---|");
    for (const r of report) {
      const m = r.modules
        ? `${r.modules.ours.length} / ${r.modules.npm.length} / ${r.modules.node.join(" ") || "—"}`
        : "—";
      console.log(
        `| ${r.name} | ${ms(r.wallMs)}${plus(r.wallOverEmptyMs)} | ${ms(r.cpuMs)}${
          plus(r.cpuOverEmptyMs)
        } | ${r.peakRssMiB === null ? "n/a" : `${r.peakRssMiB.toFixed(0)} MiB`} | ${m} |`,
      );
    }
    console.log("");
    for (const r of report.filter((r) => r.modules)) {
      console.log(`${r.name}: ${r.modules!.ours.join(" ")}`);
      if (r.modules!.npm.length) console.log(`  npm: ${r.modules!.npm.join(" ")}`);
      if (r.graph) {
        console.log(
          `  static import graph of the entry: ${r.graph.static[0]} modules, ` +
            `${(r.graph.static[1] / 1024).toFixed(0)} KiB; with every dynamic import: ` +
            `${r.graph.all[0]} modules, ${(r.graph.all[1] / 1024).toFixed(0)} KiB`,
        );
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
