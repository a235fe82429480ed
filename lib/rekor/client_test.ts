import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { startRekor } from "../../tests/peers/rekor.ts";
import { SigstoreError } from "../errors.ts";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import { RekorClient } from "./client.ts";
import { logIdOf, verifyTlogEntry } from "./verify_entry.ts";

Deno.test({
  name: "RekorClient talks to a real Rekor: create, 409 refetch, get, search, index search, verify",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const peer = await startRekor();
    try {
      const client = new RekorClient(peer.url);
      const logKey = parsePublicKeyPem(await client.getPublicKey());
      assert.deepEqual(logKey.spki, parsePublicKeyPem(peer.publicKeyPem).spki);

      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
      const blob = new TextEncoder().encode("hello rekor " + crypto.randomUUID());
      const signature = new Uint8Array(sign("sha256", blob, privateKey));
      const req = {
        algorithm: "sha256",
        digest: new Uint8Array(createHash("sha256").update(blob).digest()),
        signature,
        publicKeyPem: new TextEncoder().encode(
          publicKey.export({ type: "spki", format: "pem" }) as string,
        ),
      };
      const spki = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
      const binding = {
        signature,
        keyDer: spki,
        digest: { algorithm: "sha256" as const, value: req.digest },
      };

      const created = await client.createEntry(req);
      assert.equal(created.existed, false);
      assert.equal(created.logID, logIdOf(logKey));
      await verifyTlogEntry(created, { logKey, requireInclusionProof: true, binding });

      const again = await client.createEntry(req);
      assert.equal(again.existed, true);
      assert.equal(again.uuid.slice(-64), created.uuid.slice(-64));
      await verifyTlogEntry(again, { logKey, requireInclusionProof: true, binding });

      const byIndex = await client.getEntryByIndex(created.logIndex);
      assert.equal(byIndex.body, created.body);
      const found = await client.searchEntries(req);
      assert.equal(found.length, 1);
      assert.equal(found[0].body, created.body);
      // Rekor checks the proposed entry's signature before searching: a digest the signature
      // does not cover is a 400, not an empty result.
      await assert.rejects(
        client.searchEntries({ ...req, digest: new Uint8Array(32) }),
        (e: unknown) => e instanceof SigstoreError && e.code === "TLOG_REQUEST_FAILED",
      );

      // The search index: by artifact digest, by key, by both; another digest finds nothing.
      const leaf = created.uuid.slice(-64);
      const hits = (uuids: string[]) => uuids.map((u) => u.slice(-64));
      assert.deepEqual(hits(await client.searchIndex({ sha256: req.digest })), [leaf]);
      assert.deepEqual(hits(await client.searchIndex({ publicKeyPem: req.publicKeyPem })), [leaf]);
      assert.deepEqual(
        hits(
          await client.searchIndex({ sha256: req.digest.toHex(), publicKeyPem: req.publicKeyPem }),
        ),
        [leaf],
      );
      assert.deepEqual(await client.searchIndex({ sha256: new Uint8Array(32) }), []);
      await assert.rejects(client.searchIndex({}), TypeError);
      const byUuid = await client.getEntryByUuid(
        (await client.searchIndex({ sha256: req.digest }))[0],
      );
      await verifyTlogEntry(byUuid, { logKey, requireInclusionProof: true, binding });

      const info = await client.getLogInfo();
      assert.ok(info.treeSize >= 1);

      await assert.rejects(
        client.getEntryByUuid("00".repeat(32)),
        (e: unknown) => e instanceof SigstoreError && e.code === "TLOG_ENTRY_NOT_FOUND",
      );
      // A signature that does not verify is refused by the log.
      await assert.rejects(
        client.createEntry({ ...req, signature: signature.map((b, i) => i === 10 ? b ^ 1 : b) }),
        (e: unknown) => e instanceof SigstoreError && e.code === "TLOG_REQUEST_FAILED",
      );
    } finally {
      await peer.stop();
    }
  },
});
