import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { encodePem } from "./pem.ts";
import {
  ed25519PublicKeyFromRaw,
  marshalPublicKeyPem,
  parsePublicKeyDer,
  parsePublicKeyPem,
} from "./public_key.ts";
import { VECTORS } from "../../tests/_vectors.ts";

const ENC = VECTORS + "keys/encrypted/";
const REKOR = VECTORS + "signatures/rekor-testdata/";

const PUBS: [string, string, string | undefined, number | undefined][] = [
  [`${ENC}cosign-ci-cosign-test.pub`, "ecdsa", "P-256", undefined],
  [`${ENC}sigstore-rs-rsa_encrypted_private.pub`, "rsa", undefined, 4096],
  [`${ENC}sigstore-rs-ed25519_encrypted_private.pub`, "ed25519", undefined, undefined],
  [`${REKOR}client-algos-rsa_public.pem`, "rsa", undefined, 2048],
  [`${REKOR}client-algos-ec_public.pem`, "ecdsa", "P-256", undefined],
  [`${REKOR}client-algos-ed25519_public.pem`, "ed25519", undefined, undefined],
];

Deno.test("parsePublicKeyPem() parses ECDSA, RSA and Ed25519 keys and re-marshals them exactly", async () => {
  for (const [file, kind, curve, bits] of PUBS) {
    const text = await Deno.readTextFile(file);
    const pub = parsePublicKeyPem(text);
    assert.equal(pub.kind, kind, file);
    assert.equal(pub.curve, curve, file);
    assert.equal(pub.bits, bits, file);
    assert.equal(marshalPublicKeyPem(pub), text, file);
    assert.equal(pub.keyObject.type, "public");
  }
});

Deno.test("ed25519PublicKeyFromRaw() wraps a raw key in the SubjectPublicKeyInfo Go writes", async () => {
  const text = await Deno.readTextFile(`${REKOR}client-algos-ed25519_public.pem`);
  const parsed = parsePublicKeyPem(text);
  const pub = ed25519PublicKeyFromRaw(parsed.spki.subarray(parsed.spki.length - 32));
  assert.equal(pub.kind, "ed25519");
  assert.deepEqual(pub.spki, parsed.spki);
  assert.equal(marshalPublicKeyPem(pub), text);
  assert.equal(pub.keyObject.asymmetricKeyType, "ed25519");
});

Deno.test("ed25519PublicKeyFromRaw() refuses keys that are not 32 bytes", () => {
  for (const size of [0, 31, 33, 64]) {
    assert.throws(() => ed25519PublicKeyFromRaw(new Uint8Array(size)), {
      name: "KeyError",
      code: "KEY_INVALID",
      message: "Cannot load public key: wrong Ed25519 public key size",
    }, `${size} bytes`);
  }
});

Deno.test("parsePublicKeyPem() accepts P-384 and P-521 keys", () => {
  for (const curve of ["P-384", "P-521"]) {
    const spki = generateKeyPairSync("ec", { namedCurve: curve }).publicKey.export({
      format: "der",
      type: "spki",
    });
    const pub = parsePublicKeyPem(encodePem("PUBLIC KEY", new Uint8Array(spki)));
    assert.equal(pub.curve, curve);
    assert.deepEqual(pub.spki, new Uint8Array(spki));
  }
});

Deno.test('parsePublicKeyPem() accepts PKCS#1 "RSA PUBLIC KEY" and marshals it as PKIX', () => {
  const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
  const pkcs1 = new Uint8Array(key.export({ format: "der", type: "pkcs1" }));
  const pub = parsePublicKeyPem(encodePem("RSA PUBLIC KEY", pkcs1));
  assert.equal(pub.bits, 2048);
  assert.deepEqual(pub.spki, new Uint8Array(key.export({ format: "der", type: "spki" })));
});

function spkiOf(curve: string): Uint8Array {
  return new Uint8Array(
    generateKeyPairSync("ec", { namedCurve: curve }).publicKey.export({
      format: "der",
      type: "spki",
    }),
  );
}

