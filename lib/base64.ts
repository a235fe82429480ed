/**
 * Base64 decoding with the exact acceptance rules of Go's `base64.StdEncoding`, which cosign uses
 * for signatures, PEM bodies and the encrypted-key JSON envelope.
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
