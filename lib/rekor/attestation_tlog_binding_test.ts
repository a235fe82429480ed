import assert from "node:assert/strict";
import { VerificationError } from "../errors.ts";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import { certificateSpki } from "../x509/certificate.ts";
import { createHash } from "node:crypto";
import { verifyEnvelopeEntry, verifyEnvelopeEntryBinding } from "./attestation_tlog.ts";
import { envelopeProposal } from "./client.ts";
import { parseEntryBody } from "./entry_body.ts";
import { parseRekorEntry, type RekorEntry } from "./verify_entry.ts";
import { VECTORS } from "../../tests/_vectors.ts";

const publicGood = parsePublicKeyPem(
  Deno.readTextFileSync(VECTORS + "rekor/public-good-rekor.pub"),
);

/**
 * A real public-good dsse v0.0.1 entry, from a sigstore-js bundle (tests/bundles, see
 * tests/fixtures/vectors/MANIFEST.md): the entry in Rekor API form, the envelope exactly as submitted
 * (compact JSON of the bundle's envelope, whose SHA-256 the log recorded) and the signer's
 * certificate DER.
 */
function sigstoreJsDsse(
  name: string,
): { entry: RekorEntry; envelope: Uint8Array; cert: Uint8Array } {
  const b = JSON.parse(Deno.readTextFileSync(VECTORS + `bundles/${name}`));
  const t = b.verificationMaterial.tlogEntries[0];
  const hex = (s: string) => Uint8Array.fromBase64(s).toHex();
  const p = t.inclusionProof;
  const entry = parseRekorEntry({
    body: t.canonicalizedBody,
    integratedTime: Number(t.integratedTime),
    logID: hex(t.logId.keyId),
    logIndex: Number(t.logIndex),
    verification: {
      signedEntryTimestamp: t.inclusionPromise.signedEntryTimestamp,
      inclusionProof: p && {
        logIndex: Number(p.logIndex),
        treeSize: Number(p.treeSize),
        rootHash: hex(p.rootHash),
        hashes: p.hashes.map(hex),
        checkpoint: p.checkpoint.envelope,
      },
    },
  });
  const certB64 = b.verificationMaterial.certificate?.rawBytes ??
    b.verificationMaterial.x509CertificateChain.certificates[0].rawBytes;
  return {
    entry,
    envelope: new TextEncoder().encode(JSON.stringify(b.dsseEnvelope)),
    cert: Uint8Array.fromBase64(certB64),
  };
}

const isCode = (code: string, message?: RegExp) => (e: unknown) =>
  e instanceof VerificationError && e.code === code && (!message || message.test(e.message));

for (
  const name of ["bundleV01-dsse-with-proof.sigstore", "bundleV03-dsse.sigstore"].map((n) =>
    `sigstore-js/${n}`
  )
) {
  Deno.test(`verifyEnvelopeEntry() accepts the public-good dsse entry of ${name}`, async () => {
    const { entry, envelope, cert } = sigstoreJsDsse(name);
    await verifyEnvelopeEntry(entry, {
      logKey: publicGood,
      requireInclusionProof: true,
      binding: { envelope, keyDer: cert },
    });
  });
}

