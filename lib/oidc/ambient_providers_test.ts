import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import type { AmbientContext } from "./ambient_provider.ts";
import {
  AMBIENT_PROVIDER_NAMES,
  anyAmbientProviderEnabled,
  provideAmbientToken,
} from "./ambient_providers.ts";
import { buildkiteAgentProvider } from "./providers/buildkite_agent.ts";
import { envvarProvider } from "./providers/envvar.ts";
import { filesystemProvider } from "./providers/filesystem.ts";
import { githubActionsProvider } from "./providers/github_actions.ts";
import { googleImpersonateProvider } from "./providers/google_impersonate.ts";
import { googleWorkloadIdentityProvider } from "./providers/google_workload_identity.ts";
import { spiffeProvider } from "./providers/spiffe.ts";

const b64 = (v: unknown) =>
  new TextEncoder().encode(JSON.stringify(v)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
const jwt = (claims: unknown) => `${b64({ alg: "ES256" })}.${b64(claims)}.c2ln`;

/** A context where nothing is enabled unless the test says so (no real files or sockets). */
function context(env: Record<string, string>, extra: Partial<AmbientContext> = {}): AmbientContext {
  return {
    getEnv: (n) => env[n],
    exists: () => Promise.resolve(false),
    overrides: {
      filesystemTokenPath: "/nonexistent/oidc-token",
      spiffeSocketPath: "/nonexistent/api.sock",
      gceProductNamePath: "/nonexistent/product_name",
    },
    sleep: () => Promise.resolve(),
    ...extra,
  };
}

/** A loopback HTTP stub recording requests. */
function stub(handler: (req: Request, body: string) => Response | Promise<Response>) {
  const seen: Array<{ method: string; url: string; headers: Headers; body: string }> = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.text();
    seen.push({ method: req.method, url: req.url, headers: new Headers(req.headers), body });
    return await handler(req, body);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    host: `127.0.0.1:${server.addr.port}`,
    seen,
    stop: () => server.shutdown(),
  };
}

Deno.test("cosign's provider names, in cosign v2.6.4's order", () => {
  assert.deepEqual(AMBIENT_PROVIDER_NAMES, [
    "envvar",
    "filesystem",
    "github-actions",
    "buildkite-agent",
    "spiffe",
    "google-workload-identity",
    "google-impersonate",
  ]);
});

Deno.test("github-actions asks the request URL with &audience=sigstore and the bearer request token", async () => {
  const s = stub(() => Response.json({ value: "gh.jwt.token" }));
  try {
    const env = {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${s.url}/_apis/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: "req-token",
    };
    assert.equal(await githubActionsProvider.enabled(context(env)), true);
    assert.equal(
      await githubActionsProvider.enabled(context({ ...env, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "" })),
      false,
    );
    assert.equal(await githubActionsProvider.provide(context(env), "sigstore"), "gh.jwt.token");
    assert.equal(s.seen[0].method, "GET");
    assert.equal(s.seen[0].url, `${s.url}/_apis/token?api-version=2.0&audience=sigstore`);
    assert.equal(s.seen[0].headers.get("authorization"), "bearer req-token");
  } finally {
    await s.stop();
  }
});

Deno.test("github-actions retries a failed request twice, a second apart, with cosign's warning", async () => {
  const warnings: string[] = [];
  const sleeps: number[] = [];
  let calls = 0;
  const ctx = context({
    ACTIONS_ID_TOKEN_REQUEST_URL: "http://gh.invalid/t?x=1",
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: "r",
  }, {
    warn: (l) => warnings.push(l),
    sleep: (ms) => (sleeps.push(ms), Promise.resolve()),
    fetch: () => {
      calls++;
      return calls < 3
        ? Promise.reject(new TypeError("connection reset"))
        : Promise.resolve(Response.json({ value: "tok" }));
    },
  });
  assert.equal(await githubActionsProvider.provide(ctx, "sigstore"), "tok");
  assert.deepEqual(sleeps, [1000, 1000]);
  assert.deepEqual(warnings, [
    "error fetching GitHub OIDC token (will retry): Cannot reach http://gh.invalid/t: connection reset",
    "error fetching GitHub OIDC token (will retry): Cannot reach http://gh.invalid/t: connection reset",
  ]);
  calls = -10;
  await assert.rejects(githubActionsProvider.provide(ctx, "sigstore"), {
    name: "IdentityError",
    code: "OIDC_PROVIDER_FAILED",
    message:
      "Cannot fetch ambient OIDC credentials: github-actions: Cannot reach http://gh.invalid/t: connection reset",
  });
  const bad = context({
    ACTIONS_ID_TOKEN_REQUEST_URL: "http://x/t?",
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: "r",
  }, {
    fetch: () => Promise.resolve(Response.json({ message: "no" }, { status: 403 })),
  });
  await assert.rejects(githubActionsProvider.provide(bad, "sigstore"), {
    message:
      'Cannot fetch ambient OIDC credentials: github-actions: HTTP 403: the answer has no "value"',
  });
});

