import assert from "node:assert/strict";
import {
  derBitString,
  derInteger,
  derOid,
  derOidEncode,
  derSequence,
  derUint,
  OID,
  parseDer,
  TAG,
} from "./der.ts";

const hex = (s: string) => Uint8Array.fromHex(s.replace(/\s/g, ""));

Deno.test("parseDer() parses nested constructed values", () => {
  // SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING 00 ab }
  const root = parseDer(hex("300b 3005 0603 2b6570 0302 00ab"));
  assert.equal(root.tag, TAG.SEQUENCE);
  assert.equal(root.children!.length, 2);
  assert.equal(derOid(root.children![0].children![0]), OID.ed25519);
  assert.deepEqual(derBitString(root.children![1]), Uint8Array.of(0xab));
});

Deno.test("parseDer() rejects malformed encodings", () => {
  const table: [string, string][] = [
    ["3003 0201", "DER input truncated"],
    ["0201 05 00", "DER input has trailing data"],
    ["3080 0000", "DER indefinite length is not allowed"],
    ["0281 05 0102030405", "DER length not minimal"],
    ["0282 0005 0102030405", "DER length not minimal"],
    ["0285 0000000001 00", "DER length too large"],
    ["1f01 00", "DER high tag numbers are not supported"],
    ["02", "DER input truncated"],
  ];
  for (const [input, message] of table) {
    assert.throws(() => parseDer(hex(input)), { name: "SyntaxError", message }, input);
  }
});

Deno.test("parseDer() enforces the depth, node and size limits", () => {
  let deep: Uint8Array = Uint8Array.of(0x05, 0x00);
  for (let i = 0; i < 10; i++) deep = derSequence(deep);
  assert.throws(() => parseDer(deep), { message: "DER input nested too deeply" });
  assert.equal(parseDer(deep, { maxDepth: 10 }).tag, TAG.SEQUENCE);
  const many = derSequence(...Array.from({ length: 10 }, () => Uint8Array.of(0x05, 0)));
  assert.throws(() => parseDer(many, { maxNodes: 5 }), {
    message: "DER input has too many elements",
  });
  assert.throws(() => parseDer(many, { maxBytes: 10 }), {
    message: "DER input larger than 10 bytes",
  });
});

Deno.test("derOid() and derOidEncode() round-trip every key OID", () => {
  for (const oid of Object.values(OID)) {
    assert.equal(derOid(parseDer(derOidEncode(oid))), oid);
  }
  assert.deepEqual(derOidEncode(OID.p256), hex("0608 2a8648ce3d030107"));
});

Deno.test("derInteger() reads signed values and rejects non-minimal encodings", () => {
  assert.equal(derInteger(parseDer(hex("0201 7f"))), 127n);
  assert.equal(derInteger(parseDer(hex("0202 0080"))), 128n);
  assert.equal(derInteger(parseDer(hex("0201 ff"))), -1n);
  assert.throws(() => derInteger(parseDer(hex("0202 0001"))), {
    message: "INTEGER not minimally encoded",
  });
  assert.throws(() => derInteger(parseDer(hex("0202 ff80"))), {
    message: "INTEGER not minimally encoded",
  });
});

Deno.test("derUint() writes minimal non-negative INTEGERs", () => {
  assert.deepEqual(derUint(0n), hex("020100"));
  assert.deepEqual(derUint(127n), hex("02017f"));
  assert.deepEqual(derUint(128n), hex("02020080"));
  assert.deepEqual(derUint(hex("000001")), hex("020101"));
  assert.deepEqual(derUint(65537n), hex("0203010001"));
});

Deno.test("derSequence() uses long-form lengths above 127 bytes", () => {
  const body = new Uint8Array(200);
  const enc = derSequence(body);
  assert.deepEqual(enc.subarray(0, 3), hex("3081c8"));
  assert.equal(enc.length, 203);
});
