import assert from "node:assert/strict";
import { fixture } from "../../tests/helpers/timestamp_fixtures.ts";
import {
  parseSignedTimestamp,
  parseTimestampResponse,
  PKI_STATUS,
} from "./parse_timestamp_response.ts";

const hex = (s: string) => Uint8Array.fromHex(s.replace(/\s/g, ""));

Deno.test("parseTimestampResponse() reads a rejection (OpenSSL TSA)", () => {
  const resp = parseTimestampResponse(fixture("openssl/rejected.tsr"));
  assert.equal(resp.status, PKI_STATUS.rejection);
  assert.deepEqual(resp.statusStrings, ["Requested policy is not supported."]);
  assert.deepEqual(resp.failInfo, [15]); // unacceptedPolicy
  assert.equal(resp.token, undefined);
});

Deno.test("parseTimestampResponse() reads a granted response with its token", () => {
  const der = fixture("tsa-v2.1.3/ours.tsr");
  const resp = parseTimestampResponse(der);
  assert.equal(resp.status, PKI_STATUS.granted);
  assert.deepEqual(resp.statusStrings, []);
  assert.deepEqual(resp.failInfo, []);
  assert.equal(resp.der, der);
  // The token is the response's second element (its DER starts 4 + 5 bytes in).
  assert.deepEqual(resp.token!.der, der.subarray(9));
});

Deno.test("parseSignedTimestamp() accepts a bare token as granted", () => {
  const resp = parseSignedTimestamp(fixture("cms/good-ski.token"));
  assert.equal(resp.status, PKI_STATUS.granted);
  assert.equal(resp.token!.tstInfo.policy, "1.2.3.4.1");
});

Deno.test("parseTimestampResponse() rejects malformed responses", () => {
  const table: [string, string, string][] = [
    ["no status", "3000", "TimeStampResp: wrong element count"],
    ["status not a SEQUENCE", "3003 020100", "PKIStatusInfo: unexpected ASN.1 tag"],
    ["negative status", "3005 3003 0201ff", "PKIStatus out of range"],
    ["free text not UTF8String", "300a 3008 020102 3003 130141", "PKIFreeText: not a UTF8String"],
    ["bad failInfo", "3008 3006 020102 030108", "PKIFailureInfo: malformed BIT STRING"],
    ["extra element", "3008 3006 020100 020100", "PKIStatusInfo: unexpected element"],
  ];
  for (const [name, input, detail] of table) {
    assert.throws(() => parseTimestampResponse(hex(input)), {
      name: "SyntaxError",
      message: `Cannot parse timestamp response: ${detail}`,
    }, name);
  }
});
