import assert from "node:assert/strict";
import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { encryptKeyBytes } from "./encrypted.ts";
import { encodePem } from "./pem.ts";
import { loadPrivateKey } from "./private_key.ts";
import { marshalPublicKeyPem } from "./public_key.ts";
import { VECTORS } from "../../tests/_vectors.ts";

const DIR = VECTORS + "keys/encrypted/";
const te = new TextEncoder();

/** Rows of vectors/MANIFEST.md: file stem, password, expected kind. */
const LOADABLE: [string, string, string, string | undefined][] = [
  ["conforma-vsa_test-testKey", "", "ecdsa", "P-256"],
  ["cosign-keys_test-pemcosignkey", "hello", "ecdsa", "P-256"],
  ["cosign-keys_test-pemsigstorekey", "hello", "ecdsa", "P-256"],
  ["sigstore-rs-cosign_generated_encrypted_empty_private", "", "ecdsa", "P-256"],
  ["sigstore-rs-ecdsa_encrypted_private", "123", "ecdsa", "P-256"],
  ["sigstore-rs-ed25519_encrypted_private", "123", "ed25519", undefined],
  ["sigstore-rs-example-ECDSA_P256_ASN1_ENCRYPTED_PRIVATE_PEM", "password", "ecdsa", "P-256"],
  ["sigstore-rs-rsa_encrypted_private", "123", "rsa", undefined],
];

for (const [stem, password, kind, curve] of LOADABLE) {
  Deno.test(`loadPrivateKey() loads ${stem} and derives its shipped public key`, async () => {
    const key = await loadPrivateKey(await Deno.readFile(`${DIR}${stem}.key`), te.encode(password));
    assert.equal(key.kind, kind);
    assert.equal(key.curve, curve);
    assert.equal(marshalPublicKeyPem(key.publicKey), await Deno.readTextFile(`${DIR}${stem}.pub`));
    // pkcs8 is Go's MarshalPKCS8PrivateKey encoding, which node:crypto re-reads to the same key.
    const again = createPrivateKey({ key: Buffer.from(key.pkcs8), format: "der", type: "pkcs8" });
    assert.ok(again.equals(key.keyObject));
  });
}

Deno.test("loadPrivateKey() reads the RSA-4096 key's size", async () => {
  const key = await loadPrivateKey(
    await Deno.readFile(`${DIR}sigstore-rs-rsa_encrypted_private.key`),
    te.encode("123"),
  );
  assert.equal(key.bits, 4096);
});

Deno.test("loadPrivateKey() rejects a wrong password (cosign CI key)", async () => {
  await assert.rejects(
    loadPrivateKey(await Deno.readFile(`${DIR}cosign-ci-cosign-test.key`), te.encode("")),
    {
      name: "KeyError",
      code: "KEY_DECRYPT_FAILED",
      message: "Cannot decrypt private key: wrong password or corrupt key",
    },
  );
});

Deno.test("loadPrivateKey() rejects a SEC1 plaintext like Go", async () => {
  await assert.rejects(
    loadPrivateKey(
      await Deno.readFile(`${DIR}cosign-keys_test-pemcosigneckey.key`),
      te.encode("hello"),
    ),
    {
      name: "KeyError",
      code: "KEY_INVALID",
      message: "Cannot load private key: parsing private key: x509: failed to parse private key " +
        "(use ParseECPrivateKey instead for this key format)",
    },
  );
});

Deno.test("loadPrivateKey() rejects input without a PEM block", async () => {
  await assert.rejects(loadPrivateKey(te.encode("nothing here"), new Uint8Array()), {
    name: "KeyError",
    code: "KEY_INVALID",
    message: "Cannot load private key: invalid pem block",
  });
});

Deno.test("loadPrivateKey() rejects an unencrypted PEM type", async () => {
  const pem = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
    format: "pem",
    type: "pkcs8",
  }) as string;
  await assert.rejects(loadPrivateKey(te.encode(pem), new Uint8Array()), {
    name: "KeyError",
    code: "KEY_UNSUPPORTED",
    message: "Cannot load private key: unsupported pem type: PRIVATE KEY",
  });
});

Deno.test("loadPrivateKey() rejects a corrupt envelope", async () => {
  const pem = encodePem("ENCRYPTED SIGSTORE PRIVATE KEY", te.encode("{not json"));
  await assert.rejects(loadPrivateKey(te.encode(pem), new Uint8Array()), {
    name: "KeyError",
    code: "KEY_INVALID",
    message: "Cannot decrypt private key: envelope is not valid JSON",
  });
});

async function encrypted(der: Uint8Array): Promise<Uint8Array> {
  return te.encode(
    encodePem("ENCRYPTED COSIGN PRIVATE KEY", await encryptKeyBytes(der, te.encode("p"))),
  );
}

Deno.test("loadPrivateKey() rejects keys outside sigstore's algorithm registry", async () => {
  const p224 = generateKeyPairSync("ec", { namedCurve: "P-224" }).privateKey;
  const rsa1024 = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey;
  const k1 = generateKeyPairSync("ec", { namedCurve: "secp256k1" }).privateKey;
  const der = (k: typeof p224) => new Uint8Array(k.export({ format: "der", type: "pkcs8" }));
  const table: [Uint8Array, string, string][] = [
    [der(p224), "KEY_UNSUPPORTED", "Cannot load private key: unsupported public key type"],
    [
      der(rsa1024),
      "KEY_UNSUPPORTED",
      "Cannot load private key: unsupported public key type (RSA 1024 bits)",
    ],
    [
      der(k1),
      "KEY_INVALID",
      "Cannot load private key: parsing private key: x509: failed to parse EC private key " +
      "embedded in PKCS#8: x509: unknown elliptic curve",
    ],
  ];
  for (const [input, code, message] of table) {
    await assert.rejects(loadPrivateKey(await encrypted(input), te.encode("p")), {
      name: "KeyError",
      code,
      message,
    });
  }
});
