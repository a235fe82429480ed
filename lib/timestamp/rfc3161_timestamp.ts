/**
 * cosign's own container of a timestamp, `bundle.RFC3161Timestamp` (pkg/cosign/bundle/tsa.go):
 * `{"SignedRFC3161Timestamp":"<base64 DER TimeStampResp>"}`. It is what cosign writes
 *
 * - as the `dev.sigstore.cosign/rfc3161timestamp` annotation of a signature layer,
 * - into `sign-blob` / `attest-blob --rfc3161-timestamp <file>` (`--rfc3161-timestamp-bundle`),
 *   read back by `verify-blob --rfc3161-timestamp`,
 * - as the `RFC3161Timestamp` field of `download signature` output and of `verify -o json`'s
 *   `Optional` map.
 *
 * @module
 */
import { MAX_TIMESTAMP_BYTES } from "./parse_timestamp_token.ts";

/** The field name Go's `encoding/json` writes for `SignedRFC3161Timestamp []byte`. */
const FIELD = "SignedRFC3161Timestamp";

function bad(detail: string): SyntaxError {
  return new SyntaxError(`Cannot read RFC 3161 timestamp: ${detail}`);
}

/**
 * Reads cosign's `{"SignedRFC3161Timestamp":"<base64>"}` with Go's `encoding/json` rules: the
 * field name matches case-insensitively, the value is padded standard base64 (line breaks
 * ignored), and a missing or null field gives empty bytes (which then fail verification, as in
 * cosign).
 *
 * @param input the JSON text (file contents or annotation value), or the already parsed object
 *   (e.g. the `RFC3161Timestamp` field of a larger document)
 * @returns the DER TimeStampResp
 * @throws {SyntaxError} "Cannot read RFC 3161 timestamp: …" for invalid JSON, a value that is not
 *   an object, or bad base64
 * @throws {RangeError} when the input or the timestamp is larger than the bounds
 * @example
 * ```ts
 * const der = parseRfc3161Timestamp(await Deno.readTextFile("timestamp.json"));
 * ```
 */
export function parseRfc3161Timestamp(input: string | Uint8Array | object): Uint8Array {
  let value: unknown = input;
  if (typeof input === "string" || input instanceof Uint8Array) {
    const size = typeof input === "string" ? input.length : input.byteLength;
    if (size > 2 * MAX_TIMESTAMP_BYTES) {
      throw new RangeError(
        `Cannot read RFC 3161 timestamp: larger than ${2 * MAX_TIMESTAMP_BYTES} bytes`,
      );
    }
    const text = typeof input === "string" ? input : new TextDecoder().decode(input);
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new SyntaxError(`Cannot read RFC 3161 timestamp: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }
  if (value === null) return new Uint8Array(0);
  if (typeof value !== "object" || Array.isArray(value)) throw bad("not a JSON object");
  const record = value as Record<string, unknown>;
  // Go prefers the exact name, then any case-insensitive match.
  const key = FIELD in record
    ? FIELD
    : Object.keys(record).find((k) => k.toLowerCase() === FIELD.toLowerCase());
  const field = key === undefined ? null : record[key];
  if (field === null) return new Uint8Array(0);
  if (typeof field !== "string") throw bad(`${FIELD} is not a base64 string`);
  const b64 = field.replace(/[\r\n]/g, "");
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64)) {
    throw bad(`${FIELD} is not valid base64`);
  }
  const der = Uint8Array.fromBase64(b64);
  if (der.length > MAX_TIMESTAMP_BYTES) {
    throw new RangeError(
      `Cannot read RFC 3161 timestamp: larger than ${MAX_TIMESTAMP_BYTES} bytes`,
    );
  }
  return der;
}

/**
 * Writes cosign's `{"SignedRFC3161Timestamp":"<base64>"}`, byte for byte what Go's
 * `json.Marshal(bundle.RFC3161Timestamp{…})` produces (no spaces, no trailing newline).
 *
 * @param response the DER TimeStampResp, as the authority sent it
 * @returns the JSON text
 */
export function marshalRfc3161Timestamp(response: Uint8Array): string {
  return `{"${FIELD}":"${response.toBase64()}"}`;
}
