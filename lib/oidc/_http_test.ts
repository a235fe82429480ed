import assert from "node:assert/strict";
import { oidcHttpOptions, okJsonObject, postForm } from "./_http.ts";

Deno.test("postForm() posts the sorted form with its content type and the extra headers", async () => {
  const seen: Request[] = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    seen.push(new Request(input, init));
    return Promise.resolve(Response.json({ ok: true }));
  };
  const res = await postForm(
    "test",
    "https://idp.example/token",
    {
      scope: "openid email",
      client_id: "sigstore",
      redirect_uri: undefined,
    },
    { fetch },
    { authorization: "Basic eDp5" },
  );
  assert.equal(res.status, 200);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].method, "POST");
  assert.equal(seen[0].headers.get("content-type"), "application/x-www-form-urlencoded");
  assert.equal(seen[0].headers.get("authorization"), "Basic eDp5");
  assert.equal(await seen[0].text(), "client_id=sigstore&scope=openid+email");
});

Deno.test("okJsonObject() takes only a 200 answer with a JSON object", async () => {
  const answer = (body: string, status: number, statusText = "") =>
    postForm("test", "https://idp.example/token", {}, {
      fetch: () => Promise.resolve(new Response(body, { status, statusText })),
    });
  assert.deepEqual(okJsonObject("get it", await answer('{"a":1}', 200)), { a: 1 });
  const cases: [string, number, string, string][] = [
    [
      '{"error":"invalid_client"}',
      401,
      "Unauthorized",
      'Cannot get it: 401 Unauthorized: {"error":"invalid_client"}',
    ],
    ["[1]", 200, "OK", "Cannot get it: the answer is not a JSON object"],
    ["<html>", 200, "OK", "Cannot get it: the answer is not JSON (HTTP 200: <html>)"],
  ];
  for (const [body, status, statusText, message] of cases) {
    const res = await answer(body, status, statusText);
    assert.throws(() => okJsonObject("get it", res), {
      name: "IdentityError",
      code: "OIDC_PROVIDER_FAILED",
      message,
    }, message);
  }
});

Deno.test("oidcHttpOptions() defaults to a 30 s idle timeout and no retries", () => {
  const signal = new AbortController().signal;
  assert.deepEqual(oidcHttpOptions({ signal, userAgent: "ua" }), {
    fetch: undefined,
    signal,
    userAgent: "ua",
    timeoutMs: 30_000,
    retry: { attempts: 1 },
  });
  assert.equal(oidcHttpOptions({ timeoutMs: 5 }, 3).timeoutMs, 5);
  assert.deepEqual(oidcHttpOptions({}, 3).retry, { attempts: 3 });
});
