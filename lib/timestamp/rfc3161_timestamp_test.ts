import assert from "node:assert/strict";
import { fixture, fixtureText } from "../../tests/helpers/timestamp_fixtures.ts";
import { marshalRfc3161Timestamp, parseRfc3161Timestamp } from "./rfc3161_timestamp.ts";
import { parseTimestampResponse } from "./parse_timestamp_response.ts";

const cosignFile = fixtureText("tsa-v2.1.3/blob.timestamp.json");

Deno.test("parseRfc3161Timestamp() reads the file Go cosign sign-blob --rfc3161-timestamp wrote", () => {
  const der = parseRfc3161Timestamp(cosignFile);
  assert.equal(der.length, 1158);
  assert.equal(parseTimestampResponse(der).token!.tstInfo.policy, "1.3.6.1.4.1.57264.2");
  assert.deepEqual(parseRfc3161Timestamp(new TextEncoder().encode(cosignFile)), der);
  assert.deepEqual(parseRfc3161Timestamp(JSON.parse(cosignFile)), der);
});

Deno.test("marshalRfc3161Timestamp() writes cosign's file byte for byte", () => {
  assert.equal(marshalRfc3161Timestamp(parseRfc3161Timestamp(cosignFile)), cosignFile);
  const ours = fixture("tsa-v2.1.3/ours.tsr");
  assert.equal(
    marshalRfc3161Timestamp(ours),
    `{"SignedRFC3161Timestamp":"${ours.toBase64()}"}`,
  );
});

Deno.test("parseRfc3161Timestamp() follows Go's encoding/json", () => {
  const table: [string, string][] = [
    ['{"signedrfc3161timestamp":"AQID"}', "010203"], // case-insensitive field name
    ['{"SignedRFC3161Timestamp":"AQ\\nID"}', "010203"], // line breaks in base64 are skipped
    ['{"SignedRFC3161Timestamp":null}', ""],
    ["{}", ""], // cosign then fails verification, as we do
    ["null", ""],
    ['{"SignedRFC3161Timestamp":"AQID","Other":1}', "010203"],
  ];
  for (const [input, hex] of table) {
    assert.equal(parseRfc3161Timestamp(input).toHex(), hex, input);
  }
});

Deno.test("parseRfc3161Timestamp() rejects what Go's encoding/json rejects", () => {
  const table: [string, string][] = [
    ["{", "Cannot read RFC 3161 timestamp: "],
    ["[]", "Cannot read RFC 3161 timestamp: not a JSON object"],
    ['"AQID"', "Cannot read RFC 3161 timestamp: not a JSON object"],
    [
      '{"SignedRFC3161Timestamp":1}',
      "Cannot read RFC 3161 timestamp: SignedRFC3161Timestamp is not a base64 string",
    ],
    [
      '{"SignedRFC3161Timestamp":"AQI"}',
      "Cannot read RFC 3161 timestamp: SignedRFC3161Timestamp is not valid base64",
    ],
    [
      '{"SignedRFC3161Timestamp":"AQ-_"}',
      "Cannot read RFC 3161 timestamp: SignedRFC3161Timestamp is not valid base64",
    ],
  ];
  for (const [input, prefix] of table) {
    assert.throws(() => parseRfc3161Timestamp(input), (e: unknown) => {
      assert.ok(e instanceof SyntaxError, input);
      assert.ok(e.message.startsWith(prefix), `${input}: ${e.message}`);
      return true;
    });
  }
  assert.throws(() => parseRfc3161Timestamp("x".repeat(2 * 1024 * 1024 + 1)), {
    name: "RangeError",
    message: "Cannot read RFC 3161 timestamp: larger than 2097152 bytes",
  });
});
