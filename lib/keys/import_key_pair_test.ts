import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { importKeyPair } from "./import_key_pair.ts";
import { decodePem, encodePem } from "./pem.ts";
import { loadPrivateKey } from "./private_key.ts";
import { VECTORS } from "../../tests/_vectors.ts";

const LOCAL_VECTORS = VECTORS;
const te = new TextEncoder();
const { cases } = JSON.parse(
  await Deno.readTextFile(`${LOCAL_VECTORS}keys/import-key-pair/cases.json`),
) as { cases: { file: string; expected: "accept" | "reject"; error: string | null }[] };

for (const c of cases) {
  const name = c.file.split("/").pop();
  if (c.expected === "reject") {
    Deno.test(`importKeyPair() rejects ${name}: ${c.error}`, async () => {
      await assert.rejects(
        importKeyPair(await Deno.readFile(LOCAL_VECTORS + c.file), te.encode("hello")),
        {
          name: "KeyError",
          message: `Cannot import key pair: ${c.error}`,
        },
      );
    });
    continue;
  }
  Deno.test(`importKeyPair() accepts ${name} and the result loads with the password`, async () => {
    const input = await Deno.readFile(LOCAL_VECTORS + c.file);
    const { privatePem, publicPem } = await importKeyPair(input, te.encode("hello"));
    assert.equal(decodePem(privatePem)!.type, "ENCRYPTED SIGSTORE PRIVATE KEY");
    const key = await loadPrivateKey(te.encode(privatePem), te.encode("hello"));
    // The public key is the one OpenSSL derives from the input, marshalled like Go.
    const original = createPrivateKey(new TextDecoder().decode(input));
    const spki = new Uint8Array(createPublicKey(original).export({ format: "der", type: "spki" }));
    assert.equal(publicPem, encodePem("PUBLIC KEY", spki));
    assert.ok(key.keyObject.equals(original));
    // x509.MarshalPKCS8PrivateKey's layout is the one OpenSSL writes for these key types.
    assert.deepEqual(key.pkcs8, new Uint8Array(original.export({ format: "der", type: "pkcs8" })));
  });
}

Deno.test("importKeyPair() reports a PKCS#8 key that does not parse", async () => {
  const pem = encodePem("PRIVATE KEY", Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00));
  await assert.rejects(importKeyPair(te.encode(pem), te.encode("p")), {
    name: "KeyError",
    code: "KEY_INVALID",
    message: "Cannot import key pair: error parsing pkcs #8 private key",
  });
});

Deno.test("importKeyPair() reports a malformed PKCS#1 key with Go's detail", async () => {
  const pem = encodePem("RSA PRIVATE KEY", Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00));
  await assert.rejects(importKeyPair(te.encode(pem), te.encode("p")), {
    name: "KeyError",
    code: "KEY_INVALID",
    message: "Cannot import key pair: error parsing rsa private key: x509: invalid RSA private key",
  });
});
