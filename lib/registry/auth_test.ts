import assert from "node:assert/strict";
import { RegistryError } from "../errors.ts";
import {
  basicAuthorization,
  parseWwwAuthenticate,
  pickChallenge,
  RegistryAuth,
  repositoryScope,
} from "./auth.ts";

Deno.test("parseWwwAuthenticate() parses Bearer and Basic challenges", () => {
  const table: [string, ReturnType<typeof parseWwwAuthenticate>][] = [
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull"',
      [{
        scheme: "bearer",
        params: {
          realm: "https://auth.docker.io/token",
          service: "registry.docker.io",
          scope: "repository:library/ubuntu:pull",
        },
      }],
    ],
    ['Basic realm="Registry Realm"', [{ scheme: "basic", params: { realm: "Registry Realm" } }]],
    [
      'Basic realm="a, b", Bearer realm="https://t/x", error="insufficient_scope"',
      [
        { scheme: "basic", params: { realm: "a, b" } },
        { scheme: "bearer", params: { realm: "https://t/x", error: "insufficient_scope" } },
      ],
    ],
    ['BEARER Realm=https://t/x , Service = "s\\"q"', [{
      scheme: "bearer",
      params: { realm: "https://t/x", service: 's"q' },
    }]],
    ["", []],
  ];
  for (const [header, expected] of table) assert.deepEqual(parseWwwAuthenticate(header), expected);
  assert.throws(() => parseWwwAuthenticate('Bearer realm="open'), SyntaxError);
});

Deno.test("pickChallenge() prefers Basic or Bearer", () => {
  assert.equal(
    pickChallenge(parseWwwAuthenticate('Negotiate x, Bearer realm="r"'))?.scheme,
    "bearer",
  );
  assert.equal(pickChallenge([]), undefined);
});

Deno.test("repositoryScope() and basicAuthorization() format like ggcr", () => {
  assert.equal(repositoryScope("a/b", ["push", "pull"]), "repository:a/b:push,pull");
  assert.equal(basicAuthorization("u", "p:w"), `Basic ${btoa("u:p:w")}`);
});

function tokenFetch(status = 200, body: unknown = { token: "T1", expires_in: 300 }) {
  const calls: { url: URL; method: string; authz: string | null; body?: string }[] = [];
  const fetchFn = ((input: string | URL, init?: RequestInit) => {
    calls.push({
      url: new URL(String(input)),
      method: init?.method ?? "GET",
      authz: new Headers(init?.headers).get("authorization"),
      body: typeof init?.body === "string" ? init.body : undefined,
    });
    return Promise.resolve(Response.json(body, { status }));
  }) as typeof fetch;
  return { fetchFn, calls };
}

Deno.test("RegistryAuth gets, caches and scopes bearer tokens", async () => {
  const { fetchFn, calls } = tokenFetch();
  const auth = new RegistryAuth(
    "reg.example",
    () => Promise.resolve({ username: "u", password: "p" }),
    { fetch: fetchFn },
  );
  auth.setChallenge({
    scheme: "bearer",
    params: { realm: "https://auth.example/token", service: "svc" },
  });
  const scope = "repository:a/b:pull";
  assert.equal(await auth.authorization([scope]), "Bearer T1");
  assert.equal(await auth.authorization([scope]), "Bearer T1");
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url.searchParams.get("service"), "svc");
  assert.deepEqual(calls[0].url.searchParams.getAll("scope"), [scope]);
  assert.equal(calls[0].authz, basicAuthorization("u", "p"));
  await auth.authorization(["repository:a/b:push,pull"]);
  assert.equal(calls.length, 2);
});

Deno.test("RegistryAuth uses the OAuth2 POST for identity tokens, GET when it 404s", async () => {
  const calls: string[] = [];
  const fetchFn = ((_u: string, init?: RequestInit) => {
    calls.push(`${init?.method ?? "GET"} ${init?.body ?? ""}`);
    return Promise.resolve(
      init?.method === "POST"
        ? new Response("", { status: 404 })
        : Response.json({ access_token: "A" }),
    );
  }) as typeof fetch;
  const auth = new RegistryAuth("r.example", () => Promise.resolve({ identityToken: "RT" }), {
    fetch: fetchFn,
  });
  auth.setChallenge({ scheme: "bearer", params: { realm: "https://r.example/t", service: "s" } });
  assert.equal(await auth.authorization(["repository:x:pull"]), "Bearer A");
  assert.equal(calls.length, 2);
  assert.match(
    calls[0],
    /^POST grant_type=refresh_token&refresh_token=RT&client_id=cosign&service=s&scope=repository%3Ax%3Apull$/,
  );
  assert.equal(calls[1], "GET ");
});

Deno.test("RegistryAuth sends a registry token as is and Basic credentials for Basic", async () => {
  const { fetchFn, calls } = tokenFetch();
  const tokenAuth = new RegistryAuth("r", () => Promise.resolve({ registryToken: "RTK" }), {
    fetch: fetchFn,
  });
  tokenAuth.setChallenge({ scheme: "bearer", params: { realm: "https://r/t" } });
  assert.equal(await tokenAuth.authorization(["s"]), "Bearer RTK");
  const basic = new RegistryAuth("r", () => Promise.resolve({ username: "u", password: "p" }), {});
  basic.setChallenge({ scheme: "basic", params: {} });
  assert.equal(await basic.authorization([]), basicAuthorization("u", "p"));
  const anonymous = new RegistryAuth("r", undefined, {});
  anonymous.setChallenge({ scheme: "basic", params: {} });
  assert.equal(await anonymous.authorization([]), undefined);
  assert.equal(calls.length, 0);
});

Deno.test("RegistryAuth reports token service failures without secrets", async () => {
  const { fetchFn } = tokenFetch(401, { details: "bad creds" });
  const auth = new RegistryAuth(
    "r.example",
    () => Promise.resolve({ username: "u", password: "hunter2" }),
    {
      fetch: fetchFn,
    },
  );
  auth.setChallenge({ scheme: "bearer", params: { realm: "https://auth.example/token?x=1" } });
  const err = await auth.authorization(["s"]).catch((e) => e);
  assert.ok(err instanceof RegistryError);
  assert.equal(err.code, "UNAUTHORIZED");
  assert.equal(
    err.message,
    "Cannot get a token for r.example from https://auth.example/token: bad creds (HTTP 401)",
  );
});

Deno.test("RegistryAuth refuses to send credentials to a remote plain-HTTP realm", async () => {
  const { fetchFn, calls } = tokenFetch();
  const auth = new RegistryAuth(
    "r.example",
    () => Promise.resolve({ username: "u", password: "p" }),
    {
      fetch: fetchFn,
    },
  );
  auth.setChallenge({ scheme: "bearer", params: { realm: "http://evil.example/token" } });
  await assert.rejects(auth.authorization(["s"]), /refusing to send credentials/);
  assert.equal(calls.length, 0);
});

Deno.test("RegistryAuth.unauthorized() adopts the scope of a new challenge", () => {
  const auth = new RegistryAuth("r", undefined, {});
  auth.setChallenge({ scheme: "bearer", params: { realm: "https://r/t" } });
  const res = new Response("", {
    status: 401,
    headers: {
      "www-authenticate": 'Bearer realm="https://r/t",scope="repository:other:pull"',
    },
  });
  assert.deepEqual(auth.unauthorized(res, ["repository:a:pull"]), [
    "repository:a:pull",
    "repository:other:pull",
  ]);
  assert.equal(auth.unauthorized(new Response("", { status: 401 }), []), undefined);
});
