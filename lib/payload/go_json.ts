/**
 * JSON exactly as Go's `encoding/json` reads and writes it, for the documents cosign signs or
 * stores (simple signing payloads, signature manifests, in-toto statements, DSSE envelopes).
 *
 * Writing: Go differs from `JSON.stringify` in its string escaping: `<`, `>` and `&` become
 * `\u003c`, `\u003e`, `\u0026` (HTML-safe by default), U+2028/U+2029 are escaped, other control
 * characters use lowercase `\u00xx` except `\b \f \n \r \t` (Go ≥ 1.22), and invalid UTF-8 (here: a
 * lone surrogate) becomes U+FFFD. Map keys are written sorted by their UTF-8 bytes; struct fields
 * in declaration order. A `float64` prints like JavaScript's `String(n)` (same thresholds for the
 * exponent form: 1e+21, 1e-7) except `-0`.
 *
 * Reading: {@link parseGoJson} is a bounded parser with Go's grammar, Go's syntax error messages
 * and Go's UTF-8 repair (each invalid byte becomes U+FFFD). {@link decodeGoTyped} then does what
 * `json.Unmarshal` into a Go struct does — case-insensitive field names (the last matching key
 * wins), unknown fields dropped, `null` leaves a value alone, the first type mismatch is the error
 * — from a {@link GoType} schema, and {@link marshalGoTyped} writes the result back as Go would
 * (field order, `omitempty`, nil maps and slices as `null`, `time.Time` as RFC 3339 with
 * nanoseconds). cosign re-marshals every predicate this way (pkg/cosign/attestation), so the
 * statement bytes we sign match Go's.
 *
 * @module
 */

const SHORT: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

// Characters Go escapes: controls, quote, backslash, HTML specials, line/paragraph separators and
// lone surrogates.
// deno-lint-ignore no-control-regex
const NEEDS_ESCAPE = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/;
// deno-lint-ignore no-control-regex
const ESCAPES = /[\u0000-\u001f"\\<>&\u2028\u2029]|[\ud800-\udbff][\udc00-\udfff]|[\ud800-\udfff]/g;

/**
 * Quotes a string the way Go's `encoding/json` does.
 *
 * @param s the string
 * @returns the JSON string literal
 */
export function goJsonString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  return `"${
    s.replace(ESCAPES, (c) => {
      if (c.length === 2) return c; // a valid surrogate pair
      if (c >= "\ud800" && c <= "\udfff") return "\\ufffd";
      return SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
    })
  }"`;
}

/**
 * Formats a number as Go formats a `float64` (what `json.Unmarshal` makes of any JSON number):
 * fixed notation for 1e-6 ≤ |x| < 1e21, else exponent notation — the same thresholds as
 * JavaScript's, so only `-0` needs care.
 */
function goNumber(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`"value" contains an unsupported number: ${n}`);
  if (Object.is(n, -0)) return "-0";
  return String(n);
}

/**
 * Marshals a JSON value the way Go marshals the equivalent `interface{}`: objects (plain objects
 * or `Map`s, Go's `map[string]interface{}`) with keys sorted, Go string escaping. `undefined`
 * object members are skipped.
 *
 * @param value objects, `Map`s, arrays, strings, numbers, booleans, null
 * @returns the JSON text
 * @throws {RangeError} for a non-finite number
 * @throws {TypeError} for a value JSON cannot represent
 */
export function marshalGoJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return goJsonString(value);
    case "number":
      return goNumber(value);
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (Array.isArray(value)) return `[${value.map(marshalGoJson).join(",")}]`;
      const entries =
        (value instanceof Map
          ? [...(value as Map<string, unknown>).entries()]
          : Object.entries(value as Record<string, unknown>))
          .filter(([, v]) => v !== undefined)
          .sort(([a], [b]) => compareUtf8(a, b));
      return `{${entries.map(([k, v]) => `${goJsonString(k)}:${marshalGoJson(v)}`).join(",")}}`;
    }
  }
  throw new TypeError(`"value" cannot be marshalled to JSON: ${typeof value}`);
}

