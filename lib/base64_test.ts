import assert from "node:assert/strict";
import { decodeProtojsonBytes, decodeStdBase64 } from "./base64.ts";

Deno.test("decodeStdBase64() decodes padded standard base64", () => {
  assert.deepEqual(decodeStdBase64("aGk+Pw=="), new TextEncoder().encode("hi>?"));
  assert.deepEqual(decodeStdBase64(""), new Uint8Array());
});

Deno.test("decodeStdBase64() ignores CR and LF anywhere, like Go", () => {
  assert.deepEqual(decodeStdBase64("aG\r\nk+\nPw==\n"), new TextEncoder().encode("hi>?"));
});

Deno.test("decodeStdBase64() accepts non-zero trailing bits, like Go's StdEncoding", () => {
  assert.deepEqual(decodeStdBase64("QR=="), Uint8Array.of(0x41));
});

Deno.test("decodeStdBase64() rejects missing padding, spaces and URL-safe characters", () => {
  for (const bad of ["QQ", "QQ= =", "QQ==QQ==", "a-_b", "Q Q=="]) {
    assert.throws(() => decodeStdBase64(bad), {
      name: "SyntaxError",
      message: "Cannot decode base64: invalid standard base64 text",
    });
  }
});

Deno.test("decodeProtojsonBytes() takes standard or URL-safe base64, padded or not", () => {
  const cases: [string, number[]][] = [
    ["", []],
    ["aGk+Pw==", [0x68, 0x69, 0x3e, 0x3f]],
    ["aGk+Pw", [0x68, 0x69, 0x3e, 0x3f]],
    ["aGk-Pw==", [0x68, 0x69, 0x3e, 0x3f]],
    ["aGk-Pw", [0x68, 0x69, 0x3e, 0x3f]],
    ["_w", [0xff]],
    ["QR==", [0x41]],
  ];
  for (const [text, want] of cases) {
    assert.deepEqual(decodeProtojsonBytes(text), Uint8Array.from(want), text);
  }
});

Deno.test("decodeProtojsonBytes() refuses other characters, mixed alphabets and a lone character", () => {
  for (const bad of ["a b=", "aGk+Pw\n", "+_==", "Q", "QQ===", "QQ=Q"]) {
    assert.throws(() => decodeProtojsonBytes(bad), {
      name: "SyntaxError",
      message: "Cannot decode base64: invalid protobuf JSON bytes",
    }, bad);
  }
});

const GO_STD_DECODE: { input: string; ok: boolean; hex?: string; error?: string }[] = JSON.parse(
  await Deno.readTextFile(new URL("../tests/fixtures/base64/go_std_decode.json", import.meta.url)),
);

Deno.test("decodeStdBase64() accepts and refuses exactly what Go's base64.StdEncoding.DecodeString does", () => {
  assert.ok(GO_STD_DECODE.length >= 20);
  for (const v of GO_STD_DECODE) {
    if (v.ok) {
      assert.equal(decodeStdBase64(v.input).toHex(), v.hex ?? "", JSON.stringify(v.input));
    } else {
      assert.throws(() => decodeStdBase64(v.input), SyntaxError, JSON.stringify(v.input));
    }
  }
});

Deno.test("strict last-chunk decoding (the copies this replaced) refuses what Go accepts", () => {
  // cosign reads DSSE payloads with StdEncoding, which is not Strict(): non-zero trailing bits in
  // the last group are accepted. A strict decoder refused such envelopes that Go verifies.
  const loose = GO_STD_DECODE.filter((v) => v.ok && ["QR==", "QUJ=", "e31="].includes(v.input));
  assert.equal(loose.length, 3);
  for (const v of loose) {
    assert.throws(
      () => Uint8Array.fromBase64(v.input, { lastChunkHandling: "strict" }),
      SyntaxError,
    );
    assert.equal(decodeStdBase64(v.input).toHex(), v.hex);
  }
});
