import assert from "node:assert/strict";
import { IdentityError } from "../errors.ts";
import { checkIdentityToken, identityTokenSubject, parseIdentityToken } from "./identity_token.ts";

const b64 = (v: unknown) =>
  new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
const jwt = (claims: unknown, header: unknown = { alg: "RS256", typ: "JWT" }) =>
  `${b64(header)}.${b64(claims)}.c2lnbmF0dXJl`;

Deno.test("parseIdentityToken() decodes the registered claims without verifying", () => {
  const t = parseIdentityToken(
    ` ${
      jwt({
        iss: "https://issuer",
        sub: "s",
        aud: ["a", "sigstore"],
        exp: 2000000000,
        nbf: 1,
        iat: 2,
        email: "e@x",
        extra: 1,
      })
    }\n`,
  );
  assert.equal(t.issuer, "https://issuer");
  assert.equal(t.subject, "s");
  assert.equal(t.email, "e@x");
  assert.deepEqual(t.audiences, ["a", "sigstore"]);
  assert.equal(t.expiresAt?.toISOString(), "2033-05-18T03:33:20.000Z");
  assert.equal(t.notBefore?.getTime(), 1000);
  assert.equal(t.issuedAt?.getTime(), 2000);
  assert.equal(t.claims.extra, 1);
  assert.equal(t.header.alg, "RS256");
  assert.ok(!t.raw.startsWith(" ") && !t.raw.endsWith("\n"));
  assert.deepEqual(parseIdentityToken(jwt({ aud: "one" })).audiences, ["one"]);
});

Deno.test("parseIdentityToken() refuses what is not a JWT", () => {
  const cases: Array<[string, string]> = [
    ["abc", "Cannot read identity token: not a JWT (expected three dot-separated parts, got 1)"],
    [
      "a.b.c.d",
      "Cannot read identity token: not a JWT (expected three dot-separated parts, got 4)",
    ],
    [
      `${b64("[1]")}.${b64({})}.eA`,
      "Cannot read identity token: not a JWT (the header is not a JSON object)",
    ],
    [
      `${b64({ typ: "JWT" })}.${b64({})}.eA`,
      "Cannot read identity token: not a JWT (the header names no algorithm)",
    ],
    [
      `${b64({ alg: "RS256" })}.${b64("[]")}.eA`,
      "Cannot read identity token: the payload is not a JSON object",
    ],
    [jwt({ sub: 5 }), 'Cannot read identity token: the "sub" claim is not a string'],
    [jwt({ exp: "soon" }), 'Cannot read identity token: the "exp" claim is not a number'],
    [
      jwt({ aud: [1] }),
      'Cannot read identity token: the "aud" claim is neither a string nor a list of strings',
    ],
    ["e30.e30.!!", "Cannot read identity token: not a JWT (malformed part: invalid base64url)"],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseIdentityToken(input), (e: Error) => {
      assert.ok(e instanceof IdentityError);
      assert.equal(e.code, "OIDC_TOKEN_INVALID");
      assert.equal(e.message, message);
      return true;
    });
  }
});

Deno.test("identityTokenSubject() is the verified e-mail address, else sub (sigstore oauthflow)", () => {
  const ok: Array<[unknown, string]> = [
    [{ sub: "s", email: "e@x", email_verified: true }, "e@x"],
    [{ sub: "s", email: "e@x", email_verified: "true" }, "e@x"],
    [{ sub: "s", email: "e@x", email_verified: "True" }, "e@x"],
    [{ sub: "repo:o/r:ref:refs/heads/main" }, "repo:o/r:ref:refs/heads/main"],
    [{ sub: "s", email: "" }, "s"],
  ];
  for (const [claims, subject] of ok) {
    assert.equal(identityTokenSubject(parseIdentityToken(jwt(claims))), subject);
  }
  const bad: Array<[unknown, string]> = [
    [
      { sub: "s", email: "e@x", email_verified: false },
      "Cannot read identity token: the e-mail address e@x is not verified by the identity provider",
    ],
    [
      { sub: "s", email: "e@x" },
      "Cannot read identity token: the e-mail address e@x is not verified by the identity provider",
    ],
    [
      { email: "e@x", email_verified: "yes" },
      'Cannot read identity token: the "email_verified" claim is not a boolean',
    ],
    [{ iss: "i" }, "Cannot read identity token: no subject found in claims"],
  ];
  for (const [claims, message] of bad) {
    assert.throws(() => identityTokenSubject(parseIdentityToken(jwt(claims))), {
      name: "IdentityError",
      code: "OIDC_TOKEN_INVALID",
      message,
    });
  }
});

Deno.test("checkIdentityToken() refuses expired, not yet valid and wrong-audience tokens", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  const s = now.getTime() / 1000;
  checkIdentityToken(parseIdentityToken(jwt({ aud: "sigstore", exp: s + 1 })), {
    audience: "sigstore",
    now,
  });
  checkIdentityToken(parseIdentityToken(jwt({ aud: "x", nbf: s + 299 })), { audience: null, now });
  const cases: Array<[unknown, string | null, string, string]> = [
    [
      { aud: "sigstore", exp: s },
      "sigstore",
      "OIDC_TOKEN_EXPIRED",
      "Cannot use identity token: the identity token is expired (expiry 2026-01-01T00:00:00.000Z)",
    ],
    [
      { aud: "sigstore", nbf: s + 301 },
      "sigstore",
      "OIDC_TOKEN_EXPIRED",
      "Cannot use identity token: the identity token is not valid before 2026-01-01T00:05:01.000Z",
    ],
    [
      { aud: "other" },
      "sigstore",
      "OIDC_AUDIENCE_MISMATCH",
      "Cannot use identity token: the identity token's audience is other, expected sigstore",
    ],
    [
      { aud: ["a", "b"] },
      "sigstore",
      "OIDC_AUDIENCE_MISMATCH",
      "Cannot use identity token: the identity token's audience is a, b, expected sigstore",
    ],
    [
      {},
      "sigstore",
      "OIDC_AUDIENCE_MISMATCH",
      "Cannot use identity token: the identity token's audience is empty, expected sigstore",
    ],
  ];
  for (const [claims, audience, code, message] of cases) {
    assert.throws(() => checkIdentityToken(parseIdentityToken(jwt(claims)), { audience, now }), {
      name: "IdentityError",
      code,
      message,
    });
  }
});