/** Orders strings by their UTF-8 bytes, as Go's `sort.Strings` does for map keys. */
function compareUtf8(a: string, b: string): number {
  // UTF-16 order differs from code point (= UTF-8) order only for surrogates vs U+E000..U+FFFF.
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length < b.length ? -1 : 1;
}

/** Go's `encoding/json` maximum nesting depth (`maxNestingDepth` in scanner.go). */
export const MAX_JSON_DEPTH = 10000;

/**
 * Parses JSON text with Go's nesting limit checked first (so a hostile document fails with a clear
 * error, not a stack overflow). Invalid UTF-8 decodes to U+FFFD, as Go's decoder does in strings.
 *
 * @param bytes the JSON text
 * @param what names the document in errors
 * @param maxDepth the deepest nesting accepted
 * @returns the parsed value
 * @throws {SyntaxError} for invalid JSON or nesting deeper than `maxDepth`
 */
export function parseJsonBounded(
  bytes: Uint8Array | string,
  what = "JSON",
  maxDepth = MAX_JSON_DEPTH,
): unknown {
  const text = typeof bytes === "string" ? bytes : new TextDecoder().decode(bytes);
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) {
        throw new SyntaxError(`Cannot parse ${what}: exceeded max depth`);
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`Cannot parse ${what}: ${(e as Error).message}`, { cause: e });
  }
}

// ---------------------------------------------------------------------------------------------
// Go-exact parsing

/** A JSON object as Go's decoder sees it: every member, in document order, duplicates kept. */
export class GoJsonObject {
  /** The members in document order. */
  readonly entries: [string, GoJsonValue][];
  constructor(entries: [string, GoJsonValue][]) {
    this.entries = entries;
  }
  /** The value of the last member named exactly `key` (Go's map semantics), or undefined. */
  get(key: string): GoJsonValue | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i][0] === key) return this.entries[i][1];
    }
    return undefined;
  }
}

/** A parsed JSON value. Numbers are `float64`s, as in Go's `interface{}`. */
export type GoJsonValue = null | boolean | number | string | GoJsonValue[] | GoJsonObject;

/**
 * Invalid JSON text, with Go's message (`invalid character 'x' looking for beginning of value`,
 * `unexpected end of JSON input`).
 */
export class GoJsonSyntaxError extends SyntaxError {
  constructor(message: string) {
    super(message);
    this.name = "GoJsonSyntaxError";
  }
}

/** Go's `quoteChar`: a byte as a Go rune literal for scanner messages. */
function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return `'"'`;
  const named: Record<number, string> = {
    7: "\\a",
    8: "\\b",
    9: "\\t",
    10: "\\n",
    11: "\\v",
    12: "\\f",
    13: "\\r",
    0x5c: "\\\\",
  };
  if (named[c]) return `'${named[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, "0")}'`;
  if ((c >= 0x80 && c <= 0xa0) || c === 0xad) return `'\\u${c.toString(16).padStart(4, "0")}'`;
  return `'${String.fromCharCode(c)}'`;
}

/**
 * Decodes UTF-8 the way Go converts bytes to runes (`utf8.DecodeRune`): every byte that does not
 * start a valid, shortest-form sequence becomes one U+FFFD. (WHATWG's decoder, used by
 * `TextDecoder`, replaces a whole broken sequence with a single U+FFFD instead.)
 *
 * @param bytes the bytes
 * @param start the first byte
 * @param end one past the last byte
 * @returns the string Go would hold, with invalid bytes as U+FFFD
 */
