import assert from "node:assert/strict";
import { join } from "node:path";
import { FIXTURES } from "../../tests/interop/_run.ts";
import {
  flipBase64,
  loadLogSigner,
  resignSet,
  withCheckpointOrigin,
} from "../../tests/helpers/lying_log.ts";
import { hashedRekord } from "../../tests/helpers/hashed_rekord.ts";
import { startRekor } from "../../tests/peers/rekor.ts";
import { sha256 } from "../digest.ts";
import { VerificationError } from "../errors.ts";
import { loadPrivateKey } from "../keys/private_key.ts";
import { marshalPublicKeyPem, parsePublicKeyPem } from "../keys/public_key.ts";
import { INTOTO_PAYLOAD_TYPE, signDsse } from "../payload/dsse.ts";
import { keySigner } from "../signature/signer.ts";
import { envelopeProposal, RekorClient, type RekorLogEntry } from "./client.ts";
import { treeIdOfUuid } from "./verify_entry.ts";
import {
  type UploadedEntry,
  verifyUploadedEntry,
  type VerifyUploadedEntryOptions,
} from "./verify_uploaded_entry.ts";

const KEYS = join(FIXTURES, "attest");
const signer = keySigner(
  await loadPrivateKey(await Deno.readFile(join(KEYS, "cosign.key")), new Uint8Array()),
);
const pem = new TextEncoder().encode(marshalPublicKeyPem(signer.publicKey));