Deno.test("parsePublicKeyPem() rejects other PEM types and non-PEM input", () => {
  const table: [string, string, string][] = [
    ["no pem", "KEY_INVALID", "Cannot load public key: PEM decoding failed"],
    [
      encodePem("CERTIFICATE", Uint8Array.of(1)),
      "KEY_INVALID",
      "Cannot load public key: unknown Public key PEM file type: CERTIFICATE. " +
      "Are you passing the correct public key?",
    ],
  ];
  for (const [input, code, message] of table) {
    assert.throws(() => parsePublicKeyPem(input), { name: "KeyError", code, message });
  }
});

Deno.test("parsePublicKeyDer() rejects keys Go rejects or cosign cannot use", () => {
  const p256 = spkiOf("P-256");
  const rsaPkcs1 = new Uint8Array(
    generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({
      format: "der",
      type: "pkcs1",
    }),
  );
  const edWithParams = Uint8Array.fromHex(
    "302c300706032b65700500032100" + "11".repeat(32),
  );
  const edShort = Uint8Array.fromHex("3029300506032b6570032000" + "11".repeat(31));
  const rsaPss = new Uint8Array(
    generateKeyPairSync("rsa-pss", { modulusLength: 2048 }).publicKey.export({
      format: "der",
      type: "spki",
    }),
  );
  // P-256 SPKI with a compressed point (02 || X): the SPKI prefix is 26 bytes.
  const compressedPoint = Uint8Array.fromHex(
    "3039301306072a8648ce3d020106082a8648ce3d030107032200" + "02" +
      p256.subarray(27, 59).toHex(),
  );
  const table: [Uint8Array, string, string][] = [
    [spkiOf("P-224"), "KEY_UNSUPPORTED", "Cannot load public key: ECDSA curve P-224 not supported"],
    [
      spkiOf("secp256k1"),
      "KEY_UNSUPPORTED",
      "Cannot load public key: x509: unsupported elliptic curve",
    ],
    [
      rsaPkcs1,
      "KEY_INVALID",
      "Cannot load public key: x509: failed to parse public key (use ParsePKCS1PublicKey instead " +
      "for this key format)",
    ],
    [
      edWithParams,
      "KEY_INVALID",
      "Cannot load public key: x509: Ed25519 key encoded with illegal parameters",
    ],
    [edShort, "KEY_INVALID", "Cannot load public key: x509: wrong Ed25519 public key size"],
    [
      rsaPss,
      "KEY_UNSUPPORTED",
      "Cannot load public key: x509: unknown public key algorithm 1.2.840.113549.1.1.10",
    ],
    [
      compressedPoint,
      "KEY_INVALID",
      "Cannot load public key: x509: failed to unmarshal elliptic curve point",
    ],
    [
      Uint8Array.of(...p256, 0),
      "KEY_INVALID",
      "Cannot load public key: x509: malformed public key: DER input has trailing data",
    ],
  ];
  for (const [input, code, message] of table) {
    assert.throws(() => parsePublicKeyDer(input), { name: "KeyError", code, message });
  }
});

Deno.test("parsePublicKeyDer() rejects a point that is not on the curve", () => {
  const spki = spkiOf("P-256");
  spki[spki.length - 1] ^= 1;
  assert.throws(() => parsePublicKeyDer(spki), {
    name: "KeyError",
    code: "KEY_INVALID",
    message: "Cannot load public key: x509: failed to unmarshal elliptic curve point",
  });
});

Deno.test("parsePublicKeyDer() rejects an ECDSA point that is not on the curve, as Go does", () => {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = new Uint8Array(publicKey.export({ format: "der", type: "spki" }));
  assert.equal(parsePublicKeyDer(spki).curve, "P-256");
  spki[spki.length - 1] ^= 1;
  assert.throws(() => parsePublicKeyDer(spki), {
    code: "KEY_INVALID",
    message: "Cannot load public key: x509: failed to unmarshal elliptic curve point",
  });
});