export function goUtf8Decode(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = "";
  let run = start; // start of a run of ASCII/valid bytes handed to the fast decoder
  const fast = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  let i = start;
  while (i < end) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    const n = validSequence(bytes, i, end);
    if (n > 0) {
      i += n;
      continue;
    }
    out += fast.decode(bytes.subarray(run, i)) + "\ufffd";
    i++;
    run = i;
  }
  return out + fast.decode(bytes.subarray(run, end));
}

/** The length of the valid UTF-8 sequence at `i`, or 0 (Go's acceptance rules). */
function validSequence(b: Uint8Array, i: number, end: number): number {
  const c = b[i];
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < end && b[i + k] >= lo && b[i + k] <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/**
 * Quotes raw bytes as Go's encoder quotes a `string` holding them (`string(rawBytes)`): valid
 * UTF-8 is written as text (escaped like {@link goJsonString}), and each byte that is not valid
 * UTF-8 becomes the escape `\ufffd` — unlike a U+FFFD that is really in the text, which Go writes
 * as the character itself.
 *
 * @param bytes the string's bytes
 * @returns the JSON string literal
 */
export function goJsonStringFromBytes(bytes: Uint8Array): string {
  const decoder = new TextDecoder();
  let out = "";
  let run = 0;
  let i = 0;
  while (i < bytes.length) {
    if (bytes[i] < 0x80) {
      i++;
      continue;
    }
    const n = validSequence(bytes, i, bytes.length);
    if (n > 0) {
      i += n;
      continue;
    }
    out += goJsonString(decoder.decode(bytes.subarray(run, i))).slice(1, -1) + "\\ufffd";
    i++;
    run = i;
  }
  return `"${out}${goJsonString(decoder.decode(bytes.subarray(run))).slice(1, -1)}"`;
}

/** Limits for {@link parseGoJson}. */
export interface GoJsonLimits {
  /** The deepest nesting of objects and arrays (Go: 10000). */
  maxDepth?: number;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Parses JSON exactly as Go's `encoding/json` accepts it, keeping every object member in order.
 *
 * @param input the JSON text (bytes are decoded with Go's UTF-8 repair)
 * @param limits nesting limit
 * @returns the value
 * @throws {GoJsonSyntaxError} with Go's message for invalid JSON, `exceeded max depth` when nested
 *   deeper than the limit, or `json: cannot unmarshal number X into Go value of type float64` for
 *   a number out of range
 */
export function parseGoJson(input: Uint8Array | string, limits: GoJsonLimits = {}): GoJsonValue {
  const b = typeof input === "string" ? new TextEncoder().encode(input) : input;
  const maxDepth = limits.maxDepth ?? MAX_JSON_DEPTH;
  let i = 0;
  let depth = 0;
  const eof = () => new GoJsonSyntaxError("unexpected end of JSON input");
  const bad = (context: string) =>
    new GoJsonSyntaxError(`invalid character ${quoteChar(b[i])} ${context}`);
  const skipWs = () => {
    while (i < b.length && WS.has(b[i])) i++;
  };
  const isDigit = (k: number) => k < b.length && b[k] >= 0x30 && b[k] <= 0x39;

  const literal = (word: string, v: GoJsonValue): GoJsonValue => {
    for (let k = 1; k < word.length; k++) {
      i++;
      if (i >= b.length) throw eof();
      if (b[i] !== word.charCodeAt(k)) {
        throw bad(`in literal ${word} (expecting '${word[k]}')`);
      }
    }
    i++;
    return v;
  };

  const number = (): number => {
    const start = i;
    if (b[i] === 0x2d) {
      i++;
      if (i >= b.length) throw eof();
      if (!isDigit(i)) throw bad("in numeric literal");
    }
    if (b[i] === 0x30) i++;
    else while (isDigit(i)) i++;
    if (i < b.length && b[i] === 0x2e) {
      i++;
      if (i >= b.length) throw eof();
      if (!isDigit(i)) throw bad("after decimal point in numeric literal");
      while (isDigit(i)) i++;
    }
    if (i < b.length && (b[i] === 0x65 || b[i] === 0x45)) {
      i++;
      if (i < b.length && (b[i] === 0x2b || b[i] === 0x2d)) i++;
      if (i >= b.length) throw eof();
      if (!isDigit(i)) throw bad("in exponent of numeric literal");
      while (isDigit(i)) i++;
    }
    const text = String.fromCharCode(...b.subarray(start, i));
    const n = Number(text);
    if (!Number.isFinite(n)) {
      throw new GoJsonSyntaxError(
        `json: cannot unmarshal number ${text} into Go value of type float64`,
      );
    }
    return n;
  };

  const hex4 = (k: number): number => {
    let v = 0;
    for (let j = 0; j < 4; j++) {
      const c = b[k + j];
      const d = c >= 0x30 && c <= 0x39
        ? c - 0x30
        : c >= 0x61 && c <= 0x66
        ? c - 0x57
        : c >= 0x41 && c <= 0x46
        ? c - 0x37
        : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    return v;
  };

  const string = (): string => {
    i++; // opening quote
    let out = "";
    let run = i;
    for (;;) {
      if (i >= b.length) throw eof();
      const c = b[i];
      if (c === 0x22) {
        out += goUtf8Decode(b, run, i);
        i++;
        return out;
      }
      if (c < 0x20) throw bad("in string literal");
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += goUtf8Decode(b, run, i);
      i++;
      if (i >= b.length) throw eof();
      const e = b[i];
      const simple: Record<number, string> = {
        0x22: '"',
        0x5c: "\\",
        0x2f: "/",
        0x62: "\b",
        0x66: "\f",
        0x6e: "\n",
        0x72: "\r",
        0x74: "\t",
      };
      if (simple[e] !== undefined) {
        out += simple[e];
        i++;
      } else if (e === 0x75) {
        for (let j = 1; j <= 4; j++) {
          if (i + j >= b.length) throw eof();
          const h = b[i + j];
          if (!/[0-9a-fA-F]/.test(String.fromCharCode(h))) {
            i += j;
            throw bad("in \\u hexadecimal character escape");
          }
        }
        let r = hex4(i + 1);
        i += 5;
        if (r >= 0xd800 && r <= 0xdfff) {
          // Go: a valid pair is consumed together, anything else is U+FFFD.
          const lo = r <= 0xdbff && b[i] === 0x5c && b[i + 1] === 0x75 && i + 5 < b.length
            ? hex4(i + 2)
            : -1;
          if (lo >= 0xdc00 && lo <= 0xdfff) {
            out += String.fromCharCode(r, lo);
            i += 6;
            run = i;
            continue;
          }
          r = 0xfffd;
        }
        out += String.fromCharCode(r);
      } else {
        throw bad("in string escape code");
      }
      run = i;
    }
  };

  const value = (): GoJsonValue => {
    skipWs();
    if (i >= b.length) throw eof();
    const c = b[i];
    if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) throw new GoJsonSyntaxError("exceeded max depth");
      const v = c === 0x7b ? object() : array();
      depth--;
      return v;
    }
    if (c === 0x22) return string();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return number();
    if (c === 0x74) return literal("true", true);
    if (c === 0x66) return literal("false", false);
    if (c === 0x6e) return literal("null", null);
    throw bad("looking for beginning of value");
  };

  const object = (): GoJsonObject => {
    i++;
    const entries: [string, GoJsonValue][] = [];
    skipWs();
    if (i >= b.length) throw eof();
    if (b[i] === 0x7d) {
      i++;
      return new GoJsonObject(entries);
    }
    for (;;) {
      if (i >= b.length) throw eof();
      if (b[i] !== 0x22) throw bad("looking for beginning of object key string");
      const key = string();
      skipWs();
      if (i >= b.length) throw eof();
      if (b[i] !== 0x3a) throw bad("after object key");
      i++;
      entries.push([key, value()]);
      skipWs();
      if (i >= b.length) throw eof();
      if (b[i] === 0x7d) {
        i++;
        return new GoJsonObject(entries);
      }
      if (b[i] !== 0x2c) throw bad("after object key:value pair");
      i++;
      skipWs();
    }
  };

  const array = (): GoJsonValue[] => {
    i++;
    const items: GoJsonValue[] = [];
    skipWs();
    if (i >= b.length) throw eof();
    if (b[i] === 0x5d) {
      i++;
      return items;
    }
    for (;;) {
      items.push(value());
      skipWs();
      if (i >= b.length) throw eof();
      if (b[i] === 0x5d) {
        i++;
        return items;
      }
      if (b[i] !== 0x2c) throw bad("after array element");
      i++;
    }
  };

  const v = value();
  skipWs();
  if (i < b.length) throw bad("after top-level value");
  return v;
}

// ---------------------------------------------------------------------------------------------
// Go-typed decoding and encoding

/**
 * A Go type, as far as `encoding/json` cares. `name` is the type as Go's reflect prints it in
 * error messages, package-qualified (`v02.ProvenancePredicate`, `common.DigestSet`).
 */
export type GoType =
  | { kind: "string" }
  | { kind: "bool" }
  /** `interface{}`: any JSON value; objects decode to `Map`s. */
  | { kind: "any" }
  /** A non-empty interface (e.g. protobuf's `isValue_Kind`): only `null` decodes into it. */
  | { kind: "iface"; name: string }
  /** `time.Time`: an RFC 3339 string, kept as Go would print it (RFC 3339 with nanoseconds). */
  | { kind: "time" }
  /** `[]byte`: standard base64 text. */
  | { kind: "bytes" }
  | { kind: "map"; elem: GoType; name?: string }
  | { kind: "slice"; elem: GoType }
  | { kind: "ptr"; elem: GoType }
  | { kind: "struct"; name: string; fields: GoField[] };

/** A struct field: its JSON name, type and `omitempty`. */
export interface GoField {
  json: string;
  type: GoType;
  omitempty?: boolean;
}

/** A type mismatch or a field value Go refuses (`json: cannot unmarshal …`). */
export class GoJsonTypeError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = "GoJsonTypeError";
  }
}

