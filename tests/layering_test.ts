import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { checkLayers, type ModuleGraph, readGraph } from "../scripts/check_layers.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

Deno.test("lib/ keeps its floors: no upward import, no folder or module cycle, no Deno.args/env/exit", async () => {
  const graph = await readGraph(root);
  const sources = new Map<string, string>();
  for (const p of graph.keys()) sources.set(p, await Deno.readTextFile(root + p));
  assert.deepEqual(checkLayers(graph, sources), []);
  assert.ok(graph.size > 100, `only ${graph.size} modules found`);
});

Deno.test("checkLayers() reports an upward import, a folder cycle, a run-time module cycle and Deno.env", () => {
  const dep = (path: string, typeOnly = false) => ({ path, typeOnly });
  const graph: ModuleGraph = new Map([
    ["lib/rekor/client.ts", [dep("lib/verify/x.ts")]],
    ["lib/verify/x.ts", [dep("lib/rekor/client.ts")]],
    ["lib/keys/a.ts", [dep("lib/keys/b.ts")]],
    ["lib/keys/b.ts", [dep("lib/keys/a.ts"), dep("cli/run.ts")]],
    ["lib/keys/t1.ts", [dep("lib/keys/t2.ts", true)]],
    ["lib/keys/t2.ts", [dep("lib/keys/t1.ts")]],
    ["lib/nowhere/c.ts", []],
  ]);
  assert.deepEqual(
    checkLayers(graph, new Map([["lib/keys/a.ts", "const x = Deno.env.get('X');"]])),
    [
      "lib/rekor/client.ts imports lib/verify/x.ts: lib/rekor must not import lib/verify (a higher floor)",
      "lib/keys/b.ts imports cli/run.ts: lib/ never imports the CLI or the package root",
      "lib/nowhere/c.ts: the folder lib/nowhere has no floor in FLOORS",
      "folder cycle: lib/rekor -> lib/verify -> lib/rekor",
      "module cycle: lib/keys/a.ts -> lib/keys/b.ts -> lib/keys/a.ts",
      "module cycle: lib/rekor/client.ts -> lib/verify/x.ts -> lib/rekor/client.ts",
      "lib/keys/a.ts: lib/ must not use Deno.env (only cli/ does)",
    ],
  );
});
