import assert from "node:assert/strict";
import { digestSync } from "../digest.ts";
import { initializeTuf, ROOT_WITHOUT_CHECKSUM_WARNING } from "./initialize_tuf.ts";
import { urlToPath } from "./tuf_cache.ts";
import { TestTufRepository } from "../../tests/helpers/tuf_repository.ts";

const TRUSTED_ROOT = await Deno.readFile(
  new URL("../../tests/fixtures/tuf/trusted_root.json", import.meta.url),
);
const NO_RETRY = { retry: { attempts: 1 } };

interface Env {
  repo: TestTufRepository;
  url: string;
  cache: string;
  rootFile: string;
  [Symbol.asyncDispose](): Promise<void>;
}

async function served(target: Uint8Array | null = TRUSTED_ROOT): Promise<Env> {
  const repo = await TestTufRepository.create();
  if (target) repo.targets.set("trusted_root.json", target);
  await repo.publish();
  const url = repo.serve();
  const cache = await Deno.makeTempDir({ prefix: "tuf-cache-" });
  const rootFile = `${cache}.root.json`;
  await Deno.writeFile(rootFile, repo.initialRoot);
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

async function ls(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) out.push(...(await ls(`${dir}/${e.name}`)).map((n) => `${e.name}/${n}`));
    else out.push(e.name);
  }
  return out.sort();
}

Deno.test("initializeTuf() writes cosign's cache layout and returns trusted_root.json", async () => {
  await using env = await served();
  const warnings: string[] = [];
  const bytes = await initializeTuf({
    cacheDir: env.cache,
    mirror: env.url,
    root: env.rootFile,
    http: NO_RETRY,
    warn: (l) => void warnings.push(l),
  });
  assert.deepEqual(bytes, TRUSTED_ROOT);
  assert.deepEqual(warnings, []);
  const m = urlToPath(env.url);
  assert.deepEqual(await ls(env.cache), [
    `${m}.json`,
    `${m}/root.json`,
    `${m}/snapshot.json`,
    `${m}/targets.json`,
    `${m}/targets/trusted_root.json`,
    `${m}/timestamp.json`,
    "remote.json",
  ]);
  assert.equal(await Deno.readTextFile(`${env.cache}/remote.json`), `{"mirror":"${env.url}"}`);
  assert.deepEqual(
    await Deno.readFile(`${env.cache}/${m}/targets/trusted_root.json`),
    TRUSTED_ROOT,
  );
  assert.match(
    await Deno.readTextFile(`${env.cache}/${m}.json`),
    /^\{"lastTimestamp":"\d{4}-\d\d-\d\dT[\d:.]+Z"\}$/,
  );
});

Deno.test("initializeTuf() checks --root-checksum as cosign's LoadFileOrURLWithChecksum", async () => {
  await using env = await served();
  const root = env.repo.initialRoot;
  const sha256 = digestSync("sha256", root).toHex();
  const sha512 = digestSync("sha512", root).toHex();
  for (const rootChecksum of [sha256, `sha256:${sha256}`, `sha512:${sha512}`]) {
    const bytes = await initializeTuf({
      cacheDir: env.cache,
      mirror: env.url,
      root: env.rootFile,
      rootChecksum,
      http: NO_RETRY,
    });
    assert.deepEqual(bytes, TRUSTED_ROOT, rootChecksum);
  }
  const wrong = "0".repeat(64);
  const cases: [string, string, string][] = [
    [
      wrong,
      "VerificationError",
      `Incorrect checksum for file ${env.rootFile}: expected ${wrong} but got ${sha256}`,
    ],
    [
      sha256.toUpperCase(),
      "VerificationError",
      `Incorrect checksum for file ${env.rootFile}: expected ${sha256.toUpperCase()} but got ${sha256}`,
    ],
    [
      `sha512:${sha256}`,
      "VerificationError",
      `Incorrect checksum for file ${env.rootFile}: expected ${sha256} but got ${sha512}`,
    ],
    [`md5:${wrong}`, "TypeError", "unsupported checksum algorithm: md5"],
    [`a:b:c`, "TypeError", "wrong checksum input format, must have at most 1 colon: a:b:c"],
  ];
  for (const [rootChecksum, name, message] of cases) {
    const cache = `${env.cache}/other`;
    env.repo.requests.length = 0;
    await assert.rejects(
      initializeTuf({ cacheDir: cache, mirror: env.url, root: env.rootFile, rootChecksum }),
      { name, message },
      rootChecksum,
    );
    // nothing was fetched or written
    assert.deepEqual(env.repo.requests, [], rootChecksum);
    await assert.rejects(Deno.stat(cache), Deno.errors.NotFound);
  }
});