/** The type as reflect's `Type.String()` prints it. */
export function goTypeName(t: GoType): string {
  switch (t.kind) {
    case "any":
      return "interface {}";
    case "iface":
    case "struct":
      return t.name;
    case "time":
      return "time.Time";
    case "bytes":
      return "[]uint8";
    case "map":
      return t.name ?? `map[string]${goTypeName(t.elem)}`;
    case "slice":
      return `[]${goTypeName(t.elem)}`;
    case "ptr":
      return `*${goTypeName(t.elem)}`;
    default:
      return t.kind;
  }
}

/** The zero value of a Go type, in this module's representation. */
export function goZero(t: GoType): unknown {
  switch (t.kind) {
    case "string":
      return "";
    case "bool":
      return false;
    case "time":
      return ZERO_TIME;
    case "struct": {
      const o: Record<string, unknown> = {};
      for (const f of t.fields) o[f.json] = goZero(f.type);
      return o;
    }
    default:
      return null;
  }
}

const ZERO_TIME = "0001-01-01T00:00:00Z";

/** Go's `foldName` for the ASCII field names used here (plus ſ→S and K→K, which Go folds). */
function fold(s: string): string {
  return s.replace(
    /[a-z\u017f\u212a]/g,
    (c) => c === "\u017f" ? "S" : c === "\u212a" ? "K" : c.toUpperCase(),
  );
}

