import assert from "node:assert/strict";
import { startRekor } from "../peers/rekor.ts";

Deno.test("the Rekor peer starts on loopback and serves a signed, empty log", async () => {
  const rekor = await startRekor();
  try {
    const log = await (await fetch(`${rekor.url}/api/v1/log`)).json();
    assert.equal(log.treeID, rekor.treeId);
    assert.equal(log.treeSize, 0);
    assert.match(log.signedTreeHead, new RegExp(`^rekor\\.local - ${rekor.treeId}\\n0\\n`));
    assert.match(rekor.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
  } finally {
    await rekor.stop();
  }
});
