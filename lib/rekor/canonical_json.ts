/**
 * JSON Canonicalization Scheme (RFC 8785), the form Rekor signs its signed entry timestamps
 * over (cosign pkg/cosign/verify.go VerifySET uses cyberphone's json-canonicalization).
 *
 * @module
 */

/** A value {@link canonicalJson} can serialise. */
export type CanonicalValue =
  | null
  | boolean
  | number
  | string
  | CanonicalValue[]
  | { [key: string]: CanonicalValue };

/**
 * Serialises `value` as RFC 8785 canonical JSON: object members sorted by their UTF-16 code
 * units, no whitespace, ECMAScript number and string serialisation (which RFC 8785 adopts).
 *
 * @param value the value to serialise
 * @returns the canonical JSON text
 * @throws {RangeError} for a non-finite number (RFC 8785 §3.2.2.3)
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: "x" }); // '{"a":"x","b":1}'
 * ```
 */
export function canonicalJson(value: CanonicalValue): string {
  if (value === null || typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new RangeError(`"value" must be a finite number, got ${value}`);
    }
    return JSON.stringify(value);
  }
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  // Default sort compares UTF-16 code units, which is what RFC 8785 §3.2.3 asks for.
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
}