function jsonKind(v: GoJsonValue): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (v instanceof GoJsonObject) return "object";
  return typeof v === "boolean" ? "bool" : typeof v;
}

interface Ctx {
  struct: string;
  path: string[];
}

function typeError(v: GoJsonValue, t: GoType, ctx: Ctx): GoJsonTypeError {
  const where = ctx.struct === ""
    ? "Go value"
    : `Go struct field ${ctx.struct}.${ctx.path.join(".")}`;
  return new GoJsonTypeError(
    `json: cannot unmarshal ${jsonKind(v)} into ${where} of type ${goTypeName(t)}`,
  );
}

/** Converts a parsed value to the `interface{}` representation: objects become `Map`s. */
export function goJsonToAny(v: GoJsonValue): unknown {
  if (v instanceof GoJsonObject) {
    const m = new Map<string, unknown>();
    for (const [k, x] of v.entries) m.set(k, goJsonToAny(x));
    return m;
  }
  if (Array.isArray(v)) return v.map(goJsonToAny);
  return v;
}

/**
 * Decodes a parsed value into a Go type exactly as `json.Unmarshal` does.
 *
 * Representation: structs are plain objects keyed by JSON field name; maps and `interface{}`
 * objects are `Map`s; nil maps, slices, pointers and interfaces are `null`; `time.Time` is the
 * string Go would marshal; `[]byte` is a `Uint8Array`.
 *
 * @param v the parsed value
 * @param t the Go type to decode into
 * @param current the value already there (Go decodes `null` as "leave unchanged")
 * @returns the decoded value
 * @throws {GoJsonTypeError} with Go's message for the first mismatch
 */
