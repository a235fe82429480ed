import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { collect, verifyingStream } from "./verifying_stream.ts";

function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= bytes.length) return c.close();
      c.enqueue(bytes.subarray(off, off + size));
      off += size;
    },
  });
}

Deno.test("verifyingStream() checks small (WebCrypto) and large (incremental) blobs alike", async () => {
  for (const size of [100, 3 * 1024 * 1024 + 17]) {
    const bytes = new Uint8Array(size).map((_, i) => i * 31);
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    const out = await collect(verifyingStream(chunked(bytes, 64 * 1024), digest, size, "blob"));
    assert.deepEqual(out, bytes);
    const wrong = `sha256:${"0".repeat(64)}`;
    await assert.rejects(collect(verifyingStream(chunked(bytes, 64 * 1024), wrong, size, "blob")), {
      code: "DIGEST_MISMATCH",
    });
    await assert.rejects(
      collect(verifyingStream(chunked(bytes, 64 * 1024), digest, size - 1, "blob")),
      { code: "TOO_LARGE" },
    );
  }
});
