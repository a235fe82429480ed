import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { decodePem } from "./pem.ts";
import { loadPrivateKey } from "./private_key.ts";
import { marshalPublicKeyPem } from "./public_key.ts";
import { encryptKeyPair } from "./_encrypt_key_pair.ts";
import { completePrivateKey } from "./_private_der.ts";

const te = new TextEncoder();

Deno.test("encryptKeyPair() writes Go's PKCS#8 of each key type under cosign's label", async () => {
  const keys = [
    generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey,
    generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey,
    generateKeyPairSync("ed25519").privateKey,
  ];
  for (const k of keys) {
    const want = completePrivateKey(k, "test");
    const { privatePem, publicPem } = await encryptKeyPair(k, te.encode("pw"), "test");
    assert.equal(decodePem(privatePem)?.type, "ENCRYPTED SIGSTORE PRIVATE KEY");
    assert.equal(publicPem, marshalPublicKeyPem(want.publicKey));
    const loaded = await loadPrivateKey(te.encode(privatePem), te.encode("pw"));
    assert.deepEqual(loaded.pkcs8, want.pkcs8, k.asymmetricKeyType);
  }
});

Deno.test("encryptKeyPair() refuses key types cosign cannot use, naming the step", async () => {
  const x25519 = generateKeyPairSync("x25519").privateKey;
  await assert.rejects(encryptKeyPair(x25519, new Uint8Array(), "Cannot import key pair"), {
    name: "KeyError",
    code: "KEY_UNSUPPORTED",
    message: "Cannot import key pair: unsupported public key type",
  });
});
