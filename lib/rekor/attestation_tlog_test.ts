import assert from "node:assert/strict";
import { startRekor } from "../../tests/peers/rekor.ts";
import { SigstoreError, VerificationError } from "../errors.ts";
import { loadPrivateKey } from "../keys/private_key.ts";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import { INTOTO_PAYLOAD_TYPE, signDsse } from "../payload/dsse.ts";
import { keySigner } from "../sign/signer.ts";
import { envelopeUploader, verifyEnvelopeTlog } from "./attestation_tlog.ts";
import { marshalRekorBundle } from "./blob_bundle.ts";
import { parseEntryBody } from "./entry_body.ts";

const F = new URL("../../tests/fixtures/attest/", import.meta.url);
const signer = keySigner(
  await loadPrivateKey(await Deno.readFile(new URL("cosign.key", F)), new Uint8Array()),
);
const isCode = (code: string) => (e: unknown) => e instanceof VerificationError && e.code === code;

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
        // No bundle: not found, unless a lookup finds the entry (verified with its proof).
        await assert.rejects(
          verifyEnvelopeTlog(env, undefined, opts),
          isCode("TLOG_ENTRY_NOT_FOUND"),
        );
        const found = { ...entry };
        assert.equal(
          await verifyEnvelopeTlog(env, undefined, {
            ...opts,
            lookup: () => Promise.resolve(found),
          }),
          true,
        );
        await assert.rejects(
          verifyEnvelopeTlog(env, undefined, {
            ...opts,
            lookup: () =>
              Promise.resolve({
                ...entry,
                verification: { signedEntryTimestamp: entry.verification?.signedEntryTimestamp },
              }),
          }),
          isCode("TLOG_INCLUSION_INVALID"),
        );
        await assert.rejects(
          verifyEnvelopeTlog(env, undefined, { ...opts, lookup: () => Promise.resolve(undefined) }),
          isCode("TLOG_ENTRY_NOT_FOUND"),
        );
      }
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
