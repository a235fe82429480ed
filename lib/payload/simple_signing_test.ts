import assert from "node:assert/strict";
import {
  checkSimpleSigningClaims,
  marshalSimpleSigning,
  parseSimpleSigningPayload,
  simpleSigningPayload,
} from "./simple_signing.ts";

const FIXTURES = new URL("../../tests/fixtures/cosign-oci/", import.meta.url);
const DIGEST = "sha256:ecfa557d3ad2895613583424c60d54a45ffdc5824486f8727793eef5eafdcff3";
const dec = new TextDecoder();

Deno.test("simpleSigningPayload() matches the payload cosign v2.6.4 signed", async () => {
  const golden = await Deno.readFile(new URL("oci-two-signatures/layer-0.json", FIXTURES));
  const ours = simpleSigningPayload({ dockerReference: "127.0.0.1:5077/test/app", digest: DIGEST });
  assert.equal(dec.decode(ours), dec.decode(golden));
});

Deno.test("simpleSigningPayload() writes annotations sorted and HTML-escaped, as cosign -a does", async () => {
  const golden = await Deno.readFile(new URL("oci-two-signatures/layer-1.json", FIXTURES));
  const ours = simpleSigningPayload({
    dockerReference: "127.0.0.1:5077/test/app",
    digest: DIGEST,
    annotations: { html: "<a&b>", foo: "bar" },
  });
  assert.equal(dec.decode(ours), dec.decode(golden));
});

Deno.test("simpleSigningPayload() uses the claimed identity when given", () => {
  const p = simpleSigningPayload({
    dockerReference: "r.io/a",
    digest: DIGEST,
    claimedIdentity: "r.io/b:v1",
  });
  assert.equal(parseSimpleSigningPayload(p).critical.identity["docker-reference"], "r.io/b:v1");
});

Deno.test("parseSimpleSigningPayload() keeps known fields and drops the rest", () => {
  const p = parseSimpleSigningPayload(new TextEncoder().encode(
    '{"extra":1,"critical":{"type":"t","image":{"docker-manifest-digest":"d"}},"optional":{"b":2,"a":"x"}}',
  ));
  assert.equal(
    marshalSimpleSigning(p),
    '{"critical":{"identity":{"docker-reference":""},"image":{"docker-manifest-digest":"d"},"type":"t"},"optional":{"a":"x","b":2}}',
  );
});

Deno.test("parseSimpleSigningPayload() rejects malformed payloads", () => {
  const cases: Array<[string, RegExp]> = [
    ["not json", /Cannot parse payload/],
    ['{"critical":[]}', /critical is not an object/],
    ['{"critical":{"type":1}}', /critical.type is not a string/],
    ['{"optional":"x"}', /optional is not an object/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseSimpleSigningPayload(new TextEncoder().encode(text)), {
      name: "SyntaxError",
      message,
    });
  }
  assert.throws(() => parseSimpleSigningPayload(new Uint8Array(11), 10), RangeError);
});

Deno.test("checkSimpleSigningClaims() checks the digest and wanted annotations only", () => {
  const p = parseSimpleSigningPayload(simpleSigningPayload({
    dockerReference: "other/repo",
    digest: DIGEST,
    annotations: { a: "1", n: 2 },
  }));
  assert.equal(checkSimpleSigningClaims(p, DIGEST), undefined);
  assert.equal(checkSimpleSigningClaims(p, DIGEST, { a: "1" }), undefined);
  assert.equal(
    checkSimpleSigningClaims(p, "sha256:00"),
    `invalid or missing digest in claim: ${DIGEST}`,
  );
  assert.equal(checkSimpleSigningClaims(p, DIGEST, { a: "2" }), "missing or incorrect annotation");
  assert.equal(checkSimpleSigningClaims(p, DIGEST, { n: "2" }), "missing or incorrect annotation");
  assert.equal(checkSimpleSigningClaims(p, DIGEST, { z: "" }), "missing or incorrect annotation");
});
