import assert from "node:assert/strict";
import { IoError, VerificationError } from "../errors.ts";
import {
  bundleFixture,
  cosignBlobSignature,
  fixture,
  tamper,
} from "../../tests/helpers/timestamp_fixtures.ts";
import { parseTimestampResponse } from "./parse_timestamp_response.ts";
import { requestTimestamp, type RequestTimestampOptions } from "./request_timestamp.ts";
import { sha256 } from "../digest.ts";
import { parseDer } from "../asn1/der.ts";

const URL_ = "http://tsa.test/api/v1/timestamp";
const ours = fixture("tsa-v2.1.3/ours.tsr");
const oursNonce = parseTimestampResponse(ours).token!.tstInfo.nonce!;
const signature = cosignBlobSignature();

/** A fetch that answers every request with the next of `answers` and records the requests. */
function fakeTsa(...answers: (() => Response)[]) {
  const requests: { url: string; method: string; type: string | null; body: Uint8Array }[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    requests.push({
      url: String(input),
      method: init?.method ?? "GET",
      type: new Headers(init?.headers).get("content-type"),
      body: new Uint8Array(await new Response(init?.body).arrayBuffer()),
    });
    return (answers[Math.min(requests.length - 1, answers.length - 1)])();
  };
  return { fetch: fetch as typeof globalThis.fetch, requests };
}

const reply = (body: string | Uint8Array, status = 200) => () =>
  new Response(typeof body === "string" ? body : body.slice() as Uint8Array<ArrayBuffer>, {
    status,
  });

function opts(fetch: typeof globalThis.fetch, over: Partial<RequestTimestampOptions> = {}) {
  return {
    url: URL_,
    signature,
    fetch,
    nonce: oursNonce,
    http: { sleep: () => Promise.resolve() },
    ...over,
  };
}

Deno.test("requestTimestamp() posts cosign's request and returns the response as received", async () => {
  const tsa = fakeTsa(reply(ours, 201));
  const got = await requestTimestamp(opts(tsa.fetch));
  assert.deepEqual(got.response, ours);
  assert.equal(new Date(got.genTime).toISOString(), "2026-12-04T15:53:10.000Z");
  assert.equal(got.tstInfo.nonce, oursNonce);
  assert.equal(tsa.requests.length, 1);
  const [req] = tsa.requests;
  assert.equal(req.url, URL_);
  assert.equal(req.method, "POST");
  assert.equal(req.type, "application/timestamp-query");
  assert.deepEqual(req.body, got.request.der);
  // TimeStampReq { 1, { sha256, SHA-256(signature) }, nonce, certReq TRUE }
  const parts = parseDer(req.body).children!;
  assert.deepEqual(parts[1].children![1].value, sha256(signature));
  assert.deepEqual(parts[3].raw, Uint8Array.of(0x01, 0x01, 0xff));
});

Deno.test("requestTimestamp() retries 5xx answers, then reports the status", async () => {
  const tsa = fakeTsa(reply("busy", 503), reply("busy", 503), reply(ours));
  await requestTimestamp(opts(tsa.fetch));
  assert.equal(tsa.requests.length, 3);
  const failing = fakeTsa(reply("down", 500));
  await assert.rejects(requestTimestamp(opts(failing.fetch)), {
    name: "IoError",
    code: "TIMESTAMP_REQUEST_FAILED",
    message: "Cannot get timestamp from http://tsa.test/api/v1/timestamp: " +
      "request to timestamp authority failed with status code 500",
  });
  assert.equal(failing.requests.length, 4);
});

