import assert from "node:assert/strict";
import { canonicalJson } from "./canonical_json.ts";

Deno.test("canonicalJson() sorts keys by UTF-16 code units and drops whitespace", () => {
  assert.equal(
    canonicalJson({
      logIndex: 1,
      body: "x",
      logID: "ab",
      integratedTime: 2,
      "\u20ac": [1, "é", null, true],
    }),
    '{"body":"x","integratedTime":2,"logID":"ab","logIndex":1,"\u20ac":[1,"é",null,true]}',
  );
});

Deno.test("canonicalJson() rejects a non-finite number", () => {
  assert.throws(() => canonicalJson(Number.NaN), RangeError);
});
