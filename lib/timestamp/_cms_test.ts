import assert from "node:assert/strict";
import { fixture, pemFixture } from "../../tests/helpers/timestamp_fixtures.ts";
import { parseCertificate } from "../x509/certificate.ts";
import { checkSigningCertificate, findSigner } from "./_cms.ts";
import { parseSignedTimestamp } from "./parse_timestamp_response.ts";

const token = parseSignedTimestamp(fixture("tsa-v2.1.3/ours.tsr")).token!;
const chain = pemFixture("tsa-v2.1.3/tsa-chain.pem").map(parseCertificate);

Deno.test("checkSigningCertificate() accepts the certificate the ESS attribute names", () => {
  checkSigningCertificate(token, chain[0]);
});

Deno.test("checkSigningCertificate() refuses another certificate", () => {
  for (
    const other of [chain[1], parseCertificate(pemFixture("tsa-v2.1.3/tsa-chain-2.pem")[0])]
  ) {
    assert.throws(() => checkSigningCertificate(token, other), {
      name: "VerificationError",
      code: "TIMESTAMP_SIGNING_CERT_MISMATCH",
      message:
        "Cannot verify timestamp: the signing-certificate attribute names another certificate",
    });
  }
});

Deno.test("findSigner() matches issuer and serial number exactly", () => {
  assert.equal(findSigner(token, chain), chain[0]);
  assert.equal(findSigner(token, chain.slice(1)), undefined);
});
