import assert from "node:assert/strict";
import { constants, createHash, createSign, generateKeyPairSync } from "node:crypto";
import { p256, p521 } from "@noble/curves/nist.js";
import { parsePublicKeyDer, parsePublicKeyPem, type PublicKey } from "../keys/public_key.ts";
import { bytesReader } from "../stream.ts";
import { type VerifyHash, verifySignature } from "./verify_signature.ts";
import { VECTORS } from "../../tests/_vectors.ts";

const DIR = VECTORS + "signatures/rekor-testdata/";
const read = (f: string) => Deno.readFileSync(DIR + f);

/** rekor's client-algos and x509 testdata, made with openssl. */
const VALID: [string, string, string, VerifyHash, boolean?][] = [
  ["client-algos-ec_public.pem", "client-algos-file1", "client-algos-file1.ec.sig", "sha256"],
  ["client-algos-ec_public.pem", "client-algos-file2", "client-algos-file2.ec.sig", "sha256"],
  ["client-algos-rsa_public.pem", "client-algos-file1", "client-algos-file1.rsa.sig", "sha256"],
  ["client-algos-rsa_public.pem", "client-algos-file2", "client-algos-file2.rsa.sig", "sha256"],
  ["client-algos-rsa_public.pem", "client-algos-file2", "client-algos-file2.rsa512.sig", "sha512"],
  [
    "client-algos-ed25519_public.pem",
    "client-algos-file1",
    "client-algos-file1.ed25519.sig",
    "sha256",
  ],
  [
    "client-algos-ed25519_public.pem",
    "client-algos-file1",
    "client-algos-file1.ed25519ph.sig",
    "sha256",
    true,
  ],
  ["x509-ec.pub", "x509-hello_world.txt", "x509-hello_world.txt.sig", "sha256"],
];

for (const [key, message, sig, hash, ph] of VALID) {
  Deno.test(`verifySignature() accepts rekor's ${sig} (${hash}${ph ? ", ed25519ph" : ""})`, async () => {
    await verifySignature({
      publicKey: parsePublicKeyPem(read(key)),
      hash,
      signature: read(sig),
      reader: bytesReader(read(message)),
      ed25519ph: ph,
    });
  });
}

Deno.test("verifySignature() accepts ECDSA signatures with high and low S, as Go does", async () => {
  // rekor's file1.ec.sig has s = b063df17… > n/2 and is verified above; check both forms of one more.
  assert.equal(read("client-algos-file1.ec.sig")[40], 0xb0);
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const message = new TextEncoder().encode("malleable");
  const sig = p256.Signature.fromBytes(
    new Uint8Array(createSign("sha256").update(message).sign(privateKey)),
    "der",
  );
  const flipped = new p256.Signature(sig.r, p256.Point.CURVE().n - sig.s);
  for (const s of [sig, flipped]) {
    await verifySignature({
      publicKey: pubOf(publicKey),
      hash: "sha256",
      signature: s.toBytes("der"),
      reader: bytesReader(message),
    });
  }
});

const INVALID: [string, string, string, VerifyHash, boolean | undefined, string][] = [
  [
    "client-algos-ec_public.pem",
    "client-algos-file2",
    "client-algos-file1.ec.sig",
    "sha256",
    undefined,
    "Cannot verify signature: invalid signature when validating ASN.1 encoded signature",
  ],
  [
    "client-algos-rsa_public.pem",
    "client-algos-file2",
    "client-algos-file2.rsa512.sig",
    "sha256",
    undefined,
    "Cannot verify signature: crypto/rsa: verification error",
  ],
  [
    "client-algos-ed25519_public.pem",
    "client-algos-file2",
    "client-algos-file1.ed25519.sig",
    "sha256",
    undefined,
    "Cannot verify signature: failed to verify signature",
  ],
  [
    "client-algos-ed25519_public.pem",
    "client-algos-file1",
    "client-algos-file1.ed25519.sig",
    "sha256",
    true,
    "Cannot verify signature: failed to verify signature: ed25519: invalid signature",
  ],
  [
    "client-algos-ec_public.pem",
    "client-algos-file1",
    "client-algos-file1.rsa.sig",
    "sha256",
    undefined,
    "Cannot verify signature: invalid signature when validating ASN.1 encoded signature",
  ],
];

Deno.test("verifySignature() rejects wrong messages, hashes and signatures with sigstore's messages", async () => {
  for (const [key, message, sig, hash, ph, expected] of INVALID) {
    await assert.rejects(
      verifySignature({
        publicKey: parsePublicKeyPem(read(key)),
        hash,
        signature: read(sig),
        reader: bytesReader(read(message)),
        ed25519ph: ph,
      }),
      { name: "VerificationError", code: "SIGNATURE_INVALID", message: expected },
      `${sig} over ${message}`,
    );
  }
});

