import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { startRekor } from "../../tests/peers/rekor.ts";
import { SigstoreError, VerificationError } from "../errors.ts";
import { loadPrivateKey } from "../keys/private_key.ts";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import { INTOTO_PAYLOAD_TYPE, signDsse } from "../payload/dsse.ts";
import { keySigner } from "../signature/signer.ts";
import { envelopeUploader } from "../sign/envelope_uploader.ts";
import { findEnvelopeEntry, verifyEnvelopeTlog } from "./attestation_tlog.ts";
import { RekorClient } from "./client.ts";
import { marshalRekorBundle } from "./blob_bundle.ts";
import { parseEntryBody } from "./entry_body.ts";

const F = new URL("../../tests/fixtures/attest/", import.meta.url);
const signer = keySigner(
  await loadPrivateKey(await Deno.readFile(new URL("cosign.key", F)), new Uint8Array()),
);
const isCode = (code: string) => (e: unknown) => e instanceof VerificationError && e.code === code;

/** A RekorBundle JSON with one bit of its SET changed. */
function tamperSet(bundle: string): string {
  const v = JSON.parse(bundle);
  const set = Uint8Array.fromBase64(v.SignedEntryTimestamp);
  set[set.length >> 1] ^= 1;
  v.SignedEntryTimestamp = set.toBase64();
  return JSON.stringify(v);
}

async function envelope(text: string): Promise<Uint8Array> {
  const statement = JSON.stringify({
    _type: "https://in-toto.io/Statement/v0.1",
    predicateType: "https://cosign.sigstore.dev/attestation/v1",
    subject: [{ name: "x", digest: { sha256: "ab".repeat(32) } }],
    predicate: { Data: text, Timestamp: "" },
  });
  return await signDsse(new TextEncoder().encode(statement), INTOTO_PAYLOAD_TYPE, signer);
}

