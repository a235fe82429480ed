/**
 * Public keys: parse PEM/DER like sigstore's `cryptoutils.UnmarshalPEMToPublicKey` (Go's
 * `x509.ParsePKIXPublicKey` and `ParsePKCS1PublicKey` rules), and marshal them back to the exact
 * PKIX "PUBLIC KEY" PEM Go writes.
 *
 * @module
 */

import type { JsonWebKey, KeyObject } from "node:crypto";
import { nodeCrypto } from "../_node_crypto.ts";
import {
  DER_NULL,
  derBits,
  derBitString,
  derChildren,
  derInteger,
  type DerNode,
  derOid,
  derOidEncode,
  derSequence,
  derUint,
  OID,
  parseDer,
  TAG,
} from "../asn1/der.ts";
import { KeyError } from "../errors.ts";
import { decodePem, encodePem } from "./pem.ts";

/** The key algorithms cosign signs and verifies with. */
export type KeyKind = "ecdsa" | "rsa" | "ed25519";

/** The ECDSA curves cosign accepts. */
export type Curve = "P-256" | "P-384" | "P-521";

/** A parsed public key. */
export interface PublicKey {
  kind: KeyKind;
  /** Set for ECDSA keys. */
  curve?: Curve;
  /** The modulus length of RSA keys. */
  bits?: number;
  /** The SubjectPublicKeyInfo DER, exactly as Go's `x509.MarshalPKIXPublicKey` writes it. */
  spki: Uint8Array;
  /** The key for `node:crypto` (created on first access: loading `node:crypto` costs start-up time). */
  readonly keyObject: KeyObject;
}

/** Builds a {@link PublicKey} whose `keyObject` is created lazily from its SPKI. */
function makePublicKey(fields: Omit<PublicKey, "keyObject">, keyObject?: KeyObject): PublicKey {
  let ko = keyObject;
  return {
    ...fields,
    get keyObject(): KeyObject {
      return ko ??= nodeCrypto().createPublicKey({
        key: fields.spki as never,
        format: "der",
        type: "spki",
      });
    },
  };
}

/** Curve parameters for the on-curve check (SEC 2 / FIPS 186-4): y² = x³ − 3x + b (mod p). */
const CURVE_PARAMS: Record<Curve, { p: bigint; b: bigint }> = {
  "P-256": {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  },
  "P-384": {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
  },
  "P-521": {
    p: (1n << 521n) - 1n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
  },
};

function bigFrom(bytes: Uint8Array): bigint {
  return bytes.length ? BigInt("0x" + bytes.toHex()) : 0n;
}

/** Whether the uncompressed point `04‖x‖y` lies on `curve` (Go's elliptic Unmarshal check). */
function onCurve(curve: Curve, point: Uint8Array): boolean {
  const size = CURVE_BYTES[curve];
  const { p, b } = CURVE_PARAMS[curve];
  const x = bigFrom(point.subarray(1, 1 + size));
  const y = bigFrom(point.subarray(1 + size));
  if (x >= p || y >= p) return false;
  return (y * y - (x * x * x - 3n * x + b)) % p === 0n;
}

const CURVE_BY_OID: Record<string, Curve | "P-224"> = {
  [OID.p224]: "P-224",
  [OID.p256]: "P-256",
  [OID.p384]: "P-384",
  [OID.p521]: "P-521",
};

const OID_BY_CURVE: Record<Curve, string> = {
  "P-256": OID.p256,
  "P-384": OID.p384,
  "P-521": OID.p521,
};

/** Field size in bytes of each curve. */
export const CURVE_BYTES: Record<Curve, number> = { "P-256": 32, "P-384": 48, "P-521": 66 };

/** The SubjectPublicKeyInfo of a raw Ed25519 key (RFC 8410 §4: no algorithm parameters). */
function ed25519Spki(raw: Uint8Array): Uint8Array {
  return derSequence(derSequence(derOidEncode(OID.ed25519)), derBits(raw));
}

const b64url = (s: string | undefined): Uint8Array =>
  Uint8Array.fromBase64(s ?? "", { alphabet: "base64url" });

function bitLength(n: Uint8Array): number {
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  return i === n.length ? 0 : (n.length - i - 1) * 8 + (32 - Math.clz32(n[i]));
}

/**
 * Builds the {@link PublicKey} of a `node:crypto` key (public or private), marshalling the SPKI
 * the way Go does from the key's JWK components.
 *
 * @param key a P-256/P-384/P-521, RSA or Ed25519 key
 * @returns the public key
 * @throws {KeyError} `KEY_UNSUPPORTED` for any other key type or curve
 */
