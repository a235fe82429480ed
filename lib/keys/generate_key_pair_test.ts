import assert from "node:assert/strict";
import { generateKeyPair } from "./generate_key_pair.ts";
import { decodePem } from "./pem.ts";
import { loadPrivateKey } from "./private_key.ts";
import { marshalPublicKeyPem } from "./public_key.ts";

const te = new TextEncoder();

Deno.test("generateKeyPair() writes an encrypted P-256 key that loads with its password", async () => {
  const { privatePem, publicPem } = await generateKeyPair(te.encode("pw"));
  const block = decodePem(privatePem)!;
  assert.equal(block.type, "ENCRYPTED SIGSTORE PRIVATE KEY");
  const envelope = JSON.parse(new TextDecoder().decode(block.bytes));
  assert.deepEqual(envelope.kdf.params, { N: 65536, r: 8, p: 1 });
  assert.match(
    publicPem,
    /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/]{64}\n[A-Za-z0-9+/]{58}==\n-----END PUBLIC KEY-----\n$/,
  );
  const key = await loadPrivateKey(te.encode(privatePem), te.encode("pw"));
  assert.equal(key.kind, "ecdsa");
  assert.equal(key.curve, "P-256");
  assert.equal(key.pkcs8.length, 138);
  assert.equal(marshalPublicKeyPem(key.publicKey), publicPem);
});

Deno.test("generateKeyPair() accepts an empty password", async () => {
  const { privatePem } = await generateKeyPair(new Uint8Array());
  const key = await loadPrivateKey(te.encode(privatePem), new Uint8Array());
  assert.equal(key.kind, "ecdsa");
  await assert.rejects(loadPrivateKey(te.encode(privatePem), te.encode("x")), {
    code: "KEY_DECRYPT_FAILED",
  });
});
