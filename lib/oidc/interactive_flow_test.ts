import assert from "node:assert/strict";
import { startTestOidcProvider, type TestOidcProvider } from "../../tests/helpers/oidc_provider.ts";
import { IdentityError } from "../errors.ts";
import {
  interactiveFlow,
  type InteractiveFlowOptions,
  OOB_REDIRECT_URI,
} from "./interactive_flow.ts";
import { discoverOidcProvider } from "./oidc_provider.ts";

/** Runs the flow with the test playing the browser; returns what was printed and the outcome. */
async function run(
  op: TestOidcProvider,
  extra: Partial<InteractiveFlowOptions> = {},
  browser: "opens" | "none" = "opens",
) {
  const printed: string[] = [];
  let browsing: Promise<string> | undefined;
  const provider = await discoverOidcProvider(op.issuer);
  const result = interactiveFlow(provider, {
    clientId: "sigstore",
    print: (l) => printed.push(l),
    openBrowser: browser === "opens"
      ? (url) => {
        browsing = op.browse(url);
        browsing.catch(() => {});
        return Promise.resolve();
      }
      : () => Promise.reject(new Error("no browser here")),
    ...extra,
  });
  try {
    return { printed, result: await result, page: await browsing };
  } catch (e) {
    await browsing?.catch(() => {});
    throw Object.assign(e as Error, { printed });
  }
}

Deno.test("interactiveFlow() logs in through the browser: PKCE, state, nonce, loopback listener, verified ID token", async () => {
  const op = await startTestOidcProvider();
  try {
    const { printed, result, page } = await run(op);
    assert.equal(result.subject, "alice@example.com");
    assert.equal(result.token.issuer, op.issuer);
    assert.deepEqual(result.token.audiences, ["sigstore"]);
    assert.match(page!, /Sigstore Auth Successful/);
    assert.equal(printed.length, 1);
    const [intro, url] = printed[0].split("\n");
    assert.equal(intro, "Your browser will now be opened to:");
    const u = new URL(url);
    assert.equal(u.origin + u.pathname, `${op.issuer}/auth`);
    const q = u.searchParams;
    assert.deepEqual([...q.keys()], [
      "access_type",
      "client_id",
      "code_challenge",
      "code_challenge_method",
      "nonce",
      "redirect_uri",
      "response_type",
      "scope",
      "state",
    ]);
    assert.equal(q.get("access_type"), "online");
    assert.equal(q.get("code_challenge_method"), "S256");
    assert.equal(q.get("scope"), "openid email");
    assert.equal(q.get("state")!.length, 22); // 128 random bits, base64url
    assert.equal(q.get("nonce")!.length, 22);
    assert.match(q.get("redirect_uri")!, /^http:\/\/localhost:\d+\/auth\/callback$/);
    // The exchange: the code with the PKCE verifier (64 characters), the nonce and the same
    // redirect URI; the client authenticated with HTTP Basic first.
    const t = op.tokenRequests[0];
    assert.equal(t.get("grant_type"), "authorization_code");
    assert.equal(t.get("code_verifier")!.length, 64);
    assert.equal(t.get("nonce"), q.get("nonce"));
    assert.equal(t.get("redirect_uri"), q.get("redirect_uri"));
    assert.equal(op.tokenAuthorizations[0], `Basic ${btoa("sigstore:")}`);
    // The listener is gone once the flow returned.
    await assert.rejects(fetch(q.get("redirect_uri")!.replace("localhost", "127.0.0.1")));
  } finally {
    await op.stop();
  }
});

Deno.test("interactiveFlow() refuses what a broken or hostile provider returns", async (t) => {
  const cases: Array<{
    name: string;
    faults: Parameters<typeof Object.assign>[1];
    code: string;
    message: string | RegExp;
  }> = [
    {
      name: "a redirect with another state",
      faults: { wrongState: true },
      code: "OIDC_FLOW_FAILED",
      message: "Cannot get identity token: invalid state token",
    },
    {
      name: "an ID token with another nonce",
      faults: { wrongNonce: true },
      code: "OIDC_FLOW_FAILED",
      message: "Cannot verify ID token: nonce does not match value sent",
    },
    {
      name: "an expired ID token",
      faults: { expired: true },
      code: "OIDC_TOKEN_EXPIRED",
      message: /^Cannot verify ID token: the identity token is expired \(expiry \d{4}-/,
    },
    {
      name: "an ID token for another audience",
      faults: { audience: "someone-else" },
      code: "OIDC_FLOW_FAILED",
      message: 'Cannot verify ID token: expected audience "sigstore" got ["someone-else"]',
    },
    {
      name: "an ID token signed by a key not in the JWKS",
      faults: { untrustedKey: true },
      code: "OIDC_FLOW_FAILED",
      message: "Cannot verify ID token: the signature does not verify with the provider's keys",
    },
    {
      name: "a refusal",
      faults: { deny: true },
      code: "OIDC_FLOW_FAILED",
      message:
        "Cannot get identity token: the identity provider refused: access_denied (the user said no)",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const op = await startTestOidcProvider();
      try {
        Object.assign(op.faults, c.faults);
        await assert.rejects(run(op), (e: Error) => {
          assert.ok(e instanceof IdentityError);
          assert.equal(e.code, c.code);
          if (typeof c.message === "string") assert.equal(e.message, c.message);
          else assert.match(e.message, c.message);
          return true;
        });
      } finally {
        await op.stop();
      }
    });
  }
});