Deno.test("verifyEnvelopeEntry() rejects an entry about another envelope or another key", async () => {
  const { entry, envelope, cert } = sigstoreJsDsse("sigstore-js/bundleV03-dsse.sigstore");
  const other = envelope.slice();
  other[other.length - 3] ^= 1;
  await assert.rejects(
    verifyEnvelopeEntry(entry, { logKey: publicGood, binding: { envelope: other, keyDer: cert } }),
    isCode("TLOG_ENTRY_MISMATCH", /matching bundle to payload: bundle="c88acf3e/),
  );
  await assert.rejects(
    verifyEnvelopeEntry(entry, {
      logKey: publicGood,
      binding: { envelope, keyDer: publicGood.spki },
    }),
    isCode("TLOG_ENTRY_MISMATCH", /public key in the entry does not match/),
  );
  // A valid entry of another attestation (spliced, sigstore-java's): its SET verifies, the
  // binding does not.
  const second = sigstoreJsDsse("sigstore-java/bundle.dsse.sigstore");
  await assert.rejects(
    verifyEnvelopeEntry(second.entry, { logKey: publicGood, binding: { envelope, keyDer: cert } }),
    isCode("TLOG_ENTRY_MISMATCH"),
  );
});

Deno.test("verifyEnvelopeEntry() checks the SET before the binding", async () => {
  const { entry, envelope, cert } = sigstoreJsDsse("sigstore-js/bundleV03-dsse.sigstore");
  const body = JSON.parse(new TextDecoder().decode(Uint8Array.fromBase64(entry.body)));
  body.spec.envelopeHash.value = "00".repeat(32);
  const altered = { ...entry, body: new TextEncoder().encode(JSON.stringify(body)).toBase64() };
  await assert.rejects(
    verifyEnvelopeEntry(altered, { logKey: publicGood, binding: { envelope, keyDer: cert } }),
    isCode("TLOG_SET_INVALID"),
  );
});

function body(v: unknown): RekorEntry {
  return {
    body: new TextEncoder().encode(JSON.stringify(v)).toBase64(),
    integratedTime: 1,
    logID: "",
    logIndex: 0,
  };
}

Deno.test("parseEntryBody() reads the envelope hash and key of dsse 0.0.1, intoto 0.0.1 and intoto 0.0.2 bodies", () => {
  const pem = new TextEncoder().encode(
    "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
  );
  const hash = { algorithm: "sha256", value: "ab".repeat(32) };
  const hashBytes = { algorithm: "sha256", value: Uint8Array.fromHex("ab".repeat(32)) };
  const dsse = parseEntryBody(
    body({
      apiVersion: "0.0.1",
      kind: "dsse",
      spec: {
        envelopeHash: hash,
        payloadHash: hash,
        signatures: [{ signature: "c2ln", verifier: pem.toBase64() }],
      },
    }).body,
  );
  assert.deepEqual(dsse, {
    kind: "dsse",
    apiVersion: "0.0.1",
    signatures: [{ signature: new TextEncoder().encode("sig"), verifier: new Uint8Array(3) }],
    payloadHash: hashBytes,
    envelopeHash: hashBytes,
  });
  const intoto = parseEntryBody(
    body({
      apiVersion: "0.0.1",
      kind: "intoto",
      spec: { content: { hash, payloadHash: hash }, publicKey: pem.toBase64() },
    }).body,
  );
  assert.deepEqual(intoto, {
    kind: "intoto",
    apiVersion: "0.0.1",
    signatures: [{ verifier: new Uint8Array(3) }],
    payloadHash: hashBytes,
    envelopeHash: hashBytes,
  });
  // A real intoto v0.0.2 entry (public-good, sigstore-js): the key is the signing certificate.
  const v2 = JSON.parse(
    Deno.readTextFileSync(
      VECTORS +
        "rekor/derived-from-bundles/public-good-intoto-from-sigstore-js-bundleV02-intoto.json",
    ),
  );
  const parsed = parseEntryBody(parseRekorEntry(Object.values(v2)[0]).body);
  assert.equal(parsed.apiVersion, "0.0.2");
  assert.equal(parsed.envelopeHash?.algorithm, "sha256");
  assert.ok(certificateSpki(parsed.signatures[0].verifier).length > 0);
});

Deno.test("verifyEnvelopeEntryBinding() refuses other kinds and several DSSE signatures", () => {
  const { cert } = sigstoreJsDsse("sigstore-js/bundleV03-dsse.sigstore");
  const pem = `-----BEGIN CERTIFICATE-----\n${cert.toBase64()}\n-----END CERTIFICATE-----\n`;
  const sig = { signature: "c2ln", verifier: new TextEncoder().encode(pem).toBase64() };
  const hash = { algorithm: "sha256", value: "ab".repeat(32) };
  const binding = { envelope: new Uint8Array(1), keyDer: cert };
  assert.throws(
    () =>
      verifyEnvelopeEntryBinding(
        body({
          apiVersion: "0.0.1",
          kind: "dsse",
          spec: { envelopeHash: hash, payloadHash: hash, signatures: [sig, sig] },
        }),
        binding,
      ),
    isCode("TLOG_ENTRY_INVALID", /multiple signatures on DSSE envelopes/),
  );
  assert.throws(
    () =>
      verifyEnvelopeEntryBinding(
        body({ apiVersion: "0.0.1", kind: "rekord", spec: {} }),
        binding,
      ),
    isCode("TLOG_ENTRY_INVALID", /unsupported entry kind rekord 0.0.1/),
  );
  assert.throws(
    () => verifyEnvelopeEntryBinding({ ...body({}), body: "not base64!" }, binding),
    isCode("TLOG_ENTRY_INVALID"),
  );
});

Deno.test("verifyEnvelopeEntryBinding() refuses a hash algorithm other than sha256", () => {
  const { cert } = sigstoreJsDsse("sigstore-js/bundleV03-dsse.sigstore");
  const pem = `-----BEGIN CERTIFICATE-----\n${cert.toBase64()}\n-----END CERTIFICATE-----\n`;
  const e = body({
    apiVersion: "0.0.1",
    kind: "intoto",
    spec: {
      content: { hash: { algorithm: "sha512", value: "ab".repeat(64) } },
      publicKey: new TextEncoder().encode(pem).toBase64(),
    },
  });
  assert.throws(
    () => verifyEnvelopeEntryBinding(e, { envelope: new Uint8Array(1), keyDer: cert }),
    isCode("TLOG_ENTRY_MISMATCH", /unexpected algorithm: "sha512"/),
  );
});
Deno.test("envelopeProposal() builds the dsse and intoto proposed entries cosign uploads", () => {
  const text = '{"payloadType":"t","payload":"cA==","signatures":[]}';
  const envelope = new TextEncoder().encode(text);
  const pem = new TextEncoder().encode("PEM");
  assert.equal(
    JSON.stringify(envelopeProposal("dsse", envelope, pem)),
    `{"apiVersion":"0.0.1","kind":"dsse","spec":{"proposedContent":{"envelope":${
      JSON.stringify(text)
    },"verifiers":["UEVN"]}}}`,
  );
  const sha = createHash("sha256").update(text).digest("hex");
  assert.equal(
    JSON.stringify(envelopeProposal("intoto", envelope, pem)),
    `{"apiVersion":"0.0.1","kind":"intoto","spec":{"content":{"envelope":${
      JSON.stringify(text)
    },"hash":{"algorithm":"sha256","value":"${sha}"}},"publicKey":"UEVN"}}`,
  );
});
