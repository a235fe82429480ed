import assert from "node:assert/strict";
import { verify as nodeVerify } from "node:crypto";
import { importKeyPair } from "../keys/import_key_pair.ts";
import { loadPrivateKey, type PrivateKey } from "../keys/private_key.ts";
import { type ByteReader, bytesReader } from "../stream.ts";
import { verifySignature } from "./verify_signature.ts";
import { keySigner } from "./signer.ts";
import { VECTORS } from "../../tests/_vectors.ts";

const IMPORT = VECTORS + "keys/import-key-pair/";
const te = new TextEncoder();

async function key(file: string): Promise<PrivateKey> {
  const { privatePem } = await importKeyPair(await Deno.readFile(IMPORT + file), te.encode("pw"));
  return loadPrivateKey(te.encode(privatePem), te.encode("pw"));
}

/** A reader that hands out at most 1000 bytes per read, as pipes do. */
function dribble(bytes: Uint8Array): ByteReader {
  const inner = bytesReader(bytes);
  return { read: (p) => inner.read(p.subarray(0, Math.min(p.length, 1000))) };
}

const MESSAGE = new Uint8Array(100_000).map((_, i) => i * 7);

const CASES: [string, string, boolean, number | undefined][] = [
  ["validecp256.key", "sha256", false, undefined],
  ["validecp384.key", "sha384", false, undefined],
  ["validecp521.key", "sha512", false, undefined],
  ["validrsa.key", "sha256", false, 256],
  ["ed25519.key", "sha512", false, 64],
  ["ed25519.key", "sha512", true, 64],
];

for (const [file, hash, ph, length] of CASES) {
  Deno.test(`keySigner() signs with ${file}${ph ? " (ed25519ph)" : ""} and the signature verifies`, async () => {
    const k = await key(file);
    const signer = keySigner(k, { ed25519ph: ph });
    assert.equal(signer.hash, hash);
    assert.equal(signer.publicKey, k.publicKey);
    const signature = await signer.sign(dribble(MESSAGE));
    if (length) assert.equal(signature.length, length);
    else assert.equal(signature[0], 0x30);
    await verifySignature({
      publicKey: k.publicKey,
      hash: hash as "sha256",
      signature,
      reader: bytesReader(MESSAGE),
      ed25519ph: ph,
    });
    const tampered = MESSAGE.slice();
    tampered[500] ^= 1;
    await assert.rejects(
      verifySignature({
        publicKey: k.publicKey,
        hash: hash as "sha256",
        signature,
        reader: bytesReader(tampered),
        ed25519ph: ph,
      }),
      { name: "VerificationError", code: "SIGNATURE_INVALID" },
    );
  });
}

Deno.test("keySigner() signs pure Ed25519 exactly as RFC 8032 (node:crypto agrees)", async () => {
  const k = await key("ed25519.key");
  const signature = await keySigner(k).sign(bytesReader(MESSAGE));
  assert.ok(nodeVerify(null, MESSAGE, k.publicKey.keyObject, signature));
});

Deno.test("keySigner() refuses a pure Ed25519 message over 256 MiB", async () => {
  const k = await key("ed25519.key");
  let left = 256 * 1024 * 1024 + 1;
  const huge: ByteReader = {
    read(p) {
      if (left === 0) return Promise.resolve(null);
      const n = Math.min(p.length, left);
      left -= n;
      return Promise.resolve(n);
    },
  };
  await assert.rejects(keySigner(k).sign(huge), {
    name: "RangeError",
    message: "Cannot read message to sign: larger than 268435456 bytes",
  });
});
