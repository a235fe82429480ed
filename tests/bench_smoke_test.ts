/**
 * The benchmark script still runs and prints its table (`scripts/bench.ts --quick`: 1 MiB, one
 * run). It checks the shape of the output only: performance is never asserted in tests.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "./peers/run.ts";

Deno.test("scripts/bench.ts --quick prints the comparison table", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", join(REPO_ROOT, "scripts", "bench.ts"), "--quick"],
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
  assert.deepEqual(rows.map(([operation, input]) => `${operation} ${input}`), [
    "generate-key-pair —",
    "sign-blob 1 MiB",
    "verify-blob 1 MiB",
    "sign 1 image",
    "verify 1 signature",
    "verify 100 signatures",
    "sign-blob + tlog 1 MiB",
    "verify-blob + tlog bundle 1 MiB",
  ]);
  for (const [, , ours, go, ratio, oursRss, goRss] of rows) {
    assert.match(ours, /^\d+\.\d+$/);
    assert.match(go, /^\d+\.\d+$/);
    assert.match(ratio, /^\d+\.\d\d×$/);
    assert.match(oursRss, /^(\d+ MiB|n\/a)$/);
    assert.match(goRss, /^(\d+ MiB|n\/a)$/);
  }
});
