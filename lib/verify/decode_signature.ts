/**
 * Reading a `--signature` value the way cosign verify-blob's `base64signature` does.
 *
 * @module
 */

import { decodeStdBase64 } from "../base64.ts";

/** Only base64 alphabet, padding and line breaks: text meant as base64. */
const BASE64_TEXT = /^[A-Za-z0-9+/=\r\n]*$/;

/**
 * Decodes a signature file or flag value: standard base64 (Go's `StdEncoding`, which ignores `\r`
 * and `\n`) is decoded; anything else is taken as the raw signature bytes (cosign accepts raw DER
 * files too). Unlike cosign, text made only of base64 characters that does not decode (truncated,
 * bad padding) is rejected instead of being signed over as raw bytes: a real DER or raw signature
 * practically always contains other bytes, so this catches damaged files with a clear message.
 *
 * @param input the file contents or flag value
 * @returns the signature bytes
 * @throws {TypeError} "Cannot decode signature: invalid base64"
 */
export function decodeSignature(input: string | Uint8Array): Uint8Array {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  if (!BASE64_TEXT.test(text)) return bytes;
  try {
    return decodeStdBase64(text);
  } catch (e) {
    throw new TypeError("Cannot decode signature: invalid base64", { cause: e });
  }
}
