import assert from "node:assert/strict";
import { startTestOidcProvider } from "../../tests/helpers/oidc_provider.ts";
import { deviceFlow } from "./device_flow.ts";
import { discoverOidcProvider } from "./oidc_provider.ts";

Deno.test("deviceFlow() polls until the user approves, then verifies the ID token", async () => {
  const op = await startTestOidcProvider();
  try {
    const printed: string[] = [];
    const sleeps: number[] = [];
    const provider = await discoverOidcProvider(op.issuer);
    const result = await deviceFlow(provider, {
      clientId: "sigstore",
      print: (l) => printed.push(l),
      sleep(ms) {
        sleeps.push(ms);
        if (sleeps.length === 2) op.approveDevice(/user_code=(\w+)/.exec(printed[0])![1]);
        return Promise.resolve();
      },
    });
    assert.equal(result.subject, "alice@example.com");
    assert.match(
      printed[0],
      new RegExp(
        `^Enter the verification code (\\w{8}) in your browser at: ${op.issuer}/device\\?user_code=\\1$`,
      ),
    );
    assert.deepEqual(printed.slice(1), ["Code will be valid for 300 seconds", "Token received!"]);
    assert.deepEqual(sleeps, [2000, 2000]); // the provider's interval, twice pending
    const polls = op.tokenRequests;
    assert.equal(polls.length, 3);
    assert.equal(polls[0].get("grant_type"), "urn:ietf:params:oauth:grant-type:device_code");
    assert.equal(polls[0].get("scope"), "openid email");
    assert.equal(polls[0].get("code_verifier")!.length, 64);
  } finally {
    await op.stop();
  }
});

Deno.test("deviceFlow() waits ten seconds more after slow_down, as sigstore", async () => {
  const op = await startTestOidcProvider();
  try {
    op.faults.slowDown = true;
    const printed: string[] = [];
    const sleeps: number[] = [];
    const provider = await discoverOidcProvider(op.issuer);
    await deviceFlow(provider, {
      clientId: "sigstore",
      print: (l) => printed.push(l),
      sleep(ms) {
        sleeps.push(ms);
        op.approveDevice(/user_code=(\w+)/.exec(printed[0])![1]);
        return Promise.resolve();
      },
    });
    assert.deepEqual(sleeps, [12_000]);
  } finally {
    await op.stop();
  }
});

Deno.test("deviceFlow() stops on the provider's refusals and on expiry", async (t) => {
  for (
    const [error, message] of [
      ["access_denied", "Cannot get identity token: error obtaining token: access_denied"],
      ["expired_token", "Cannot get identity token: error obtaining token: expired_token"],
      [
        "invalid_grant",
        "Cannot get identity token: unexpected error in device flow: invalid_grant",
      ],
      [undefined, "Cannot get identity token: the device code expired before the user signed in"],
    ] as const
  ) {
    await t.step(error ?? "never approved", async () => {
      const op = await startTestOidcProvider();
      try {
        if (error) op.faults.deviceError = error;
        const provider = await discoverOidcProvider(op.issuer);
        await assert.rejects(
          deviceFlow(provider, {
            clientId: "sigstore",
            print: () => {},
            sleep: () => Promise.resolve(),
          }),
          { name: "IdentityError", code: "OIDC_FLOW_FAILED", message },
        );
      } finally {
        await op.stop();
      }
    });
  }
});

Deno.test("deviceFlow() refuses a provider without a device endpoint", async () => {
  const op = await startTestOidcProvider();
  try {
    const provider = await discoverOidcProvider(op.issuer);
    delete provider.deviceAuthorizationEndpoint;
    await assert.rejects(deviceFlow(provider, { clientId: "sigstore", print: () => {} }), {
      name: "IdentityError",
      code: "OIDC_PROVIDER_FAILED",
      message:
        "Cannot start OIDC device flow: device authorization endpoint not returned by provider",
    });
  } finally {
    await op.stop();
  }
});