export function publicKeyFromKeyObject(key: KeyObject): PublicKey {
  let jwk: JsonWebKey;
  try {
    jwk = key.export({ format: "jwk" });
  } catch (e) {
    throw new KeyError("KEY_UNSUPPORTED", "Cannot load public key: unsupported public key type", {
      cause: e,
    });
  }
  let spki: Uint8Array;
  let out: Omit<PublicKey, "spki" | "keyObject">;
  if (jwk.kty === "EC" && (jwk.crv === "P-256" || jwk.crv === "P-384" || jwk.crv === "P-521")) {
    const curve = jwk.crv;
    const point = new Uint8Array(1 + 2 * CURVE_BYTES[curve]);
    point[0] = 4;
    point.set(b64url(jwk.x), 1);
    point.set(b64url(jwk.y), 1 + CURVE_BYTES[curve]);
    spki = derSequence(
      derSequence(derOidEncode(OID.ecPublicKey), derOidEncode(OID_BY_CURVE[curve])),
      derBits(point),
    );
    out = { kind: "ecdsa", curve };
  } else if (jwk.kty === "RSA") {
    const n = b64url(jwk.n);
    spki = derSequence(
      derSequence(derOidEncode(OID.rsaEncryption), DER_NULL),
      derBits(derSequence(derUint(n), derUint(b64url(jwk.e)))),
    );
    out = { kind: "rsa", bits: bitLength(n) };
  } else if (jwk.kty === "OKP" && jwk.crv === "Ed25519") {
    spki = ed25519Spki(b64url(jwk.x));
    out = { kind: "ed25519" };
  } else {
    throw new KeyError("KEY_UNSUPPORTED", "Cannot load public key: unsupported public key type");
  }
  return makePublicKey({ ...out, spki }, key.type === "public" ? key : undefined);
}

function x509(message: string, cause?: unknown): KeyError {
  return new KeyError("KEY_INVALID", `Cannot load public key: x509: ${message}`, { cause });
}

function positive(node: DerNode, what: string): bigint {
  const v = derInteger(node);
  if (v <= 0n) throw x509(`RSA ${what} is not a positive number`);
  return v;
}

function rsaFromPkcs1(der: Uint8Array): PublicKey {
  let n: bigint, e: bigint;
  try {
    const [nNode, eNode, ...rest] = derChildren(parseDer(der), TAG.SEQUENCE, "RSA public key");
    if (!eNode || rest.length) throw new SyntaxError("RSA public key: wrong element count");
    n = positive(nNode, "modulus");
    e = positive(eNode, "public exponent");
  } catch (err) {
    if (err instanceof KeyError) throw err;
    throw x509("invalid RSA public key", err);
  }
  if (e >= 1n << 31n) throw x509("invalid RSA public key");
  const spki = derSequence(
    derSequence(derOidEncode(OID.rsaEncryption), DER_NULL),
    derBits(derSequence(derUint(n), derUint(e))),
  );
  return makePublicKey({ kind: "rsa", bits: n.toString(2).length, spki });
}

/**
 * Parses a DER SubjectPublicKeyInfo with Go's `x509.ParsePKIXPublicKey` rules: RSA
 * (rsaEncryption with NULL parameters), ECDSA on a named curve with an uncompressed point, or
 * Ed25519 without parameters. The returned `spki` is re-marshalled canonically.
 *
 * @param der the SubjectPublicKeyInfo
 * @returns the public key
 * @throws {KeyError} `KEY_INVALID` for malformed keys (message "Cannot load public key: x509: ...");
 *   `KEY_UNSUPPORTED` for unknown algorithms and curves other than P-256, P-384 and P-521
 */
