import assert from "node:assert/strict";
import {
  decodeGoTyped,
  type GoJsonObject,
  goJsonString,
  goJsonStringFromBytes,
  GoJsonSyntaxError,
  goJsonToAny,
  GoJsonTypeError,
  goTimeNormalize,
  type GoType,
  goUtf8Decode,
  marshalGoJson,
  marshalGoTyped,
  parseGoJson,
  parseJsonBounded,
} from "./go_json.ts";

const bytes = (...b: number[]) => Uint8Array.from(b);

Deno.test("marshalGoJson() re-marshals interface{} values exactly as Go cosign v2.6.4 did", () => {
  // Input and output of `cosign attest-blob --type https://example.com/t` (Go 1.26 encoding/json).
  const input = String
    .raw`{"b":1,"a":"<x>&\u2028\u0008\u000c\u007f","c":[1e21,1e-7,-0,0.1,12345678901234567890,1.5e-7,100],"d":{"z":null,"y":true}}`;
  const want = String.raw`{"a":"\u003cx\u003e\u0026\u2028\b\f` + "\x7f" +
    String
      .raw`","b":1,"c":[1e+21,1e-7,-0,0.1,12345678901234567000,1.5e-7,100],"d":{"y":true,"z":null}}`;
  assert.equal(marshalGoJson(goJsonToAny(parseGoJson(input))), want);
});

Deno.test("marshalGoJson() sorts map keys by UTF-8 bytes, not UTF-16 units", () => {
  const m = new Map<string, unknown>([["\uffff", 1], ["\u{1f600}", 2], ["a", 3]]);
  assert.equal(marshalGoJson(m), '{"a":3,"\uffff":1,"\u{1f600}":2}');
});

Deno.test("goJsonString() escapes controls as Go does", () => {
  assert.equal(
    goJsonString('\u0001\u001f\t\n\r"\\/\u007f'),
    '"\\u0001\\u001f\\t\\n\\r\\"\\\\/\u007f"',
  );
  assert.equal(goJsonString("\ud800x"), '"\\ufffdx"');
});

Deno.test("goJsonStringFromBytes() writes each invalid byte as \\ufffd and keeps a real U+FFFD", () => {
  // From Go cosign's --type spdx output for these bytes.
  const raw = bytes(
    0xe2,
    0x82,
    0x20,
    0xff,
    0x20,
    0xc3,
    0xa9,
    0x20,
    0xed,
    0xa0,
    0x80,
    0x20,
    0xef,
    0xbf,
    0xbd,
  );
  assert.equal(
    goJsonStringFromBytes(raw),
    '"\\ufffd\\ufffd \\ufffd é \\ufffd\\ufffd\\ufffd \ufffd"',
  );
});

Deno.test("goUtf8Decode() replaces every invalid byte separately, as utf8.DecodeRune", () => {
  assert.equal(goUtf8Decode(bytes(0xe2, 0x82, 0x41)), "\ufffd\ufffdA");
  assert.equal(goUtf8Decode(bytes(0xf0, 0x9f, 0x98, 0x80)), "\u{1f600}");
  assert.equal(goUtf8Decode(bytes(0xc0, 0x80)), "\ufffd\ufffd"); // overlong
});

Deno.test("parseGoJson() keeps every member in order, duplicates included", () => {
  const v = parseGoJson('{"a":1,"b":[true,null],"a":"x"}') as GoJsonObject;
  assert.deepEqual(v.entries, [["a", 1], ["b", [true, null]], ["a", "x"]]);
  assert.equal(v.get("a"), "x");
});

Deno.test("parseGoJson() decodes escapes and surrogates like Go", () => {
  assert.equal(parseGoJson(String.raw`"\ud83d\ude00\ud800\u0041\/"`), "\u{1f600}\ufffdA/");
  assert.equal(parseGoJson(bytes(0x22, 0xff, 0x22)), "\ufffd");
});

const SYNTAX: [string, string][] = [
  ["", "unexpected end of JSON input"],
  ["not json", "invalid character 'o' in literal null (expecting 'u')"],
  ["hello", "invalid character 'h' looking for beginning of value"],
  ["{} x", "invalid character 'x' after top-level value"],
  ['{"a" 1}', "invalid character '1' after object key"],
  ['{"a":1 "b"}', `invalid character '"' after object key:value pair`],
  ["[1 2]", "invalid character '2' after array element"],
  ["{1}", "invalid character '1' looking for beginning of object key string"],
  ['"a\u0001"', "invalid character '\\x01' in string literal"],
  ['"\\x"', "invalid character 'x' in string escape code"],
  ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
  ["-a", "invalid character 'a' in numeric literal"],
  ["1.x", "invalid character 'x' after decimal point in numeric literal"],
  ["1ex", "invalid character 'x' in exponent of numeric literal"],
  ["01", "invalid character '1' after top-level value"],
  ["'", "invalid character '\\'' looking for beginning of value"],
  ["1e400", "json: cannot unmarshal number 1e400 into Go value of type float64"],
];

