import assert from "node:assert/strict";
import { join } from "node:path";
import { startTestOidcProvider } from "../../tests/helpers/oidc_provider.ts";
import { IdentityError, IoError, PromptDeclinedError } from "../errors.ts";
import {
  retrieveIdentityToken,
  type RetrieveIdentityTokenOptions,
} from "./retrieve_identity_token.ts";

const b64 = (v: unknown) =>
  new TextEncoder().encode(JSON.stringify(v)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
const jwt = (claims: unknown, alg = "RS256") => `${b64({ alg, typ: "JWT" })}.${b64(claims)}.c2ln`;
const now = Math.floor(Date.now() / 1000);
const good = {
  iss: "https://issuer",
  sub: "s",
  email: "a@b.c",
  email_verified: true,
  aud: "sigstore",
  exp: now + 600,
};

/** Options where no ambient provider is enabled and no flow can run unless the test says so. */
function options(
  extra: Partial<RetrieveIdentityTokenOptions> = {},
): RetrieveIdentityTokenOptions & {
  printed: string[];
} {
  const printed: string[] = [];
  return {
    printed,
    getEnv: () => undefined,
    exists: () => Promise.resolve(false),
    overrides: { gceProductNamePath: "/nonexistent" },
    issuer: "http://127.0.0.1:1",
    clientId: "sigstore",
    interactive: false,
    print: (l) => printed.push(l),
    ...extra,
  };
}

Deno.test("retrieveIdentityToken() takes --identity-token as a token, checks it, and signs its subject", async () => {
  const got = await retrieveIdentityToken(options({ identityToken: jwt(good) }));
  assert.equal(got.source, "flag");
  assert.equal(got.subject, "a@b.c");
  assert.equal(got.token.raw, jwt(good));
  // Any algorithm sigstore accepts is a token (cosign would open an ES256 token as a file).
  assert.equal(
    (await retrieveIdentityToken(options({ identityToken: jwt(good, "ES256") }))).source,
    "flag",
  );
  // The audience is the client ID's (a private Fulcio), or not checked at all.
  const custom = jwt({ ...good, aud: "my-fulcio" });
  assert.equal(
    (await retrieveIdentityToken(options({ identityToken: custom, clientId: "my-fulcio" })))
      .subject,
    "a@b.c",
  );
  assert.equal(
    (await retrieveIdentityToken(options({ identityToken: custom, audience: null }))).subject,
    "a@b.c",
  );
});

Deno.test("retrieveIdentityToken() refuses an expired token and a token for another audience", async () => {
  const cases: Array<[unknown, string, string | RegExp]> = [
    [
      { ...good, exp: now - 1 },
      "OIDC_TOKEN_EXPIRED",
      /^Cannot use identity token: the identity token is expired \(expiry \d{4}-\d\d-\d\dT/,
    ],
    [
      { ...good, aud: "other" },
      "OIDC_AUDIENCE_MISMATCH",
      "Cannot use identity token: the identity token's audience is other, expected sigstore",
    ],
    [
      { ...good, email_verified: false },
      "OIDC_TOKEN_INVALID",
      "Cannot read identity token: the e-mail address a@b.c is not verified by the identity provider",
    ],
  ];
  for (const [claims, code, message] of cases) {
    await assert.rejects(
      retrieveIdentityToken(options({ identityToken: jwt(claims) })),
      (e: Error) => {
        assert.ok(e instanceof IdentityError);
        assert.equal(e.code, code);
        if (typeof message === "string") assert.equal(e.message, message);
        else assert.match(e.message, message);
        return true;
      },
    );
  }
});

Deno.test("retrieveIdentityToken() reads --identity-token as a file path otherwise", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "token.txt");
    await Deno.writeTextFile(path, `${jwt(good)}\n`);
    const got = await retrieveIdentityToken(options({ identityToken: path }));
    assert.equal(got.source, "file");
    assert.equal(got.token.raw, jwt(good));
    await assert.rejects(
      retrieveIdentityToken(options({ identityToken: join(dir, "missing") })),
      (e: Error) => {
        assert.ok(e instanceof IoError);
        assert.equal(e.code, "INPUT_NOT_FOUND");
        assert.equal(
          e.message,
          `Cannot read identity token file ${join(dir, "missing")}: no such file or directory`,
        );
        return true;
      },
    );
    // A value shaped like a JWT that is not one is never echoed.
    const broken = `${b64({ typ: "JWT" })}.${b64(good)}.c2ln`;
    await assert.rejects(retrieveIdentityToken(options({ identityToken: broken })), (e: Error) => {
      assert.ok(e instanceof IdentityError);
      assert.equal(e.code, "OIDC_TOKEN_INVALID");
      assert.ok(!e.message.includes(broken.slice(0, 20)));
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("retrieveIdentityToken() takes SIGSTORE_ID_TOKEN from the environment unless providers are disabled", async () => {
  const env: Record<string, string> = { SIGSTORE_ID_TOKEN: jwt(good) };
  const got = await retrieveIdentityToken(options({ getEnv: (n) => env[n] }));
  assert.equal(got.source, "envvar");
  assert.equal(got.subject, "a@b.c");
  // Disabled: the device flow is next (stdin is not a terminal), and this issuer is unreachable.
  const o = options({ getEnv: (n) => env[n], disableAmbientProviders: true });
  await assert.rejects(retrieveIdentityToken(o), { code: "OIDC_PROVIDER_FAILED" });
  assert.deepEqual(o.printed, ["Non-interactive mode detected, using device flow."]);
});

Deno.test("retrieveIdentityToken() without a token: the device flow when stdin is not a terminal", async () => {
  const op = await startTestOidcProvider();
  try {
    const stdout: string[] = [];
    const o = options({
      issuer: op.issuer,
      // SIGSTORE_ID_TOKEN set to "" is an enabled provider that gives nothing: the flow follows.
      getEnv: (n) => (n === "SIGSTORE_ID_TOKEN" ? "" : undefined),
      printStdout: (l) => stdout.push(l),
      sleep() {
        op.approveDevice(/user_code=(\w+)/.exec(stdout[0])![1]);
        return Promise.resolve();
      },
    });
    const got = await retrieveIdentityToken(o);
    assert.equal(got.source, "flow:device");
    assert.equal(got.subject, "alice@example.com");
    assert.deepEqual(o.printed, ["Non-interactive mode detected, using device flow."]);
    assert.equal(stdout.at(-1), "Token received!");
  } finally {
    await op.stop();
  }
});

Deno.test("retrieveIdentityToken() on a terminal: confirmation, then the browser flow", async () => {
  const op = await startTestOidcProvider();
  try {
    const events: string[] = [];
    const o = options({
      issuer: op.issuer,
      interactive: true,
      confirm: () => (events.push("confirm"), Promise.resolve()),
      openBrowser(url) {
        events.push("browser");
        op.browse(url).catch(() => {});
        return Promise.resolve();
      },
    });
    const got = await retrieveIdentityToken(o);
    assert.equal(got.source, "flow:normal");
    assert.equal(got.subject, "alice@example.com");
    assert.deepEqual(events, ["confirm", "browser"]);
    // Declining stops before the identity provider is contacted.
    const before = op.requests.length;
    await assert.rejects(
      retrieveIdentityToken(options({
        issuer: op.issuer,
        interactive: true,
        confirm: () => Promise.reject(new PromptDeclinedError()),
      })),
      { name: "PromptDeclinedError", code: "PROMPT_DECLINED" },
    );
    assert.equal(op.requests.length, before);
  } finally {
    await op.stop();
  }
});

Deno.test("retrieveIdentityToken() runs the flow --fulcio-auth-flow names", async () => {
  const op = await startTestOidcProvider();
  try {
    const got = await retrieveIdentityToken(options({
      issuer: op.issuer,
      flow: "client_credentials",
      clientSecret: op.clientSecret,
      identityToken: jwt(good), // an explicit flow wins over the token, as in cosign
    }));
    assert.equal(got.source, "flow:client_credentials");
    assert.equal(got.subject, "machine@clients");
    await assert.rejects(retrieveIdentityToken(options({ flow: "magic" })), {
      name: "TypeError",
      message: "unsupported oauth flow: magic",
    });
    await assert.rejects(retrieveIdentityToken(options({ flow: "token" })), {
      code: "OIDC_TOKEN_INVALID",
      message: "Cannot read identity token: no token was given",
    });
  } finally {
    await op.stop();
  }
});
