import assert from "node:assert/strict";
import { lazyStream } from "./stream.ts";

const tick = () => new Promise((r) => setTimeout(r, 0));

function source(chunks: string[], log: string[]) {
  return () => {
    log.push("open");
    return Promise.resolve(
      new ReadableStream<Uint8Array>({
        start(c) {
          for (const t of chunks) c.enqueue(new TextEncoder().encode(t));
          c.close();
        },
        cancel(reason) {
          log.push(`cancel ${reason}`);
        },
      }),
    );
  };
}

Deno.test("lazyStream() with highWaterMark 0 opens the source on the first read, not before", async () => {
  const log: string[] = [];
  const s = lazyStream(source(["ab", "c"], log), 0);
  await tick();
  assert.deepEqual(log, []);
  assert.equal(await new Response(s).text(), "abc");
  assert.deepEqual(log, ["open"]);
});

Deno.test("lazyStream() by default reads one chunk ahead, opening the source when made", async () => {
  const log: string[] = [];
  const s = lazyStream(source(["ab", "c"], log));
  await tick();
  assert.deepEqual(log, ["open"]);
  assert.equal(await new Response(s).text(), "abc");
  assert.deepEqual(log, ["open"]);
});

Deno.test("lazyStream() cancels the opened source when cancelled", async () => {
  const log: string[] = [];
  const reader = lazyStream(source(["ab", "c"], log), 0).getReader();
  assert.equal(new TextDecoder().decode((await reader.read()).value), "ab");
  await reader.cancel("stop");
  assert.deepEqual(log, ["open", "cancel stop"]);
});
