/**
 * Peak memory against a hostile registry, measured as the benchmark measures it
 * (scripts/hostile_memory.ts): `verify`, `verify-attestation`, `download signature` and `download
 * attestation` each run in their own process against 20 endless layers declaring 260 bytes each.
 * Each must fail with the size error (not crash out of memory) within 400 MiB of peak RSS; before
 * issue 17 they peaked at 1.2-2.3 GiB. This asserts memory, not time.
 */
import assert from "node:assert/strict";
import { formatMemoryTable, measureHostileMemory } from "../../scripts/hostile_memory.ts";

Deno.test("20 endless layers: every command fails with the size error within 400 MiB", async () => {
  const rows = await measureHostileMemory({ layers: 20, declared: 260, heapMib: 256 });
  const table = formatMemoryTable(rows);
  assert.deepEqual(rows.map((r) => [r.command, r.exitCode]), [
    ["verify", 12],
    ["verify-attestation", 1],
    ["download signature", 1],
    ["download attestation", 1],
  ], table);
  for (const r of rows) {
    assert.equal(r.clean, true, table);
    assert.match(r.lastLine, /: the content is longer than its declared size 260$/, table);
    if (r.peakRss !== null) assert.ok(r.peakRss < 400 * 1024 * 1024, table);
  }
});
