import assert from "node:assert/strict";
import { concatBytes, lazyStream, readStreamBounded } from "./stream.ts";

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

/** A stream of `chunks` that records whether it was cancelled. */
function chunkStream(chunks: number[][]) {
  const state = { cancelled: false, pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (state.pulled === chunks.length) return c.close();
      c.enqueue(Uint8Array.from(chunks[state.pulled++]));
    },
    cancel() {
      state.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, state };
}

Deno.test("readStreamBounded() joins the chunks of a stream up to the limit", async () => {
  const cases: [number[][], number, number[]][] = [
    [[], 0, []],
    [[[1, 2], [3], [4, 5, 6]], 6, [1, 2, 3, 4, 5, 6]],
    [[[7, 8, 9]], 3, [7, 8, 9]],
  ];
  for (const [chunks, limit, want] of cases) {
    const { stream } = chunkStream(chunks);
    const got = await readStreamBounded(stream, limit, () => new Error("unexpected"));
    assert.deepEqual([...got], want);
  }
});

Deno.test("readStreamBounded() throws the caller's error and cancels the stream past the limit", async () => {
  const { stream, state } = chunkStream([[1, 2], [3, 4], [5, 6], [7]]);
  await assert.rejects(
    readStreamBounded(stream, 3, () => new RangeError("Cannot read thing: larger than 3 bytes")),
    { name: "RangeError", message: "Cannot read thing: larger than 3 bytes" },
  );
  assert.deepEqual(state, { cancelled: true, pulled: 2 });
});

Deno.test("concatBytes() joins parts in order", () => {
  assert.deepEqual(concatBytes([]), new Uint8Array(0));
  assert.deepEqual(concatBytes([Uint8Array.of(1, 2)]), Uint8Array.of(1, 2));
  assert.deepEqual(
    concatBytes([Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3)]),
    Uint8Array.of(1, 2, 3),
  );
});
