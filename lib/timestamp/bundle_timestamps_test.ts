import assert from "node:assert/strict";
import { bundleFixture, fixtureText } from "../../tests/helpers/timestamp_fixtures.ts";
import { bundleRfc3161Timestamps } from "./bundle_timestamps.ts";

Deno.test("bundleRfc3161Timestamps() reads the signed timestamps of real bundles", () => {
  for (
    const path of [
      "sigstore-python/staging-rekor-v2.txt.sigstore.json",
      "sigstore-python/a.dsse.staging-rekor-v2.txt.sigstore.json",
      "sigstore-go/public-key-validity.sigstore.json",
    ]
  ) {
    const list = bundleRfc3161Timestamps(JSON.parse(fixtureText(path)));
    assert.deepEqual(list, [bundleFixture(path).timestamp], path);
  }
});

Deno.test("bundleRfc3161Timestamps() accepts protobuf JSON's other spellings", () => {
  const b = {
    verification_material: {
      timestamp_verification_data: { rfc3161_timestamps: [{ signed_timestamp: "AQ-_" }] },
    },
  };
  assert.deepEqual(bundleRfc3161Timestamps(b), [Uint8Array.of(0x01, 0x0f, 0xbf)]);
  assert.deepEqual(bundleRfc3161Timestamps({ verificationMaterial: {} }), []);
  assert.deepEqual(
    bundleRfc3161Timestamps({
      verificationMaterial: { timestampVerificationData: { rfc3161Timestamps: [] } },
    }),
    [],
  );
});

Deno.test("bundleRfc3161Timestamps() rejects malformed lists", () => {
  const wrap = (list: unknown) => ({
    verificationMaterial: { timestampVerificationData: { rfc3161Timestamps: list } },
  });
  const table: [unknown, string][] = [
    [[], "the bundle is not a JSON object"],
    [wrap({}), "rfc3161Timestamps is not a list"],
    [wrap([1]), "rfc3161Timestamps[0] is not an object"],
    [wrap([{}]), "rfc3161Timestamps[0] has no signedTimestamp"],
    [
      wrap([{ signedTimestamp: "not base64!" }]),
      "rfc3161Timestamps[0].signedTimestamp is not base64",
    ],
    [wrap(Array(33).fill({ signedTimestamp: "AA==" })), "too many signed timestamps: 33 > 32"],
  ];
  for (const [input, detail] of table) {
    assert.throws(() => bundleRfc3161Timestamps(input), {
      name: "SyntaxError",
      message: `Cannot read bundle timestamps: ${detail}`,
    }, detail);
  }
});