Deno.test("requestTimestamp() rejects each bad answer with its code", async () => {
  const virtual = bundleFixture("sigstore-go/public-key-validity.sigstore.json");
  const token = parseTimestampResponse(ours).token!;
  const big = new Uint8Array(1024 * 1024 + 1);
  const streamed = () =>
    new Response(
      new ReadableStream({
        start(c) {
          for (let i = 0; i < 20; i++) c.enqueue(new Uint8Array(64 * 1024));
          c.close();
        },
      }),
    );
  const table: [string, Partial<RequestTimestampOptions>, () => Response, string, string][] = [
    [
      "HTTP 400 (timestamp-authority's answer to a bad request)",
      {},
      reply('{"code":400,"message":"bad"}', 400),
      "TIMESTAMP_REQUEST_FAILED",
      "Cannot get timestamp from http://tsa.test/api/v1/timestamp: " +
      "request to timestamp authority failed with status code 400",
    ],
    [
      "an oversized response (Content-Length)",
      {},
      reply(big),
      "TOO_LARGE",
      "Cannot get timestamp: response larger than 1048576 bytes",
    ],
    [
      "an oversized response (streamed)",
      { maxBytes: 1000 },
      streamed,
      "TOO_LARGE",
      "Cannot get timestamp: response larger than 1000 bytes",
    ],
    [
      "a rejection",
      {},
      reply(fixture("openssl/rejected.tsr")),
      "TIMESTAMP_NOT_GRANTED",
      "Cannot verify timestamp: the request is rejected: Requested policy is not supported. " +
      "(the requested TSA policy is not supported by the TSA)",
    ],
    [
      "not DER",
      {},
      reply("<html>"),
      "TIMESTAMP_INVALID",
      "Cannot get timestamp: Cannot parse timestamp response: DER input truncated",
    ],
    [
      "a bare token instead of a TimeStampResp",
      {},
      reply(token.der.slice()),
      "TIMESTAMP_INVALID",
      "Cannot get timestamp: Cannot parse timestamp response: PKIStatusInfo: unexpected ASN.1 tag",
    ],
    [
      "a token for another signature",
      { signature: new TextEncoder().encode("other") },
      reply(ours),
      "TIMESTAMP_IMPRINT_MISMATCH",
      "Cannot get timestamp: the response is for another message imprint",
    ],
    [
      "another nonce",
      { nonce: 7n },
      reply(ours),
      "TIMESTAMP_NONCE_MISMATCH",
      "Cannot get timestamp: the response's nonce differs from the request's",
    ],
    [
      "no nonce",
      { signature: virtual.signature },
      reply(virtual.timestamp),
      "TIMESTAMP_NONCE_MISMATCH",
      "Cannot get timestamp: expected a nonce but the response has none",
    ],
    [
      "another policy than requested",
      { policy: "1.2.3" },
      reply(ours),
      "TIMESTAMP_POLICY_MISMATCH",
      "Cannot get timestamp: policy 1.3.6.1.4.1.57264.2 is not 1.2.3",
    ],
    [
      "a tampered signature (the embedded certificate does not verify it)",
      {},
      reply(tamper(ours, token.signer.signature, 20)),
      "TIMESTAMP_SIGNATURE_INVALID",
      "Cannot verify timestamp: signature does not verify",
    ],
  ];
  for (const [name, over, answer, code, message] of table) {
    await assert.rejects(requestTimestamp(opts(fakeTsa(answer).fetch, over)), (e: unknown) => {
      assert.ok(e instanceof IoError || e instanceof VerificationError, `${name}: ${e}`);
      assert.equal(e.code, code, `${name}: ${e.message}`);
      assert.equal(e.message, message, name);
      return true;
    }, name);
  }
});

Deno.test("requestTimestamp() reports an unreachable authority", async () => {
  const fetch =
    (() => Promise.reject(new TypeError("connection refused"))) as typeof globalThis.fetch;
  await assert.rejects(requestTimestamp(opts(fetch)), {
    name: "IoError",
    code: "NETWORK",
    message: "Cannot reach http://tsa.test/api/v1/timestamp: connection refused",
  });
});

Deno.test("requestTimestamp() stops when aborted", async () => {
  const ctrl = new AbortController();
  ctrl.abort(new DOMException("stop", "AbortError"));
  const fetch =
    ((_: unknown, init?: RequestInit) =>
      Promise.reject(init?.signal?.reason)) as typeof globalThis.fetch;
  await assert.rejects(requestTimestamp({ ...opts(fetch), signal: ctrl.signal }), {
    name: "AbortError",
  });
});
