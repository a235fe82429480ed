import assert from "node:assert/strict";
import { join } from "node:path";
import { FIXTURES } from "../../tests/interop/_run.ts";
import { hashedRekord as makeHashedRekord } from "../../tests/helpers/hashed_rekord.ts";
import { startRekor } from "../../tests/peers/rekor.ts";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import { RekorClient } from "./client.ts";
import { loadPrivateKey } from "../keys/private_key.ts";
import { keySigner } from "../signature/signer.ts";
import { uploadEntry } from "./upload_entry.ts";

const signer = keySigner(
  await loadPrivateKey(
    await Deno.readFile(join(FIXTURES, "attest", "cosign.key")),
    new Uint8Array(),
  ),
);
const hashedRekord = (text: string) => makeHashedRekord(signer, text);

Deno.test({
  name: "uploadEntry() returns the checked entry, and refuses an answer about another upload",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const peer = await startRekor();
    try {
      const logKey = parsePublicKeyPem(new TextEncoder().encode(peer.publicKeyPem));
      const options = { logKey: () => Promise.resolve(logKey) };
      const client = new RekorClient(peer.url);
      const a = await hashedRekord("a");
      const first = await uploadEntry(client, a.proposal, a.uploaded, options);
      assert.equal(first.existed, false);
      const again = await uploadEntry(client, a.proposal, a.uploaded, options);
      assert.deepEqual([again.existed, again.uuid], [true, first.uuid]);

      // A log (or proxy) that logs something else than what was sent.
      const b = await hashedRekord("b");
      const swapping: typeof fetch = (input, init) =>
        fetch(input, { ...init, body: JSON.stringify(b.proposal) });
      const lying = new RekorClient(peer.url, { fetch: swapping });
      const c = await hashedRekord("c");
      await assert.rejects(uploadEntry(lying, c.proposal, c.uploaded, options), {
        name: "VerificationError",
        code: "TLOG_ENTRY_MISMATCH",
      });
    } finally {
      await peer.stop();
    }
  },
});

Deno.test("uploadEntry() names the log it cannot reach, and passes the log's refusals on", async () => {
  const a = await hashedRekord("a");
  const logKey = () => Promise.reject(new Error("the key is not needed"));
  const unreachable: typeof fetch = () => Promise.reject(new TypeError("connection refused"));
  const down = new RekorClient("http://127.0.0.1:9/", {
    fetch: unreachable,
    retry: { attempts: 1 },
  });
  await assert.rejects(
    uploadEntry(down, a.proposal, a.uploaded, { logKey, rekorUrl: "http://127.0.0.1:9/" }),
    {
      name: "SigstoreError",
      code: "TLOG_REQUEST_FAILED",
      message: "Cannot upload to the transparency log http://127.0.0.1:9/: " +
        "Cannot reach http://127.0.0.1:9/api/v1/log/entries: connection refused",
    },
  );
  const refusing: typeof fetch = () =>
    Promise.resolve(Response.json({ code: 400, message: "bad entry" }, { status: 400 }));
  const refuses = new RekorClient("http://127.0.0.1:9", { fetch: refusing });
  await assert.rejects(uploadEntry(refuses, a.proposal, a.uploaded, { logKey }), {
    name: "SigstoreError",
    code: "TLOG_REQUEST_FAILED",
    message: "Cannot upload the entry: the transparency log answered HTTP 400: bad entry",
  });
});
