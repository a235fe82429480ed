import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { hashingReader, incrementalDigest, SMALL_INPUT } from "./incremental_digest.ts";
import type { ByteReader } from "./stream.ts";

const node = (alg: string, data: Uint8Array) => createHash(alg).update(data).digest("hex");

/** A reader that hands out `data` in `chunk`-sized pieces and scribbles over the caller's buffer. */
function reusingReader(data: Uint8Array, chunk: number): ByteReader {
  let off = 0;
  return {
    read(p) {
      if (off >= data.length) return Promise.resolve(null);
      const n = Math.min(chunk, p.length, data.length - off);
      p.set(data.subarray(off, off + n));
      off += n;
      return Promise.resolve(n);
    },
  };
}

async function drain(reader: ByteReader): Promise<number> {
  const buf = new Uint8Array(100_000);
  let total = 0;
  for (let n; (n = await reader.read(buf)) !== null;) {
    total += n;
    buf.fill(0xee); // the caller reuses its buffer: the hash must not see this
  }
  return total;
}

Deno.test("hashingReader hashes small and large streams exactly, with a reused buffer", async () => {
  for (const size of [0, 1, 65_537, SMALL_INPUT, SMALL_INPUT + 1, SMALL_INPUT + 300_001]) {
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i += 65_536) crypto.getRandomValues(data.subarray(i, i + 65_536));
    for (const alg of ["sha256", "sha512"] as const) {
      const hashed = hashingReader(reusingReader(data, 70_001), alg);
      assert.equal(await drain(hashed.reader), size);
      assert.equal((await hashed.digest()).toHex(), node(alg, data), `${alg} of ${size} bytes`);
    }
  }
});

Deno.test("incrementalDigest switches to node:crypto past its limit without losing held bytes", async () => {
  const data = crypto.getRandomValues(new Uint8Array(50_000));
  for (const smallLimit of [0, 10_000, 50_000, 1_000_000]) {
    const hash = incrementalDigest("sha256", { smallLimit });
    for (let i = 0; i < data.length; i += 7_000) hash.update(data.subarray(i, i + 7_000));
    assert.equal((await hash.digest()).toHex(), node("sha256", data), `limit ${smallLimit}`);
  }
});
