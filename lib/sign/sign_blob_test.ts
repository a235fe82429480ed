import assert from "node:assert/strict";
import { loadPrivateKey } from "../keys/private_key.ts";
import { keySigner } from "../signature/signer.ts";
import { bytesReader } from "../stream.ts";
import { sha256 } from "../digest.ts";
import { signBlob } from "./sign_blob.ts";

const F = new URL("../../tests/fixtures/attest/", import.meta.url);
const signer = keySigner(
  await loadPrivateKey(await Deno.readFile(new URL("cosign.key", F)), new Uint8Array()),
);
const BLOB = new TextEncoder().encode("a blob\n");

Deno.test("signBlob() timestamps the raw signature; the Sigstore bundle carries it, cosign's old bundle does not", async () => {
  const stamped: Uint8Array[] = [];
  const signed = await signBlob({
    signer,
    input: bytesReader(BLOB),
    timestamper: (sig) => {
      stamped.push(sig);
      return Promise.resolve(new Uint8Array([0x30, 0x00]));
    },
  });
  assert.deepEqual(stamped, [signed.signature]);
  assert.deepEqual(signed.timestamp, new Uint8Array([0x30, 0x00]));
  assert.deepEqual(signed.digest, sha256(BLOB));
  const v3 = JSON.parse(await signed.newBundle());
  assert.deepEqual(v3.verificationMaterial.timestampVerificationData, {
    rfc3161Timestamps: [{ signedTimestamp: "MAA=" }],
  });
  assert.equal(v3.verificationMaterial.tlogEntries, undefined);
  assert.deepEqual(JSON.parse(signed.bundle()), { base64Signature: signed.signature.toBase64() });
});

Deno.test("signBlob() without a timestamper has no timestamp; a refused timestamp fails before the log", async () => {
  const plain = await signBlob({ signer, input: bytesReader(BLOB) });
  assert.equal(plain.timestamp, undefined);
  assert.equal(
    JSON.parse(await plain.newBundle()).verificationMaterial.timestampVerificationData,
    undefined,
  );
  let logged = false;
  await assert.rejects(
    signBlob({
      signer,
      input: bytesReader(BLOB),
      rekorUrl: "http://127.0.0.1:9/",
      fetch: () => {
        logged = true;
        return Promise.reject(new Error("no log here"));
      },
      timestamper: () => Promise.reject(new Error("refused")),
    }),
    { message: "refused" },
  );
  assert.equal(logged, false);
});
