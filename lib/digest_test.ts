import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { digestSync, sha256 } from "./digest.ts";

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
