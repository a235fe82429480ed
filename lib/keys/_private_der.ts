/**
 * Private-key DER parsing with Go's `crypto/x509` rules (ParsePKCS8PrivateKey, ParseECPrivateKey,
 * ParsePKCS1PrivateKey) and marshalling like `x509.MarshalPKCS8PrivateKey`. Parse errors are plain
 * `Error`s carrying Go's message text; callers wrap them in coded errors with their own prefix.
 *
 * Keys are rebuilt from their parsed components before `node:crypto` sees them, so what
 * `node:crypto` accepts never widens what Go accepts (embedded public keys and precomputed CRT
 * values are ignored and recomputed, as Go does).
 *
 * @module
 */

import { createPrivateKey, type KeyObject } from "node:crypto";
import {
  DER_NULL,
  derBits,
  derChildren,
  derEncode,
  derInteger,
  type DerNode,
  derOctets,
  derOid,
  derOidEncode,
  derSequence,
  derUint,
  OID,
  parseDer,
  TAG,
} from "../asn1/der.ts";
import { KeyError } from "../errors.ts";
import { CURVE_BYTES, publicKeyFromKeyObject } from "./public_key.ts";
import type { PrivateKey } from "./private_key.ts";

/** Curves Go's x509 parses (secp256k1 and others are "unknown elliptic curve"). */
const EC_CURVES: Record<string, { name: string; size: number }> = {
  [OID.p224]: { name: "P-224", size: 28 },
  [OID.p256]: { name: "P-256", size: 32 },
  [OID.p384]: { name: "P-384", size: 48 },
  [OID.p521]: { name: "P-521", size: 66 },
};

function tryParse(der: Uint8Array): DerNode[] | undefined {
  try {
    const root = parseDer(der);
    return root.tag === TAG.SEQUENCE ? root.children : undefined;
  } catch {
    return undefined;
  }
}

const looksPkcs8 = (c: DerNode[] | undefined) =>
  !!c && c.length >= 3 && c[0].tag === TAG.INTEGER && c[1].tag === TAG.SEQUENCE &&
  c[2].tag === TAG.OCTET_STRING;
const looksSec1 = (c: DerNode[] | undefined) =>
  !!c && c.length >= 2 && c[0].tag === TAG.INTEGER && c[1].tag === TAG.OCTET_STRING;
const looksPkcs1 = (c: DerNode[] | undefined) =>
  !!c && c.length >= 6 && c.slice(0, 6).every((n) => n.tag === TAG.INTEGER);

const LOOKS = { PKCS8: looksPkcs8, EC: looksSec1, PKCS1: looksPkcs1 };

/**
 * The error of a parser handed another format: Go's hint naming the first of `others` the DER
 * looks like (in the order Go checks them), else `message`.
 */
function otherFormat(
  c: DerNode[] | undefined,
  others: (keyof typeof LOOKS)[],
  message: string,
): Error {
  const hint = others.find((f) => LOOKS[f](c));
  return new Error(
    hint
      ? `x509: failed to parse private key (use Parse${hint}PrivateKey instead for this key format)`
      : message,
  );
}

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [((a % m) + m) % m, m, 1n, 0n];
  while (r1) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error("crypto/rsa: invalid CRT coefficient");
  return ((s0 % m) + m) % m;
}

function importDer(der: Uint8Array, type: "pkcs1" | "pkcs8" | "sec1", what: string): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(der), format: "der", type });
  } catch (e) {
    throw new Error(what, { cause: e });
  }
}

/**
 * Parses a PKCS#1 RSAPrivateKey like Go's `x509.ParsePKCS1PrivateKey`.
 *
 * @param der the DER
 * @returns the key
 * @throws {Error} with Go's message
 */
