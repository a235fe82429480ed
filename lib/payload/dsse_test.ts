import assert from "node:assert/strict";
import { join } from "node:path";
import { FIXTURES } from "../../tests/interop/_run.ts";
import { VerificationError } from "../errors.ts";
import { loadPrivateKey } from "../keys/private_key.ts";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import { keySigner } from "../signature/signer.ts";
import { verifyDsse } from "./verify_dsse.ts";
import {
  decodeDsseBase64,
  INTOTO_PAYLOAD_TYPE,
  marshalEnvelope,
  pae,
  parseEnvelope,
  signDsse,
} from "./dsse.ts";

const DIR = join(FIXTURES, "attest");
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

async function fixtureSigner(name = "cosign") {
  const key = await loadPrivateKey(await Deno.readFile(join(DIR, `${name}.key`)), new Uint8Array());
  return keySigner(key, { ed25519ph: name === "ed25519" });
}
const publicKey = async (name = "cosign") =>
  parsePublicKeyPem(await Deno.readFile(join(DIR, `${name}.pub`)));

Deno.test("pae() counts UTF-8 bytes, not UTF-16 units", () => {
  assert.equal(
    dec(pae("http://example.com/HelloWorld", enc("hello world"))),
    "DSSEv1 29 http://example.com/HelloWorld 11 hello world",
  );
  assert.equal(dec(pae("tÿpe😀", enc("é"))), "DSSEv1 9 tÿpe😀 2 é");
  assert.equal(dec(pae("", new Uint8Array())), "DSSEv1 0  0 ");
});

Deno.test("marshalEnvelope() writes Go's field order and an empty keyid", () => {
  assert.equal(
    marshalEnvelope({
      payloadType: "a<b",
      payload: "eA==",
      signatures: [{ keyid: "", sig: "c2ln" }],
    }),
    '{"payloadType":"a\\u003cb","payload":"eA==","signatures":[{"keyid":"","sig":"c2ln"}]}',
  );
});

Deno.test("signDsse() output verifies and has cosign's shape", async () => {
  const signer = await fixtureSigner();
  const body = enc('{"_type":"x"}');
  const envelope = await signDsse(body, INTOTO_PAYLOAD_TYPE, signer);
  assert.match(
    dec(envelope),
    /^\{"payloadType":"application\/vnd\.in-toto\+json","payload":"eyJfdHlwZSI6IngifQ==","signatures":\[\{"keyid":"","sig":"[A-Za-z0-9+/]+=*"\}\]\}$/,
  );
  const got = await verifyDsse({
    envelope: parseEnvelope(envelope),
    publicKey: await publicKey(),
    hash: "sha256",
  });
  assert.deepEqual(got, body);
});

Deno.test("verifyDsse() accepts every envelope Go cosign v2.6.4 wrote", async () => {
  const pub = await publicKey();
  for await (const e of Deno.readDir(DIR)) {
    if (!/^go-(?!ed25519).*\.intoto\.json$/.test(e.name)) continue;
    const envelope = parseEnvelope(await Deno.readFile(join(DIR, e.name)));
    const body = await verifyDsse({ envelope, publicKey: pub, hash: "sha256" });
    assert.deepEqual(
      body,
      await Deno.readFile(join(DIR, e.name.replace(".intoto.", ".statement."))),
    );
  }
});

async function expectInvalid(
  envelope: Parameters<typeof verifyDsse>[0]["envelope"],
  message: string,
  name = "cosign",
) {
  await assert.rejects(
    verifyDsse({ envelope, publicKey: await publicKey(name), hash: "sha256" }),
    (e) =>
      e instanceof VerificationError && e.code === "SIGNATURE_INVALID" &&
      e.message === `Cannot verify attestation: ${message}`,
  );
}

Deno.test("verifyDsse() rejects tampered, unsigned and malformed envelopes", async () => {
  const good = parseEnvelope(await Deno.readFile(join(DIR, "go-link.intoto.json")));
  const THRESHOLD = "accepted signatures do not match threshold, Found: 0, Expected 1";
  const B64 = "unable to base64 decode payload (is payload in the right format?)";
  await expectInvalid({ ...good, payload: enc('{"_type":"y"}').toBase64() }, THRESHOLD);
  await expectInvalid({ ...good, payloadType: "application/json" }, THRESHOLD);
  await expectInvalid({ ...good, signatures: [] }, "no signature found");
  await expectInvalid({ ...good, payload: "%%%" }, B64);
  await expectInvalid({ ...good, signatures: [...good.signatures, { keyid: "", sig: "!" }] }, B64);
  await expectInvalid(good, THRESHOLD, "ed25519");
  // A bad signature before a good one does not matter; the keyid is not compared.
  await verifyDsse({
    envelope: {
      ...good,
      signatures: [{ keyid: "x", sig: "AAAA" }, { keyid: "other", sig: good.signatures[0].sig }],
    },
    publicKey: await publicKey(),
    hash: "sha256",
  });
});

Deno.test("verifyDsse() accepts a URL-safe base64 payload, as go-securesystemslib does", async () => {
  const signer = await fixtureSigner();
  const body = enc("\xfb\xff?>");
  const env = parseEnvelope(await signDsse(body, INTOTO_PAYLOAD_TYPE, signer));
  const url = env.payload.replaceAll("+", "-").replaceAll("/", "_");
  assert.notEqual(url, env.payload);
  assert.deepEqual(
    await verifyDsse({
      envelope: { ...env, payload: url },
      publicKey: await publicKey(),
      hash: "sha256",
    }),
    body,
  );
  assert.throws(() => decodeDsseBase64("ab+_"), /unable to base64 decode/);
});

Deno.test("Ed25519: Go signs attestations with Ed25519ph and verifies pure Ed25519, so neither accepts the other", async () => {
  const goEnvelope = parseEnvelope(await Deno.readFile(join(DIR, "go-ed25519-link.intoto.json")));
  await expectInvalid(
    goEnvelope,
    "accepted signatures do not match threshold, Found: 0, Expected 1",
    "ed25519",
  );
  // Our signature over the same statement is the same deterministic Ed25519ph signature as Go's.
  const ours = parseEnvelope(
    await signDsse(
      decodeDsseBase64(goEnvelope.payload),
      INTOTO_PAYLOAD_TYPE,
      await fixtureSigner("ed25519"),
    ),
  );
  assert.equal(ours.signatures[0].sig, goEnvelope.signatures[0].sig);
});

Deno.test("parseEnvelope() reads fields case-insensitively and tolerates unknown ones", () => {
  const env = parseEnvelope(
    enc('{"PayloadType":"t","payload":"eA==","SIGNATURES":[{"KeyID":"k","sig":"cw=="}],"x":1}'),
  );
  assert.deepEqual(env, {
    payloadType: "t",
    payload: "eA==",
    signatures: [{ keyid: "k", sig: "cw==" }],
  });
  assert.throws(
    () => parseEnvelope(enc('{"signatures":{}}')),
    /cannot unmarshal object into Go struct field Envelope\.signatures of type \[\]dsse\.Signature/,
  );
});
