import assert from "node:assert/strict";
import { join } from "node:path";
import { FIXTURES } from "../../tests/interop/_run.ts";
import {
  checkTypedStatement,
  generateStatement,
  parseStatement,
  policyPayload,
  PredicateError,
  STATEMENT_V01,
  validateStatement,
} from "./intoto.ts";
import { predicateTypeUri } from "./predicate_types.ts";

const DIR = join(FIXTURES, "attest");
const DIGEST = "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447";
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** type → [predicate file, golden name] (goldens made by Go cosign v2.6.4, see SOURCE.md). */
const GOLDENS: [string, string, string][] = [
  ["custom", "custom.txt", "custom"],
  ["slsaprovenance", "slsaprovenance.json", "slsaprovenance"],
  ["slsaprovenance02", "slsaprovenance.json", "slsaprovenance02"],
  ["slsaprovenance1", "slsaprovenance1.json", "slsaprovenance1"],
  ["link", "link.json", "link"],
  ["spdx", "spdx.txt", "spdx"],
  ["spdxjson", "spdxjson.json", "spdxjson"],
  ["cyclonedx", "cyclonedx.json", "cyclonedx"],
  ["vuln", "vuln.json", "vuln"],
  ["openvex", "openvex.json", "openvex"],
  ["https://example.com/predicate/v1", "predicate.json", "uri"],
];

for (const [type, predicateFile, golden] of GOLDENS) {
  Deno.test(`generateStatement() matches Go cosign byte for byte for --type ${type}`, async () => {
    const want = await Deno.readFile(join(DIR, `go-${golden}.statement.json`));
    const stamp = /"Timestamp":"([^"]+)"/.exec(dec(want))?.[1];
    const got = generateStatement({
      predicate: await Deno.readFile(join(DIR, predicateFile)),
      type,
      digest: DIGEST,
      name: "blob",
      now: () => new Date(stamp ?? 0),
    });
    assert.equal(dec(got), dec(want));
    assert.deepEqual(got, want);
    const parsed = parseStatement(got);
    assert.equal(parsed.type, STATEMENT_V01);
    assert.equal(parsed.predicateType, predicateTypeUri(type));
    assert.equal(parsed.subject[0].digest?.get("sha256"), DIGEST);
    checkTypedStatement(type, got);
  });
}

Deno.test("generateStatement() wraps --type custom's URI like custom", () => {
  const got = dec(generateStatement({
    predicate: enc("{}"),
    type: "https://cosign.sigstore.dev/attestation/v1",
    digest: "ab",
    name: "x",
    now: () => new Date("2024-01-02T03:04:05.678Z"),
  }));
  assert.match(got, /"predicate":\{"Data":"\{\}","Timestamp":"2024-01-02T03:04:05Z"\}\}$/);
});

const BAD: [string, string, RegExp][] = [
  [
    "spdxjson",
    "not json",
    /^not valid JSON: invalid character 'o' in literal null \(expecting 'u'\)$/,
  ],
  ["cyclonedx", "", /^not valid JSON: unexpected end of JSON input$/],
  ["openvex", "{} x", /^not valid JSON: invalid character 'x' after top-level value$/],
  ["vuln", "[", /^not valid JSON: unexpected end of JSON input$/],
  ["slsaprovenance", "nope", /^provenance predicate: not valid JSON: invalid character 'o'/],
  ["slsaprovenance", '{"buildType":"x"}', /^provenance predicate: required field builder missing$/],
  [
    "slsaprovenance",
    "[1]",
    /cannot unmarshal array into Go value of type map\[string\]interface \{\}$/,
  ],
  [
    "slsaprovenance",
    '{"builder":{"id":1},"buildType":"x"}',
    /^unmarshal Provenance predicate: json: cannot unmarshal number into Go struct field ProvenanceBuilder\.builder\.id of type string$/,
  ],
  [
    "slsaprovenance",
    '{"builder":{"id":"1"},"buildType":"x","metadata":{"buildStartedOn":"2023-01-02"}}',
    /^unmarshal Provenance predicate: parsing time "2023-01-02"/,
  ],
  ["slsaprovenance1", '{"buildDefinition":{}}', /required field runDetails missing$/],
  ["link", '{"name":"n"}', /^link statement: required field _type missing$/],
  [
    "link",
    '{"_type":"","name":"","materials":{},"products":{},"byproducts":{},"command":"ls","environment":{}}',
    /^unmarshal Link statement: json: cannot unmarshal string into Go struct field Link\.command of type \[\]string$/,
  ],
  [
    "https://x.dev/y",
    "[]",
    /^invalid JSON payload for predicate type https:\/\/x\.dev\/y: json: cannot unmarshal array/,
  ],
  [
    "notauri",
    "<",
    /^invalid JSON payload for predicate type notauri: not valid JSON: invalid character '<' looking for beginning of value$/,
  ],
];

