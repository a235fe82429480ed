/**
 * Encrypted private keys written by Go cosign, sigstore-rs and cosign's own tests: both cosigns
 * print the same public key, or both fail with the same exit code. Keys both can load then sign in
 * one tool and verify in the other.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkAll,
  describe,
  expectSameFailure,
  expectSuccess,
  expectVerified,
  FIXTURES,
  other,
  randomBlob,
  readText,
  run,
  runGo,
  runOurs,
  TOOLS,
  withTempDir,
} from "./_run.ts";

interface KeyCase {
  file: string;
  password: string;
  expected: "accept" | "reject";
  note: string;
}

const FOLDER = join(FIXTURES, "keys", "encrypted");
const { cases } = JSON.parse(await Deno.readTextFile(join(FOLDER, "cases.json"))) as {
  cases: KeyCase[];
};
const pubOf = (c: KeyCase) => join(FOLDER, c.file.replace(/\.key$/, ".pub"));

Deno.test("interop: public-key of encrypted key vectors matches Go", async () => {
  assert.equal(cases.length, 10);
  await withTempDir(async (dir) => {
    await checkAll(cases, (c) => `${c.file} (${c.note})`, async (c) => {
      const args = ["public-key", "--key", join(FOLDER, c.file)];
      const opts = { cwd: dir, password: c.password };
      const [go, ours] = await Promise.all([runGo(args, opts), runOurs(args, opts)]);
      if (c.expected === "reject") {
        assert.notEqual(go.code, 0, `Go peer accepted a negative vector\n${describe(go)}`);
        expectSameFailure([go, ours], "public-key of a key that must not load");
        return;
      }
      const expected = await readText(pubOf(c));
      expectSuccess(go, "Go peer public-key");
      assert.equal(go.stdout, expected, `Go peer disagrees with the vector\n${describe(go)}`);
      expectSuccess(ours, "ours public-key");
      assert.equal(ours.stdout, go.stdout, describe(ours));
    });
  });
});

// Go cosign 2.6.4 cannot sign-blob with Ed25519 keys (it panics: "requested hash function #0 is
// unavailable"), so only the ECDSA P-256 and RSA vectors sign here.
const SIGNING = cases.filter((c) => c.expected === "accept" && !c.file.includes("ed25519"));

Deno.test("interop: encrypted key vectors sign in one cosign and verify in the other", async () => {
  assert.equal(SIGNING.length, 7);
  await withTempDir(async (root) => {
    await Deno.writeFile(join(root, "blob"), randomBlob(10_000));
    const runs = SIGNING.flatMap((c) => TOOLS.map((signer) => ({ c, signer })));
    await checkAll(
      runs,
      ({ c, signer }) => `${c.file} signed by ${signer}`,
      async ({ c, signer }) => {
        const sig = join(root, `${c.file}.${signer}.sig`);
        expectSuccess(
          await run(signer, [
            "sign-blob",
            "--key",
            join(FOLDER, c.file),
            "--tlog-upload=false",
            "--yes",
            "--output-signature",
            sig,
            "blob",
          ], { cwd: root, password: c.password }),
          `${signer} sign-blob`,
        );
        const verifier = other(signer);
        expectVerified(
          await run(verifier, [
            "verify-blob",
            "--key",
            pubOf(c),
            "--signature",
            sig,
            "--insecure-ignore-tlog=true",
            "blob",
          ], { cwd: root }),
          `${verifier} verify-blob`,
        );
      },
    );
  });
});
