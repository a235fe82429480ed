import assert from "node:assert/strict";
import { VerificationError } from "../errors.ts";
import { cosignBlobSignature, fixture } from "../../tests/helpers/timestamp_fixtures.ts";
import {
  chainWitnesses,
  dsseSignatureBytes,
  timestampWitness,
  tsaTimestamper,
} from "./timestamp_signature.ts";
import type { SignatureWitness } from "./sign_image.ts";

// A real answer of timestamp-authority v2.1.3 for cosignBlobSignature() (tests/fixtures/timestamp).
const ours = fixture("tsa-v2.1.3/ours.tsr");
const GO_ENVELOPE = fixture("../attest/go-link.intoto.json");

/** A fetch answering every request with `body`, recording the requests. */
function answering(body: Uint8Array) {
  const requests: { url: string; type: string | null }[] = [];
  const fetch = ((input: string | URL | Request, init?: RequestInit) => {
    requests.push({ url: String(input), type: new Headers(init?.headers).get("content-type") });
    return Promise.resolve(new Response(body.slice() as Uint8Array<ArrayBuffer>, { status: 200 }));
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

Deno.test("tsaTimestamper() refuses an answer for another message or another nonce, and reports no time", async () => {
  const cases: [string, Uint8Array, string, string][] = [
    [
      "another signature",
      new Uint8Array(64).fill(7),
      "TIMESTAMP_IMPRINT_MISMATCH",
      "Cannot get timestamp: the response is for another message imprint",
    ],
    [
      // The same signature, but the answer echoes another request's nonce.
      "its signature, another request",
      cosignBlobSignature(),
      "TIMESTAMP_NONCE_MISMATCH",
      "Cannot get timestamp: the response's nonce differs from the request's",
    ],
  ];
  for (const [what, signature, code, message] of cases) {
    const tsa = answering(ours);
    const times: Date[] = [];
    const stamp = tsaTimestamper({
      url: "http://tsa.test/api/v1/timestamp",
      http: { fetch: tsa.fetch },
      onTimestamp: (t) => void times.push(t),
    });
    await assert.rejects(stamp(signature), (e: unknown) => {
      assert.ok(e instanceof VerificationError, what);
      assert.equal(e.code, code, what);
      assert.equal(e.message, message, what);
      return true;
    });
    assert.deepEqual(tsa.requests, [{
      url: "http://tsa.test/api/v1/timestamp",
      type: "application/timestamp-query",
    }]);
    assert.deepEqual(times, [], what);
  }
});

Deno.test("tsaTimestamper() refuses a client certificate without its key", async () => {
  const stamp = tsaTimestamper({
    url: "https://tsa.test/api/v1/timestamp",
    tls: { clientCert: "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n" },
  });
  await assert.rejects(stamp(new Uint8Array(1)), {
    name: "TypeError",
    message: '"clientCert" and "clientKey" must be given together',
  });
});

Deno.test("dsseSignatureBytes() is the envelope's first signature, decoded (cosign GetDSSESigBytes)", () => {
  const env = JSON.parse(new TextDecoder().decode(GO_ENVELOPE));
  assert.deepEqual(dsseSignatureBytes(GO_ENVELOPE), Uint8Array.fromBase64(env.signatures[0].sig));
  const two = new TextEncoder().encode(JSON.stringify({
    payloadType: "t",
    payload: "",
    signatures: [{ keyid: "", sig: "AQI=" }, { keyid: "", sig: "AwQ=" }],
  }));
  assert.deepEqual(dsseSignatureBytes(two), new Uint8Array([1, 2]));
});

Deno.test("dsseSignatureBytes() refuses envelopes without a usable signature", () => {
  const cases: [string, string, RegExp][] = [
    ["not JSON", "{", /^Cannot timestamp DSSE envelope: /],
    [
      "no signatures",
      '{"payloadType":"t","payload":"","signatures":[]}',
      /^Cannot timestamp DSSE envelope: envelope has no signatures$/,
    ],
    [
      "null signatures",
      '{"payloadType":"t","payload":""}',
      /^Cannot timestamp DSSE envelope: envelope has no signatures$/,
    ],
    [
      "not base64",
      '{"payloadType":"t","payload":"","signatures":[{"sig":"!!"}]}',
      /^Cannot timestamp DSSE envelope: the signature is not base64$/,
    ],
  ];
  for (const [what, text, message] of cases) {
    assert.throws(() => dsseSignatureBytes(new TextEncoder().encode(text)), (e: unknown) => {
      assert.ok(e instanceof SyntaxError, what);
      assert.match(e.message, message, what);
      return true;
    });
  }
});

Deno.test("timestampWitness() stamps the raw signature and returns cosign's annotation JSON", async () => {
  const seen: Uint8Array[] = [];
  const witness = timestampWitness((sig) => {
    seen.push(sig);
    return Promise.resolve(new Uint8Array([0x30, 0x00]));
  });
  const got = await witness({
    digest: "sha256:00",
    payload: new Uint8Array([9]),
    signature: new Uint8Array([1, 2, 3]),
  });
  assert.deepEqual(got, { rfc3161Timestamp: '{"SignedRFC3161Timestamp":"MAA="}' });
  assert.deepEqual(seen, [new Uint8Array([1, 2, 3])]);
});

Deno.test("chainWitnesses() runs witnesses in order, merges their annotations and stops at the first failure", async () => {
  assert.equal(chainWitnesses(), undefined);
  assert.equal(chainWitnesses(undefined, undefined), undefined);
  const order: string[] = [];
  const a: SignatureWitness = () => {
    order.push("a");
    return Promise.resolve({ rfc3161Timestamp: "T" });
  };
  const b: SignatureWitness = () => {
    order.push("b");
    return Promise.resolve({ bundle: "B" });
  };
  assert.equal(chainWitnesses(undefined, a), a);
  const signed = { digest: "sha256:00", payload: new Uint8Array(), signature: new Uint8Array() };
  assert.deepEqual(await chainWitnesses(a, undefined, b)!(signed), {
    rfc3161Timestamp: "T",
    bundle: "B",
  });
  assert.deepEqual(order, ["a", "b"]);
  order.length = 0;
  const failing: SignatureWitness = () => Promise.reject(new Error("refused"));
  await assert.rejects(chainWitnesses(failing, b)!(signed), { message: "refused" });
  assert.deepEqual(order, []);
});
