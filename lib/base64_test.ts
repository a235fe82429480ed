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
