import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { ephemeralSigner } from "./keyless_signer.ts";
import { isCertifiedSigner, uploadedVerifier, verifierOf } from "./_uploaded_verifier.ts";
import { signBlob } from "./sign_blob.ts";
import { bytesReader } from "../stream.ts";
import { marshalPublicKeyPem } from "../keys/public_key.ts";

// A Fulcio leaf the Go cosign got from the local Fulcio (tests/fixtures/keyless-local/SOURCE.md):
// base64 of its PEM, as cosign's --output-certificate writes it.
const CERT_PEM = new TextDecoder().decode(
  Uint8Array.fromBase64(
    (await Deno.readTextFile(
      new URL("../../tests/fixtures/keyless-local/blob.crt", import.meta.url),
    )).trim(),
  ),
);
const CERT_DER = new Uint8Array(new X509Certificate(CERT_PEM).raw);

Deno.test("uploadedVerifier(): the certificate for a certified signer, else the public key", () => {
  const plain = ephemeralSigner();
  const certified = { ...plain, certificatePem: CERT_PEM, certificateDer: CERT_DER };
  assert.equal(isCertifiedSigner(plain), false);
  assert.equal(isCertifiedSigner(certified), true);
  const key = uploadedVerifier(plain);
  assert.equal(new TextDecoder().decode(key.pem), marshalPublicKeyPem(plain.publicKey));
  assert.deepEqual(key.der, plain.publicKey.spki);
  const cert = uploadedVerifier(certified);
  assert.equal(new TextDecoder().decode(cert.pem), CERT_PEM);
  assert.deepEqual(cert.der, CERT_DER);
  assert.deepEqual(verifierOf(plain.publicKey), key);
  assert.deepEqual(verifierOf(certified), cert);
});

Deno.test("signBlob() with a certified signer: the old bundle's cert is base64 of the PEM, the Sigstore bundle holds the certificate", async () => {
  const plain = ephemeralSigner();
  const certified = { ...plain, certificatePem: CERT_PEM, certificateDer: CERT_DER };
  const input = new TextEncoder().encode("hello\n");
  const signed = await signBlob({ signer: certified, input: bytesReader(input) });
  const old = JSON.parse(signed.bundle());
  assert.deepEqual(Object.keys(old), ["base64Signature", "cert"]);
  assert.equal(old.cert, new TextEncoder().encode(CERT_PEM).toBase64());
  const nb = JSON.parse(await signed.newBundle());
  assert.deepEqual(Object.keys(nb.verificationMaterial), ["certificate"]);
  assert.equal(nb.verificationMaterial.certificate.rawBytes, CERT_DER.toBase64());
  // Without a certificate: no cert, a key hint.
  const keyed = await signBlob({ signer: plain, input: bytesReader(input) });
  assert.deepEqual(Object.keys(JSON.parse(keyed.bundle())), ["base64Signature"]);
  assert.deepEqual(
    Object.keys(JSON.parse(await keyed.newBundle()).verificationMaterial),
    ["publicKey"],
  );
});
