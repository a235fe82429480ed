import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { parsePkcs1, parsePkcs8, parseSec1 } from "./_private_der.ts";

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
const DER = {
  pkcs1: new Uint8Array(rsa.export({ format: "der", type: "pkcs1" })),
  sec1: new Uint8Array(ec.export({ format: "der", type: "sec1" })),
  pkcs8: new Uint8Array(ec.export({ format: "der", type: "pkcs8" })),
  garbage: Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00),
};
const hint = (f: string) =>
  `x509: failed to parse private key (use Parse${f}PrivateKey instead for this key format)`;

Deno.test("the private key parsers name the format they were handed, as Go's x509 does", () => {
  const cases: [(der: Uint8Array) => unknown, keyof typeof DER, string][] = [
    [parsePkcs1, "pkcs8", hint("PKCS8")],
    [parsePkcs1, "sec1", hint("EC")],
    [parsePkcs1, "garbage", "x509: invalid RSA private key"],
    [parseSec1, "pkcs8", hint("PKCS8")],
    [parseSec1, "pkcs1", hint("PKCS1")],
    [parseSec1, "garbage", "x509: failed to parse EC private key: malformed ECPrivateKey"],
    [parsePkcs8, "sec1", hint("EC")],
    [parsePkcs8, "pkcs1", hint("PKCS1")],
    [parsePkcs8, "garbage", "x509: malformed PKCS #8 private key"],
  ];
  for (const [parse, input, message] of cases) {
    assert.throws(() => parse(DER[input]), { message }, `${parse.name}(${input})`);
  }
  assert.equal(parsePkcs1(DER.pkcs1).asymmetricKeyType, "rsa");
  assert.equal(parseSec1(DER.sec1).asymmetricKeyType, "ec");
  assert.equal(parsePkcs8(DER.pkcs8).asymmetricKeyType, "ec");
});
