import assert from "node:assert/strict";
import { initializeTuf } from "./initialize_tuf.ts";
import { loadTrustedRootFromTuf } from "./load_trusted_root_from_tuf.ts";
import { DEFAULT_TUF_MIRROR, SIGNING_CONFIG_TARGET, urlToPath } from "./tuf_cache.ts";
import { publicGoodTufRoot } from "./public_good_tuf_root.ts";
import { TestTufRepository } from "../../tests/helpers/tuf_repository.ts";

const fixture = (name: string) =>
  Deno.readFile(new URL(`../../tests/fixtures/tuf/${name}`, import.meta.url));
const TRUSTED_ROOT = await fixture("trusted_root.json");
const NO_RETRY = { retry: { attempts: 1 } };
const IN_30_DAYS = () => new Date(Date.now() + 30 * 86_400_000);

interface Env {
  repo: TestTufRepository;
  url: string;
  cache: string;
  rootFile: string;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A served repository and a cache initialised from it (as `cosign initialize --mirror --root`). */
async function initialized(): Promise<Env> {
  const repo = await TestTufRepository.create();
  repo.targets.set("trusted_root.json", TRUSTED_ROOT);
  await repo.publish();
  const url = repo.serve();
  const cache = await Deno.makeTempDir({ prefix: "tuf-cache-" });
  const rootFile = `${cache}.root.json`;
  await Deno.writeFile(rootFile, repo.initialRoot);
  await initializeTuf({ cacheDir: cache, mirror: url, root: rootFile, http: NO_RETRY });
  repo.requests.length = 0;
  return {
    repo,
    url,
    cache,
    rootFile,
    async [Symbol.asyncDispose]() {
      await repo.close();
      await Deno.remove(cache, { recursive: true }).catch(() => {});
      await Deno.remove(rootFile).catch(() => {});
    },
  };
}

Deno.test("loadTrustedRootFromTuf() follows remote.json and the cached root of a custom mirror", async () => {
  await using env = await initialized();
  assert.deepEqual(
    await loadTrustedRootFromTuf({ cacheDir: env.cache, http: NO_RETRY }),
    TRUSTED_ROOT,
  );
  // metadata refreshed (sigstore-go's CacheValidity 0), target served from the cache
  assert.deepEqual(env.repo.requests, ["/2.root.json", "/timestamp.json"]);
});

Deno.test("loadTrustedRootFromTuf({ offline }) uses the cache without any request", async () => {
  await using env = await initialized();
  assert.deepEqual(
    await loadTrustedRootFromTuf({ cacheDir: env.cache, offline: true }),
    TRUSTED_ROOT,
  );
  assert.deepEqual(env.repo.requests, []);
  await assert.rejects(
    loadTrustedRootFromTuf({ cacheDir: env.cache, offline: true, now: IN_30_DAYS }),
    {
      name: "VerificationError",
      code: "TUF_EXPIRED",
      message:
        `Cannot use the TUF cache of ${env.url} offline: Cannot trust root.json version 1: the metadata is expired (possible freeze attack)`,
    },
  );
  await Deno.remove(`${env.cache}/${urlToPath(env.url)}/targets/trusted_root.json`);
  await assert.rejects(loadTrustedRootFromTuf({ cacheDir: env.cache, offline: true }), {
    name: "IoError",
    code: "TUF_CACHE_MISSING",
    message: `Cannot use the TUF cache of ${env.url} offline: trusted_root.json is not cached`,
  });
});

Deno.test("loadTrustedRootFromTuf() falls back to a valid cache when the mirror is unreachable", async () => {
  await using env = await initialized();
  await env.repo.stopServing();
  const reasons: Error[] = [];
  const bytes = await loadTrustedRootFromTuf({
    cacheDir: env.cache,
    http: NO_RETRY,
    onCacheFallback: (e) => reasons.push(e),
  });
  assert.deepEqual(bytes, TRUSTED_ROOT);
  assert.equal(reasons.length, 1);
  assert.match(reasons[0].message, /^Cannot reach http:\/\/127\.0\.0\.1:\d+\/2\.root\.json/);
  // expired cached metadata and no network: an error that says both
  await assert.rejects(
    loadTrustedRootFromTuf({ cacheDir: env.cache, http: NO_RETRY, now: IN_30_DAYS }),
    (e: Error & { code?: string }) => {
      assert.equal(e.name, "VerificationError");
      assert.equal(e.code, "TUF_EXPIRED");
      assert.match(
        e.message,
        /^Cannot refresh TUF metadata \(Cannot reach http:\/\/127\.0\.0\.1:\d+\/2\.root\.json.*\) and the cached metadata cannot be used: Cannot trust root\.json version 1: the metadata is expired \(possible freeze attack\)$/,
      );
      return true;
    },
  );
});

Deno.test("loadTrustedRootFromTuf() does not fall back to the cache on a security failure", async () => {
  await using env = await initialized();
  const old = env.repo.latest.timestamp!;
  await env.repo.publish();
  await loadTrustedRootFromTuf({ cacheDir: env.cache, http: NO_RETRY });
  await env.repo.write("timestamp.json", old);
  await assert.rejects(loadTrustedRootFromTuf({ cacheDir: env.cache, http: NO_RETRY }), {
    code: "TUF_VERSION_INVALID",
    message:
      "Cannot update timestamp: version 1 is lower than the trusted 2 (possible rollback attack)",
  });
});

Deno.test("loadTrustedRootFromTuf() needs a root for a custom mirror (cached or TUF_ROOT_JSON)", async () => {
  await using env = await initialized();
  const other = await Deno.makeTempDir();
  try {
    await assert.rejects(loadTrustedRootFromTuf({ cacheDir: other, mirror: env.url }), {
      name: "IoError",
      code: "TUF_CACHE_MISSING",
      message:
        `Cannot load the TUF root of ${env.url}: could not find cached root.json in ${other}/${
          urlToPath(env.url)
        } (run cosign initialize --mirror ${env.url} --root <root.json>, or set TUF_ROOT_JSON)`,
    });
    const bytes = await loadTrustedRootFromTuf({
      cacheDir: other,
      mirror: env.url,
      root: env.repo.initialRoot,
      http: NO_RETRY,
    });
    assert.deepEqual(bytes, TRUSTED_ROOT);
  } finally {
    await Deno.remove(other, { recursive: true });
  }
});

/** A fetch for the default mirror that serves some real root files and 404 for the rest. */
function publicGoodFetch(files: Record<string, Uint8Array>, seen: string[]): typeof fetch {
  return (input) => {
    const url = String(input instanceof Request ? input.url : input);
    seen.push(url);
    const name = url.slice(DEFAULT_TUF_MIRROR.length + 1);
    const body = files[name];
    return Promise.resolve(
      body ? new Response(body as Uint8Array<ArrayBuffer>) : new Response("", { status: 404 }),
    );
  };
}

Deno.test("the default mirror starts from the embedded root 13 and follows the real rotations to 15", async () => {
  const cache = await Deno.makeTempDir();
  try {
    const seen: string[] = [];
    const files = {
      "14.root.json": await fixture("14.root.json"),
      "15.root.json": await fixture("15.root.json"),
    };
    // Before root 15 expired: the rotations verify, then the (missing) timestamp stops the refresh.
    await assert.rejects(
      loadTrustedRootFromTuf({
        cacheDir: cache,
        fetch: publicGoodFetch(files, seen),
        now: () => new Date("2026-06-01T00:00:00Z"),
        http: NO_RETRY,
      }),
      { code: "TUF_CACHE_MISSING" },
    );
    assert.deepEqual(seen, [
      `${DEFAULT_TUF_MIRROR}/14.root.json`,
      `${DEFAULT_TUF_MIRROR}/15.root.json`,
      `${DEFAULT_TUF_MIRROR}/16.root.json`,
      `${DEFAULT_TUF_MIRROR}/timestamp.json`,
    ]);
    const cachedRoot = `${cache}/tuf-repo-cdn.sigstore.dev/root.json`;
    assert.deepEqual(await Deno.readFile(cachedRoot), files["15.root.json"]);
    // The next run starts from the cached root 15 (newer than the embedded one).
    seen.length = 0;
    await assert.rejects(
      loadTrustedRootFromTuf({
        cacheDir: cache,
        fetch: publicGoodFetch({}, seen),
        now: () => new Date("2026-06-01T00:00:00Z"),
        http: NO_RETRY,
      }),
      { code: "TUF_CACHE_MISSING" },
    );
    assert.deepEqual(seen, [
      `${DEFAULT_TUF_MIRROR}/16.root.json`,
      `${DEFAULT_TUF_MIRROR}/timestamp.json`,
    ]);
    // Root 15 expired on 2026-11-20: a freeze, whatever the cache holds.
    await assert.rejects(
      loadTrustedRootFromTuf({
        cacheDir: cache,
        fetch: publicGoodFetch({}, []),
        now: () => new Date("2026-12-01T00:00:00Z"),
        http: NO_RETRY,
      }),
      {
        code: "TUF_EXPIRED",
        message:
          "Cannot trust root.json version 15: the metadata is expired (possible freeze attack)",
      },
    );
    // A cached root that does not verify is ignored: back to the embedded one.
    await Deno.writeFile(cachedRoot, new TextEncoder().encode("{}"));
    seen.length = 0;
    await assert.rejects(
      loadTrustedRootFromTuf({ cacheDir: cache, fetch: publicGoodFetch({}, seen), http: NO_RETRY }),
    );
    assert.equal(seen[0], `${DEFAULT_TUF_MIRROR}/14.root.json`);
    assert.deepEqual(await Deno.readFile(cachedRoot), publicGoodTufRoot());
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("loadTrustedRootFromTuf({ target }) returns the signing config target of the same repository", async () => {
  await using env = await initialized();
  const signingConfig = await Deno.readFile(
    new URL(
      "../../tests/fixtures/vectors/roots/public-good_signing_config.v0.2.json",
      import.meta.url,
    ),
  );
  // Not there yet: the targets metadata does not list it.
  await assert.rejects(
    loadTrustedRootFromTuf({ cacheDir: env.cache, http: NO_RETRY, target: SIGNING_CONFIG_TARGET }),
    { name: "VerificationError", code: "TUF_TARGET_NOT_FOUND" },
  );
  env.repo.targets.set(SIGNING_CONFIG_TARGET, signingConfig);
  await env.repo.publish();
  env.repo.requests.length = 0;
  assert.deepEqual(
    await loadTrustedRootFromTuf({
      cacheDir: env.cache,
      http: NO_RETRY,
      target: SIGNING_CONFIG_TARGET,
    }),
    signingConfig,
  );
  assert.ok(
    env.repo.requests.some((r) =>
      r.endsWith(`.${SIGNING_CONFIG_TARGET}`) || r.endsWith(`/${SIGNING_CONFIG_TARGET}`)
    ),
    env.repo.requests.join(),
  );
  // Cached now: offline reads it without any request.
  env.repo.requests.length = 0;
  assert.deepEqual(
    await loadTrustedRootFromTuf({
      cacheDir: env.cache,
      offline: true,
      target: SIGNING_CONFIG_TARGET,
    }),
    signingConfig,
  );
  assert.deepEqual(env.repo.requests, []);
});
