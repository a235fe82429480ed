import assert from "node:assert/strict";
import { SigstoreError } from "../errors.ts";
import { marshalSignedPayload, remarshalRekorBundle } from "./download_signatures.ts";

Deno.test("marshalSignedPayload() writes Go's SignedPayload JSON with nulls", () => {
  assert.equal(
    marshalSignedPayload({ base64Signature: "MEU<>", payload: new TextEncoder().encode("{}") }),
    '{"Base64Signature":"MEU\\u003c\\u003e","Payload":"e30=","Cert":null,"Chain":null,"Bundle":null,"RFC3161Timestamp":null}',
  );
});

Deno.test("marshalSignedPayload() refuses certificates it cannot print", () => {
  assert.throws(
    () =>
      marshalSignedPayload({ base64Signature: "x", payload: new Uint8Array(), certificate: "pem" }),
    (e) => e instanceof SigstoreError && e.code === "UNSUPPORTED",
  );
});

Deno.test("remarshalRekorBundle() re-marshals as Go's bundle.RekorBundle", () => {
  assert.equal(
    remarshalRekorBundle(
      '{"Payload":{"logID":"ab","logIndex":7,"integratedTime":1700000000,"body":"Ym9keQ=="},"signedEntryTimestamp":"AQID"}',
    ),
    '{"SignedEntryTimestamp":"AQID","Payload":{"body":"Ym9keQ==","integratedTime":1700000000,"logIndex":7,"logID":"ab"}}',
  );
});

Deno.test("remarshalRekorBundle() rejects a fractional logIndex and bad JSON", () => {
  for (const text of ['{"Payload":{"logIndex":1.5}}', "{"]) {
    assert.throws(
      () => remarshalRekorBundle(text),
      (e) =>
        e instanceof SigstoreError && e.code === "SIGNATURE_INVALID" &&
        e.message.startsWith("unmarshaling bundle: "),
    );
  }
});
