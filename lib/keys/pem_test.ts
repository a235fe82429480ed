import assert from "node:assert/strict";
import { decodePem, encodePem } from "./pem.ts";
import { VECTORS } from "../../tests/_vectors.ts";

const PUB = VECTORS + "keys/encrypted/cosign-keys_test-pemcosignkey.pub";

Deno.test("decodePem() returns the first block and skips leading text", () => {
  const block = decodePem(
    "junk\nmore junk\n-----BEGIN A-----\naGk=\n-----END A-----\n" +
      "-----BEGIN B-----\nYg==\n-----END B-----\n",
  );
  assert.deepEqual(block, { type: "A", bytes: new TextEncoder().encode("hi"), headers: {} });
});

Deno.test("decodePem() returns null when there is no block", () => {
  assert.equal(decodePem(""), null);
  assert.equal(decodePem("not a pem"), null);
  assert.equal(decodePem("-----BEGIN A-----\naGk=\n"), null);
});

Deno.test("decodePem() requires BEGIN at the start of a line", () => {
  assert.equal(decodePem("x-----BEGIN A-----\naGk=\n-----END A-----\n"), null);
});

Deno.test("decodePem() skips a block whose END type differs or whose body is not base64", () => {
  const text = "-----BEGIN A-----\naGk=\n-----END B-----\n" +
    "-----BEGIN C-----\n!!!!\n-----END C-----\n" +
    "-----BEGIN D-----\nYg==\n-----END D-----\n";
  assert.equal(decodePem(text)?.type, "D");
});

Deno.test("decodePem() accepts CRLF, spaces and tabs in the body, and headers", () => {
  const block = decodePem(
    "-----BEGIN A-----\r\nProc-Type: 4,ENCRYPTED\r\n\r\naG\t k=\r\n-----END A-----\r\n",
  );
  assert.deepEqual(block, {
    type: "A",
    bytes: new TextEncoder().encode("hi"),
    headers: { "Proc-Type": "4,ENCRYPTED" },
  });
});

Deno.test("decodePem() decodes an empty block and reads bytes as Latin-1", () => {
  assert.deepEqual(decodePem("-----BEGIN E-----\n-----END E-----\n")?.bytes, new Uint8Array());
  const bytes = new TextEncoder().encode("\xff\n-----BEGIN A-----\naGk=\n-----END A-----\n");
  assert.equal(decodePem(bytes)?.type, "A");
});

Deno.test("encodePem() writes Go's exact layout with 64-character lines", () => {
  assert.equal(encodePem("T", new Uint8Array()), "-----BEGIN T-----\n-----END T-----\n");
  const pem = encodePem("T", new Uint8Array(49));
  assert.equal(pem, `-----BEGIN T-----\n${"A".repeat(64)}\nAA==\n-----END T-----\n`);
});

Deno.test("encodePem() reproduces a Go-written public key byte for byte", async () => {
  const text = await Deno.readTextFile(PUB);
  const block = decodePem(text)!;
  assert.equal(encodePem(block.type, block.bytes), text);
});