export function parsePkcs1(der: Uint8Array): KeyObject {
  const c = tryParse(der);
  if (!looksPkcs1(c)) throw otherFormat(c, ["PKCS8", "EC"], "x509: invalid RSA private key");
  const [version, n, e, d, p, q] = c!.slice(0, 6).map(derInteger);
  if (version > 1n) throw new Error("x509: unsupported private key version");
  if (version === 1n || c!.length > 9) {
    throw new Error("x509: multi-prime RSA keys are not supported");
  }
  if (n <= 0n || e <= 0n || d <= 0n) {
    throw new Error("x509: private key contains zero or negative value");
  }
  if (p <= 1n || q <= 1n) throw new Error("x509: private key contains zero or negative prime");
  if (e >= 1n << 31n) throw new Error("x509: invalid RSA private key");
  if (p * q !== n) throw new Error("crypto/rsa: invalid modulus");
  if ((d * e) % (p - 1n) !== 1n || (d * e) % (q - 1n) !== 1n) {
    throw new Error("crypto/rsa: invalid exponents");
  }
  const canonical = derSequence(
    ...[0n, n, e, d, p, q, d % (p - 1n), d % (q - 1n), modInverse(q, p)].map((v) => derUint(v)),
  );
  return importDer(canonical, "pkcs1", "x509: invalid RSA private key");
}

/** Parses an RFC 5915 ECPrivateKey; `curveOid` comes from PKCS#8 parameters when present. */
function parseEc(der: Uint8Array, curveOid: string | undefined): KeyObject {
  const c = tryParse(der);
  if (!looksSec1(c)) {
    throw otherFormat(
      c,
      ["PKCS8", "PKCS1"],
      "x509: failed to parse EC private key: malformed ECPrivateKey",
    );
  }
  const version = derInteger(c![0]);
  if (version !== 1n) throw new Error(`x509: unknown EC private key version ${version}`);
  if (curveOid === undefined) {
    const params = c!.slice(2).find((n) => n.tag === (TAG.CONTEXT | 0));
    const oidNode = params?.children?.[0];
    if (oidNode) curveOid = derOid(oidNode);
  }
  const curve = curveOid ? EC_CURVES[curveOid] : undefined;
  if (!curve) throw new Error("x509: unknown elliptic curve");
  let d = c![1].value;
  while (d.length > curve.size && d[0] === 0) d = d.subarray(1);
  if (d.length > curve.size) throw new Error("x509: invalid private key length");
  const padded = new Uint8Array(curve.size);
  padded.set(d, curve.size - d.length);
  // The embedded public key is dropped: node:crypto derives it from d, as Go does.
  const pkcs8 = derSequence(
    derUint(0n),
    derSequence(derOidEncode(OID.ecPublicKey), derOidEncode(curveOid!)),
    derOctets(derSequence(derUint(1n), derOctets(padded))),
  );
  return importDer(pkcs8, "pkcs8", "x509: invalid elliptic curve private key value");
}

/**
 * Parses an RFC 5915 "EC PRIVATE KEY" like Go's `x509.ParseECPrivateKey` (P-224, P-256, P-384 and
 * P-521 only).
 *
 * @param der the DER
 * @returns the key
 * @throws {Error} with Go's message
 */
export function parseSec1(der: Uint8Array): KeyObject {
  return parseEc(der, undefined);
}

/**
 * Parses a PKCS#8 PrivateKeyInfo (v1, or v2 OneAsymmetricKey as sigstore-rs writes for Ed25519)
 * like Go's `x509.ParsePKCS8PrivateKey`: RSA, ECDSA and Ed25519.
 *
 * @param der the DER
 * @returns the key
 * @throws {Error} with Go's message
 */
