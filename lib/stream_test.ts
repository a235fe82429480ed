import assert from "node:assert/strict";
import {
  AUTO_CHUNK_SIZE,
  byteStream,
  concatBytes,
  intoReader,
  lazyStream,
  readStreamBounded,
} from "./stream.ts";

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

/** A byte stream over `bytes` that records the size of every view it is asked to fill. */
function recordingByteSource(bytes: Uint8Array, asked: number[]): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    type: "bytes",
    pull(c) {
      const v = c.byobRequest!.view as Uint8Array;
      asked.push(v.byteLength);
      if (off >= bytes.length) {
        c.close();
        c.byobRequest!.respond(0);
        return;
      }
      const n = Math.min(v.byteLength, bytes.length - off);
      v.set(bytes.subarray(off, off + n));
      off += n;
      c.byobRequest!.respond(n);
    },
    autoAllocateChunkSize: 7,
  });
}

/** Passes a stream through one {@link byteStream} layer, as http.ts and verifyingStream do. */
function layer(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = intoReader(stream);
  return byteStream((view) => reader.read(view), (reason) => reader.cancel(reason));
}

/** Reads everything through one reused buffer of `size` bytes; returns the bytes and read sizes. */
async function readReusing(
  stream: ReadableStream<Uint8Array>,
  size: number,
): Promise<{ bytes: Uint8Array; reads: number[]; detached: boolean }> {
  const reader = intoReader(stream);
  const first = new ArrayBuffer(size);
  let buf = first;
  const out: number[] = [];
  const reads: number[] = [];
  for (;;) {
    const got = await reader.read(new Uint8Array(buf));
    assert.equal(got.byteOffset, 0);
    buf = got.buffer as ArrayBuffer;
    if (got.byteLength === 0) break;
    reads.push(got.byteLength);
    out.push(...got);
    // The consumer reuses its buffer: whatever was read must not be needed any more.
    new Uint8Array(buf).fill(0xee);
  }
  assert.equal(buf.byteLength, size);
  return { bytes: new Uint8Array(out), reads, detached: first.detached };
}

const sample = new Uint8Array(2500).map((_, i) => (i * 7) & 0xff);

Deno.test("intoReader() reads a byte stream with BYOB reads into the caller's buffer", async () => {
  const asked: number[] = [];
  const { bytes, reads, detached } = await readReusing(recordingByteSource(sample, asked), 1000);
  assert.deepEqual(bytes, sample);
  assert.deepEqual(reads, [1000, 1000, 500]);
  assert.deepEqual(asked, [1000, 1000, 1000, 1000]);
  // The buffer went to the source and came back transferred.
  assert.equal(detached, true);
});

Deno.test("intoReader() copies a default stream's chunks, keeping what does not fit", async () => {
  const chunks = [sample.subarray(0, 10), sample.subarray(10, 1700), sample.subarray(1700)];
  const source = new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk);
      c.close();
    },
  });
  const { bytes, reads, detached } = await readReusing(source, 1000);
  assert.deepEqual(bytes, sample);
  assert.deepEqual(reads, [10, 1000, 690, 800]);
  assert.equal(detached, false);
  // The source's chunks are copied, never taken over.
  assert.equal(sample.buffer.detached, false);
});

Deno.test("byteStream() passes a BYOB consumer's buffer down to the source, through every layer", async () => {
  const asked: number[] = [];
  const { bytes, reads } = await readReusing(
    layer(layer(recordingByteSource(sample, asked))),
    1200,
  );
  assert.deepEqual(bytes, sample);
  assert.deepEqual(reads, [1200, 1200, 100]);
  assert.deepEqual(asked, [1200, 1200, 1200, 1200]);
});

Deno.test("byteStream() gives a default reader chunks of AUTO_CHUNK_SIZE at most", async () => {
  const big = new Uint8Array(AUTO_CHUNK_SIZE * 2 + 5).fill(3);
  const asked: number[] = [];
  const sizes: number[] = [];
  for await (const chunk of layer(recordingByteSource(big, asked))) sizes.push(chunk.length);
  assert.deepEqual(sizes, [AUTO_CHUNK_SIZE, AUTO_CHUNK_SIZE, 5]);
  assert.deepEqual(asked, [AUTO_CHUNK_SIZE, AUTO_CHUNK_SIZE, AUTO_CHUNK_SIZE, AUTO_CHUNK_SIZE]);
  assert.equal(
    await new Response(layer(recordingByteSource(sample, []))).bytes().then((b) => b.length),
    2500,
  );
});

Deno.test("byteStream() errors when its read fails, and passes a cancel on to the source", async () => {
  const failing = byteStream(() => Promise.reject(new RangeError("boom")), () => {});
  await assert.rejects(intoReader(failing).read(new Uint8Array(8)), {
    name: "RangeError",
    message: "boom",
  });
  await assert.rejects(
    new Response(byteStream(() => Promise.reject(new RangeError("boom")), () => {})).text(),
    RangeError,
  );

  const log: string[] = [];
  const source = new ReadableStream<Uint8Array>({
    pull(c) {
      c.enqueue(new Uint8Array([1, 2, 3]));
    },
    cancel(reason) {
      log.push(`cancel ${reason}`);
    },
  });
  const reader = intoReader(layer(layer(source)));
  assert.deepEqual([...await reader.read(new Uint8Array(2))], [1, 2]);
  await reader.cancel("enough");
  assert.deepEqual(log, ["cancel enough"]);
});