Deno.test({
  name: "verifyUploadedEntry() accepts the log's honest answers and refuses every lie",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const peer = await startRekor();
    try {
      const client = new RekorClient(peer.url);
      const logKey = parsePublicKeyPem(new TextEncoder().encode(peer.publicKeyPem));
      const log = await loadLogSigner(peer.privateKeyPath);
      const upload = async (text: string) => {
        const { proposal, uploaded } = await hashedRekord(signer, text);
        const sentAt = Date.now();
        const entry = await client.createProposedEntry(proposal);
        return { entry, uploaded, sentAt };
      };
      const a = await upload("a");
      const b = await upload("b");
      const opts: VerifyUploadedEntryOptions = { logKey, sentAt: a.sentAt };

      // Honest answers: the new entry, the same entry fetched after a 409, and with the key the
      // log serves when no key is given.
      await verifyUploadedEntry(a.entry, a.uploaded, opts);
      const again = await client.createEntry({
        algorithm: "sha256",
        digest: a.uploaded.kind === "hashedrekord" ? a.uploaded.digest.value : new Uint8Array(),
        signature: a.uploaded.kind === "hashedrekord" ? a.uploaded.signature : new Uint8Array(),
        publicKeyPem: pem,
      });
      assert.equal(again.existed, true);
      await verifyUploadedEntry(again, a.uploaded, opts);
      await verifyUploadedEntry(a.entry, a.uploaded, { client, sentAt: a.sentAt });

      const treeId = treeIdOfUuid(a.entry.uuid)!;
      assert.equal(treeId.toString(), peer.treeId);
      const day = 86_400;
      const lies: [string, RekorLogEntry & { existed?: boolean }, string, object?][] = [
        ["another signature's entry", b.entry, "TLOG_ENTRY_MISMATCH"],
        ["a 409 pointing at another entry", { ...b.entry, existed: true }, "TLOG_ENTRY_MISMATCH"],
        [
          "another entry's body under this UUID",
          { ...a.entry, body: b.entry.body },
          "TLOG_ENTRY_MISMATCH",
        ],
        [
          "another entry's body, re-signed, under this UUID",
          resignSet({ ...a.entry, body: b.entry.body }, log),
          "TLOG_ENTRY_MISMATCH",
        ],
        [
          "an invalid SET",
          {
            ...a.entry,
            verification: {
              ...a.entry.verification,
              signedEntryTimestamp: flipBase64(a.entry.verification!.signedEntryTimestamp!),
            },
          },
          "TLOG_SET_INVALID",
        ],
        [
          "no SET",
          { ...a.entry, verification: { inclusionProof: a.entry.verification!.inclusionProof } },
          "TLOG_SET_INVALID",
        ],
        [
          "an edited integrated time",
          { ...a.entry, integratedTime: a.entry.integratedTime - 1 },
          "TLOG_SET_INVALID",
        ],
        [
          "a new entry integrated a day before the upload (SET re-signed)",
          resignSet({ ...a.entry, integratedTime: a.entry.integratedTime - day }, log),
          "TLOG_TIME_INVALID",
        ],
        [
          "an entry integrated a day in the future (SET re-signed)",
          resignSet({ ...a.entry, integratedTime: a.entry.integratedTime + day }, log),
          "TLOG_TIME_INVALID",
        ],
        [
          "a wrong inclusion proof",
          {
            ...a.entry,
            verification: {
              ...a.entry.verification,
              inclusionProof: {
                ...a.entry.verification!.inclusionProof!,
                rootHash: "00".repeat(32),
              },
            },
          },
          "TLOG_INCLUSION_INVALID",
        ],
        [
          "another tree's head",
          withCheckpointOrigin(a.entry, `rekor.local - ${treeId + 1n}`, log),
          "TLOG_CHECKPOINT_INVALID",
        ],
        // Origins with regular-expression characters: compared as text, never as a pattern.
        [
          "origin `rekor.local - .*`",
          withCheckpointOrigin(a.entry, "rekor.local - .*", log),
          "TLOG_CHECKPOINT_INVALID",
        ],
        [
          "origin with the tree ID's last digit as `.`",
          withCheckpointOrigin(a.entry, `rekor.local - ${String(treeId).slice(0, -1)}.`, log),
          "TLOG_CHECKPOINT_INVALID",
        ],
        [
          "origin `rekor.local - [0-9]+`",
          withCheckpointOrigin(a.entry, "rekor.local - [0-9]+", log),
          "TLOG_CHECKPOINT_INVALID",
        ],
        [
          "origin `.*`",
          withCheckpointOrigin(a.entry, ".*", log),
          "TLOG_CHECKPOINT_INVALID",
        ],
        [
          "another log's key",
          a.entry,
          "TLOG_LOG_KEY_UNKNOWN",
          { logKey: parsePublicKeyPem(await Deno.readFile(join(KEYS, "cosign.pub"))) },
        ],
        ["no key at all", a.entry, "TLOG_LOG_KEY_UNKNOWN", { logKey: undefined }],
      ];
      for (const [what, entry, code, extra] of lies) {
        await assert.rejects(
          () => verifyUploadedEntry(entry, a.uploaded, { ...opts, ...extra }),
          (e) => {
            assert.ok(e instanceof VerificationError, `${what}: ${e}`);
            assert.equal(e.code, code, `${what}: ${e.message}`);
            assert.match(e.message, /^Cannot use the transparency log's answer to the upload: /);
            return true;
          },
          what,
        );
      }
      // The same origin with the right tree passes: only the origin was under test above.
      await verifyUploadedEntry(
        withCheckpointOrigin(a.entry, `rekor.local - ${treeId}`, log),
        a.uploaded,
        opts,
      );
      // An entry the log already had may be older than the upload.
      await verifyUploadedEntry(
        resignSet({ ...a.entry, integratedTime: a.entry.integratedTime - day, existed: true }, log),
        a.uploaded,
        opts,
      );

      // Envelopes: a dsse and an intoto entry, each checked against what was uploaded.
      const statement = new TextEncoder().encode(JSON.stringify({
        _type: "https://in-toto.io/Statement/v0.1",
        predicateType: "https://cosign.sigstore.dev/attestation/v1",
        subject: [{ name: "x", digest: { sha256: sha256(new Uint8Array([1])).toHex() } }],
        predicate: { Data: crypto.randomUUID() },
      }));
      for (const kind of ["dsse", "intoto"] as const) {
        const envelope = await signDsse(statement, INTOTO_PAYLOAD_TYPE, signer);
        const env = JSON.parse(new TextDecoder().decode(envelope));
        const up: UploadedEntry = {
          kind,
          envelope,
          keyDer: signer.publicKey.spki,
          payloadType: INTOTO_PAYLOAD_TYPE,
          payload: statement,
          signature: Uint8Array.fromBase64(env.signatures[0].sig),
        };
        const sentAt = Date.now();
        const entry = await client.createProposedEntry(envelopeProposal(kind, envelope, pem));
        await verifyUploadedEntry(entry, up, { logKey, sentAt });
        for (
          const [what, other] of [
            ["a hashedrekord answer", a.entry],
            [
              "another envelope's entry",
              await client.createProposedEntry(envelopeProposal(
                kind,
                await signDsse(
                  new TextEncoder().encode(JSON.stringify({ other: crypto.randomUUID() })),
                  INTOTO_PAYLOAD_TYPE,
                  signer,
                ),
                pem,
              )),
            ],
          ] as const
        ) {
          await assert.rejects(
            () => verifyUploadedEntry(other, up, { logKey, sentAt }),
            { code: "TLOG_ENTRY_MISMATCH" },
            `${kind}: ${what}`,
          );
        }
      }
    } finally {
      await peer.stop();
    }
  },
});