Deno.test("verifySignature() refuses hashes the key type cannot use", async () => {
  await assert.rejects(
    verifySignature({
      publicKey: parsePublicKeyPem(read("client-algos-rsa_public.pem")),
      hash: "sha224",
      signature: new Uint8Array(256),
      reader: bytesReader(new Uint8Array()),
    }),
    { name: "TypeError", message: "Cannot verify signature: invalid hash function specified" },
  );
});

function pubOf(key: ReturnType<typeof generateKeyPairSync>["publicKey"]): PublicKey {
  return parsePublicKeyDer(new Uint8Array(key.export({ format: "der", type: "spki" })));
}

Deno.test("verifySignature() verifies ECDSA with a hash shorter than half the curve (P-521/SHA-256)", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-521" });
  const d = Uint8Array.fromBase64(privateKey.export({ format: "jwk" }).d!, {
    alphabet: "base64url",
  });
  const message = new TextEncoder().encode("short digest");
  const digest = new Uint8Array(createHash("sha256").update(message).digest());
  const signature = p521.sign(digest, d, { prehash: false, format: "der" });
  const opts = { publicKey: pubOf(publicKey), signature };
  await verifySignature({ ...opts, hash: "sha256", reader: bytesReader(message) });
  await assert.rejects(
    verifySignature({ ...opts, hash: "sha256", reader: bytesReader(Uint8Array.of(1)) }),
    {
      message: "Cannot verify signature: invalid signature when validating ASN.1 encoded signature",
    },
  );
});

Deno.test("verifySignature() verifies ECDSA P-384 signed over SHA-256 (sigstore-python keys)", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
  const signature = new Uint8Array(createSign("sha256").update("m").sign(privateKey));
  await verifySignature({
    publicKey: pubOf(publicKey),
    hash: "sha256",
    signature,
    reader: bytesReader(new TextEncoder().encode("m")),
  });
  await assert.rejects(
    verifySignature({
      publicKey: pubOf(publicKey),
      hash: "sha384",
      signature,
      reader: bytesReader(new TextEncoder().encode("m")),
    }),
    { code: "SIGNATURE_INVALID" },
  );
});

Deno.test("verifySignature() verifies RSA-PSS with any salt length when asked", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const message = new TextEncoder().encode("pss");
  const pub = pubOf(publicKey);
  for (const saltLength of [32, 222]) {
    const signature = new Uint8Array(
      createSign("sha256").update(message).sign({
        key: privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength,
      }),
    );
    await verifySignature({
      publicKey: pub,
      hash: "sha256",
      signature,
      reader: bytesReader(message),
      rsaPss: true,
    });
    await assert.rejects(
      verifySignature({ publicKey: pub, hash: "sha256", signature, reader: bytesReader(message) }),
      { message: "Cannot verify signature: crypto/rsa: verification error" },
    );
  }
});

Deno.test("verifySignature() treats a malformed signature as invalid", async () => {
  for (
    const [key, expected] of [
      ["client-algos-ec_public.pem", "invalid signature when validating ASN.1 encoded signature"],
      ["client-algos-rsa_public.pem", "crypto/rsa: verification error"],
      ["client-algos-ed25519_public.pem", "failed to verify signature"],
    ]
  ) {
    await assert.rejects(
      verifySignature({
        publicKey: parsePublicKeyPem(read(key)),
        hash: "sha256",
        signature: Uint8Array.of(1, 2, 3),
        reader: bytesReader(Uint8Array.of(1)),
      }),
      { code: "SIGNATURE_INVALID", message: `Cannot verify signature: ${expected}` },
    );
  }
});

Deno.test("verifySignature() gives the same verdicts on the WebCrypto (small) and streaming (large) paths", async () => {
  const small = new TextEncoder().encode("small message");
  const large = new Uint8Array(9 * 1024 * 1024).fill(7); // above the 8 MiB one-shot limit
  const keys = [
    generateKeyPairSync("ec", { namedCurve: "P-256" }),
    generateKeyPairSync("ec", { namedCurve: "P-384" }),
    generateKeyPairSync("rsa", { modulusLength: 2048 }),
  ];
  for (const { privateKey, publicKey } of keys) {
    for (const message of [small, large]) {
      const signature = new Uint8Array(createSign("sha256").update(message).sign(privateKey));
      const opts = { publicKey: pubOf(publicKey), hash: "sha256" as const, signature };
      await verifySignature({ ...opts, reader: bytesReader(message) });
      const tampered = message.slice();
      tampered[tampered.length - 1] ^= 1;
      await assert.rejects(verifySignature({ ...opts, reader: bytesReader(tampered) }), {
        code: "SIGNATURE_INVALID",
      });
      // Trailing garbage after the DER signature is rejected on both paths, as Go's VerifyASN1 does.
      if (publicKey.asymmetricKeyType === "ec") {
        await assert.rejects(
          verifySignature({
            ...opts,
            signature: new Uint8Array([...signature, 0]),
            reader: bytesReader(message),
          }),
          { code: "SIGNATURE_INVALID" },
        );
      }
    }
  }
});
