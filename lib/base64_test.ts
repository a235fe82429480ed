import assert from "node:assert/strict";
import { decodeStdBase64 } from "./base64.ts";

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
