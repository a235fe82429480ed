import assert from "node:assert/strict";
import {
  cosignBlobSignature,
  fixture,
  fixtureText,
  pemFixture,
} from "../../tests/helpers/timestamp_fixtures.ts";
import { parseRfc3161Timestamp } from "./rfc3161_timestamp.ts";
import { verifySignedTimestamps } from "./verify_signed_timestamps.ts";
import type { TimestampAuthority } from "./verify_timestamp.ts";

const signature = cosignBlobSignature();
const a: TimestampAuthority = {
  certChain: pemFixture("tsa-v2.1.3/tsa-chain.pem"),
  validFor: { start: 0 },
  uri: "http://a.test",
};
const b: TimestampAuthority = {
  certChain: pemFixture("tsa-v2.1.3/tsa-chain-2.pem"),
  validFor: { start: 0 },
  uri: "http://b.test",
};
const ours = fixture("tsa-v2.1.3/ours.tsr");
const cosigns = parseRfc3161Timestamp(fixtureText("tsa-v2.1.3/blob.timestamp.json"));
const withChain = fixture("tsa-v2.1.3/with-chain.tsr");
const base = { signature, authorities: [a, b] };

Deno.test("verifySignedTimestamps() meets a threshold with distinct authorities", async () => {
  const got = await verifySignedTimestamps({
    ...base,
    timestamps: [ours, withChain],
    threshold: 2,
  });
  assert.deepEqual(got.verified.map((v) => v.authority.uri), ["http://a.test", "http://b.test"]);
  assert.deepEqual(got.errors, []);
});

Deno.test("verifySignedTimestamps() counts one timestamp per authority", async () => {
  const got = await verifySignedTimestamps({ ...base, timestamps: [ours, cosigns] });
  assert.equal(got.verified.length, 1);
  assert.equal(
    got.errors[0].message,
    "Cannot verify timestamp: duplicate timestamps from the same authority, ignoring http://a.test",
  );
  await assert.rejects(
    verifySignedTimestamps({ ...base, timestamps: [ours, cosigns], threshold: 2 }),
    {
      name: "VerificationError",
      code: "TIMESTAMP_UNTRUSTED",
      message: "Cannot verify timestamps: threshold not met for verified signed timestamps: " +
        "1 < 2: Cannot verify timestamp: duplicate timestamps from the same authority, " +
        "ignoring http://a.test",
    },
  );
});

Deno.test("verifySignedTimestamps() keeps the failure's code when the threshold is not met", async () => {
  await assert.rejects(
    verifySignedTimestamps({ ...base, signature: Uint8Array.of(1), timestamps: [ours] }),
    {
      name: "VerificationError",
      code: "TIMESTAMP_IMPRINT_MISMATCH",
      message: "Cannot verify timestamps: threshold not met for verified signed timestamps: " +
        "0 < 1: Cannot verify timestamp: hashed messages don't match",
    },
  );
  await assert.rejects(verifySignedTimestamps({ ...base, timestamps: [] }), {
    name: "VerificationError",
    code: "TIMESTAMP_UNTRUSTED",
    message: "Cannot verify timestamps: threshold not met for verified signed timestamps: " +
      "0 < 1: no signed timestamps",
  });
});

Deno.test("verifySignedTimestamps() refuses more than 32 timestamps", async () => {
  await assert.rejects(verifySignedTimestamps({ ...base, timestamps: Array(33).fill(ours) }), {
    name: "VerificationError",
    code: "TIMESTAMP_INVALID",
    message: "Cannot verify timestamps: too many signed timestamps: 33 > 32",
  });
});
