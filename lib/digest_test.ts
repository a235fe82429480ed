import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { digestSync, hashingReader, sha256, SMALL_INPUT } from "./digest.ts";
import type { ByteReader } from "./stream.ts";

const hex = (b: Uint8Array) => b.toHex();
const node = (alg: string, ...parts: Uint8Array[]) => {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return h.digest("hex");
};

Deno.test("sha256 and digestSync give the standard digests", () => {
  const abc = new TextEncoder().encode("abc");
  assert.equal(
    hex(sha256(abc)),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(hex(sha256(Uint8Array.of(0), abc)), node("sha256", Uint8Array.of(0), abc));
  assert.equal(hex(sha256()), node("sha256"));
  for (const alg of ["sha256", "sha384", "sha512"] as const) {
    assert.equal(hex(digestSync(alg, abc)), node(alg, abc));
  }
});

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
      assert.equal(hex(await hashed.digest()), node(alg, data), `${alg} of ${size} bytes`);
    }
  }
});
