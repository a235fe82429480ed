import assert from "node:assert/strict";
import { SigstoreError, VerificationError } from "../errors.ts";
import { generateKeyPair } from "../keys/generate_key_pair.ts";
import { loadPrivateKey } from "../keys/private_key.ts";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import { INTOTO_PAYLOAD_TYPE, signDsse } from "../payload/dsse.ts";
import type { RekorClient } from "../rekor/client.ts";
import { keySigner } from "../signature/signer.ts";
import { bytesReader } from "../stream.ts";
import type { SignedEntity } from "./signed_entity.ts";
import { keyPolicy, type VerificationPolicy } from "./verification_policy.ts";
import { verifyEntity } from "./verify_entity.ts";

const F = new URL("../../tests/fixtures/attest/", import.meta.url);
const read = (p: string) => Deno.readFile(new URL(p, F));
const enc = new TextEncoder();
const publicKey = parsePublicKeyPem(await read("cosign.pub"));
const signer = keySigner(await loadPrivateKey(await read("cosign.key"), new Uint8Array()));
const pw = enc.encode("x");
const otherKey = keySigner(
  await loadPrivateKey(enc.encode((await generateKeyPair(pw)).privatePem), pw),
).publicKey;

const payload = enc.encode('{"critical":{}}');
const signature = await signer.sign(bytesReader(payload));
const statement = enc.encode(
  '{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"p","subject":[]}',
);
const envelope = await signDsse(statement, INTOTO_PAYLOAD_TYPE, signer);
const DER = new Uint8Array([0x30, 0x00]);
/** A log entry that does not parse: the log step fails as soon as it runs. */
const BAD_ENTRY = "{}";

const payloadEntity = (over: Partial<SignedEntity> = {}): SignedEntity => ({
  content: { kind: "payload", payload, signature },
  material: { kind: "none" },
  tlog: { kind: "none" },
  subject: "signature",
  ...over,
});
const blobEntity = (over: Partial<SignedEntity> = {}, sig = signature): SignedEntity => ({
  content: {
    kind: "blob",
    reader: bytesReader(payload),
    signature: sig,
    digestAlgorithm: "sha256",
  },
  material: { kind: "none" },
  tlog: { kind: "none" },
  subject: "signature",
  ...over,
});
const keyless = (): VerificationPolicy => ({
  signer: {
    certificate: {
      identities: [{ subject: "a@example.com", issuer: "https://issuer.example" }],
    },
  },
  tlog: { ignore: true },
});
const rekor = {} as RekorClient;

Deno.test("verifyEntity() verifies a payload, a blob and an envelope with the policy's key", async () => {
  const p = await verifyEntity(keyPolicy([otherKey, publicKey]), payloadEntity());
  assert.equal(p.publicKey, publicKey);
  assert.equal(p.tlogVerified, false);
  const b = await verifyEntity(keyPolicy(publicKey), blobEntity());
  assert.equal(
    b.artifactDigest!.toHex(),
    new Uint8Array(await crypto.subtle.digest("SHA-256", payload)).toHex(),
  );
  const e = await verifyEntity(keyPolicy(publicKey), {
    content: {
      kind: "envelope",
      raw: envelope,
      envelope: () => JSON.parse(new TextDecoder().decode(envelope)),
    },
    material: { kind: "none" },
    tlog: { kind: "none" },
    subject: "attestation",
  });
  assert.deepEqual(e.statement, statement);
});

Deno.test("verifyEntity() runs the claims check last, with what the steps established", async () => {
  const seen: unknown[] = [];
  await verifyEntity(keyPolicy(publicKey), {
    ...payloadEntity(),
    checkClaims: (facts) => void seen.push(facts.publicKey),
  });
  assert.deepEqual(seen, [publicKey]);
  // A bad signature fails before the claims are read.
  await assert.rejects(
    verifyEntity(keyPolicy(otherKey), {
      ...payloadEntity(),
      checkClaims: () => {
        throw new VerificationError("CLAIMS_MISMATCH", "claims");
      },
    }),
    (e) => e instanceof VerificationError && e.code === "SIGNATURE_INVALID",
  );
});

type Case = [string, VerificationPolicy, SignedEntity, (e: unknown) => boolean];
const code = (c: string, re?: RegExp) => (e: unknown) =>
  e instanceof SigstoreError && e.code === c && (!re || re.test(e.message));