Deno.test("buildkite-agent posts the audience to the agent API's job OIDC endpoint", async () => {
  const s = stub((req) =>
    new URL(req.url).pathname === "/v3/jobs/job-1/oidc/tokens"
      ? Response.json({ token: "bk.jwt.token" }, { status: 201 })
      : new Response("no", { status: 500 })
  );
  try {
    const env = {
      BUILDKITE_AGENT_ACCESS_TOKEN: "agent-secret",
      BUILDKITE_AGENT_ENDPOINT: `${s.url}/v3/`,
      BUILDKITE_JOB_ID: "job-1",
    };
    assert.equal(await buildkiteAgentProvider.enabled(context(env)), true);
    assert.equal(await buildkiteAgentProvider.enabled(context({})), false);
    assert.equal(await buildkiteAgentProvider.provide(context(env), "sigstore"), "bk.jwt.token");
    assert.equal(s.seen[0].method, "POST");
    assert.equal(s.seen[0].headers.get("authorization"), "Token agent-secret");
    assert.equal(s.seen[0].headers.get("content-type"), "application/json");
    assert.equal(s.seen[0].body, '{"audience":"sigstore"}');
    await assert.rejects(
      buildkiteAgentProvider.provide(context({ ...env, BUILDKITE_JOB_ID: "other" }), "sigstore"),
      {
        code: "OIDC_PROVIDER_FAILED",
        message:
          "Cannot fetch ambient OIDC credentials: buildkite-agent: buildkite agent request failed with status: 500 Internal Server Error",
      },
    );
  } finally {
    await s.stop();
  }
});

