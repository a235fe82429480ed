import assert from "node:assert/strict";
import {
  checkPrimeSync,
  createPrivateKey,
  generateKeyPairSync,
  generatePrimeSync,
} from "node:crypto";
import { goodKeyProblem, validateKey } from "./validate_key.ts";
import { parsePublicKeyDer } from "./public_key.ts";

const ec = (namedCurve: string) => generateKeyPairSync("ec", { namedCurve }).publicKey;

Deno.test("goodKeyProblem() allows P-256, P-384, P-521, RSA 2048 and Ed25519", () => {
  for (const key of [ec("P-256"), ec("P-384"), ec("P-521")]) {
    assert.equal(goodKeyProblem(key), undefined);
  }
  assert.equal(goodKeyProblem(generateKeyPairSync("ed25519").publicKey), undefined);
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  assert.equal(goodKeyProblem(rsa.publicKey), undefined);
  assert.equal(goodKeyProblem(rsa.privateKey), undefined);
});

Deno.test("goodKeyProblem() rejects other curves, sizes and exponents with goodkey's words", () => {
  const table: [ReturnType<typeof ec>, string][] = [
    [ec("P-224"), "ECDSA curve P-224 not allowed"],
    [ec("secp256k1"), "ECDSA curve secp256k1 not allowed"],
    [generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey, "key size not supported: 1024"],
    [generateKeyPairSync("rsa", { modulusLength: 2056 }).publicKey, "key size not supported: 2056"],
    [
      generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 3 }).publicKey,
      "key exponent must be 65537",
    ],
    [generateKeyPairSync("x25519").publicKey, "unsupported key type x25519"],
  ];
  for (const [key, message] of table) assert.equal(goodKeyProblem(key), message);
});

Deno.test("goodKeyProblem() finds RSA factors that are too close together", () => {
  let p: bigint, q: bigint, n: bigint;
  do {
    p = generatePrimeSync(1024, { bigint: true });
    q = p + 2n;
    while (!checkPrimeSync(q)) q += 2n;
    n = p * q;
  } while (n.toString(2).length !== 2048);
  const e = 65537n;
  const phi = (p - 1n) * (q - 1n);
  const inv = (a: bigint, m: bigint) => {
    let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
    while (r1) {
      const k = r0 / r1;
      [r0, r1, s0, s1] = [r1, r0 - k * r1, s1, s0 - k * s1];
    }
    return ((s0 % m) + m) % m;
  };
  const d = inv(e, phi);
  const b64 = (v: bigint) => {
    const h = v.toString(16);
    return Uint8Array.fromHex(h.length % 2 ? "0" + h : h).toBase64({
      alphabet: "base64url",
      omitPadding: true,
    });
  };
  const key = createPrivateKey({
    format: "jwk",
    key: {
      kty: "RSA",
      n: b64(n),
      e: b64(e),
      d: b64(d),
      p: b64(q),
      q: b64(p),
      dp: b64(d % (q - 1n)),
      dq: b64(d % (p - 1n)),
      qi: b64(inv(p, q)),
    },
  });
  assert.equal(
    goodKeyProblem(key),
    `key generated with factors too close together: public modulus n = pq factored into p: ${q}; q: ${p}`,
  );
});

Deno.test("validateKey() throws a coded KeyError", () => {
  assert.doesNotThrow(() => validateKey(ec("P-256")));
  const rsa1024 = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey;
  assert.throws(
    () =>
      validateKey(
        parsePublicKeyDer(new Uint8Array(rsa1024.export({ format: "der", type: "spki" }))),
      ),
    {
      name: "KeyError",
      code: "KEY_UNSUPPORTED",
      message: "Cannot validate key: key size not supported: 1024",
    },
  );
  assert.throws(() => validateKey(ec("P-224")), {
    name: "KeyError",
    code: "KEY_UNSUPPORTED",
    message: "Cannot validate key: ECDSA curve P-224 not allowed",
  });
});
