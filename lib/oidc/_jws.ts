/**
 * JSON Web Signatures in the compact serialization (RFC 7515 §7.1), as ID tokens use them: split,
 * decode and verify with a JSON Web Key (RFC 7517) through WebCrypto. Private to lib/oidc.
 *
 * @module
 */

/** The JWS algorithms (RFC 7518 §3.1, RFC 8037 §3.1) sigstore's oauthflow accepts for ID tokens. */
export const JWS_ALGORITHMS: readonly string[] = [
  "ES256",
  "ES384",
  "ES512",
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "EdDSA",
];

/** The most characters an ID token may have (real ones are a few KiB). */
export const MAX_TOKEN_LENGTH = 128 * 1024;

/** A compact JWS, split and decoded; nothing is verified. */
export interface CompactJws {
  /** The protected header (a JSON object). */
  header: Record<string, unknown>;
  /** The payload bytes. */
  payload: Uint8Array;
  signature: Uint8Array;
  /** `BASE64URL(header) "." BASE64URL(payload)`, what the signature covers. */
  signingInput: string;
}

/**
 * Decodes unpadded base64url, tolerating trailing `=` as go-jose does.
 *
 * @throws {SyntaxError} on other characters
 */
export function decodeBase64Url(text: string): Uint8Array {
  const s = text.replace(/=+$/, "");
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) {
    throw new SyntaxError("invalid base64url");
  }
  return Uint8Array.fromBase64(s, { alphabet: "base64url", lastChunkHandling: "loose" });
}

/**
 * Splits and decodes a compact JWS, the way go-jose's `ParseSignedCompact` does: three
 * base64url parts, a protected header that is a JSON object naming its `alg`.
 *
 * @param token the compact serialization
 * @returns the decoded parts
 * @throws {SyntaxError} naming what is wrong
 */
export function parseCompactJws(token: string): CompactJws {
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new SyntaxError(`longer than ${MAX_TOKEN_LENGTH} characters`);
  }
  const parts = token.split(".");
  if (parts.length !== 3) {
    throw new SyntaxError(`expected three dot-separated parts, got ${parts.length}`);
  }
  let header: unknown;
  let payload: Uint8Array;
  let signature: Uint8Array;
  try {
    header = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(decodeBase64Url(parts[0])),
    );
    payload = decodeBase64Url(parts[1]);
    signature = decodeBase64Url(parts[2]);
  } catch (e) {
    throw new SyntaxError(`malformed part: ${(e as Error).message}`, { cause: e });
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new SyntaxError("the header is not a JSON object");
  }
  if (typeof (header as Record<string, unknown>).alg !== "string") {
    throw new SyntaxError("the header names no algorithm");
  }
  return {
    header: header as Record<string, unknown>,
    payload,
    signature,
    signingInput: `${parts[0]}.${parts[1]}`,
  };
}

type Params = {
  import: RsaHashedImportParams | EcKeyImportParams | Algorithm;
  verify: Algorithm | RsaPssParams | EcdsaParams;
  kty: string;
  crv?: string;
};

function paramsFor(alg: string): Params | undefined {
  const hash = `SHA-${alg.slice(2)}`;
  switch (alg) {
    case "RS256":
    case "RS384":
    case "RS512":
      return {
        import: { name: "RSASSA-PKCS1-v1_5", hash },
        verify: { name: "RSASSA-PKCS1-v1_5" },
        kty: "RSA",
      };
    case "PS256":
    case "PS384":
    case "PS512":
      // RFC 7518 §3.5: the salt is as long as the hash.
      return {
        import: { name: "RSA-PSS", hash },
        verify: { name: "RSA-PSS", saltLength: Number(alg.slice(2)) / 8 } as RsaPssParams,
        kty: "RSA",
      };
    case "ES256":
    case "ES384":
    case "ES512": {
      const crv = alg === "ES256" ? "P-256" : alg === "ES384" ? "P-384" : "P-521";
      return {
        import: { name: "ECDSA", namedCurve: crv },
        verify: { name: "ECDSA", hash } as EcdsaParams,
        kty: "EC",
        crv,
      };
    }
    case "EdDSA":
      return {
        import: { name: "Ed25519" },
        verify: { name: "Ed25519" },
        kty: "OKP",
        crv: "Ed25519",
      };
    default:
      return undefined;
  }
}

/**
 * Verifies a JWS signature with one JSON Web Key. The key's own `alg`, `use` and `key_ops` are
 * left out of the import (WebCrypto would check them against its own names); a key of the wrong
 * type or curve for `alg` does not verify.
 *
 * @param jws the parsed token
 * @param jwk a public key from the issuer's key set
 * @returns whether the signature verifies
 */
export async function verifyJwsWith(jws: CompactJws, jwk: JsonWebKey): Promise<boolean> {
  const alg = String(jws.header.alg);
  const p = paramsFor(alg);
  if (!p || jwk.kty !== p.kty || (p.crv && jwk.crv !== p.crv)) return false;
  if (typeof jwk.alg === "string" && jwk.alg !== alg) return false;
  const bare: JsonWebKey = p.kty === "RSA"
    ? { kty: "RSA", n: jwk.n, e: jwk.e }
    : p.kty === "EC"
    ? { kty: "EC", crv: jwk.crv, x: jwk.x, y: jwk.y }
    : { kty: "OKP", crv: jwk.crv, x: jwk.x };
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("jwk", bare, p.import, false, ["verify"]);
  } catch {
    return false;
  }
  try {
    return await crypto.subtle.verify(
      p.verify,
      key,
      jws.signature as BufferSource,
      new TextEncoder().encode(jws.signingInput),
    );
  } catch {
    return false;
  }
}

/** Whether WebCrypto can verify `alg` here (RFC 7518 names). */
export function isSupportedJwsAlgorithm(alg: string): boolean {
  return paramsFor(alg) !== undefined;
}
