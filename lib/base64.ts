/**
 * Base64 decoding with the exact acceptance rules of Go's `base64.StdEncoding`, which cosign uses
 * for signatures, PEM bodies and the encrypted-key JSON envelope, and of protobuf JSON `bytes`
 * fields (Sigstore bundles, trusted roots).
 *
 * @module
 */

const STD_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes standard, padded base64 the way Go's `base64.StdEncoding.DecodeString` does: `\r` and
 * `\n` anywhere are ignored, padding is required, any other character is an error. Like Go (and
 * unlike `StrictEncoding`) non-zero trailing bits in the last group are accepted.
 *
 * @param text the base64 text
 * @returns the decoded bytes
 * @throws {SyntaxError} when `text` is not valid padded standard base64
 */
export function decodeStdBase64(text: string): Uint8Array {
  const s = text.replace(/[\r\n]/g, "");
  if (s.length % 4 !== 0 || !STD_BASE64.test(s)) {
    throw new SyntaxError("Cannot decode base64: invalid standard base64 text");
  }
  return Uint8Array.fromBase64(s, { lastChunkHandling: "loose" });
}

const PROTOJSON_BYTES = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Decodes a protobuf JSON `bytes` field as protojson does: standard or URL-safe base64 (the
 * URL-safe alphabet when the text has `-` or `_`), padding optional, non-zero trailing bits
 * accepted.
 *
 * @param text the field's string
 * @returns the decoded bytes
 * @throws {SyntaxError} "Cannot decode base64: invalid protobuf JSON bytes"
 */
export function decodeProtojsonBytes(text: string): Uint8Array {
  const fail = (cause?: unknown) =>
    new SyntaxError("Cannot decode base64: invalid protobuf JSON bytes", { cause });
  if (!PROTOJSON_BYTES.test(text)) throw fail();
  try {
    return Uint8Array.fromBase64(text, {
      alphabet: /[-_]/.test(text) ? "base64url" : "base64",
      lastChunkHandling: "loose",
    });
  } catch (e) {
    throw fail(e);
  }
}
