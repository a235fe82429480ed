/**
 * The benchmark script still runs and prints its table (`scripts/bench.ts --quick`: 1 MiB, one
 * run). It checks the shape of the output only: performance is never asserted in tests.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "./peers/run.ts";

Deno.test("scripts/bench.ts --quick prints the comparison table and writes its record", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bench-smoke-" });
  const record = join(dir, "record.json");
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      join(REPO_ROOT, "scripts", "bench.ts"),
      "--quick",
      "--record",
      record,
    ],
    cwd: REPO_ROOT,
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(
    out.code,
    0,
    `bench exited with ${out.code}\nstdout:\n${stdout}\nstderr:\n${stderr}`,
  );

  const lines = stdout.trimEnd().split("\n");
  assert.match(lines[0], /^Machine: .+, nproc \d+, /);
  assert.match(lines[1], /^Versions: ours .+ on Deno \d+\.\d+\.\d+ .*Go cosign v2\.6\.4 /);
  const table = lines.filter((line) => line.startsWith("|"));
  assert.deepEqual(table.slice(0, 2), [
    "| operation | input | ours (s) | Go cosign (s) | ours/Go | ours peak RSS | Go peak RSS |",
    "|---|---|--:|--:|--:|--:|--:|",
  ]);
  const rows = table.slice(2).map((line) =>
    line.split("|").slice(1, -1).map((cell) => cell.trim())
  );
  const operations = [
    "version —",
    "verify --help —",
    "generate-key-pair —",
    "sign-blob 1 MiB",
    "verify-blob 1 MiB",
    "sign 1 image",
    "verify 1 signature",
    "verify 100 signatures",
    "sign-blob + tlog 1 MiB",
    "verify-blob + tlog bundle 1 MiB",
  ];
  assert.deepEqual(rows.map(([operation, input]) => `${operation} ${input}`), operations);
  for (const [, , ours, go, ratio, oursRss, goRss] of rows) {
    assert.match(ours, /^\d+\.\d+$/);
    assert.match(go, /^\d+\.\d+$/);
    assert.match(ratio, /^\d+\.\d\d×$/);
    assert.match(oursRss, /^(\d+ MiB|n\/a)$/);
    assert.match(goRss, /^(\d+ MiB|n\/a)$/);
  }

  // The JSON record: the same rows, with every sample.
  const json = JSON.parse(await Deno.readTextFile(record));
  await Deno.remove(dir, { recursive: true });
  assert.equal(json.schema, 1);
  assert.equal(json.quick, true);
  assert.equal(json.sget, null);
  assert.deepEqual(
    json.rows.map((r: { operation: string; input: string }) => `${r.operation} ${r.input}`),
    operations,
  );
  assert.equal(json.emptyScript.samples.length, 1);
  for (const r of json.rows) {
    assert.equal(r.ours.samples.length, 1);
    assert.equal(r.go.samples.length, 1);
    assert.equal(r.ratio, r.ours.medianSeconds / r.go.medianSeconds);
    assert.ok(r.ours.medianSeconds > 0 && r.go.medianSeconds > 0);
  }
});
