import assert from "node:assert/strict";
import { type OidcAlgorithm, startOidcIssuer } from "./oidc_issuer.ts";

const decode = (part: string) =>
  JSON.parse(new TextDecoder().decode(Uint8Array.fromBase64(part, { alphabet: "base64url" })));

/** Verifies a compact JWS with the issuer's published JWKS, as go-oidc would. */
async function verifiesWithJwks(origin: string, path: string, token: string): Promise<boolean> {
  const { keys } = await (await fetch(`${origin}${path}/keys`)).json();
  const [h, p, s] = token.split(".");
  const header = decode(h);
  const jwk = keys.find((k: { kid: string }) => k.kid === header.kid);
  assert.ok(jwk, "the token's kid is in the JWKS");
  const params = header.alg === "RS256"
    ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }
    : { name: "ECDSA", namedCurve: "P-256" };
  const key = await crypto.subtle.importKey("jwk", jwk, params, false, ["verify"]);
  return await crypto.subtle.verify(
    header.alg === "RS256" ? "RSASSA-PKCS1-v1_5" : { name: "ECDSA", hash: "SHA-256" },
    key,
    Uint8Array.fromBase64(s, { alphabet: "base64url" }),
    new TextEncoder().encode(`${h}.${p}`),
  );
}

for (const algorithm of ["RS256", "ES256"] as OidcAlgorithm[]) {
  Deno.test(`startOidcIssuer() ${algorithm}: discovery per issuer path, a public-only JWKS, tokens that verify with it`, async () => {
    const oidc = await startOidcIssuer({ algorithm });
    try {
      for (const path of ["", "/github"]) {
        const doc = await (await fetch(`${oidc.origin}${path}/.well-known/openid-configuration`))
          .json();
        assert.equal(doc.issuer, oidc.issuerUrl(path));
        assert.equal(doc.jwks_uri, `${oidc.issuerUrl(path)}/keys`);
        assert.deepEqual(doc.id_token_signing_alg_values_supported, [algorithm]);
      }
      const [jwk] = oidc.jwks.keys;
      assert.equal(jwk.alg, algorithm);
      assert.equal((jwk as { d?: string }).d, undefined, "no private member");
      assert.equal((await fetch(`${oidc.origin}/token`)).status, 404);

      const token = await oidc.emailToken("alice@example.com");
      const claims = decode(token.split(".")[1]);
      assert.equal(claims.iss, oidc.issuerUrl());
      assert.equal(claims.aud, "sigstore");
      assert.equal(claims.sub, "alice@example.com");
      assert.equal(claims.email_verified, true);
      assert.equal(claims.exp - claims.iat, 600);
      assert.equal(await verifiesWithJwks(oidc.origin, "", token), true);
      const untrusted = await oidc.emailToken("alice@example.com", { untrusted: true });
      assert.equal(await verifiesWithJwks(oidc.origin, "", untrusted), false);

      const gh = decode((await oidc.githubToken({ ref: "refs/tags/v1" })).split(".")[1]);
      assert.equal(gh.iss, oidc.issuerUrl("/github"));
      assert.equal(gh.sub, "repo:octo-org/octo-repo:ref:refs/tags/v1");
      assert.equal(gh.ref_type, "tag");
      assert.equal(
        gh.job_workflow_ref,
        "octo-org/octo-repo/.github/workflows/release.yml@refs/tags/v1",
      );
    } finally {
      await oidc.stop();
    }
  });
}
