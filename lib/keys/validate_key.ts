/**
 * Key policy of sigstore's `goodkey.ValidatePubKey` (sigstore v1.10, which applies Let's Encrypt
 * boulder's goodkey policy), used by `cosign import-key-pair`.
 *
 * @module
 */

import type { KeyObject } from "node:crypto";
import { KeyError } from "../errors.ts";
import type { PublicKey } from "./public_key.ts";

const CURVE_NAMES: Record<string, string> = {
  prime256v1: "P-256",
  secp384r1: "P-384",
  secp521r1: "P-521",
  secp224r1: "P-224",
};
const ALLOWED_CURVES = new Set(["P-256", "P-384", "P-521"]);
const ALLOWED_RSA_BITS = new Set([2048, 3072, 4096]);
/** sigstore configures boulder with 100 rounds of Fermat factorisation. */
const FERMAT_ROUNDS = 100;

let smallPrimesProduct: bigint | undefined;
function smallPrimes(): bigint {
  if (smallPrimesProduct === undefined) {
    smallPrimesProduct = 1n;
    for (let p = 2; p < 752; p++) {
      let prime = true;
      for (let q = 2; q * q <= p; q++) if (p % q === 0) prime = false;
      if (prime) smallPrimesProduct *= BigInt(p);
    }
  }
  return smallPrimesProduct;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a;
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** boulder checkPrimeFactorsTooClose: Fermat's method finds p, q that are too close together. */
function fermatFactors(n: bigint): [bigint, bigint] | undefined {
  let a = isqrt(n) + 1n;
  let b2 = a * a - n;
  for (let i = 0; i < FERMAT_ROUNDS; i++) {
    const b = isqrt(b2);
    if (b * b === b2) return [a + b, a - b];
    a += 1n;
    b2 = a * a - n;
  }
  return undefined;
}

const toBigInt = (b64url: string | undefined): bigint =>
  BigInt("0x" + (Uint8Array.fromBase64(b64url ?? "", { alphabet: "base64url" }).toHex() || "0"));

/**
 * Returns what goodkey objects to in a key, in goodkey's exact words, or `undefined` when the key
 * is acceptable: ECDSA on P-256/P-384/P-521 ("ECDSA curve P-224 not allowed"), RSA of exactly
 * 2048, 3072 or 4096 bits ("key size not supported: 1024") with exponent 65537, no factor below
 * 752 and factors not close enough for 100 rounds of Fermat's method; any Ed25519 key. (boulder's
 * ROCA check for Infineon keys is not repeated here.) Points are checked on the curve when
 * `node:crypto` imports them.
 *
 * @param key a public or private `node:crypto` key
 * @returns the objection, or `undefined`
 */
export function goodKeyProblem(key: KeyObject): string | undefined {
  switch (key.asymmetricKeyType) {
    case "ec": {
      const named = key.asymmetricKeyDetails?.namedCurve ?? "";
      const curve = CURVE_NAMES[named] ?? named;
      return ALLOWED_CURVES.has(curve) ? undefined : `ECDSA curve ${curve} not allowed`;
    }
    case "rsa": {
      const jwk = key.export({ format: "jwk" });
      const n = toBigInt(jwk.n);
      const bits = n.toString(2).length;
      if (!ALLOWED_RSA_BITS.has(bits)) return `key size not supported: ${bits}`;
      if (toBigInt(jwk.e) !== 65537n) return "key exponent must be 65537";
      if (gcd(n, smallPrimes()) !== 1n) return "key divisible by small prime";
      const pq = fermatFactors(n);
      if (pq) {
        return "key generated with factors too close together: " +
          `public modulus n = pq factored into p: ${pq[0]}; q: ${pq[1]}`;
      }
      return undefined;
    }
    case "ed25519":
      return undefined;
    default:
      return `unsupported key type ${key.asymmetricKeyType}`;
  }
}

/**
 * Checks a key against sigstore's goodkey policy (see {@link goodKeyProblem}).
 *
 * @param key a parsed public key, or a public or private `node:crypto` key
 * @throws {KeyError} `KEY_UNSUPPORTED` "Cannot validate key: <goodkey message>"
 */
export function validateKey(key: KeyObject | PublicKey): void {
  const problem = goodKeyProblem("spki" in key ? key.keyObject : key);
  if (problem) throw new KeyError("KEY_UNSUPPORTED", `Cannot validate key: ${problem}`);
}
