import assert from "node:assert/strict";
import { decryptKeyBytes, encryptKeyBytes } from "./encrypted.ts";
import { decodePem } from "./pem.ts";
import { VECTORS } from "../../tests/_vectors.ts";

const te = new TextEncoder();
const json = (o: unknown) => te.encode(JSON.stringify(o));

Deno.test("encryptKeyBytes() writes go-securesystemslib's exact JSON and round-trips", async () => {
  const plaintext = te.encode("secret key bytes");
  const out = await encryptKeyBytes(plaintext, te.encode("pw"));
  const text = new TextDecoder().decode(out);
  assert.match(
    text,
    /^\{"kdf":\{"name":"scrypt","params":\{"N":65536,"r":8,"p":1\},"salt":"[A-Za-z0-9+/]{43}="\},"cipher":\{"name":"nacl\/secretbox","nonce":"[A-Za-z0-9+/]{32}"\},"ciphertext":"[A-Za-z0-9+/]+={0,2}"\}$/,
  );
  const ct = Uint8Array.fromBase64(JSON.parse(text).ciphertext);
  assert.equal(ct.length, plaintext.length + 16);
  assert.deepEqual(await decryptKeyBytes(out, te.encode("pw")), plaintext);
});

Deno.test("decryptKeyBytes() takes N from the envelope (N=32768 vector)", async () => {
  const pem = decodePem(
    await Deno.readFile(
      VECTORS + "keys/encrypted/cosign-keys_test-pemsigstorekey.key",
    ),
  )!;
  const plain = await decryptKeyBytes(pem.bytes, te.encode("hello"));
  assert.equal(plain.length, 138);
  assert.equal(plain[0], 0x30);
});

Deno.test("decryptKeyBytes() rejects a wrong password", async () => {
  const out = await encryptKeyBytes(te.encode("x"), te.encode("right"));
  await assert.rejects(decryptKeyBytes(out, te.encode("wrong")), {
    name: "KeyError",
    code: "KEY_DECRYPT_FAILED",
    message: "Cannot decrypt private key: wrong password or corrupt key",
  });
});

const envelope = (over: Record<string, unknown> = {}) => ({
  kdf: {
    name: "scrypt",
    params: { N: 1024, r: 8, p: 1 },
    salt: btoa("s".repeat(32)),
  },
  cipher: { name: "nacl/secretbox", nonce: btoa("n".repeat(24)) },
  ciphertext: btoa("c".repeat(40)),
  ...over,
});

Deno.test("decryptKeyBytes() rejects malformed and unsupported envelopes", async () => {
  const table: [Uint8Array, string, string][] = [
    [te.encode("{"), "KEY_INVALID", "Cannot decrypt private key: envelope is not valid JSON"],
    [
      json(envelope({ kdf: { name: "pbkdf2" } })),
      "KEY_UNSUPPORTED",
      'Cannot decrypt private key: encrypted: unknown kdf name "pbkdf2"',
    ],
    [
      json(envelope({ cipher: { name: "aes" } })),
      "KEY_UNSUPPORTED",
      'Cannot decrypt private key: encrypted: unknown cipher name "aes"',
    ],
    [
      json(envelope({ kdf: { name: "scrypt", params: { N: 1000, r: 8, p: 1 }, salt: "" } })),
      "KEY_UNSUPPORTED",
      "Cannot decrypt private key: unsupported scrypt parameters N=1000 r=8 p=1",
    ],
    [
      json(envelope({ kdf: { name: "scrypt", params: { N: 1 << 20, r: 8, p: 1 }, salt: "" } })),
      "KEY_UNSUPPORTED",
      "Cannot decrypt private key: unsupported scrypt parameters N=1048576 r=8 p=1",
    ],
    [
      json(envelope({ kdf: { name: "scrypt", params: { N: "1024", r: 8, p: 1 }, salt: "" } })),
      "KEY_INVALID",
      'Cannot decrypt private key: scrypt parameter "N" is not an integer',
    ],
    [
      json(envelope({ ciphertext: "%%%" })),
      "KEY_INVALID",
      'Cannot decrypt private key: envelope field "ciphertext" is not valid base64',
    ],
    [
      json(envelope({ cipher: { name: "nacl/secretbox", nonce: btoa("short") } })),
      "KEY_INVALID",
      "Cannot decrypt private key: encrypted: incorrect nonce size",
    ],
    [
      json(envelope()),
      "KEY_DECRYPT_FAILED",
      "Cannot decrypt private key: wrong password or corrupt key",
    ],
    [
      new Uint8Array(65 * 1024),
      "KEY_INVALID",
      "Cannot decrypt private key: envelope larger than 65536 bytes",
    ],
  ];
  for (const [input, code, message] of table) {
    await assert.rejects(decryptKeyBytes(input, new Uint8Array()), {
      name: "KeyError",
      code,
      message,
    });
  }
});
