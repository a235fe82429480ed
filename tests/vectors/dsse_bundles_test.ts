/**
 * Vectors from other implementations: the DSSE envelopes in sigstore-js's bundles parse, their
 * statements parse, and each signature verifies with the public key of the bundle's leaf
 * certificate (chain, transparency log and identity are checked elsewhere, not here).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { VerificationError } from "../../lib/errors.ts";
import { parsePublicKeyDer } from "../../lib/keys/public_key.ts";
import { decodeDsseBase64, INTOTO_PAYLOAD_TYPE, parseEnvelope } from "../../lib/payload/dsse.ts";
import { parseStatement } from "../../lib/payload/intoto.ts";
import { verifyDsse } from "../../lib/payload/verify_dsse.ts";
import { certificateSpki } from "../../lib/x509/certificate.ts";
import { FIXTURES } from "../interop/_run.ts";

const DIR = join(FIXTURES, "bundles", "sigstore-js");
const { cases } = JSON.parse(await Deno.readTextFile(join(DIR, "cases.json"))) as {
  cases: { bundle: string; expected: string; bundle_info: { content: string } }[];
};

interface Bundle {
  verificationMaterial: {
    certificate?: { rawBytes: string };
    x509CertificateChain?: { certificates: { rawBytes: string }[] };
  };
  dsseEnvelope: unknown;
}

for (const c of cases.filter((c) => c.bundle_info.content === "dsseEnvelope")) {
  Deno.test(`sigstore-js ${c.bundle}: the DSSE envelope verifies with the leaf certificate's key`, async () => {
    const bundle = JSON.parse(await Deno.readTextFile(join(DIR, c.bundle))) as Bundle;
    const m = bundle.verificationMaterial;
    const leaf = m.certificate?.rawBytes ?? m.x509CertificateChain!.certificates[0].rawBytes;
    const publicKey = parsePublicKeyDer(certificateSpki(Uint8Array.fromBase64(leaf)));
    const envelope = parseEnvelope(new TextEncoder().encode(JSON.stringify(bundle.dsseEnvelope)));
    assert.equal(envelope.payloadType, INTOTO_PAYLOAD_TYPE);
    const statement = parseStatement(decodeDsseBase64(envelope.payload));
    assert.match(statement.type, /^https:\/\/in-toto\.io\/Statement\/v(0\.1|1)$/);
    assert.ok(statement.predicateType.length > 0);
    assert.ok(statement.subject.length > 0);

    const verify = (env: typeof envelope) =>
      verifyDsse({ envelope: env, publicKey, hash: "sha256" });
    if (c.expected === "pass") {
      const body = await verify(envelope);
      assert.deepEqual(body, decodeDsseBase64(envelope.payload));
    }
    // The same envelope with one payload byte changed does not verify.
    const body = decodeDsseBase64(envelope.payload);
    body[body.length - 2] ^= 1;
    await assert.rejects(
      verify({ ...envelope, payload: body.toBase64() }),
      (e) => e instanceof VerificationError && e.code === "SIGNATURE_INVALID",
    );
  });
}

Deno.test("certificateSpki() rejects what is not a certificate", () => {
  assert.throws(
    () => certificateSpki(Uint8Array.of(0x30, 0x00)),
    /^SyntaxError: Cannot parse certificate/,
  );
  assert.throws(
    () => certificateSpki(Uint8Array.of(1, 2, 3)),
    /^SyntaxError: Cannot parse certificate/,
  );
});
