/**
 * OLPC canonical JSON, the form TUF metadata signatures are computed over (TUF 1.0 §4.2
 * "Document formats"; securesystemslib `formats.encode_canonical`, go-securesystemslib `cjson`).
 *
 * It is **not** RFC 8785 (lib/rekor/canonical_json.ts): strings escape only `\` and `"` (every
 * other character, control characters and non-ASCII included, is written as is, in UTF-8), numbers
 * must be integers, object keys are sorted by Unicode code point, and there is no whitespace.
 *
 * @module
 */

/** Deepest nesting {@link olpcCanonicalJson} accepts (TUF metadata nests about 6 levels). */
export const MAX_CANONICAL_DEPTH = 64;

/** Orders strings by Unicode code point, as Python's `sorted` and Go's byte-wise compare do. */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

function encodeString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => "\\" + c)}"`;
}

function encode(value: unknown, depth: number, out: string[]): void {
  if (depth > MAX_CANONICAL_DEPTH) {
    throw new RangeError(`Cannot canonicalize JSON: nested deeper than ${MAX_CANONICAL_DEPTH}`);
  }
  if (value === null) out.push("null");
  else if (value === true) out.push("true");
  else if (value === false) out.push("false");
  else if (typeof value === "number") {
    if (!Number.isInteger(value)) {
      throw new TypeError(`Cannot canonicalize JSON: ${value} is not an integer`);
    }
    if (!Number.isSafeInteger(value)) {
      throw new RangeError(`Cannot canonicalize JSON: ${value} is not a safe integer`);
    }
    // `-0` prints as "0", like securesystemslib's `str(int)`.
    out.push(String(value));
  } else if (typeof value === "string") out.push(encodeString(value));
  else if (Array.isArray(value)) {
    out.push("[");
    value.forEach((v, i) => {
      if (i) out.push(",");
      encode(v, depth + 1, out);
    });
    out.push("]");
  } else if (typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).sort(compareCodePoints);
    out.push("{");
    keys.forEach((k, i) => {
      if (i) out.push(",");
      out.push(encodeString(k), ":");
      encode(obj[k], depth + 1, out);
    });
    out.push("}");
  } else {
    throw new TypeError(`Cannot canonicalize JSON: unsupported value of type ${typeof value}`);
  }
}

/**
 * Serialises a parsed JSON value as OLPC canonical JSON (securesystemslib's
 * `encode_canonical`), the bytes TUF signatures cover.
 *
 * @param value a value as `JSON.parse` returns it
 * @returns the canonical UTF-8 bytes
 * @throws {TypeError} for a non-integer number or a value JSON cannot hold
 * @throws {RangeError} for an integer outside ±2⁵³ or nesting deeper than
 *   {@link MAX_CANONICAL_DEPTH}
 * @example
 * ```ts
 * new TextDecoder().decode(olpcCanonicalJson({ b: "a\n\"", a: [1, true] }));
 * // '{"a":[1,true],"b":"a<LF>\""}' — the newline stays a raw byte
 * ```
 */
export function olpcCanonicalJson(value: unknown): Uint8Array {
  const out: string[] = [];
  encode(value, 0, out);
  return new TextEncoder().encode(out.join(""));
}
