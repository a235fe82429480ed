import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { SigstoreError, VerificationError } from "../errors.ts";
import { parsePublicKeyPem, type PublicKey } from "../keys/public_key.ts";
import { canonicalJson } from "./canonical_json.ts";
import { v1KeyHint } from "./checkpoint.ts";
import { RekorClient } from "./client.ts";
import { findTlogEntry } from "./find_entry.ts";
import { hashLeaf } from "./merkle.ts";
import type { RekorEntry } from "./verify_entry.ts";

// A log of our own (its key signs SETs and checkpoints) and a signer; the real Rekor is used in
// tests/rekor/faults_test.ts, this covers the choice among several returned entries.
function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    privateKey,
    publicKey: parsePublicKeyPem(publicKey.export({ type: "spki", format: "pem" }) as string),
    pem: publicKey.export({ type: "spki", format: "pem" }) as string,
  };
}
const log = keyPair();
const signer = keyPair();
const blob = new TextEncoder().encode("find me");
const digest = new Uint8Array(createHash("sha256").update(blob).digest());
const signature = new Uint8Array(sign("sha256", blob, signer.privateKey));
const body = new TextEncoder().encode(JSON.stringify({
  apiVersion: "0.0.1",
  kind: "hashedrekord",
  spec: {
    data: { hash: { algorithm: "sha256", value: digest.toHex() } },
    signature: {
      content: signature.toBase64(),
      publicKey: { content: new TextEncoder().encode(signer.pem).toBase64() },
    },
  },
})).toBase64();
const uuid = hashLeaf(Uint8Array.fromBase64(body)).toHex();

/** An entry of the one-leaf log `log`, integrated at `time`, optionally with its SET by `setKey`. */
function entryAt(time: number, setKey = log.privateKey): RekorEntry {
  const leaf = hashLeaf(Uint8Array.fromBase64(body));
  const note = `test.log - 1\n1\n${leaf.toBase64()}\n`;
  const noteSig = new Uint8Array(sign("sha256", new TextEncoder().encode(note), log.privateKey));
  const e: RekorEntry = {
    body,
    integratedTime: time,
    logID: createHash("sha256").update(log.publicKey.spki).digest("hex"),
    logIndex: time % 1000,
  };
  const set = canonicalJson({
    body,
    integratedTime: time,
    logID: e.logID,
    logIndex: e.logIndex,
  });
  e.verification = {
    signedEntryTimestamp: new Uint8Array(sign("sha256", new TextEncoder().encode(set), setKey))
      .toBase64(),
    inclusionProof: {
      logIndex: 0,
      treeSize: 1,
      rootHash: leaf.toHex(),
      hashes: [],
      checkpoint: `${note}\n\u2014 test.log ${
        new Uint8Array([...v1KeyHint(log.publicKey), ...noteSig]).toBase64()
      }\n`,
    },
  };
  return e;
}

/** A client whose log answers every retrieve with `answer` (or fails the fetch). */
function clientAnswering(answer: unknown[] | Error): RekorClient {
  const fake = (() =>
    answer instanceof Error ? Promise.reject(answer) : Promise.resolve(
      new Response(JSON.stringify(answer), { headers: { "content-type": "application/json" } }),
    )) as typeof fetch;
  return new RekorClient("http://log.invalid", { fetch: fake, retry: { attempts: 1 } });
}

function find(client: RekorClient, publicKey: PublicKey = signer.publicKey) {
  return findTlogEntry({ client, logKey: log.publicKey, signature, publicKey, digest });
}

Deno.test("findTlogEntry() keeps the earliest entry that verifies, skipping bad ones", async () => {
  const now = Math.floor(Date.now() / 1000);
  const forged = entryAt(now - 300, keyPair().privateKey);
  const found = await find(clientAnswering([
    { [uuid]: entryAt(now - 10) },
    { [uuid]: forged },
    { [uuid]: entryAt(now - 100) },
  ]));
  assert.equal(found.integratedTime, now - 100);
  assert.equal(found.uuid, uuid);
});

Deno.test("findTlogEntry() reports every failed entry with the first one's code", async () => {
  const now = Math.floor(Date.now() / 1000);
  await assert.rejects(
    find(clientAnswering([
      { [uuid]: entryAt(now - 10, keyPair().privateKey) },
      { [uuid]: entryAt(now + 86_400) },
    ])),
    (e: unknown) =>
      e instanceof VerificationError && e.code === "TLOG_SET_INVALID" &&
      e.message ===
        "Cannot verify transparency log entries: no valid tlog entries found: Cannot verify " +
          "signed entry timestamp: unable to verify SET, Cannot verify transparency log entry: " +
          `integrated time ${now + 86_400} is in the future`,
  );
});

Deno.test("findTlogEntry() failures: not found, another key, unreachable", async () => {
  await assert.rejects(
    find(clientAnswering([])),
    (e: unknown) => e instanceof VerificationError && e.code === "TLOG_ENTRY_NOT_FOUND",
  );
  await assert.rejects(
    find(clientAnswering([{ [uuid]: entryAt(1_700_000_000) }]), keyPair().publicKey),
    (e: unknown) =>
      e instanceof VerificationError && e.code === "TLOG_ENTRY_MISMATCH" &&
      /another signature, key or artifact \(public key in the entry does not match/.test(
        e.message,
      ),
  );
  await assert.rejects(
    find(clientAnswering(new TypeError("connection refused"))),
    (e: unknown) =>
      e instanceof SigstoreError && e.code === "TLOG_REQUEST_FAILED" &&
      e.message === "Cannot search the transparency log http://log.invalid: connection refused",
  );
});