const cases: Case[] = [
  [
    "material: a key policy and a keyless-only bundle",
    keyPolicy(publicKey),
    payloadEntity({ material: { kind: "certificate", certificate: DER, chain: [], only: true } }),
    code(
      "UNSUPPORTED",
      /carries a certificate \(keyless\); certificate verification is not supported yet$/,
    ),
  ],
  [
    "material: a certificate policy and a bundle naming a key",
    keyless(),
    payloadEntity({ material: { kind: "key" } }),
    code("UNSUPPORTED", /pass it with --key$/),
  ],
  [
    "material: a certificate policy and no certificate (cosign exit 13)",
    keyless(),
    payloadEntity(),
    code("NO_CERTIFICATE", /^no certificate found on signature$/),
  ],
  [
    "signer: a certificate policy without trust material",
    keyless(),
    payloadEntity({ material: { kind: "certificate", certificate: DER, chain: [], only: false } }),
    code("UNSUPPORTED", /certificate verification is not supported yet$/),
  ],
  [
    "timestamps: required, and the one the signature carries is not a timestamp",
    { ...keyPolicy(publicKey), timestamps: { required: true, authorities: [] } },
    payloadEntity({ timestamps: [Uint8Array.of(1, 2, 3)] }),
    code("TIMESTAMP_INVALID", /threshold not met for verified signed timestamps: 0 < 1/),
  ],
  [
    "timestamps: required, a Sigstore bundle carrying none",
    { ...keyPolicy(publicKey), timestamps: { required: true, authorities: [] } },
    payloadEntity({ tlog: { kind: "bundle", bundle: {} as never } }),
    code("SIGNING_TIME_MISSING"),
  ],
  [
    "log: no bundle and offline",
    keyPolicy(publicKey, { logKey: publicKey, rekor, offline: true }),
    payloadEntity(),
    code("TLOG_ENTRY_NOT_FOUND", /offline verification failed/),
  ],
  [
    "log: no log key",
    keyPolicy(publicKey, { rekor }),
    payloadEntity(),
    code("TLOG_UNAVAILABLE"),
  ],
  [
    "log: a Sigstore bundle and no trusted root",
    keyPolicy(publicKey, { logKey: publicKey }),
    payloadEntity({ tlog: { kind: "bundle", bundle: {} as never } }),
    code("TLOG_UNAVAILABLE", /no trusted root/),
  ],
  [
    "log: no bundle and no log to look it up in",
    keyPolicy(publicKey, { logKey: publicKey }),
    payloadEntity(),
    code("TLOG_ENTRY_NOT_FOUND", /rekor client not provided/),
  ],
  [
    "log before signature (cosign's order): a bad entry and a bad signature report the entry",
    keyPolicy(otherKey, { logKey: publicKey }),
    payloadEntity({ tlog: { kind: "rekor", entry: BAD_ENTRY } }),
    code("TLOG_ENTRY_INVALID"),
  ],
  [
    "a blob is read once: its signature is checked before its log entry",
    keyPolicy(otherKey, { logKey: publicKey }),
    blobEntity({ tlog: { kind: "rekor", entry: BAD_ENTRY } }),
    code("SIGNATURE_INVALID"),
  ],
  [
    "signature: another key",
    keyPolicy(otherKey),
    payloadEntity(),
    code("SIGNATURE_INVALID", /^Cannot verify signature: /),
  ],
  [
    "signature: a blob whose bundle names another digest",
    keyPolicy(publicKey),
    blobEntity({
      content: {
        kind: "blob",
        reader: bytesReader(payload),
        signature,
        digestAlgorithm: "sha256",
        claimedDigest: new Uint8Array(32),
      },
    }),
    code("SIGNATURE_INVALID", /artifact does not match digest$/),
  ],
  [
    "signature: an envelope of another payload type",
    keyPolicy(publicKey),
    {
      content: {
        kind: "envelope",
        raw: envelope,
        envelope: () => ({
          ...JSON.parse(new TextDecoder().decode(envelope)),
          payloadType: "text/plain",
        }),
        legacyPayloadType: true,
      },
      material: { kind: "none" },
      tlog: { kind: "none" },
      subject: "attestation",
    },
    code("UNSUPPORTED", /invalid payloadType text\/plain on envelope/),
  ],
];

for (const [name, policy, entity, check] of cases) {
  Deno.test(`verifyEntity() refuses: ${name}`, async () => {
    await assert.rejects(verifyEntity(policy, entity), (e) => {
      assert.ok(check(e), String(e));
      return true;
    });
  });
}

Deno.test("verifyEntity() refuses to read a streamed blob for two keys", async () => {
  await assert.rejects(verifyEntity(keyPolicy([publicKey, otherKey]), blobEntity()), TypeError);
});
