import assert from "node:assert/strict";
import { decodeSignature } from "./decode_signature.ts";
import { VECTORS } from "../../tests/_vectors.ts";

const RAW = VECTORS + "signatures/rekor-testdata/x509-hello_world.txt.sig";

Deno.test("decodeSignature() decodes base64 text, ignoring line breaks", () => {
  assert.deepEqual(decodeSignature("AQID"), Uint8Array.of(1, 2, 3));
  assert.deepEqual(decodeSignature(new TextEncoder().encode("AQ\r\nID\n")), Uint8Array.of(1, 2, 3));
  assert.deepEqual(decodeSignature(""), new Uint8Array());
});

Deno.test("decodeSignature() returns raw signature bytes unchanged", async () => {
  const raw = await Deno.readFile(RAW);
  assert.equal(decodeSignature(raw), raw);
  assert.deepEqual(decodeSignature("AQID "), new TextEncoder().encode("AQID "));
});

Deno.test("decodeSignature() rejects truncated base64 text", () => {
  for (const bad of ["AQI", "AQ=D", "MEUCIQ"]) {
    assert.throws(() => decodeSignature(bad), {
      name: "TypeError",
      message: "Cannot decode signature: invalid base64",
    });
  }
});
