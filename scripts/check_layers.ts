/**
 * The layering check: reads every module of `lib/` (tests excluded), follows its relative imports
 * (static, `export … from`, and dynamic `import("…")`), and fails when
 * - a `lib/` folder imports a folder on a higher floor (see {@link FLOORS} and ARCHITECTURE.md),
 * - two folders import each other, directly or through others (a folder cycle),
 * - modules import each other in a circle at run time (a module cycle; `import type` is left out,
 *   as it is erased before evaluation),
 * - `lib/` imports `cli/`, or reads `Deno.args` / `Deno.env` or calls `Deno.exit`.
 *
 * Usage: `deno run --allow-read scripts/check_layers.ts` (exit 1 with one line per problem).
 * `tests/layering_test.ts` runs it in the test suite, so CI fails on a violation. Modelled on
 * denoland/std's `_tools/check_circular_package_dependencies.ts`.
 *
 * @module
 */
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The floors of `lib/`, bottom first: a folder may import its own floor's folders and those below,
 * never one above. `.` is the top-level helpers (`lib/*.ts`).
 */
export const FLOORS: readonly (readonly string[])[] = [
  [".", "asn1"],
  ["keys"],
  ["signature", "x509", "payload", "registry", "oidc", "pkcs11", "kms", "policy"],
  ["rekor", "fulcio", "timestamp", "tuf", "trust"],
  ["oci", "bundle", "sget"],
  ["sign", "verify"],
];

/** One module's relative imports, as paths relative to the repository root. */
export type ModuleGraph = Map<string, Array<{ path: string; typeOnly: boolean }>>;

const IMPORT =
  /(?:\b(import\s+type|export\s+type)\b[^;]*?)?(?:\bfrom|\bimport)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;

/**
 * Reads the module graph of `lib/` (non-test `.ts` files).
 *
 * @param root the repository root
 * @returns each module's relative imports, paths relative to `root`
 */
export async function readGraph(root: string): Promise<ModuleGraph> {
  const graph: ModuleGraph = new Map();
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(join(root, dir))) {
      const path = join(dir, e.name);
      if (e.isDirectory) await walk(path);
      else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
        const src = await Deno.readTextFile(join(root, path));
        graph.set(
          path,
          [...src.matchAll(IMPORT)].map((m) => ({
            path: normalize(join(dirname(path), m[2])),
            typeOnly: m[1] !== undefined,
          })),
        );
      }
    }
  };
  await walk("lib");
  return graph;
}

/** The `lib/` folder of a module (`.` for `lib/*.ts`), or undefined outside lib/. */
function folderOf(path: string): string | undefined {
  const parts = path.split("/");
  if (parts[0] !== "lib") return undefined;
  return parts.length === 2 ? "." : parts[1];
}

function floorOf(folder: string): number {
  return FLOORS.findIndex((f) => f.includes(folder));
}

/**
 * Checks a module graph against the floors.
 *
 * @param graph from {@link readGraph}
 * @param sources module path → source text (for the `Deno.*` rule); optional
 * @returns one line per problem; empty when the layering holds
 */
export function checkLayers(graph: ModuleGraph, sources?: Map<string, string>): string[] {
  const problems: string[] = [];
  const folderEdges = new Map<string, Set<string>>();
  for (const [from, targets] of graph) {
    const a = folderOf(from)!;
    if (floorOf(a) < 0) problems.push(`${from}: the folder lib/${a} has no floor in FLOORS`);
    for (const { path: to } of targets) {
      if (to.startsWith("cli/") || to === "mod.ts") {
        problems.push(`${from} imports ${to}: lib/ never imports the CLI or the package root`);
        continue;
      }
      const b = folderOf(to);
      if (b === undefined || b === a) continue;
      if (!folderEdges.has(a)) folderEdges.set(a, new Set());
      folderEdges.get(a)!.add(b);
      if (floorOf(b) > floorOf(a)) {
        problems.push(`${from} imports ${to}: lib/${a} must not import lib/${b} (a higher floor)`);
      }
    }
  }
  for (const cycle of findCycles(folderEdges)) {
    problems.push(`folder cycle: ${cycle.map((f) => `lib/${f}`).join(" -> ")}`);
  }
  const fileEdges = new Map(
    [...graph].map(([k, v]) => [k, new Set(v.filter((i) => !i.typeOnly).map((i) => i.path))]),
  );
  for (const cycle of findCycles(fileEdges)) problems.push(`module cycle: ${cycle.join(" -> ")}`);
  for (const [path, src] of sources ?? []) {
    const m = /\bDeno\.(args|env|exit)\b/.exec(src.replace(/^\s*(\/\/|\*).*$/gm, ""));
    if (m) problems.push(`${path}: lib/ must not use Deno.${m[1]} (only cli/ does)`);
  }
  return problems;
}

/** Every elementary cycle found by a depth-first search (one per back edge), as node lists. */
function findCycles(edges: Map<string, Set<string>>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "active" | "done">();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, "active");
    stack.push(n);
    for (const m of [...(edges.get(n) ?? [])].sort()) {
      if (state.get(m) === "active") cycles.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, "done");
  };
  for (const n of [...edges.keys()].sort()) if (!state.has(n)) visit(n);
  return cycles;
}

if (import.meta.main) {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const graph = await readGraph(root);
  const sources = new Map<string, string>();
  for (const p of graph.keys()) sources.set(p, await Deno.readTextFile(join(root, p)));
  const problems = checkLayers(graph, sources);
  for (const p of problems) console.error(`layering: ${p}`);
  if (problems.length > 0) Deno.exit(1);
  console.log(
    `layering: ${graph.size} modules of ${
      relative(root, join(root, "lib"))
    }/ on ${FLOORS.length} floors, no upward import, no cycle`,
  );
}