for (const [type, predicate, message] of BAD) {
  Deno.test(`generateStatement() rejects ${JSON.stringify(predicate)} for --type ${type}`, () => {
    assert.throws(
      () => generateStatement({ predicate: enc(predicate), type, digest: "00", name: "b" }),
      (e) => e instanceof PredicateError && message.test(e.message),
    );
  });
}

Deno.test("generateStatement() accepts null for a predicate type URI, as Go does (nil map)", () => {
  const got = dec(
    generateStatement({ predicate: enc("null"), type: "https://a/b", digest: "00", name: "b" }),
  );
  assert.match(got, /"predicate":null\}$/);
});

Deno.test("validateStatement() checks shapes like Go's v1.Statement and rejects null", () => {
  validateStatement(
    enc('{"_type":"x","subject":[{"name":"a","digest":{"sha256":"00"}}],"predicate":{"a":1}}'),
  );
  assert.throws(
    () => validateStatement(enc('{"subject":"x"}')),
    /^PredicateError: invalid statement: json: cannot unmarshal string into Go struct field Statement\.subject of type \[\]\*v1\.ResourceDescriptor$/,
  );
  assert.throws(
    () => validateStatement(enc("[1]")),
    /json: cannot unmarshal array into Go value of type v1\.Statement$/,
  );
  assert.throws(() => validateStatement(enc("null")), /invalid statement: the statement is null/);
  assert.throws(() => validateStatement(enc("{")), /invalid statement: not valid JSON/);
});

Deno.test("parseStatement() matches field names case-insensitively, the last one winning", () => {
  const s = parseStatement(enc('{"predicateType":"a","PREDICATETYPE":"b","subject":null}'));
  assert.equal(s.predicateType, "b");
  assert.deepEqual(s.subject, []);
});

Deno.test("checkTypedStatement() rejects a link predicate of the wrong shape", () => {
  const st = enc('{"predicateType":"https://in-toto.io/Link/v1","predicate":{"command":1}}');
  checkTypedStatement("custom", st);
  assert.throws(
    () => checkTypedStatement("link", st),
    /^PredicateError: unmarshaling LinkStatement: json: cannot unmarshal number into Go struct field Link\.predicate\.command of type \[\]string$/,
  );
});

Deno.test("policyPayload: the statement through cosign's Go type of --type, marshalled back", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const cases: [string, string, string][] = [
    [
      "custom",
      `{"extra":1,"predicate":{"b":1,"a":["<&>",1e21]},"subject":[{"name":"a","digest":{"sha256":"ab"},"x":2}],"predicateType":"p","_type":"t"}`,
      `{"_type":"t","predicateType":"p","subject":[{"name":"a","digest":{"sha256":"ab"}}],"predicate":{"a":["\\u003c\\u0026\\u003e",1e+21],"b":1}}`,
    ],
    [
      "https://example.com/p",
      `{"predicateType":"p"}`,
      `{"_type":"","predicateType":"p","subject":null,"predicate":null}`,
    ],
    [
      "slsaprovenance",
      `{"predicateType":"p","subject":[],"predicate":{"builder":{"id":"x"},"unknown":1}}`,
      `{"_type":"","predicateType":"p","subject":[],"predicate":{"builder":{"id":"x"},"buildType":"","invocation":{"configSource":{}}}}`,
    ],
  ];
  for (const [type, input, want] of cases) {
    assert.equal(policyPayload(type, enc(input)), want, type);
  }
  assert.throws(
    () => policyPayload("link", enc(`{"predicate":{"materials":1}}`)),
    (e: unknown) =>
      e instanceof PredicateError && /^unmarshal in-toto statement: json: /.test(e.message),
  );
});
