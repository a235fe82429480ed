import assert from "node:assert/strict";
import {
  derBitString,
  derBitStringBits,
  derBool,
  derBoolean,
  derEncode,
  derInteger,
  derOid,
  derOidEncode,
  derSequence,
  derString,
  derTime,
  derTimeEncode,
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

Deno.test("derBoolean() reads DER booleans and derBool() writes them", () => {
  assert.equal(derBoolean(parseDer(hex("0101ff"))), true);
  assert.equal(derBoolean(parseDer(hex("010100"))), false);
  assert.deepEqual(derBool(true), hex("0101ff"));
  assert.deepEqual(derBool(false), hex("010100"));
  for (const input of ["010101", "0102ffff", "020100"]) {
    assert.throws(() => derBoolean(parseDer(hex(input))), {
      name: "SyntaxError",
      message: "expected a DER BOOLEAN",
    }, input);
  }
});

Deno.test("derTime() reads UTCTime and GeneralizedTime as Go's encoding/asn1 does", () => {
  const enc = new TextEncoder();
  const time = (tag: number, s: string) =>
    derTime(parseDer(Uint8Array.of(tag, s.length, ...enc.encode(s))));
  const ok: [number, string, string, string][] = [
    [TAG.UTC_TIME, "261204155319Z", "2026-12-04T15:53:19.000Z", ""],
    [TAG.UTC_TIME, "491231235959Z", "2049-12-31T23:59:59.000Z", ""],
    [TAG.UTC_TIME, "500101000000Z", "1950-01-01T00:00:00.000Z", ""],
    [TAG.UTC_TIME, "2612041553Z", "2026-12-04T15:53:00.000Z", ""],
    [TAG.GENERALIZED_TIME, "20261204155319.648Z", "2026-12-04T15:53:19.648Z", "648"],
    [TAG.GENERALIZED_TIME, "20261204155319.0001Z", "2026-12-04T15:53:19.000Z", "0001"],
    [TAG.GENERALIZED_TIME, "20261204105319-0500", "2026-12-04T15:53:19.000Z", ""],
    [TAG.GENERALIZED_TIME, "00500101000000Z", "0050-01-01T00:00:00.000Z", ""],
  ];
  for (const [tag, text, iso, fraction] of ok) {
    const t = time(tag, text);
    assert.equal(new Date(t.ms).toISOString(), iso, text);
    assert.equal(t.fraction, fraction, text);
  }
  const bad: [number, string, string][] = [
    [TAG.GENERALIZED_TIME, "20261204155319.10Z", "expected a UTCTime or GeneralizedTime"],
    [TAG.GENERALIZED_TIME, "20261204155319.Z", "expected a UTCTime or GeneralizedTime"],
    [TAG.GENERALIZED_TIME, "20261204155319.1234567891Z", "expected a UTCTime or GeneralizedTime"],
    [TAG.GENERALIZED_TIME, "20261304155319Z", "time out of range"],
    [TAG.GENERALIZED_TIME, "20261204245319Z", "time out of range"],
    [TAG.GENERALIZED_TIME, "20261204155360Z", "time out of range"],
    [TAG.GENERALIZED_TIME, "20261204155319-0000", "time zone out of range"],
    [TAG.UTC_TIME, "20261204155319Z", "expected a UTCTime or GeneralizedTime"],
    [TAG.OCTET_STRING, "261204155319Z", "expected a UTCTime or GeneralizedTime"],
  ];
  for (const [tag, text, message] of bad) {
    assert.throws(() => time(tag, text), { name: "SyntaxError", message }, text);
  }
});
Deno.test("derBitStringBits() returns the bits with zero padding checked", () => {
  assert.deepEqual(derBitStringBits(parseDer(hex("0302 0780"))), {
    bytes: hex("80"),
    unusedBits: 7,
  });
  assert.deepEqual(derBitStringBits(parseDer(hex("0301 00"))), {
    bytes: new Uint8Array(0),
    unusedBits: 0,
  });
  for (const bad of ["0302 0781", "0302 0880", "0301 01", "0300"]) {
    assert.throws(() => derBitStringBits(parseDer(hex(bad))), SyntaxError, bad);
  }
});

Deno.test("derString() reads the string types Go's x509 reads", () => {
  const table: [string, string][] = [
    ["0c03 e282ac", "€"],
    ["1305 412a262d3f", "A*&-?"],
    ["1603 61407e", "a@~"],
    ["1203 313220", "12 "],
    ["1402 e9ff", "éÿ"],
    ["1e06 00610062 0000", "ab"],
  ];
  for (const [input, text] of table) assert.equal(derString(parseDer(hex(input))), text, input);
  const bad: [string, string][] = [
    ["0c01 ff", "invalid UTF-8 string"],
    ["1301 40", "invalid PrintableString"],
    ["1601 80", "invalid IA5String"],
    ["1201 61", "invalid NumericString"],
    ["1e01 61", "invalid BMPString"],
    ["1c04 00000061", "unsupported string type: 28"],
  ];
  for (const [input, message] of bad) {
    assert.throws(() => derString(parseDer(hex(input))), { name: "SyntaxError", message }, input);
  }
});

Deno.test("derTime() reads certificate times as Go's cryptobyte does; derTimeEncode() round-trips", () => {
  const t = (tag: number, s: string) =>
    derTime(parseDer(derEncode(tag, new TextEncoder().encode(s)))).ms;
  const U = TAG.UTC_TIME, G = TAG.GENERALIZED_TIME;
  assert.equal(t(U, "490101000000Z"), Date.UTC(2049, 0, 1));
  assert.equal(t(U, "500101000000Z"), Date.UTC(1950, 0, 1));
  assert.equal(t(U, "2402291230Z"), Date.UTC(2024, 1, 29, 12, 30)); // minutes only
  assert.equal(t(U, "240101000000+0130"), Date.UTC(2023, 11, 31, 22, 30));
  assert.equal(t(G, "20500101000000Z"), Date.UTC(2050, 0, 1));
  assert.equal(t(G, "20240101000000.25Z"), Date.UTC(2024, 0, 1, 0, 0, 0, 250));
  assert.equal(t(G, "20240101000000-0200"), Date.UTC(2024, 0, 1, 2));
  for (
    const [tag, s] of [
      [U, "240101000000"],
      [U, "20240101000000Z"],
      [U, "230229000000Z"],
      [U, "240101240000Z"],
      [U, "240101000060Z"],
      [G, "20240101000000.50Z"],
      [G, "20240101000000.Z"],
      [G, "202401010000Z"],
      [G, "20240101000000+2400"],
      [TAG.OCTET_STRING, "240101000000Z"],
    ] as const
  ) {
    assert.throws(() => t(tag, s), SyntaxError, s);
  }
  for (
    const ms of [Date.UTC(1950, 0, 1), Date.UTC(2049, 11, 31, 23, 59, 59), Date.UTC(2050, 0, 1)]
  ) {
    assert.equal(derTime(parseDer(derTimeEncode(ms))).ms, ms);
  }
  assert.equal(derTimeEncode(Date.UTC(2050, 0, 1))[0], TAG.GENERALIZED_TIME);
});
