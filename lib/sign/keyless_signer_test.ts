import assert from "node:assert/strict";
import { createVerify } from "node:crypto";
import { bytesReader } from "../stream.ts";
import { createKeylessSigner, ephemeralSigner } from "./keyless_signer.ts";

Deno.test("ephemeralSigner() makes a fresh ECDSA P-256 key per call and DER signatures over SHA-256", async () => {
  const a = ephemeralSigner();
  const b = ephemeralSigner();
  assert.equal(a.publicKey.kind, "ecdsa");
  assert.equal(a.publicKey.curve, "P-256");
  assert.equal(a.hash, "sha256");
  assert.notDeepEqual(a.publicKey.spki, b.publicKey.spki);
  const msg = new TextEncoder().encode("hello");
  const sig = await a.sign(bytesReader(msg));
  assert.equal(sig[0], 0x30); // ASN.1 SEQUENCE { r, s }
  assert.ok(createVerify("sha256").update(msg).verify(a.publicKey.keyObject, sig));
  assert.ok(!createVerify("sha256").update(msg).verify(b.publicKey.keyObject, sig));
});

Deno.test("createKeylessSigner() checks a given token before generating anything or calling Fulcio", async () => {
  const printed: string[] = [];
  const b64 = (v: unknown) =>
    new TextEncoder().encode(JSON.stringify(v)).toBase64({
      alphabet: "base64url",
      omitPadding: true,
    });
  const token = `${b64({ alg: "RS256" })}.${b64({ sub: "s", aud: "sigstore", exp: 1 })}.c2ln`;
  let called = false;
  await assert.rejects(
    createKeylessSigner({
      fulcioUrl: "http://fulcio.invalid",
      identity: { token },
      verifySct: null,
      print: (l) => printed.push(l),
      fetch: () => {
        called = true;
        return Promise.reject(new Error("unreachable"));
      },
    }),
    { name: "IdentityError", code: "OIDC_TOKEN_EXPIRED" },
  );
  assert.equal(called, false);
  assert.deepEqual(printed, ["Generating ephemeral keys..."]); // cosign prints it first too
});