export function decodeGoTyped(v: GoJsonValue, t: GoType, current?: unknown): unknown {
  return decode(v, t, current ?? goZero(t), { struct: "", path: [] });
}

function decode(v: GoJsonValue, t: GoType, current: unknown, ctx: Ctx): unknown {
  switch (t.kind) {
    case "any":
      return goJsonToAny(v);
    case "iface":
      if (v === null) return null;
      throw typeError(v, t, ctx);
    case "string":
      if (v === null) return current;
      if (typeof v !== "string") throw typeError(v, t, ctx);
      return v;
    case "bool":
      if (v === null) return current;
      if (typeof v !== "boolean") throw typeError(v, t, ctx);
      return v;
    case "time":
      if (v === null) return current;
      if (typeof v !== "string") {
        throw new GoJsonTypeError("Time.UnmarshalJSON: input is not a JSON string");
      }
      return goTimeNormalize(v);
    case "bytes":
      if (v === null) return null;
      if (typeof v !== "string") throw typeError(v, t, ctx);
      return decodeGoBase64(v);
    case "ptr":
      if (v === null) return null;
      return decode(v, t.elem, current ?? goZero(t.elem), ctx);
    case "slice":
      if (v === null) return null;
      if (!Array.isArray(v)) throw typeError(v, t, ctx);
      return v.map((x) => decode(x, t.elem, goZero(t.elem), ctx));
    case "map": {
      if (v === null) return null;
      if (!(v instanceof GoJsonObject)) throw typeError(v, t, ctx);
      const m = (current as Map<string, unknown> | null) ?? new Map<string, unknown>();
      for (const [k, x] of v.entries) m.set(k, decode(x, t.elem, goZero(t.elem), ctx));
      return m;
    }
    case "struct": {
      if (v === null) return current;
      if (!(v instanceof GoJsonObject)) throw typeError(v, t, ctx);
      const o = { ...(current as Record<string, unknown>) };
      for (const [k, x] of v.entries) {
        const f = t.fields.find((f) => f.json === k) ??
          t.fields.find((f) => fold(f.json) === fold(k));
        if (!f) continue;
        o[f.json] = decode(x, f.type, o[f.json], {
          struct: t.name.slice(t.name.lastIndexOf(".") + 1),
          path: [...ctx.path, f.json],
        });
      }
      return o;
    }
  }
}

