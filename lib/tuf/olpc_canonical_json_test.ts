import assert from "node:assert/strict";
import { MAX_CANONICAL_DEPTH, olpcCanonicalJson } from "./olpc_canonical_json.ts";
import { parseMetadata } from "./metadata.ts";
import { verifyDelegate } from "./verify_delegate.ts";

const text = (v: unknown) => new TextDecoder().decode(olpcCanonicalJson(v));
const fixture = (name: string) =>
  Deno.readFile(new URL(`../../tests/fixtures/tuf/${name}`, import.meta.url));

Deno.test("olpcCanonicalJson() writes securesystemslib's canonical form", () => {
  const cases: [unknown, string][] = [
    [null, "null"],
    [true, "true"],
    [false, "false"],
    [0, "0"],
    [-0, "0"],
    [-17, "-17"],
    [9007199254740991, "9007199254740991"],
    ["", '""'],
    // only backslash and double quote are escaped; control characters and non-ASCII stay raw
    ['a"b\\c', '"a\\"b\\\\c"'],
    ["line\nfeed\ttab\u0001", '"line\nfeed\ttab\u0001"'],
    ["é€😀", '"é€😀"'],
    ["</script>&", '"</script>&"'],
    [[], "[]"],
    [{}, "{}"],
    [[1, [2, { b: 1, a: 2 }]], '[1,[2,{"a":2,"b":1}]]'],
    [
      { z: 1, _type: "x", A: 2, a: { y: [], x: null } },
      '{"A":2,"_type":"x","a":{"x":null,"y":[]},"z":1}',
    ],
  ];
  for (const [value, want] of cases) assert.equal(text(value), want, JSON.stringify(value));
});

Deno.test("olpcCanonicalJson() sorts keys by code point, not UTF-16 unit", () => {
  // U+FF61 is one UTF-16 unit above the surrogates of U+1F600; by code point it sorts first.
  assert.equal(text({ "😀": 1, "｡": 2 }), '{"｡":2,"😀":1}');
  assert.equal(text({ b: 1, a: 1, ab: 1, "": 1 }), '{"":1,"a":1,"ab":1,"b":1}');
});

Deno.test("olpcCanonicalJson() refuses what canonical JSON cannot hold", () => {
  const cases: [unknown, string, string][] = [
    [1.5, "TypeError", "Cannot canonicalize JSON: 1.5 is not an integer"],
    [{ a: [0.1] }, "TypeError", "Cannot canonicalize JSON: 0.1 is not an integer"],
    [NaN, "TypeError", "Cannot canonicalize JSON: NaN is not an integer"],
    [2 ** 53, "RangeError", "Cannot canonicalize JSON: 9007199254740992 is not a safe integer"],
    [undefined, "TypeError", "Cannot canonicalize JSON: unsupported value of type undefined"],
    [{ f: () => 1 }, "TypeError", "Cannot canonicalize JSON: unsupported value of type function"],
  ];
  for (const [value, name, message] of cases) {
    assert.throws(() => olpcCanonicalJson(value), { name, message });
  }
  let deep: unknown = 1;
  for (let i = 0; i <= MAX_CANONICAL_DEPTH; i++) deep = [deep];
  assert.throws(() => olpcCanonicalJson(deep), {
    name: "RangeError",
    message: `Cannot canonicalize JSON: nested deeper than ${MAX_CANONICAL_DEPTH}`,
  });
});

Deno.test("olpcCanonicalJson() reproduces the bytes the public-good root keys signed", async () => {
  // Each real root verifies only if our canonical form equals the signed bytes exactly.
  for (
    const [name, signers] of [["13.root.json", 5], ["14.root.json", 4], ["15.root.json", 5], [
      "staging.13.root.json",
      2,
    ]] as const
  ) {
    const m = parseMetadata(await fixture(name), "root");
    const ok = await verifyDelegate(m.signed.keys, m.signed.roles.root, "root", m);
    assert.equal(ok.length, signers, name);
  }
});
