/**
 * import-key-pair: both cosigns accept and reject the same inputs (cosign's own TestImportPrivateKey
 * keys), import an accepted key to the same public key, and each loads the key the other wrote.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkAll,
  describe,
  expectSameFailure,
  expectSuccess,
  FIXTURES,
  readText,
  runGo,
  runOurs,
  withTempDir,
} from "./_run.ts";

interface ImportCase {
  file: string;
  go_const: string;
  expected: "accept" | "reject";
  error: string | null;
}

const FOLDER = join(FIXTURES, "keys", "import-key-pair");
const { cases } = JSON.parse(await Deno.readTextFile(join(FOLDER, "cases.json"))) as {
  cases: ImportCase[];
};
const PASSWORD = "hello";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

Deno.test("interop: import-key-pair accepts and rejects the same keys as Go, and the keys cross-load", async () => {
  assert.equal(cases.length, 14);
  await withTempDir(async (root) => {
    await checkAll(cases, (c) => c.go_const, async (c) => {
      const dir = await Deno.makeTempDir({ dir: root, prefix: `${c.go_const}-` });
      const input = join(FOLDER, c.file.split("/").pop()!);
      const opts = { cwd: dir, home: root, password: PASSWORD };
      const [go, ours] = await Promise.all([
        runGo(["import-key-pair", "--key", input, "--output-key-prefix", "go"], opts),
        runOurs(["import-key-pair", "--key", input, "--output-key-prefix", "ours"], opts),
      ]);

      if (c.expected === "reject") {
        // The vector says what Go does; check that first so a wrong vector cannot pass silently.
        assert.ok(go.code !== 0 && go.stderr.includes(c.error!), `Go peer: ${describe(go)}`);
        expectSameFailure([go, ours], "import-key-pair of an unsupported key");
        assert.equal(await exists(join(dir, "ours.key")), false, "ours wrote ours.key anyway");
        assert.equal(await exists(join(dir, "ours.pub")), false, "ours wrote ours.pub anyway");
        return;
      }

      expectSuccess(go, "Go import-key-pair");
      expectSuccess(ours, "ours import-key-pair");
      const goPub = await readText(join(dir, "go.pub"));
      const oursPub = await readText(join(dir, "ours.pub"));
      assert.equal(oursPub, goPub, "ours.pub differs from the go.pub Go wrote for the same key");
      assert.match(
        await readText(join(dir, "ours.key")),
        /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/,
        "ours.key PEM type",
      );

      const [goReadsOurs, oursReadsGo] = await Promise.all([
        runGo(["public-key", "--key", "ours.key"], opts),
        runOurs(["public-key", "--key", "go.key"], opts),
      ]);
      expectSuccess(goReadsOurs, "Go loads the key ours imported");
      assert.equal(goReadsOurs.stdout, goPub, describe(goReadsOurs));
      expectSuccess(oursReadsGo, "ours loads the key Go imported");
      assert.equal(oursReadsGo.stdout, goPub, describe(oursReadsGo));
    });
  });
});