/** Go's `base64.StdEncoding.DecodeString` for `[]byte` fields. */
function decodeGoBase64(s: string): Uint8Array {
  const clean = s.replace(/[\r\n]/g, "");
  if (clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) {
    const at = clean.search(/[^A-Za-z0-9+/]/);
    throw new GoJsonTypeError(
      `illegal base64 data at input byte ${at < 0 ? clean.length - (clean.length % 4) : at}`,
    );
  }
  return Uint8Array.fromBase64(clean, { lastChunkHandling: "loose" });
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses an RFC 3339 time as Go's `time.Time.UnmarshalJSON` does and returns it as
 * `MarshalJSON` prints it back: same wall clock and offset, `Z` for a zero offset, the fraction
 * cut to nanoseconds with trailing zeros removed.
 *
 * @param s the time text
 * @returns the normalized text
 * @throws {GoJsonTypeError} `parsing time "…" as "2006-01-02T15:04:05Z07:00": …`
 */
export function goTimeNormalize(s: string): string {
  const m = RFC3339.exec(s);
  const fail = (why: string) =>
    new GoJsonTypeError(`parsing time ${JSON.stringify(s)} as "2006-01-02T15:04:05Z07:00": ${why}`);
  if (!m) throw fail("cannot parse as RFC 3339");
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (month < 1 || month > 12) throw fail("month out of range");
  if (Number(d) < 1 || Number(d) > days) throw fail("day out of range");
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) throw fail("time out of range");
  let z = zone;
  if (z !== "Z") {
    if (Number(z.slice(1, 3)) > 23 || Number(z.slice(4, 6)) > 59) {
      throw fail("time zone offset out of range");
    }
    if (z.slice(1) === "00:00") z = "Z";
  }
  const f = (frac ?? "").slice(0, 9).replace(/0+$/, "");
  return `${y}-${mo}-${d}T${h}:${mi}:${sec}${f ? "." + f : ""}${z}`;
}

/** Go's `isEmptyValue` for `omitempty`. Structs (and `time.Time`) are never empty. */
function isEmpty(t: GoType, v: unknown): boolean {
  switch (t.kind) {
    case "string":
      return v === "";
    case "bool":
      return v === false;
    case "struct":
    case "time":
      return false;
    case "map":
      return v === null || (v as Map<string, unknown>).size === 0;
    case "slice":
    case "bytes":
      return v === null || (v as unknown[]).length === 0;
    default:
      return v === null || v === undefined;
  }
}

/**
 * Marshals a value of a Go type as `json.Marshal` does (see {@link decodeGoTyped} for the
 * representation).
 *
 * @param t the Go type
 * @param v the value
 * @returns the JSON text
 */
export function marshalGoTyped(t: GoType, v: unknown): string {
  switch (t.kind) {
    case "string":
    case "time":
      return goJsonString(v as string);
    case "bool":
      return v ? "true" : "false";
    case "any":
    case "iface":
      return marshalGoJson(v ?? null);
    case "bytes":
      return v === null ? "null" : `"${(v as Uint8Array).toBase64()}"`;
    case "ptr":
      return v === null ? "null" : marshalGoTyped(t.elem, v);
    case "slice":
      return v === null
        ? "null"
        : `[${(v as unknown[]).map((x) => marshalGoTyped(t.elem, x)).join(",")}]`;
    case "map": {
      if (v === null) return "null";
      const entries = [...(v as Map<string, unknown>).entries()].sort(([a], [b]) =>
        compareUtf8(a, b)
      );
      return `{${
        entries.map(([k, x]) => `${goJsonString(k)}:${marshalGoTyped(t.elem, x)}`).join(",")
      }}`;
    }
    case "struct": {
      const o = v as Record<string, unknown>;
      const parts: string[] = [];
      for (const f of t.fields) {
        const x = o[f.json];
        if (f.omitempty && isEmpty(f.type, x)) continue;
        parts.push(`${goJsonString(f.json)}:${marshalGoTyped(f.type, x)}`);
      }
      return `{${parts.join(",")}}`;
    }
  }
}
