import assert from "node:assert/strict";
import { IoError } from "./errors.ts";
import {
  createTlsClient,
  httpRequest,
  httpRequestSafeRedirects,
  isRetryableStatus,
  readBodyBounded,
} from "./http.ts";
import { intoReader } from "./stream.ts";

/** A fetch that answers from a script and records what it was asked. */
function scripted(answers: (Response | Error | (() => Promise<Response>))[]) {
  const calls: { url: string; method: string; headers: Headers; body?: string }[] = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({
      url: String(input),
      method: init?.method ?? "GET",
      headers: new Headers(init?.headers),
      body: typeof init?.body === "string" ? init.body : undefined,
    });
    const next = answers.shift();
    if (!next) throw new Error("unexpected request");
    if (next instanceof Error) throw next;
    return typeof next === "function" ? await next() : next;
  }) as typeof fetch;
  return { fetchFn, calls };
}

function recorder() {
  const delays: number[] = [];
  return { delays, sleep: (ms: number) => (delays.push(ms), Promise.resolve()) };
}

Deno.test("isRetryableStatus() retries 408, 429 and 5xx but not 501/505 or 4xx", () => {
  for (const s of [408, 429, 500, 502, 503, 504]) assert.equal(isRetryableStatus(s), true, `${s}`);
  for (const s of [200, 400, 401, 403, 404, 501, 505]) assert.equal(isRetryableStatus(s), false);
});

Deno.test("httpRequest() retries 500 and connection errors with growing backoff", async () => {
  const { fetchFn, calls } = scripted([
    new Response("", { status: 500 }),
    new TypeError("connection reset"),
    new Response("ok"),
  ]);
  const { delays, sleep } = recorder();
  const res = await httpRequest({ url: "http://x/a" }, {
    fetch: fetchFn,
    sleep,
    retry: { baseDelayMs: 100, maxDelayMs: 1000 },
  });
  assert.equal(await res.text(), "ok");
  assert.equal(calls.length, 3);
  assert.equal(delays.length, 2);
  assert.ok(delays[0] >= 50 && delays[0] <= 100, `${delays}`);
  assert.ok(delays[1] >= 100 && delays[1] <= 200, `${delays}`);
});

Deno.test("httpRequest() honours Retry-After up to its cap", async () => {
  const { fetchFn } = scripted([
    new Response("", { status: 429, headers: { "retry-after": "3" } }),
    new Response("", { status: 503, headers: { "retry-after": "3600" } }),
    new Response("ok"),
  ]);
  const { delays, sleep } = recorder();
  await httpRequest({ url: "http://x/" }, {
    fetch: fetchFn,
    sleep,
    retry: { maxRetryAfterMs: 10_000 },
  });
  assert.deepEqual(delays, [3000, 10_000]);
});

Deno.test("httpRequest() returns the last response once attempts are used up", async () => {
  const { fetchFn, calls } = scripted([500, 502, 503].map((s) => new Response("", { status: s })));
  const res = await httpRequest({ url: "http://x/" }, {
    fetch: fetchFn,
    sleep: recorder().sleep,
    retry: { attempts: 3 },
  });
  assert.equal(res.status, 503);
  assert.equal(calls.length, 3);
});

Deno.test("httpRequest() throws NETWORK after connection errors, without the query", async () => {
  const { fetchFn } = scripted([new TypeError("refused"), new TypeError("refused")]);
  const err = await httpRequest({ url: "http://x/up?_state=secret" }, {
    fetch: fetchFn,
    sleep: recorder().sleep,
    retry: { attempts: 2 },
  }).catch((e) => e);
  assert.ok(err instanceof IoError);
  assert.equal(err.code, "NETWORK");
  assert.equal(err.message, "Cannot reach http://x/up: refused");
});

Deno.test("httpRequest() does not retry POST, PATCH or a one-shot stream body", async () => {
  for (
    const req of [
      { url: "http://x/", method: "POST", body: "a" },
      { url: "http://x/", method: "PATCH", body: "a" },
      { url: "http://x/", method: "PUT", body: new Blob(["a"]).stream() },
    ]
  ) {
    const { fetchFn, calls } = scripted([new Response("", { status: 500 })]);
    const res = await httpRequest(req, { fetch: fetchFn, sleep: recorder().sleep });
    assert.equal(res.status, 500);
    assert.equal(calls.length, 1, req.method);
  }
  // ...unless the caller says the request is safe to repeat.
  const { fetchFn, calls } = scripted([new Response("", { status: 500 }), new Response("ok")]);
  await httpRequest({ url: "http://x/", method: "POST", retry: true, body: () => "b" }, {
    fetch: fetchFn,
    sleep: recorder().sleep,
  });
  assert.equal(calls.length, 2);
});

Deno.test("httpRequest() times out a request without data", async () => {
  const fetchFn = ((_u: unknown, init?: RequestInit) =>
    new Promise((_, reject) => {
      init?.signal?.addEventListener("abort", () => reject(init.signal!.reason));
    })) as typeof fetch;
  const err = await httpRequest({ url: "http://x/slow" }, {
    fetch: fetchFn,
    timeoutMs: 20,
    retry: { attempts: 1 },
  }).catch((e) => e);
  assert.ok(err instanceof IoError);
  assert.equal(err.message, "Cannot reach http://x/slow: timed out after 20 ms without data");
});

