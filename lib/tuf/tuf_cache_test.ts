import assert from "node:assert/strict";
import {
  DEFAULT_TUF_MIRROR,
  defaultTufCacheDir,
  readRemoteMirror,
  tufCachePaths,
  urlToPath,
  writeLastRefresh,
  writeRemoteMirror,
} from "./tuf_cache.ts";

Deno.test("urlToPath() names folders as sigstore-go's URLToPath", () => {
  // expected values printed by Go (sigstore-go v1.1.4 tuf.URLToPath)
  const cases: [string, string][] = [
    [DEFAULT_TUF_MIRROR, "tuf-repo-cdn.sigstore.dev"],
    ["http://127.0.0.1:8080/Some/Path", "127.0.0.1-8080-some-path"],
    ["file:///tmp/repo", "file----tmp-repo"],
    ["https://tuf-repo-cdn.sigstore.dev/", "tuf-repo-cdn.sigstore.dev-"],
  ];
  for (const [url, want] of cases) assert.equal(urlToPath(url), want, url);
});

Deno.test("defaultTufCacheDir() is $TUF_ROOT, else ~/.sigstore/root", () => {
  assert.equal(defaultTufCacheDir({ tufRoot: "/x/tuf", home: "/h" }), "/x/tuf");
  assert.equal(defaultTufCacheDir({ home: "/home/u/" }), "/home/u/.sigstore/root");
  assert.equal(defaultTufCacheDir({ tufRoot: "", home: "", tmp: "/tmp" }), "/tmp/.sigstore/root");
});

Deno.test("tufCachePaths() lays a mirror out as sigstore-go and go-tuf do", () => {
  assert.deepEqual(tufCachePaths("/c/", DEFAULT_TUF_MIRROR), {
    metadataDir: "/c/tuf-repo-cdn.sigstore.dev",
    targetsDir: "/c/tuf-repo-cdn.sigstore.dev/targets",
    remoteJson: "/c/remote.json",
    configJson: "/c/tuf-repo-cdn.sigstore.dev.json",
  });
});

Deno.test("writeRemoteMirror() writes remote.json as cosign initialize; readRemoteMirror() reads it", async () => {
  const base = await Deno.makeTempDir();
  try {
    const dir = `${base}/a/b`;
    assert.equal(await readRemoteMirror(dir), undefined);
    await writeRemoteMirror(dir, DEFAULT_TUF_MIRROR);
    assert.equal(
      await Deno.readTextFile(`${dir}/remote.json`),
      '{"mirror":"https://tuf-repo-cdn.sigstore.dev"}',
    );
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(`${dir}/remote.json`)).mode! & 0o777, 0o600);
    assert.equal(await readRemoteMirror(dir), DEFAULT_TUF_MIRROR);
    // Go's json.Marshal escapes <, > and &
    await writeRemoteMirror(dir, "http://h/x?a=1&b=<2>");
    assert.equal(
      await Deno.readTextFile(`${dir}/remote.json`),
      '{"mirror":"http://h/x?a=1\\u0026b=\\u003c2\\u003e"}',
    );
    assert.equal(await readRemoteMirror(dir), "http://h/x?a=1&b=<2>");
    await Deno.writeTextFile(`${dir}/remote.json`, "{}");
    assert.equal(await readRemoteMirror(dir), undefined);
    for (
      const [text, why] of [["[1]", "not an object"], ['{"mirror":1}', '"mirror" must be a string']]
    ) {
      await Deno.writeTextFile(`${dir}/remote.json`, text);
      await assert.rejects(readRemoteMirror(dir), {
        name: "IoError",
        code: "INPUT_UNREADABLE",
        message: `Cannot read ${dir}/remote.json: ${why}`,
      });
    }
    await writeLastRefresh(dir, DEFAULT_TUF_MIRROR, new Date("2026-12-04T10:00:00Z"));
    assert.equal(
      await Deno.readTextFile(`${dir}/tuf-repo-cdn.sigstore.dev.json`),
      '{"lastTimestamp":"2026-12-04T10:00:00.000Z"}',
    );
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
