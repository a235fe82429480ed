/**
 * `cosign initialize` against a TUF repository served on loopback, by the real Go cosign v2.6.4
 * and by ours: same output, same cache files, and each tool uses the cache the other wrote.
 */
import assert from "node:assert/strict";
import {
  describe,
  expectSameFailure,
  expectSuccess,
  run,
  suiteOptions,
  TOOLS,
  withTempDir,
} from "./_run.ts";
import { TestTufRepository } from "../helpers/tuf_repository.ts";
import { loadTrustedRootFromTuf } from "../../lib/tuf/load_trusted_root_from_tuf.ts";
import { urlToPath } from "../../lib/tuf/tuf_cache.ts";

const TRUSTED_ROOT = await Deno.readFile(
  new URL("../fixtures/tuf/trusted_root.json", import.meta.url),
);
const TR_SHA = new Uint8Array(await crypto.subtle.digest("SHA-256", TRUSTED_ROOT)).toHex();

async function repository(): Promise<{ repo: TestTufRepository; url: string }> {
  const repo = await TestTufRepository.create();
  repo.targets.set("trusted_root.json", TRUSTED_ROOT);
  // a rotation first, so both clients walk root versions
  await repo.rotate({ root: { keys: repo.roles.root.keys, threshold: 1 } });
  await repo.publish();
  return { repo, url: repo.serve() };
}

async function ls(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) out.push(...(await ls(`${dir}/${e.name}`)).map((n) => `${e.name}/${n}`));
    else out.push(e.name);
  }
  return out.sort();
}

Deno.test("interop: cosign initialize --mirror --root writes the same cache in Go and ours", async () => {
  const { repo, url } = await repository();
  try {
    await withTempDir(async (dir) => {
      const rootFile = `${dir}/1.root.json`;
      await Deno.writeFile(rootFile, repo.initialRoot);
      const caches: Record<string, string> = {};
      for (const tool of TOOLS) {
        const cache = `${dir}/${tool}-cache`;
        caches[tool] = cache;
        repo.requests.length = 0;
        const r = expectSuccess(
          await run(
            tool,
            ["initialize", "--mirror", url, "--root", rootFile],
            suiteOptions(dir, { TUF_ROOT: cache }),
          ),
          `${tool} initialize`,
        );
        assert.equal(r.stdout, "", describe(r));
        assert.equal(r.stderr, "", describe(r));
        // the same walk: root 2 and the missing 3, then timestamp, snapshot, targets, target
        assert.deepEqual(repo.requests, [
          "/2.root.json",
          "/3.root.json",
          "/timestamp.json",
          "/1.snapshot.json",
          "/1.targets.json",
          `/targets/${TR_SHA}.trusted_root.json`,
        ], tool);
      }
      const m = urlToPath(url);
      const files = await ls(caches.go);
      assert.deepEqual(files, [
        `${m}.json`,
        `${m}/root.json`,
        `${m}/snapshot.json`,
        `${m}/targets.json`,
        `${m}/targets/trusted_root.json`,
        `${m}/timestamp.json`,
        "remote.json",
      ]);
      assert.deepEqual(await ls(caches.ours), files);
      for (const f of files.filter((f) => f !== `${m}.json`)) {
        assert.deepEqual(
          await Deno.readFile(`${caches.ours}/${f}`),
          await Deno.readFile(`${caches.go}/${f}`),
          f,
        );
      }
      assert.deepEqual(await Deno.readFile(`${caches.go}/${m}/root.json`), repo.rootFiles.get(2));
    });
  } finally {
    await repo.close();
  }
});

Deno.test("interop: each cosign reuses the TUF cache the other wrote", async () => {
  const { repo, url } = await repository();
  try {
    await withTempDir(async (dir) => {
      const rootFile = `${dir}/1.root.json`;
      await Deno.writeFile(rootFile, repo.initialRoot);
      // Go writes, ours reads offline.
      const goCache = `${dir}/go-cache`;
      expectSuccess(
        await run(
          "go",
          ["initialize", "--mirror", url, "--root", rootFile],
          suiteOptions(dir, { TUF_ROOT: goCache }),
        ),
        "go initialize",
      );
      repo.requests.length = 0;
      assert.deepEqual(
        await loadTrustedRootFromTuf({ cacheDir: goCache, offline: true }),
        TRUSTED_ROOT,
      );
      assert.deepEqual(await loadTrustedRootFromTuf({ cacheDir: goCache }), TRUSTED_ROOT);
      assert.deepEqual(repo.requests, ["/3.root.json", "/timestamp.json"]);
      // Ours writes, Go refreshes from it: it keeps our snapshot, targets and trusted_root.json.
      const ourCache = `${dir}/our-cache`;
      expectSuccess(
        await run(
          "ours",
          ["initialize", "--mirror", url, "--root", rootFile],
          suiteOptions(dir, { TUF_ROOT: ourCache }),
        ),
        "ours initialize",
      );
      repo.requests.length = 0;
      const r = expectSuccess(
        await run(
          "go",
          ["initialize", "--mirror", url, "--root", rootFile],
          suiteOptions(dir, { TUF_ROOT: ourCache }),
        ),
        "go initialize on our cache",
      );
      assert.equal(r.stderr, "", describe(r));
      // go-tuf starts again from --root (2.root.json), then only the timestamp is new
      assert.deepEqual(
        repo.requests,
        ["/2.root.json", "/3.root.json", "/timestamp.json"],
        describe(r),
      );
    });
  } finally {
    await repo.close();
  }
});

Deno.test("interop: both cosigns refuse an expired timestamp and a wrong --root-checksum", async () => {
  const { repo, url } = await repository();
  try {
    await withTempDir(async (dir) => {
      const rootFile = `${dir}/1.root.json`;
      await Deno.writeFile(rootFile, repo.initialRoot);
      const wrong = `sha256:${"0".repeat(64)}`;
      const results = [];
      for (const tool of TOOLS) {
        results.push(
          await run(
            tool,
            ["initialize", "--mirror", url, "--root", rootFile, "--root-checksum", wrong],
            suiteOptions(dir, { TUF_ROOT: `${dir}/${tool}-sum` }),
          ),
        );
      }
      expectSameFailure(results, "wrong --root-checksum");
      for (const r of results) {
        assert.match(
          r.stderr,
          /incorrect checksum for file .*1\.root\.json: expected 0{64} but got [0-9a-f]{64}/,
          describe(r),
        );
      }

      repo.expires.timestamp = new Date(Date.now() - 60_000);
      await repo.publishTimestamp();
      results.length = 0;
      for (const tool of TOOLS) {
        results.push(
          await run(
            tool,
            ["initialize", "--mirror", url, "--root", rootFile],
            suiteOptions(dir, { TUF_ROOT: `${dir}/${tool}-expired` }),
          ),
        );
      }
      expectSameFailure(results, "expired timestamp");
      assert.match(results[0].stderr, /expired/i, describe(results[0]));
      assert.match(
        results[1].stderr,
        /timestamp\.json: the metadata is expired/,
        describe(results[1]),
      );
    });
  } finally {
    await repo.close();
  }
});
