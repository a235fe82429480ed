import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { RegistryError } from "../errors.ts";
import { intoReader } from "../stream.ts";
import { collect, declaredSize, verifyingStream } from "./verifying_stream.ts";

function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= bytes.length) return c.close();
      c.enqueue(bytes.subarray(off, off + size));
      off += size;
    },
  }, { highWaterMark: 0 });
}

const sha256 = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

Deno.test("verifyingStream() checks small (WebCrypto) and large (incremental) blobs alike", async () => {
  for (const size of [100, 3 * 1024 * 1024 + 17]) {
    const bytes = new Uint8Array(size).map((_, i) => i * 31);
    const digest = sha256(bytes);
    const out = await collect(
      verifyingStream(chunked(bytes, 64 * 1024), digest, { size }, "blob"),
      size,
    );
    assert.deepEqual(out, bytes);
    const wrong = `sha256:${"0".repeat(64)}`;
    await assert.rejects(
      collect(verifyingStream(chunked(bytes, 64 * 1024), wrong, { size }, "blob")),
      { code: "DIGEST_MISMATCH", message: /^blob: digest mismatch: got sha256:/ },
    );
    await assert.rejects(
      collect(verifyingStream(chunked(bytes, 64 * 1024), digest, { maxSize: size - 1 }, "blob")),
      { code: "TOO_LARGE", message: `blob: more than ${size - 1} bytes` },
    );
  }
});

Deno.test("verifyingStream() stops an endless source at byte size + 1 and cancels it", async () => {
  // One byte per chunk, so the count of bytes pulled is exact.
  let pulled = 0;
  let cancelled = false;
  const endless = new ReadableStream<Uint8Array>({
    pull(c) {
      pulled++;
      c.enqueue(new Uint8Array([0x61]));
    },
    cancel() {
      cancelled = true;
    },
  }, { highWaterMark: 0 });
  const digest = sha256(new Uint8Array(260).fill(0x61));
  await assert.rejects(
    collect(verifyingStream(endless, digest, { size: 260, maxSize: 1 << 27 }, "layer")),
    (e) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.code, "TOO_LARGE");
      assert.equal(e.message, "layer: the content is longer than its declared size 260");
      return true;
    },
  );
  assert.equal(pulled, 261);
  assert.equal(cancelled, true);
});

Deno.test("verifyingStream() with a declared size refuses lying lengths", async () => {
  const bytes = new TextEncoder().encode("a payload of some length");
  const cases: Array<[string, Uint8Array, number, string, string]> = [
    // [name, content, declared size, code, message]
    [
      "longer, matching digest",
      bytes,
      bytes.length - 1,
      "TOO_LARGE",
      `x: the content is longer than its declared size ${bytes.length - 1}`,
    ],
    [
      "shorter, matching digest",
      bytes,
      bytes.length + 1,
      "DIGEST_MISMATCH",
      `x: the content has ${bytes.length} bytes, its descriptor declares ${bytes.length + 1}`,
    ],
    [
      "empty, declared 1",
      new Uint8Array(),
      1,
      "DIGEST_MISMATCH",
      "x: the content has 0 bytes, its descriptor declares 1",
    ],
  ];
  for (const [name, content, size, code, message] of cases) {
    for (const chunk of [1, 7, 1024]) {
      await assert.rejects(
        collect(verifyingStream(chunked(content, chunk), sha256(content), { size }, "x")),
        { code, message },
        `${name} (chunks of ${chunk})`,
      );
    }
  }
});

Deno.test("declaredSize() refuses invalid and over-the-cap sizes before any read", () => {
  const cases: Array<[unknown, string, string]> = [
    [-1, "REGISTRY", "w: the descriptor declares an invalid size -1"],
    [1.5, "REGISTRY", "w: the descriptor declares an invalid size 1.5"],
    ["260", "REGISTRY", 'w: the descriptor declares an invalid size "260"'],
    [2 ** 53, "REGISTRY", "w: the descriptor declares an invalid size 9007199254740992"],
    [undefined, "REGISTRY", "w: the descriptor declares an invalid size undefined"],
    [101, "TOO_LARGE", "w: the descriptor declares 101 bytes, more than the limit of 100"],
    [
      200 * 1024 * 1024,
      "TOO_LARGE",
      "w: the descriptor declares 209715200 bytes, more than the limit of 100",
    ],
  ];
  for (const [size, code, message] of cases) {
    assert.throws(() => declaredSize(size, 100, "w"), { code, message }, String(size));
  }
  assert.equal(declaredSize(100, 100, "w"), 100);
  assert.equal(declaredSize(0, 100, "w"), 0);
});

Deno.test("collect() with a size fills one buffer and refuses more", async () => {
  const bytes = new Uint8Array(1000).map((_, i) => i);
  assert.deepEqual(await collect(chunked(bytes, 300), 1000), bytes);
  await assert.rejects(collect(chunked(bytes, 300), 999), RangeError);
});

Deno.test("verifyingStream() hashes what a BYOB consumer reads into one reused buffer", async () => {
  // Small blobs are held back and hashed at the end: they must be copied, since the consumer
  // overwrites its buffer after every read. Large ones are hashed as they pass.
  for (const size of [2500, 3 * 1024 * 1024 + 17]) {
    const bytes = new Uint8Array(size).map((_, i) => i * 31);
    for (const bounds of [{ size }, { maxSize: size }]) {
      const reader = intoReader(verifyingStream(chunked(bytes, 1000), sha256(bytes), bounds, "b"));
      let buf = new ArrayBuffer(700);
      let total = 0;
      let end = 0;
      for (;;) {
        const got = await reader.read(new Uint8Array(buf));
        buf = got.buffer as ArrayBuffer;
        if (got.byteLength === 0) break;
        assert.deepEqual(got, bytes.subarray(total, total + got.byteLength));
        total += got.byteLength;
        end++;
        new Uint8Array(buf).fill(0xee);
      }
      assert.equal(total, size, `${size} ${JSON.stringify(bounds)}`);
      assert.ok(end > 1);
    }
  }
});

Deno.test("collect() with a size reads a byte stream straight into its result, then checks the end", async () => {
  const bytes = new Uint8Array(5000).map((_, i) => i);
  const byteSource = () => new Blob([bytes]).stream();
  assert.deepEqual(await collect(byteSource(), 5000), bytes);
  assert.equal((await collect(byteSource(), 5000)).buffer.byteLength, 5000);
  assert.deepEqual(await collect(byteSource(), 6000), bytes);
  await assert.rejects(collect(byteSource(), 4999), {
    name: "RangeError",
    message: '"stream" is longer than 4999 bytes',
  });
  assert.deepEqual(await collect(new Blob([]).stream(), 0), new Uint8Array());
  await assert.rejects(collect(byteSource(), 0), RangeError);
  // The end is read even when the size is reached: that is where the digest is checked.
  await assert.rejects(
    collect(verifyingStream(byteSource(), `sha256:${"0".repeat(64)}`, { size: 5000 }, "c"), 5000),
    { code: "DIGEST_MISMATCH" },
  );
});
