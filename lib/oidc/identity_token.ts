/**
 * OpenID Connect ID tokens (OpenID Connect Core 1.0 §2; JWTs, RFC 7519) as the signing side reads
 * them: decoded without verification (Fulcio verifies the signature; cosign only needs the subject
 * to sign for the proof of possession), then checked for expiry and audience so that an unusable
 * token fails early with a clear message instead of a bare 400 from Fulcio.
 *
 * @module
 */
import { IdentityError } from "../errors.ts";
import { parseCompactJws } from "./_jws.ts";

/** A decoded, unverified ID token. */
export interface IdentityToken {
  /** The token as given (the compact JWS). */
  raw: string;
  /** The JOSE header (`alg`, `kid`, `typ` …). */
  header: Record<string, unknown>;
  /** Every claim of the payload. */
  claims: Record<string, unknown>;
  /** `iss`, when a string. */
  issuer?: string;
  /** `sub`, when a string. */
  subject?: string;
  /** `email`, when a string. */
  email?: string;
  /** `aud` as a list (RFC 7519 §4.1.3 allows a string or an array). */
  audiences: string[];
  /** `exp`, when a number. */
  expiresAt?: Date;
  /** `nbf`, when a number. */
  notBefore?: Date;
  /** `iat`, when a number. */
  issuedAt?: Date;
}

/**
 * Decodes an ID token without verifying it.
 *
 * @param raw the compact JWS (surrounding white space is ignored, as go-jose does)
 * @returns the token and its claims
 * @throws {IdentityError} `OIDC_TOKEN_INVALID` "Cannot read identity token: …" when it is not a JWS
 *   whose payload is a JSON object, or a registered claim has the wrong type
 */
export function parseIdentityToken(raw: string): IdentityToken {
  const text = raw.trim();
  let claims: unknown;
  let header: Record<string, unknown>;
  try {
    const jws = parseCompactJws(text);
    header = jws.header;
    claims = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(jws.payload));
  } catch (e) {
    throw new IdentityError(
      "OIDC_TOKEN_INVALID",
      `Cannot read identity token: not a JWT (${(e as Error).message})`,
      { cause: e },
    );
  }
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
    throw invalid("the payload is not a JSON object");
  }
  const c = claims as Record<string, unknown>;
  const str = (name: string): string | undefined => {
    const v = c[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") throw invalid(`the "${name}" claim is not a string`);
    return v;
  };
  const time = (name: string): Date | undefined => {
    const v = c[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw invalid(`the "${name}" claim is not a number`);
    }
    return new Date(v * 1000);
  };
  let audiences: string[];
  const aud = c.aud;
  if (aud === undefined || aud === null) audiences = [];
  else if (typeof aud === "string") audiences = [aud];
  else if (Array.isArray(aud) && aud.every((a) => typeof a === "string")) audiences = aud;
  else throw invalid('the "aud" claim is neither a string nor a list of strings');
  return {
    raw: text,
    header,
    claims: c,
    issuer: str("iss"),
    subject: str("sub"),
    email: str("email"),
    audiences,
    expiresAt: time("exp"),
    notBefore: time("nbf"),
    issuedAt: time("iat"),
  };
}

function invalid(why: string): IdentityError {
  return new IdentityError("OIDC_TOKEN_INVALID", `Cannot read identity token: ${why}`);
}

/**
 * The identity a token proves, which cosign signs as the proof of possession: the e-mail address
 * when the token has one (it must then be verified by the identity provider), else `sub`
 * (sigstore pkg/oauthflow `subjectFromClaims`; Fulcio checks the signature over the claim its
 * issuer type names, `email` for e-mail issuers and `sub` for the others).
 *
 * `email_verified` is read as sigstore does: `true`, `"true"` or `"True"` (booleans sent as
 * strings by some providers).
 *
 * @param token a decoded token
 * @returns the e-mail address or the subject
 * @throws {IdentityError} `OIDC_TOKEN_INVALID` when the e-mail address is not verified, or there
 *   is neither an e-mail address nor a subject
 */
export function identityTokenSubject(token: IdentityToken): string {
  if (token.email) {
    const v = token.claims.email_verified;
    const verified = v === true || v === "true" || v === "True";
    const known = verified || v === undefined || v === false || v === "false" || v === "False";
    if (!known) throw invalid('the "email_verified" claim is not a boolean');
    if (!verified) {
      throw invalid(`the e-mail address ${token.email} is not verified by the identity provider`);
    }
    return token.email;
  }
  if (!token.subject) throw invalid("no subject found in claims");
  return token.subject;
}

/** What {@link checkIdentityToken} compares against. */
export interface IdentityTokenCheck {
  /**
   * The audience Fulcio expects (its `ClientID` for the issuer; `sigstore` on the public
   * instance, and what cosign asks ambient providers for). `null` skips the check.
   */
  audience: string | null;
  /** The current time (default now). */
  now?: Date;
}

/** Clock skew tolerated for `nbf`, as go-oidc (and so Fulcio) allows. */
const NOT_BEFORE_LEEWAY_MS = 5 * 60 * 1000;

/**
 * Checks, client-side, what Fulcio would refuse a token for: expiry (`exp`, RFC 7519 §4.1.4),
 * not-before (`nbf`, with go-oidc's five minutes of leeway) and audience (`aud`, §4.1.3). The
 * signature is not checked here: Fulcio does that against the issuer's keys.
 *
 * @param token a decoded token
 * @param check the expected audience and the time
 * @throws {IdentityError} `OIDC_TOKEN_EXPIRED` "Cannot use identity token: the identity token is
 *   expired (expiry …)", or not yet valid; `OIDC_AUDIENCE_MISMATCH` "Cannot use identity token:
 *   the identity token's audience is X, expected sigstore"
 */
export function checkIdentityToken(token: IdentityToken, check: IdentityTokenCheck): void {
  const now = check.now ?? new Date();
  if (token.expiresAt && token.expiresAt.getTime() <= now.getTime()) {
    throw new IdentityError(
      "OIDC_TOKEN_EXPIRED",
      `Cannot use identity token: the identity token is expired (expiry ${token.expiresAt.toISOString()})`,
    );
  }
  if (token.notBefore && token.notBefore.getTime() > now.getTime() + NOT_BEFORE_LEEWAY_MS) {
    throw new IdentityError(
      "OIDC_TOKEN_EXPIRED",
      `Cannot use identity token: the identity token is not valid before ${token.notBefore.toISOString()}`,
    );
  }
  if (check.audience !== null && !token.audiences.includes(check.audience)) {
    const got = token.audiences.length === 0 ? "empty" : token.audiences.join(", ");
    throw new IdentityError(
      "OIDC_AUDIENCE_MISMATCH",
      `Cannot use identity token: the identity token's audience is ${got}, expected ${check.audience}`,
    );
  }
}

/** An identity token with the subject it proves ({@link identityTokenSubject}). */
export interface AuthenticatedIdentity {
  token: IdentityToken;
  /** The e-mail address or subject Fulcio's proof of possession signs. */
  subject: string;
}
