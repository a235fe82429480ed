import assert from "node:assert/strict";
import { after, sleep } from "./timers.ts";

Deno.test("after() calls once after the delay, and not at all once cancelled", async () => {
  const calls: string[] = [];
  after(5, () => calls.push("a"));
  const cancel = after(5, () => calls.push("b"));
  cancel();
  await sleep(40);
  assert.deepEqual(calls, ["a"]);
});

Deno.test("after() takes negative, fractional and NaN delays as whole milliseconds ≥ 0", async () => {
  const calls: number[] = [];
  for (const ms of [-5, 0.5, NaN]) after(ms, () => calls.push(ms));
  await sleep(30);
  assert.deepEqual(calls.length, 3);
});

Deno.test("sleep() waits at least the delay", async () => {
  const t = performance.now();
  await sleep(30);
  assert.ok(performance.now() - t >= 29, "waited");
});

Deno.test("sleep() rejects with the signal's reason, at once when already aborted", async () => {
  const ctrl = new AbortController();
  const pending = sleep(60_000, ctrl.signal);
  ctrl.abort(new RangeError("stop"));
  await assert.rejects(pending, (e) => e instanceof RangeError && e.message === "stop");
  await assert.rejects(sleep(1, ctrl.signal), (e) => e instanceof RangeError);
});
