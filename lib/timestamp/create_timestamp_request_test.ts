import assert from "node:assert/strict";
import { fixture } from "../../tests/helpers/timestamp_fixtures.ts";
import { createTimestampRequest } from "./create_timestamp_request.ts";
import { parseDer } from "../asn1/der.ts";

Deno.test("createTimestampRequest() writes the request OpenSSL writes, byte for byte", () => {
  const req = createTimestampRequest({
    signature: fixture("openssl-query/sig.bin"),
    nonce: 0xF6C4480EF03F9872n,
  });
  assert.deepEqual(req.der, fixture("openssl-query/req.tsq"));
  assert.equal(req.hash, "sha256");
  assert.equal(
    req.hashedMessage.toHex(),
    "0e68a8bf780e15becfa20211829eaa1b8e45b09707b54d7d701d8b78bc779b84",
  );
});

const SHA384_ABC =
  "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7";

Deno.test("createTimestampRequest() writes the hash, policy and certReq asked for", () => {
  const abc = new TextEncoder().encode("abc");
  const req = createTimestampRequest({
    signature: abc,
    hash: "sha384",
    nonce: 0x80n,
    certReq: false,
    policy: "1.3.6.1.4.1.57264.2",
  });
  assert.equal(
    req.der.toHex(),
    "3055" + "020101" +
      "3041" + "300d" + "0609608648016503040202" + "0500" + "0430" + SHA384_ABC +
      "0609" + "2b0601040183bf3002" + // policy
      "02020080", // nonce; certReq FALSE is left out (DER omits a DEFAULT value)
  );
});

Deno.test("createTimestampRequest() draws a fresh positive nonce below 2^159 each time", () => {
  const a = createTimestampRequest({ signature: Uint8Array.of(1) });
  const b = createTimestampRequest({ signature: Uint8Array.of(1) });
  assert.notEqual(a.nonce, b.nonce);
  for (const n of [a.nonce, b.nonce]) assert.ok(n >= 0n && n < 1n << 159n);
  assert.equal(parseDer(a.der).children!.length, 4);
});

Deno.test("createTimestampRequest() refuses a negative nonce", () => {
  assert.throws(() => createTimestampRequest({ signature: Uint8Array.of(1), nonce: -1n }), {
    name: "RangeError",
    message: "Cannot create timestamp request: negative nonce",
  });
});