Deno.test("envvar is enabled when SIGSTORE_ID_TOKEN is set, even empty; filesystem reads its file", async () => {
  assert.equal(await envvarProvider.enabled(context({})), false);
  assert.equal(await envvarProvider.enabled(context({ SIGSTORE_ID_TOKEN: "" })), true);
  assert.equal(
    await envvarProvider.provide(context({ SIGSTORE_ID_TOKEN: " t.o.k\n" }), "x"),
    "t.o.k",
  );
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "oidc-token");
    const ctx: AmbientContext = {
      getEnv: () => undefined,
      overrides: { filesystemTokenPath: path },
    };
    assert.equal(await filesystemProvider.enabled(ctx), false);
    await Deno.writeTextFile(path, "fs.jwt.token\n");
    assert.equal(await filesystemProvider.enabled(ctx), true);
    assert.equal(await filesystemProvider.provide(ctx, "sigstore"), "fs.jwt.token");
    await Deno.remove(path);
    await assert.rejects(filesystemProvider.provide(ctx, "sigstore"), {
      code: "OIDC_PROVIDER_FAILED",
      message:
        `Cannot fetch ambient OIDC credentials: filesystem: cannot read ${path}: no such file or directory`,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A fake SPIFFE Workload API: gRPC over HTTP/2 on a Unix socket. */
function workloadApi(path: string, answer: (audience: string) => Response) {
  const seen: Array<{ path: string; headers: Headers; audience: string }> = [];
  const server = Deno.serve({ path, onListen() {} }, async (req) => {
    const body = new Uint8Array(await req.arrayBuffer());
    // One gRPC frame holding JWTSVIDRequest { audience = 1 (one string) }.
    assert.equal(body[0], 0);
    const msg = body.subarray(5);
    assert.equal(msg[0], 0x0a);
    const audience = new TextDecoder().decode(msg.subarray(2, 2 + msg[1]));
    seen.push({ path: new URL(req.url).pathname, headers: new Headers(req.headers), audience });
    return answer(audience);
  });
  return { seen, stop: () => server.shutdown() };
}

function grpcSvidAnswer(svid: string): Response {
  const enc = new TextEncoder();
  const field = (n: number, bytes: Uint8Array) => {
    const len: number[] = [];
    let l = bytes.length;
    while (l > 0x7f) {
      len.push((l & 0x7f) | 0x80);
      l >>>= 7;
    }
    len.push(l);
    return new Uint8Array([(n << 3) | 2, ...len, ...bytes]);
  };
  const jwtSvid = new Uint8Array([
    ...field(1, enc.encode("spiffe://example.org/ci")),
    ...field(2, enc.encode(svid)),
  ]);
  const message = field(1, jwtSvid);
  const frame = new Uint8Array(5 + message.length);
  new DataView(frame.buffer).setUint32(1, message.length);
  frame.set(message, 5);
  return new Response(frame, { headers: { "content-type": "application/grpc" } });
}

Deno.test("spiffe fetches a JWT-SVID over the Workload API socket (gRPC, HTTP/2) and checks it", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "api.sock");
  const exp = Math.floor(Date.now() / 1000) + 300;
  let svid = jwt({ sub: "spiffe://example.org/ci", aud: ["sigstore"], exp });
  const api = workloadApi(path, () => grpcSvidAnswer(svid));
  try {
    const ctx = context({ SPIFFE_ENDPOINT_SOCKET: path }, { exists: undefined });
    assert.equal(await spiffeProvider.enabled(ctx), true);
    assert.equal(await spiffeProvider.enabled(context({})), false);
    assert.equal(await spiffeProvider.provide(ctx, "sigstore"), svid);
    assert.equal(api.seen[0].path, "/SpiffeWorkloadAPI/FetchJWTSVID");
    assert.equal(api.seen[0].audience, "sigstore");
    assert.equal(api.seen[0].headers.get("workload.spiffe.io"), "true");
    assert.equal(api.seen[0].headers.get("content-type"), "application/grpc");
    svid = jwt({ sub: "spiffe://example.org/ci", aud: ["other"], exp });
    await assert.rejects(spiffeProvider.provide(ctx, "sigstore"), {
      message:
        "Cannot fetch ambient OIDC credentials: spiffe: the JWT-SVID's audience is other, expected sigstore",
    });
    svid = jwt({ sub: "ci", aud: ["sigstore"], exp });
    await assert.rejects(spiffeProvider.provide(ctx, "sigstore"), {
      message:
        'Cannot fetch ambient OIDC credentials: spiffe: the JWT-SVID\'s subject is not a SPIFFE ID: "ci"',
    });
  } finally {
    await api.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spiffe reports a gRPC error of the Workload API", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "api.sock");
  const api = workloadApi(path, () =>
    new Response(null, {
      headers: {
        "content-type": "application/grpc",
        "grpc-status": "7",
        "grpc-message": "no%20identity%20issued",
      },
    }));
  try {
    await assert.rejects(
      spiffeProvider.provide(context({ SPIFFE_ENDPOINT_SOCKET: path }), "sigstore"),
      {
        code: "OIDC_PROVIDER_FAILED",
        message:
          "Cannot fetch ambient OIDC credentials: spiffe: the Workload API refused: gRPC status 7: no identity issued",
      },
    );
  } finally {
    await api.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("google-workload-identity asks the metadata server for an identity token on a Google machine", async () => {
  const dir = await Deno.makeTempDir();
  const s = stub((req) => {
    if (req.headers.get("metadata-flavor") !== "Google") return new Response("", { status: 403 });
    const u = new URL(req.url);
    return u.pathname === "/computeMetadata/v1/instance/service-accounts/default/identity"
      ? new Response(`gce.jwt.${u.searchParams.get("audience")}`)
      : new Response("", { status: 404 });
  });
  try {
    const product = join(dir, "product_name");
    await Deno.writeTextFile(product, "Google Compute Engine\n");
    const ctx = context({ GCE_METADATA_HOST: s.host }, {
      overrides: { gceProductNamePath: product },
    });
    assert.equal(await googleWorkloadIdentityProvider.enabled(ctx), true);
    assert.equal(
      new URL(s.seen[0].url).search,
      "?audience=garbage&format=full",
    ); // cosign's probe
    assert.equal(await googleWorkloadIdentityProvider.provide(ctx, "sigstore"), "gce.jwt.sigstore");
    await Deno.writeTextFile(product, "Standard PC (Q35 + ICH9, 2009)\n");
    assert.equal(await googleWorkloadIdentityProvider.enabled(ctx), false);
    await assert.rejects(googleWorkloadIdentityProvider.provide(context({}), "sigstore"), {
      message:
        "Cannot fetch ambient OIDC credentials: google-workload-identity: idtoken: couldn't find any credentials",
    });
  } finally {
    await s.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

/** A service-account key file whose token_uri is `tokenUri`, and the key to check assertions. */
async function serviceAccountFile(dir: string, tokenUri: string) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const path = join(dir, "sa.json");
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      type: "service_account",
      client_email: "signer@proj.iam.gserviceaccount.com",
      private_key_id: "kid-1",
      private_key: privateKey.export({ type: "pkcs8", format: "pem" }),
      token_uri: tokenUri,
    }),
  );
  const verifyKey = await crypto.subtle.importKey(
    "spki",
    new Uint8Array(publicKey.export({ type: "spki", format: "der" })),
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    false,
    ["verify"],
  );
  /** Checks an assertion's signature and returns its header and claims. */
  const check = async (assertion: string) => {
    const [h, c, sig] = assertion.split(".");
    const ok = await crypto.subtle.verify(
      "RSASSA-PKCS1-v1_5",
      verifyKey,
      Uint8Array.fromBase64(sig, { alphabet: "base64url" }),
      new TextEncoder().encode(`${h}.${c}`),
    );
    assert.ok(ok, "the assertion is signed by the service account's key");
    const dec = (s: string) =>
      JSON.parse(new TextDecoder().decode(Uint8Array.fromBase64(s, { alphabet: "base64url" })));
    return { header: dec(h), claims: dec(c) };
  };
  return { path, check };
}

Deno.test("google-workload-identity with a service-account key: JWT bearer grant for an ID token", async () => {
  const dir = await Deno.makeTempDir();
  let check!: Awaited<ReturnType<typeof serviceAccountFile>>["check"];
  const assertions: Array<{ header: Record<string, unknown>; claims: Record<string, unknown> }> =
    [];
  const s = stub(async (_req, body) => {
    const f = new URLSearchParams(body);
    assert.equal(f.get("grant_type"), "urn:ietf:params:oauth:grant-type:jwt-bearer");
    assertions.push(await check(f.get("assertion")!));
    return Response.json({ id_token: "sa.id.token" });
  });
  try {
    const sa = await serviceAccountFile(dir, `${s.url}/token`);
    check = sa.check;
    const ctx = context({ GOOGLE_APPLICATION_CREDENTIALS: sa.path });
    assert.equal(await googleWorkloadIdentityProvider.provide(ctx, "sigstore"), "sa.id.token");
    assert.deepEqual(assertions[0].header, { alg: "RS256", typ: "JWT", kid: "kid-1" });
    const c = assertions[0].claims;
    assert.equal(c.iss, "signer@proj.iam.gserviceaccount.com");
    assert.equal(c.aud, `${s.url}/token`);
    assert.equal(c.target_audience, "sigstore");
    assert.equal((c.exp as number) - (c.iat as number), 3600);
  } finally {
    await s.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("google-impersonate: a gcloud user login's access token asks IAM Credentials for an ID token", async () => {
  const dir = await Deno.makeTempDir();
  const s = stub((req, body) => {
    const u = new URL(req.url);
    if (u.pathname === "/token") {
      assert.deepEqual(Object.fromEntries(new URLSearchParams(body)), {
        client_id: "cid",
        client_secret: "csecret",
        grant_type: "refresh_token",
        refresh_token: "rtok",
      });
      return Response.json({ access_token: "ya29.user", token_type: "Bearer", expires_in: 3599 });
    }
    if (u.pathname === "/computeMetadata/v1/instance/service-accounts/default/token") {
      return Response.json({ access_token: "ya29.gce", token_type: "Bearer" });
    }
    return Response.json({ token: `iam.jwt.for.${req.headers.get("authorization")}` });
  });
  try {
    const creds = join(dir, "adc.json");
    await Deno.writeTextFile(
      creds,
      JSON.stringify({
        type: "authorized_user",
        client_id: "cid",
        client_secret: "csecret",
        refresh_token: "rtok",
        token_uri: `${s.url}/token`,
      }),
    );
    const env = {
      GOOGLE_SERVICE_ACCOUNT_NAME: "signer@proj.iam.gserviceaccount.com",
      GOOGLE_APPLICATION_CREDENTIALS: creds,
    };
    const ctx = context(env, { overrides: { iamCredentialsUrl: s.url } });
    assert.equal(await googleImpersonateProvider.enabled(ctx), true);
    assert.equal(
      await googleImpersonateProvider.provide(ctx, "sigstore"),
      "iam.jwt.for.Bearer ya29.user",
    );
    const iam = s.seen[1];
    assert.equal(iam.method, "POST");
    assert.equal(
      new URL(iam.url).pathname,
      "/v1/projects/-/serviceAccounts/signer@proj.iam.gserviceaccount.com:generateIdToken",
    );
    assert.equal(iam.body, '{"audience":"sigstore","includeEmail":true}');
    // On a Google machine without a credentials file: the metadata server's access token.
    const gce = context({ GOOGLE_SERVICE_ACCOUNT_NAME: "sa@p.iam", GCE_METADATA_HOST: s.host }, {
      overrides: { iamCredentialsUrl: s.url },
    });
    assert.equal(
      await googleImpersonateProvider.provide(gce, "sigstore"),
      "iam.jwt.for.Bearer ya29.gce",
    );
    assert.equal(
      new URL(s.seen[2].url).search,
      "?scopes=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcloud-platform",
    );
    await assert.rejects(
      googleImpersonateProvider.provide(context({ GOOGLE_SERVICE_ACCOUNT_NAME: "sa" }), "sigstore"),
      {
        code: "OIDC_PROVIDER_FAILED",
        message:
          "Cannot fetch ambient OIDC credentials: google-impersonate: google: could not find default credentials. See https://cloud.google.com/docs/authentication/external/set-up-adc for more information",
      },
    );
  } finally {
    await s.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("provideAmbientToken() tries enabled providers in cosign's order and reports the last failure", async () => {
  const s = stub((req) => {
    const p = new URL(req.url).pathname;
    if (p === "/gh") return new Response("not json", { status: 500 });
    if (p === "/v3/jobs/j/oidc/tokens") return Response.json({ token: "bk.tok" });
    return new Response("", { status: 404 });
  });
  try {
    const gh = {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${s.url}/gh?v=1`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: "r",
    };
    const bk = {
      BUILDKITE_AGENT_ACCESS_TOKEN: "a",
      BUILDKITE_AGENT_ENDPOINT: `${s.url}/v3`,
      BUILDKITE_JOB_ID: "j",
    };
    // SIGSTORE_ID_TOKEN comes first: nothing else is asked.
    assert.deepEqual(
      await provideAmbientToken(context({ ...gh, ...bk, SIGSTORE_ID_TOKEN: "env.tok" }), {
        audience: "sigstore",
      }),
      { token: "env.tok", provider: "envvar" },
    );
    assert.equal(s.seen.length, 0);
    // GitHub fails, Buildkite answers.
    assert.deepEqual(
      await provideAmbientToken(context({ ...gh, ...bk }), { audience: "sigstore" }),
      {
        token: "bk.tok",
        provider: "buildkite-agent",
      },
    );
    assert.deepEqual(s.seen.map((r) => new URL(r.url).pathname), ["/gh", "/v3/jobs/j/oidc/tokens"]);
    // Everything fails: the last error (Google's) is reported.
    await assert.rejects(
      provideAmbientToken(
        context({
          ...gh,
          BUILDKITE_AGENT_ACCESS_TOKEN: "a",
          BUILDKITE_AGENT_ENDPOINT: `${s.url}/v3`,
          GOOGLE_SERVICE_ACCOUNT_NAME: "sa",
        }),
        { audience: "sigstore" },
      ),
      {
        message:
          /^Cannot fetch ambient OIDC credentials: google-impersonate: google: could not find default credentials/,
      },
    );
    // --oidc-provider asks that one only, enabled or not.
    assert.deepEqual(
      await provideAmbientToken(context({ ...bk, SIGSTORE_ID_TOKEN: "env.tok" }), {
        audience: "sigstore",
        provider: "buildkite-agent",
      }),
      { token: "bk.tok", provider: "buildkite-agent" },
    );
    await assert.rejects(
      provideAmbientToken(context({}), { audience: "sigstore", provider: "google" }),
      {
        code: "OIDC_PROVIDER_FAILED",
        message:
          "Cannot get provider: google is not a valid provider (one of envvar, filesystem, github-actions, buildkite-agent, spiffe, google-workload-identity, google-impersonate)",
      },
    );
    await assert.rejects(provideAmbientToken(context({}), { audience: "sigstore" }), {
      message: "Cannot fetch ambient OIDC credentials: no providers are enabled",
    });
    assert.equal(await anyAmbientProviderEnabled(context({})), false);
    assert.equal(await anyAmbientProviderEnabled(context(bk)), true);
  } finally {
    await s.stop();
  }
});