Deno.test("httpRequest() times out a body that stalls", async () => {
  const { fetchFn } = scripted([new Response(new ReadableStream({ pull() {} }))]);
  const res = await httpRequest({ url: "http://x/" }, { fetch: fetchFn, timeoutMs: 20 });
  const err = await res.text().catch((e) => e);
  assert.ok(err instanceof IoError, String(err));
  assert.equal(err.code, "NETWORK");
});

Deno.test("httpRequest() stops when the caller aborts", async () => {
  const ctrl = new AbortController();
  const { fetchFn } = scripted([new Response("", { status: 500 }), new Response("")]);
  const p = httpRequest({ url: "http://x/" }, {
    fetch: fetchFn,
    signal: ctrl.signal,
    sleep: (_ms, signal) => {
      ctrl.abort(new DOMException("stop", "AbortError"));
      return Promise.reject(signal!.reason);
    },
  });
  await assert.rejects(p, { name: "AbortError" });
});

Deno.test("readBodyBounded() enforces the limit on Content-Length and while reading", async () => {
  assert.deepEqual(await readBodyBounded(new Response("abc"), 3), new TextEncoder().encode("abc"));
  await assert.rejects(
    readBodyBounded(new Response("abcd", { headers: { "content-length": "4" } }), 3, "manifest"),
    { name: "RangeError", message: "Cannot read manifest: larger than 3 bytes" },
  );
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(c) {
      pulled++;
      c.enqueue(new Uint8Array(1024));
    },
  });
  await assert.rejects(readBodyBounded(new Response(endless), 10_000), RangeError);
  assert.ok(pulled <= 12);
});

Deno.test("httpRequestSafeRedirects() drops Authorization on cross-origin redirects", async () => {
  const { fetchFn, calls } = scripted([
    new Response(null, { status: 307, headers: { location: "/v2/moved" } }),
    new Response(null, { status: 302, headers: { location: "http://storage:9000/blob?sig=1" } }),
    new Response("data"),
  ]);
  const res = await httpRequestSafeRedirects({
    url: "http://reg:5000/v2/blob",
    headers: { authorization: "Basic c2VjcmV0" },
  }, { fetch: fetchFn });
  assert.equal(await res.text(), "data");
  assert.deepEqual(calls.map((c) => [c.url, c.headers.get("authorization")]), [
    ["http://reg:5000/v2/blob", "Basic c2VjcmV0"],
    ["http://reg:5000/v2/moved", "Basic c2VjcmV0"],
    ["http://storage:9000/blob?sig=1", null],
  ]);
});

Deno.test("httpRequestSafeRedirects() gives up after too many redirects", async () => {
  const loop = Array.from(
    { length: 3 },
    () => new Response(null, { status: 302, headers: { location: "/again" } }),
  );
  const { fetchFn } = scripted(loop);
  await assert.rejects(
    httpRequestSafeRedirects({ url: "http://reg/" }, { fetch: fetchFn }, 2),
    { message: "Cannot reach http://reg/: too many redirects" },
  );
});

Deno.test("createTlsClient() needs both halves of a client certificate", () => {
  assert.equal(createTlsClient({}), undefined);
  assert.throws(() => createTlsClient({ clientCert: "x" }), TypeError);
});

Deno.test("httpRequest() passes a BYOB reader's buffer through to the body, in reads of its size", async () => {
  // A byte-stream body that records the views it is asked to fill: a default reader on the way
  // would show up as 64 KiB views and fresh buffers.
  const body = new Uint8Array(300_000).map((_, i) => i % 251);
  const asked: number[] = [];
  let off = 0;
  const source = new ReadableStream({
    type: "bytes",
    pull(c) {
      const v = c.byobRequest!.view as Uint8Array;
      asked.push(v.byteLength);
      if (off >= body.length) {
        c.close();
        c.byobRequest!.respond(0);
        return;
      }
      const n = Math.min(v.byteLength, body.length - off);
      v.set(body.subarray(off, off + n));
      off += n;
      c.byobRequest!.respond(n);
    },
  });
  const { fetchFn } = scripted([new Response(source)]);
  const res = await httpRequest({ url: "http://x/blob" }, { fetch: fetchFn });
  const reader = intoReader(res.body!);
  let buf = new ArrayBuffer(200_000);
  const reads: number[] = [];
  let total = 0;
  for (;;) {
    const got = await reader.read(new Uint8Array(buf));
    buf = got.buffer as ArrayBuffer;
    if (got.byteLength === 0) break;
    assert.deepEqual(got, body.subarray(total, total + got.byteLength));
    total += got.byteLength;
    reads.push(got.byteLength);
  }
  assert.deepEqual(reads, [200_000, 100_000]);
  assert.deepEqual(asked, [200_000, 200_000, 200_000]);
});

Deno.test("httpRequest() bodies still read whole with a default reader", async () => {
  const chunks = ["a", "bc", "def"];
  const { fetchFn } = scripted([
    new Response(
      new ReadableStream({
        start(c) {
          for (const t of chunks) c.enqueue(new TextEncoder().encode(t));
          c.close();
        },
      }),
    ),
    new Response("plain text"),
  ]);
  const first = await httpRequest({ url: "http://x/a" }, { fetch: fetchFn });
  assert.equal(await first.text(), "abcdef");
  const second = await httpRequest({ url: "http://x/b" }, { fetch: fetchFn });
  assert.equal(await second.text(), "plain text");
});
