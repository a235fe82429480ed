import assert from "node:assert/strict";
import { startTestOidcProvider } from "../../tests/helpers/oidc_provider.ts";
import { clientCredentialsFlow } from "./client_credentials_flow.ts";
import { discoverOidcProvider } from "./oidc_provider.ts";

Deno.test("clientCredentialsFlow() gets a verified machine identity; a wrong secret is refused", async () => {
  const op = await startTestOidcProvider();
  try {
    const provider = await discoverOidcProvider(op.issuer);
    const printed: string[] = [];
    const ok = await clientCredentialsFlow(provider, {
      clientId: "sigstore",
      clientSecret: op.clientSecret,
      print: (l) => printed.push(l),
    });
    assert.equal(ok.subject, "machine@clients");
    assert.deepEqual(printed, ["Token received!"]);
    const f = op.tokenRequests[0];
    assert.deepEqual(Object.fromEntries(f), {
      client_id: "sigstore",
      client_secret: op.clientSecret,
      grant_type: "client_credentials",
      scope: "openid email",
    });
    await assert.rejects(
      clientCredentialsFlow(provider, {
        clientId: "sigstore",
        clientSecret: "wrong",
        print: () => {},
      }),
      {
        name: "IdentityError",
        code: "OIDC_PROVIDER_FAILED",
        message:
          'Cannot get identity token with client credentials: 401 Unauthorized: {"error":"invalid_client"}',
      },
    );
  } finally {
    await op.stop();
  }
});