Deno.test("interactiveFlow() refuses a provider without PKCE S256", async () => {
  const op = await startTestOidcProvider();
  try {
    op.faults.noPkce = true;
    await assert.rejects(run(op), {
      name: "IdentityError",
      code: "OIDC_PROVIDER_FAILED",
      message: `Cannot start OIDC flow: PKCE is not supported by OIDC provider '${op.issuer}/auth'`,
    });
    assert.ok(!op.requests.includes("GET /auth"));
  } finally {
    await op.stop();
  }
});

Deno.test("interactiveFlow() without a browser: the out-of-band flow reads the code the user pastes", async () => {
  const op = await startTestOidcProvider();
  try {
    const prompts: string[] = [];
    const printed: string[] = [];
    const provider = await discoverOidcProvider(op.issuer);
    const result = await interactiveFlow(provider, {
      clientId: "sigstore",
      print: (l) => printed.push(l),
      openBrowser: () => Promise.reject(new Error("exec: no browser found")),
      async readCode(prompt) {
        prompts.push(prompt);
        const url = printed[1].split("\n\n\t ")[1];
        return await op.browse(url); // the provider shows the code; the user pastes it
      },
    });
    assert.equal(result.subject, "alice@example.com");
    assert.equal(printed[0], "error opening browser: exec: no browser found");
    assert.match(
      printed[1],
      /^Go to the following link in a browser:\n\n\t http:\/\/127\.0\.0\.1:\d+\/auth\?/,
    );
    assert.equal(
      new URL(printed[1].split("\n\n\t ")[1]).searchParams.get("redirect_uri"),
      OOB_REDIRECT_URI,
    );
    assert.deepEqual(prompts, ["Enter verification code: "]);
    assert.equal(op.tokenRequests[0].get("redirect_uri"), OOB_REDIRECT_URI);
  } finally {
    await op.stop();
  }
});

Deno.test("interactiveFlow() falls back to the out-of-band flow after a wrong state, as sigstore does", async () => {
  const op = await startTestOidcProvider();
  try {
    op.faults.wrongState = true;
    const printed: string[] = [];
    const provider = await discoverOidcProvider(op.issuer);
    let browsing: Promise<string> | undefined;
    const result = await interactiveFlow(provider, {
      clientId: "sigstore",
      print: (l) => printed.push(l),
      openBrowser(url) {
        browsing = op.browse(url);
        return Promise.resolve();
      },
      async readCode() {
        op.faults.wrongState = false;
        return await op.browse(printed[2].split("\n\n\t ")[1]);
      },
    });
    await browsing;
    assert.equal(result.subject, "alice@example.com");
    assert.equal(printed[1], "error getting code from local server: invalid state token");
  } finally {
    await op.stop();
  }
});

Deno.test("interactiveFlow() without a browser nor a code reader prints the URL and waits on the listener", async () => {
  const op = await startTestOidcProvider();
  try {
    const printed: string[] = [];
    const provider = await discoverOidcProvider(op.issuer);
    const flow = interactiveFlow(provider, {
      clientId: "sigstore",
      redirectUrl: "http://localhost:0/callback",
      print(l) {
        printed.push(l);
        if (l.startsWith("Go to")) op.browse(l.split("\n\n\t ")[1]).catch(() => {});
      },
    });
    const result = await flow;
    assert.equal(result.subject, "alice@example.com");
    assert.equal(printed.length, 1);
    const redirect = new URL(printed[0].split("\n\n\t ")[1]).searchParams.get("redirect_uri")!;
    assert.match(redirect, /^http:\/\/localhost:[1-9]\d*\/callback$/);
  } finally {
    await op.stop();
  }
});

Deno.test("interactiveFlow() gives up after the wait", async () => {
  const op = await startTestOidcProvider();
  try {
    const provider = await discoverOidcProvider(op.issuer);
    await assert.rejects(
      interactiveFlow(provider, {
        clientId: "sigstore",
        print: () => {},
        openBrowser: () => Promise.resolve(), // a browser that never comes back
        waitMs: 50,
      }),
      {
        name: "IdentityError",
        code: "OIDC_FLOW_FAILED",
        message: "Cannot get identity token: timeout",
      },
    );
  } finally {
    await op.stop();
  }
});