export function parsePkcs8(der: Uint8Array): KeyObject {
  const c = tryParse(der);
  if (!looksPkcs8(c)) throw otherFormat(c, ["EC", "PKCS1"], "x509: malformed PKCS #8 private key");
  const alg = derChildren(c![1], TAG.SEQUENCE, "AlgorithmIdentifier");
  if (alg.length < 1) throw new Error("x509: malformed PKCS #8 private key");
  const oid = derOid(alg[0]);
  const params = alg[1];
  const inner = c![2].value;
  switch (oid) {
    case OID.rsaEncryption:
      try {
        return parsePkcs1(inner);
      } catch (e) {
        throw new Error(
          `x509: failed to parse RSA private key embedded in PKCS#8: ${(e as Error).message}`,
        );
      }
    case OID.ecPublicKey: {
      let curveOid: string | undefined;
      try {
        curveOid = params ? derOid(params) : undefined;
      } catch {
        curveOid = undefined;
      }
      try {
        return parseEc(inner, curveOid);
      } catch (e) {
        throw new Error(
          `x509: failed to parse EC private key embedded in PKCS#8: ${(e as Error).message}`,
        );
      }
    }
    case OID.ed25519: {
      if (params) throw new Error("x509: invalid Ed25519 private key parameters");
      let seed: Uint8Array;
      try {
        const node = parseDer(inner);
        if (node.tag !== TAG.OCTET_STRING) throw new SyntaxError("expected an OCTET STRING");
        seed = node.value;
      } catch (e) {
        throw new Error(`x509: invalid Ed25519 private key: ${(e as Error).message}`);
      }
      if (seed.length !== 32) {
        throw new Error(`x509: invalid Ed25519 private key length: ${seed.length}`);
      }
      // v2's [1] publicKey is ignored (Go derives it from the seed); rebuild a v1 PKCS#8.
      return importDer(ed25519Pkcs8(seed), "pkcs8", "x509: invalid Ed25519 private key");
    }
    default:
      throw new Error(`x509: PKCS#8 wrapping contained private key with unknown algorithm: ${oid}`);
  }
}

function ed25519Pkcs8(seed: Uint8Array): Uint8Array {
  return derSequence(
    derUint(0n),
    derSequence(derOidEncode(OID.ed25519)),
    derOctets(derOctets(seed)),
  );
}

const b64url = (s: string | undefined): Uint8Array =>
  Uint8Array.fromBase64(s ?? "", { alphabet: "base64url" });

/**
 * Completes a private key: Go's `x509.MarshalPKCS8PrivateKey` encoding and the public key.
 *
 * @param keyObject a P-256/P-384/P-521, RSA or Ed25519 private key
 * @param what the failing step for error messages, e.g. "Cannot load private key"
 * @returns the key
 * @throws {KeyError} `KEY_UNSUPPORTED` "<what>: unsupported public key type" for other keys
 */
export function completePrivateKey(keyObject: KeyObject, what: string): PrivateKey {
  let publicKey;
  try {
    publicKey = publicKeyFromKeyObject(keyObject);
  } catch (e) {
    throw new KeyError("KEY_UNSUPPORTED", `${what}: unsupported public key type`, { cause: e });
  }
  const jwk = keyObject.export({ format: "jwk" });
  let pkcs8: Uint8Array;
  if (publicKey.kind === "ed25519") {
    pkcs8 = ed25519Pkcs8(b64url(jwk.d));
  } else if (publicKey.kind === "ecdsa") {
    const size = CURVE_BYTES[publicKey.curve!];
    const point = new Uint8Array(1 + 2 * size);
    point[0] = 4;
    point.set(b64url(jwk.x), 1);
    point.set(b64url(jwk.y), 1 + size);
    pkcs8 = derSequence(
      derUint(0n),
      derSequence(derOidEncode(OID.ecPublicKey), derOidEncode(curveOidOf(publicKey.curve!))),
      derOctets(derSequence(
        derUint(1n),
        derOctets(b64url(jwk.d)),
        derEncode(TAG.CONTEXT | 1, derBits(point)),
      )),
    );
  } else {
    const ints = [jwk.n, jwk.e, jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi].map((v) =>
      derUint(b64url(v))
    );
    pkcs8 = derSequence(
      derUint(0n),
      derSequence(derOidEncode(OID.rsaEncryption), DER_NULL),
      derOctets(derSequence(derUint(0n), ...ints)),
    );
  }
  return {
    kind: publicKey.kind,
    ...(publicKey.curve ? { curve: publicKey.curve } : {}),
    ...(publicKey.bits ? { bits: publicKey.bits } : {}),
    pkcs8,
    keyObject,
    publicKey,
  };
}

function curveOidOf(curve: string): string {
  return curve === "P-256" ? OID.p256 : curve === "P-384" ? OID.p384 : OID.p521;
}