export function parsePublicKeyDer(der: Uint8Array): PublicKey {
  let algo: string, params: DerNode | undefined, bits: Uint8Array;
  try {
    const root = parseDer(der);
    const [alg, key, ...rest] = derChildren(root, TAG.SEQUENCE, "SubjectPublicKeyInfo");
    if (!key || rest.length) throw new SyntaxError("SubjectPublicKeyInfo: wrong element count");
    const algParts = derChildren(alg, TAG.SEQUENCE, "AlgorithmIdentifier");
    if (algParts.length < 1 || algParts.length > 2) {
      throw new SyntaxError("AlgorithmIdentifier: wrong element count");
    }
    algo = derOid(algParts[0]);
    params = algParts[1];
    bits = derBitString(key);
  } catch (err) {
    try {
      // Go tells people when they passed a PKCS#1 key where PKIX was expected.
      const parts = derChildren(parseDer(der), TAG.SEQUENCE, "RSA public key");
      if (parts.length === 2 && parts.every((p) => p.tag === TAG.INTEGER)) {
        throw x509(
          "failed to parse public key (use ParsePKCS1PublicKey instead for this key format)",
        );
      }
    } catch (e) {
      if (e instanceof KeyError) throw e;
    }
    throw x509(`malformed public key: ${(err as Error).message}`, err);
  }
  switch (algo) {
    case OID.rsaEncryption: {
      if (!params || params.tag !== TAG.NULL || params.value.length) {
        throw x509("RSA key missing NULL parameters");
      }
      return rsaFromPkcs1(bits);
    }
    case OID.ecPublicKey: {
      let curveOid: string;
      try {
        if (!params) throw new SyntaxError("missing parameters");
        curveOid = derOid(params);
      } catch (e) {
        throw x509("failed to parse ECDSA parameters as named curve", e);
      }
      const curve = CURVE_BY_OID[curveOid];
      if (!curve) {
        throw new KeyError(
          "KEY_UNSUPPORTED",
          "Cannot load public key: x509: unsupported elliptic curve",
        );
      }
      if (curve === "P-224") {
        throw new KeyError(
          "KEY_UNSUPPORTED",
          "Cannot load public key: ECDSA curve P-224 not supported",
        );
      }
      if (bits.length !== 1 + 2 * CURVE_BYTES[curve] || bits[0] !== 4 || !onCurve(curve, bits)) {
        throw x509("failed to unmarshal elliptic curve point");
      }
      const spki = derSequence(
        derSequence(derOidEncode(OID.ecPublicKey), derOidEncode(OID_BY_CURVE[curve])),
        derBits(bits),
      );
      return makePublicKey({ kind: "ecdsa", curve, spki });
    }
    case OID.ed25519: {
      if (params) throw x509("Ed25519 key encoded with illegal parameters");
      if (bits.length !== 32) throw x509("wrong Ed25519 public key size");
      // Go accepts any 32 bytes here (x509.ParsePKIXPublicKey does not decode the point).
      return makePublicKey({ kind: "ed25519", spki: ed25519Spki(bits) });
    }
    default:
      throw new KeyError(
        "KEY_UNSUPPORTED",
        `Cannot load public key: x509: unknown public key algorithm ${algo}`,
      );
  }
}

/**
 * Builds the {@link PublicKey} of a raw 32-byte Ed25519 key (RFC 8032 §5.1.5), as TUF metadata
 * states Ed25519 keys (hex `keyval.public`). Like Go's `ed25519.PublicKey`, any 32 bytes are
 * taken; the point is not decoded.
 *
 * @param raw the 32 key bytes
 * @returns the public key, with its SubjectPublicKeyInfo (RFC 8410 §4)
 * @throws {KeyError} `KEY_INVALID` "Cannot load public key: wrong Ed25519 public key size" unless
 *   `raw` is 32 bytes
 */
export function ed25519PublicKeyFromRaw(raw: Uint8Array): PublicKey {
  if (raw.length !== 32) {
    throw new KeyError("KEY_INVALID", "Cannot load public key: wrong Ed25519 public key size");
  }
  return makePublicKey({ kind: "ed25519", spki: ed25519Spki(raw) });
}

/**
 * Parses the first PEM block of `pem` as a public key, like sigstore's
 * `cryptoutils.UnmarshalPEMToPublicKey`: "PUBLIC KEY" (PKIX) or "RSA PUBLIC KEY" (PKCS#1).
 * A "CERTIFICATE" is refused, as in cosign (`--key` never takes a certificate).
 *
 * @param pem the PEM text or bytes
 * @returns the public key
 * @throws {KeyError} `KEY_INVALID` "Cannot load public key: PEM decoding failed" without a PEM block,
 *   "Cannot load public key: unknown Public key PEM file type: <TYPE>. Are you passing the correct
 *   public key?" for other labels, and the errors of {@link parsePublicKeyDer}
 * @example
 * ```ts
 * const pub = parsePublicKeyPem(await Deno.readFile("cosign.pub"));
 * ```
 */
export function parsePublicKeyPem(pem: string | Uint8Array): PublicKey {
  const block = decodePem(pem);
  if (!block) throw new KeyError("KEY_INVALID", "Cannot load public key: PEM decoding failed");
  if (block.type === "PUBLIC KEY") return parsePublicKeyDer(block.bytes);
  if (block.type === "RSA PUBLIC KEY") return rsaFromPkcs1(block.bytes);
  throw new KeyError(
    "KEY_INVALID",
    `Cannot load public key: unknown Public key PEM file type: ${block.type}. ` +
      "Are you passing the correct public key?",
  );
}

/**
 * Encodes a public key as the "PUBLIC KEY" PEM Go's `cryptoutils.MarshalPublicKeyToPEM` writes.
 *
 * @param pub the key
 * @returns the PEM text
 */
export function marshalPublicKeyPem(pub: PublicKey): string {
  return encodePem("PUBLIC KEY", pub.spki);
}