Deno.test({
  name:
    "envelopeUploader() logs dsse and intoto entries a real Rekor accepts; verifyEnvelopeTlog() binds them",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const peer = await startRekor();
    try {
      const logKey = parsePublicKeyPem(peer.publicKeyPem);
      const opts = { logKey, publicKey: signer.publicKey };
      const otherKey = {
        publicKey: parsePublicKeyPem(
          generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({
            type: "spki",
            format: "pem",
          }) as string,
        ),
      };
      for (const type of ["dsse", "intoto"] as const) {
        const upload = envelopeUploader(peer.url, signer.publicKey, type);
        const env = await envelope(`${type} ${crypto.randomUUID()}`);
        const entry = await upload(env);
        const body = parseEntryBody(entry.body);
        assert.equal(body.kind, type);
        assert.equal(body.apiVersion, "0.0.1");
        // Uploading it again: the log answers 409 and the existing entry is fetched.
        const again = await upload(env);
        assert.equal(again.existed, true);
        assert.equal(again.logIndex, entry.logIndex);

        const bundle = marshalRekorBundle(entry);
        assert.equal(await verifyEnvelopeTlog(env, bundle, opts), true);
        // Another attestation by the same key, with this entry: rejected by the binding.
        await assert.rejects(
          verifyEnvelopeTlog(await envelope("another"), bundle, opts),
          isCode("TLOG_ENTRY_MISMATCH"),
        );
        // No bundle: looked up online, found as either kind (dsse and intoto are both proposed).
        await assert.rejects(
          verifyEnvelopeTlog(env, undefined, opts),
          (e: unknown) =>
            isCode("TLOG_ENTRY_NOT_FOUND")(e) && /rekor client not provided/.test(String(e)),
        );
        const rekor = new RekorClient(peer.url);
        assert.equal(await verifyEnvelopeTlog(env, undefined, { ...opts, rekor }), true);
        const found = await findEnvelopeEntry({ client: rekor, envelope: env, ...opts });
        assert.equal(found.logIndex, entry.logIndex);
        assert.equal(found.uuid.slice(-64), entry.uuid.slice(-64));
        // --offline: no request at all.
        const refuse = (() => Promise.reject(new Error("no request expected"))) as typeof fetch;
        await assert.rejects(
          verifyEnvelopeTlog(env, undefined, {
            ...opts,
            offline: true,
            rekor: new RekorClient(peer.url, { fetch: refuse }),
          }),
          (e: unknown) =>
            isCode("TLOG_ENTRY_NOT_FOUND")(e) && /offline verification failed/.test(String(e)),
        );
        // A bundle that fails never falls back to the log.
        await assert.rejects(
          verifyEnvelopeTlog(env, tamperSet(bundle), {
            ...opts,
            rekor: new RekorClient(peer.url, { fetch: refuse }),
          }),
          isCode("TLOG_SET_INVALID"),
        );
        // Another key: the envelope does not verify with it, refused before any request (as
        // cosign's proposal builder does; the log would answer HTTP 400).
        await assert.rejects(
          verifyEnvelopeTlog(env, undefined, {
            ...opts,
            publicKey: otherKey.publicKey,
            rekor: new RekorClient(peer.url, { fetch: refuse }),
          }),
          (e: unknown) =>
            isCode("SIGNATURE_INVALID")(e) &&
            (e as Error).message ===
              "Cannot verify attestation: could not verify envelope: accepted signatures do not match threshold, Found: 0, Expected 1",
        );
        await assert.rejects(
          verifyEnvelopeTlog(new TextEncoder().encode("not json"), undefined, {
            ...opts,
            rekor: new RekorClient(peer.url, { fetch: refuse }),
          }),
          (e: unknown) =>
            isCode("SIGNATURE_INVALID")(e) &&
            /payload must be a valid DSSE envelope/.test((e as Error).message),
        );
      }
      // Signed but never logged: not found.
      await assert.rejects(
        verifyEnvelopeTlog(await envelope("never logged"), undefined, {
          logKey,
          publicKey: signer.publicKey,
          rekor: new RekorClient(peer.url),
        }),
        (e: unknown) =>
          isCode("TLOG_ENTRY_NOT_FOUND")(e) &&
          /signature not found in transparency log/.test(String(e)),
      );
      // The log refuses an envelope whose signature does not verify with the key given.
      const bad = await envelope("bad");
      const other = JSON.parse(new TextDecoder().decode(bad));
      other.payload = btoa("tampered");
      await assert.rejects(
        envelopeUploader(peer.url, signer.publicKey)(
          new TextEncoder().encode(JSON.stringify(other)),
        ),
        (e: unknown) => e instanceof SigstoreError && e.code === "TLOG_REQUEST_FAILED",
      );
    } finally {
      await peer.stop();
    }
  },
});

Deno.test("findEnvelopeEntry() proposes a dsse and an intoto entry in one search, as cosign", async () => {
  const env = await envelope("proposals");
  const bodies: unknown[] = [];
  const fake = (async (_url: string | URL | Request, init?: RequestInit) => {
    bodies.push(JSON.parse(String(init?.body)));
    return await Promise.resolve(
      new Response("[]", { headers: { "content-type": "application/json" } }),
    );
  }) as typeof fetch;
  const client = new RekorClient("http://log.invalid", { fetch: fake, retry: { attempts: 1 } });
  const logKey = signer.publicKey; // never used: nothing is found
  await assert.rejects(
    findEnvelopeEntry({ client, logKey, envelope: env, publicKey: signer.publicKey }),
    (e: unknown) =>
      isCode("TLOG_ENTRY_NOT_FOUND")(e) &&
      (e as Error).message ===
        "Cannot find the transparency log entry: signature not found in transparency log",
  );
  assert.equal(bodies.length, 1);
  // deno-lint-ignore no-explicit-any
  const entries = (bodies[0] as any).entries;
  assert.deepEqual(entries.map((e: { kind: string }) => e.kind), ["dsse", "intoto"]);
  const text = new TextDecoder().decode(env);
  assert.equal(entries[0].spec.proposedContent.envelope, text);
  assert.equal(entries[1].spec.content.envelope, text);
  const pem = new TextDecoder().decode(
    Uint8Array.fromBase64(entries[0].spec.proposedContent.verifiers[0]),
  );
  assert.match(pem, /^-----BEGIN PUBLIC KEY-----\n/);
  assert.equal(entries[1].spec.publicKey, entries[0].spec.proposedContent.verifiers[0]);
});