Deno.test("initializeTuf() loads the root from a URL (warning without checksum) or env://", async () => {
  await using env = await served();
  const warnings: string[] = [];
  const rootUrl = `${env.url}/1.root.json`;
  const opts = {
    cacheDir: env.cache,
    mirror: env.url,
    http: NO_RETRY,
    warn: (l: string) => void warnings.push(l),
  };
  assert.deepEqual(await initializeTuf({ ...opts, root: rootUrl }), TRUSTED_ROOT);
  assert.deepEqual(warnings, [ROOT_WITHOUT_CHECKSUM_WARNING]);
  warnings.length = 0;
  const checksum = digestSync("sha256", env.repo.initialRoot).toHex();
  assert.deepEqual(
    await initializeTuf({ ...opts, root: rootUrl, rootChecksum: checksum }),
    TRUSTED_ROOT,
  );
  assert.deepEqual(warnings, []);
  const text = new TextDecoder().decode(env.repo.initialRoot);
  const getEnv = (n: string) => (n === "MY_ROOT" ? text : undefined);
  assert.deepEqual(await initializeTuf({ ...opts, root: "env://MY_ROOT", getEnv }), TRUSTED_ROOT);
  assert.deepEqual(warnings, []);
  const cases: [string, string, string][] = [
    ["env://NOPE", "INPUT_NOT_FOUND", "Cannot load root: env var $NOPE not found"],
    ["s3://bucket/root.json", "INPUT_UNREADABLE", "Cannot load root: unrecognized scheme: s3://"],
    [
      `${env.cache}/missing.json`,
      "INPUT_NOT_FOUND",
      `Cannot read root ${env.cache}/missing.json: no such file or directory`,
    ],
    [env.cache, "INPUT_UNREADABLE", `Cannot read root ${env.cache}: is a directory`],
    [
      `${env.url}/9.root.json`,
      "NETWORK",
      `Cannot load root: GET ${env.url}/9.root.json returned HTTP 404`,
    ],
  ];
  for (const [root, code, message] of cases) {
    await assert.rejects(initializeTuf({ ...opts, root, getEnv }), {
      name: "IoError",
      code,
      message,
    }, root);
  }
});

Deno.test("initializeTuf() refuses a root that is not valid TUF root metadata", async () => {
  await using env = await served();
  await Deno.writeTextFile(env.rootFile, '{"signed":{"_type":"targets"},"signatures":[]}');
  await assert.rejects(
    initializeTuf({ cacheDir: env.cache, mirror: env.url, root: env.rootFile, http: NO_RETRY }),
    {
      name: "SyntaxError",
      message: 'Cannot parse TUF root metadata: expected _type "root", got "targets"',
    },
  );
});

Deno.test("initializeTuf() with a custom mirror and no --root starts from the embedded root", async () => {
  await using env = await served();
  // before root 13 expired: the test repository's timestamp is not signed by the public-good
  // timestamp key
  const now = () => new Date("2026-01-01T00:00:00Z");
  await assert.rejects(
    initializeTuf({ cacheDir: env.cache, mirror: env.url, http: NO_RETRY, now }),
    {
      code: "TUF_UNSIGNED",
      message: "Cannot verify timestamp metadata: not enough signatures, got 0, want 1",
    },
  );
  assert.deepEqual(env.repo.requests, ["/14.root.json", "/timestamp.json"]);
  // today (root 13 expired on 2026-01-22, and this mirror has no newer root)
  await assert.rejects(
    initializeTuf({
      cacheDir: env.cache,
      mirror: env.url,
      http: NO_RETRY,
      now: () => new Date("2026-02-01T00:00:00Z"),
    }),
    {
      code: "TUF_EXPIRED",
      message:
        "Cannot trust root.json version 13: the metadata is expired (possible freeze attack)",
    },
  );
});

Deno.test("initializeTuf() reports a mirror without trusted_root.json as cosign warns, then fails", async () => {
  await using env = await served(null);
  const warnings: string[] = [];
  await assert.rejects(
    initializeTuf({
      cacheDir: env.cache,
      mirror: env.url,
      root: env.rootFile,
      http: NO_RETRY,
      warn: (l) => void warnings.push(l),
    }),
    {
      code: "TUF_TARGET_NOT_FOUND",
      message:
        "Cannot initialize TUF: repositories without trusted_root.json (individual targets) are not supported: Cannot find target trusted_root.json",
    },
  );
  assert.deepEqual(warnings, [
    "Could not fetch trusted_root.json from the TUF mirror (encountered error: Cannot find target trusted_root.json), falling back to individual targets. It is recommended to update your TUF metadata repository to include trusted_root.json.",
  ]);
});

Deno.test("initializeTuf() refuses a trusted_root.json target that is not a trusted root", async () => {
  await using env = await served(new TextEncoder().encode('{"mediaType":"x"}'));
  await assert.rejects(
    initializeTuf({ cacheDir: env.cache, mirror: env.url, root: env.rootFile, http: NO_RETRY }),
    {
      message:
        /^Cannot use trusted_root\.json from the TUF mirror: .*unsupported TrustedRoot media type: x/,
    },
  );
});