for (const [input, message] of SYNTAX) {
  Deno.test(`parseGoJson() rejects ${JSON.stringify(input)} with Go's message`, () => {
    assert.throws(
      () => parseGoJson(input),
      (e) => e instanceof GoJsonSyntaxError && e.message === message,
    );
  });
}

Deno.test("parseGoJson() enforces the nesting limit", () => {
  assert.throws(
    () => parseGoJson("[".repeat(11) + "]".repeat(11), { maxDepth: 10 }),
    /exceeded max depth/,
  );
  assert.deepEqual(parseGoJson("[[]]", { maxDepth: 2 }), [[]]);
});

const T: GoType = {
  kind: "struct",
  name: "pkg.T",
  fields: [
    { json: "name", type: { kind: "string" } },
    { json: "tags", type: { kind: "slice", elem: { kind: "string" } }, omitempty: true },
    { json: "when", type: { kind: "ptr", elem: { kind: "time" } }, omitempty: true },
    { json: "raw", type: { kind: "bytes" }, omitempty: true },
    { json: "m", type: { kind: "map", elem: { kind: "any" } } },
  ],
};

Deno.test("decodeGoTyped() and marshalGoTyped() round-trip like encoding/json", () => {
  const v = decodeGoTyped(
    parseGoJson(
      '{"NAME":"a","extra":1,"when":"2020-02-29T23:59:59.500-00:00","raw":"aGk=","m":{"b":1,"a":2}}',
    ),
    T,
  );
  assert.equal(
    marshalGoTyped(T, v),
    '{"name":"a","when":"2020-02-29T23:59:59.5Z","raw":"aGk=","m":{"a":2,"b":1}}',
  );
  assert.equal(marshalGoTyped(T, decodeGoTyped(parseGoJson("{}"), T)), '{"name":"","m":null}');
  assert.equal(
    marshalGoTyped(T, decodeGoTyped(parseGoJson('{"name":null}'), T)),
    '{"name":"","m":null}',
  );
});

Deno.test("decodeGoTyped() reports the first mismatch with Go's message", () => {
  assert.throws(
    () => decodeGoTyped(parseGoJson('{"tags":[1]}'), T),
    (e) =>
      e instanceof GoJsonTypeError &&
      e.message === "json: cannot unmarshal number into Go struct field T.tags of type string",
  );
  assert.throws(
    () => decodeGoTyped(parseGoJson("[]"), T),
    /^GoJsonTypeError: json: cannot unmarshal array into Go value of type pkg\.T$/,
  );
  assert.throws(() => decodeGoTyped(parseGoJson('{"raw":"a"}'), T), /illegal base64 data/);
  assert.throws(() => decodeGoTyped(parseGoJson('{"when":1}'), T), /input is not a JSON string/);
});

Deno.test("goTimeNormalize() prints times as Go's RFC3339Nano", () => {
  assert.equal(goTimeNormalize("2023-01-02T03:04:05.120+02:00"), "2023-01-02T03:04:05.12+02:00");
  assert.equal(
    goTimeNormalize("2023-01-02T03:04:05.0000000019Z"),
    "2023-01-02T03:04:05.000000001Z",
  );
  assert.equal(goTimeNormalize("2023-01-02T03:04:05.000+00:00"), "2023-01-02T03:04:05Z");
  for (
    const bad of [
      "2023-01-02",
      "2023-02-30T00:00:00Z",
      "2023-01-02T24:00:00Z",
      "2023-01-02 03:04:05Z",
    ]
  ) {
    assert.throws(() => goTimeNormalize(bad), /parsing time/);
  }
});

Deno.test("parseJsonBounded() parses JSON and refuses nesting beyond the limit", () => {
  assert.deepEqual(parseJsonBounded('{"a":[1,{"b":"[{"}]}'), { a: [1, { b: "[{" }] });
  assert.throws(
    () => parseJsonBounded("[[[]]]", "payload", 2),
    /^SyntaxError: Cannot parse payload: exceeded max depth$/,
  );
  assert.throws(() => parseJsonBounded("{", "payload"), /^SyntaxError: Cannot parse payload: /);
});
