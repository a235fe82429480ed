import assert from "node:assert/strict";
import { sha256 } from "../digest.ts";
import { TufUpdater, type TufUpdaterOptions } from "./tuf_updater.ts";
import {
  generateTestKey,
  signMetadata,
  TestTufRepository,
} from "../../tests/helpers/tuf_repository.ts";

const TRUSTED_ROOT = await Deno.readFile(
  new URL("../../tests/fixtures/tuf/trusted_root.json", import.meta.url),
);
const TR_SHA = sha256(TRUSTED_ROOT).toHex();
const dec = new TextDecoder();

interface Env {
  repo: TestTufRepository;
  url: string;
  cache: string;
  updater(opts?: Partial<TufUpdaterOptions>): TufUpdater;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A served repository with trusted_root.json published, and an empty cache folder. */
async function setup(
  opts: Parameters<typeof TestTufRepository.create>[0] = {},
  publish = true,
): Promise<Env> {
  const repo = await TestTufRepository.create(opts);
  repo.targets.set("trusted_root.json", TRUSTED_ROOT);
  if (publish) await repo.publish();
  const url = repo.serve();
  const cache = await Deno.makeTempDir({ prefix: "tuf-cache-" });
  return {
    repo,
    url,
    cache,
    updater: (o = {}) =>
      new TufUpdater({
        metadataUrl: url,
        trustedRoot: repo.initialRoot,
        metadataDir: cache,
        http: { retry: { attempts: 1 } },
        ...o,
      }),
    async [Symbol.asyncDispose]() {
      await repo.close();
      await Deno.remove(cache, { recursive: true }).catch(() => {});
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

Deno.test("TufUpdater: a fresh client walks roots, timestamp, snapshot, targets and the target (consistent snapshots)", async () => {
  await using env = await setup();
  const u = env.updater();
  await u.refresh();
  assert.deepEqual(await u.getTarget("trusted_root.json"), TRUSTED_ROOT);
  assert.deepEqual(env.repo.requests, [
    "/2.root.json",
    "/timestamp.json",
    "/1.snapshot.json",
    "/1.targets.json",
    `/targets/${TR_SHA}.trusted_root.json`,
  ]);
  // go-tuf v2's cache layout: unversioned metadata names, targets/<url.PathEscape(name)>
  assert.deepEqual(await ls(env.cache), [
    "root.json",
    "snapshot.json",
    "targets.json",
    "targets/trusted_root.json",
    "timestamp.json",
  ]);
  assert.deepEqual(await Deno.readFile(`${env.cache}/root.json`), env.repo.initialRoot);
  assert.deepEqual(await Deno.readFile(`${env.cache}/timestamp.json`), env.repo.latest.timestamp);
  assert.equal((await Deno.stat(`${env.cache}/timestamp.json`)).mode! & 0o777, 0o644);
});

Deno.test("TufUpdater: a second refresh keeps the cached snapshot, targets and target", async () => {
  await using env = await setup();
  const first = env.updater();
  await first.refresh();
  await first.getTarget("trusted_root.json");
  env.repo.requests.length = 0;
  const again = env.updater();
  await again.refresh();
  assert.deepEqual(await again.getTarget("trusted_root.json"), TRUSTED_ROOT);
  assert.deepEqual(env.repo.requests, ["/2.root.json", "/timestamp.json"]);
  // a new timestamp and snapshot with unchanged targets: only those two are downloaded
  await env.repo.publishSnapshot();
  await env.repo.publishTimestamp();
  env.repo.requests.length = 0;
  const third = env.updater();
  await third.refresh();
  await third.getTarget("trusted_root.json");
  assert.deepEqual(env.repo.requests, ["/2.root.json", "/timestamp.json", "/2.snapshot.json"]);
});

Deno.test("TufUpdater: without consistent snapshots the unversioned names are fetched", async () => {
  await using env = await setup({ consistentSnapshot: false });
  const u = env.updater();
  await u.refresh();
  assert.deepEqual(await u.getTarget("trusted_root.json"), TRUSTED_ROOT);
  assert.deepEqual(env.repo.requests, [
    "/2.root.json",
    "/timestamp.json",
    "/snapshot.json",
    "/targets.json",
    "/targets/trusted_root.json",
  ]);
});

Deno.test("TufUpdater: root rotation 1 → 2 → 3 with new keys and thresholds", async () => {
  await using env = await setup({}, false);
  const [a, b, c, d] = await Promise.all([
    generateTestKey("ecdsa"),
    generateTestKey("ed25519"),
    generateTestKey("ecdsa"),
    generateTestKey("ed25519"),
  ]);
  // v2: three root keys, threshold 2 (signed by the v1 key and all three new ones)
  await env.repo.rotate({ root: { keys: [a, b, c], threshold: 2 } });
  // v3: one new root key and a new timestamp key; v2's threshold (2 of a, b, c) must sign too
  const v3 = await env.repo.rotate({
    root: { keys: [d], threshold: 1 },
    timestamp: { keys: [await generateTestKey("ecdsa")], threshold: 1 },
  });
  await env.repo.publish();
  const u = env.updater();
  await u.refresh();
  assert.equal(u.trusted?.root.version, 3);
  assert.deepEqual(await u.getTarget("trusted_root.json"), TRUSTED_ROOT);
  assert.deepEqual(env.repo.requests.slice(0, 4), [
    "/2.root.json",
    "/3.root.json",
    "/4.root.json",
    "/timestamp.json",
  ]);
  assert.deepEqual(await Deno.readFile(`${env.cache}/root.json`), v3);
});

Deno.test("TufUpdater: a rotated root must be signed by a threshold of the old keys and of the new keys", async () => {
  const cases: {
    name: string;
    make(repo: TestTufRepository): Promise<void>;
    code: string;
    message: string;
  }[] = [
    {
      name: "not signed by the old root keys",
      async make(repo) {
        repo.roles.root = { keys: [await generateTestKey()], threshold: 1 };
        await repo.publishRoot({ signers: repo.roles.root.keys });
      },
      code: "TUF_UNSIGNED",
      message:
        "Cannot verify root version 2 (by the keys of version 1) metadata: not enough signatures, got 0, want 1",
    },
    {
      name: "signed by the old keys only",
      async make(repo) {
        const old = repo.roles.root.keys;
        repo.roles.root = { keys: [await generateTestKey()], threshold: 1 };
        await repo.publishRoot({ signers: old });
      },
      code: "TUF_UNSIGNED",
      message: "Cannot verify root version 2 metadata: not enough signatures, got 0, want 1",
    },
    {
      name: "below the new threshold",
      async make(repo) {
        const old = repo.roles.root.keys;
        const [x, y] = [await generateTestKey(), await generateTestKey()];
        repo.roles.root = { keys: [x, y], threshold: 2 };
        await repo.publishRoot({ signers: [...old, x] });
      },
      code: "TUF_UNSIGNED",
      message: "Cannot verify root version 2 metadata: not enough signatures, got 1, want 2",
    },
    {
      name: "2.root.json holding version 3",
      async make(repo) {
        await repo.publishRoot({ version: 3 });
        await repo.write("2.root.json", repo.rootFiles.get(3)!);
        await repo.remove("3.root.json");
      },
      code: "TUF_VERSION_INVALID",
      message: "Cannot update root: expected version 2, got 3",
    },
  ];
  for (const c of cases) {
    await using env = await setup({}, false);
    await c.make(env.repo);
    await env.repo.publish();
    await assert.rejects(env.updater().refresh(), { code: c.code, message: c.message }, c.name);
    // the cache keeps the last trusted root
    assert.deepEqual(await Deno.readFile(`${env.cache}/root.json`), env.repo.initialRoot, c.name);
  }
});

Deno.test("TufUpdater: expired metadata is refused (freeze attacks)", async () => {
  const past = new Date(Date.now() - 3600_000);
  for (const role of ["root", "timestamp", "snapshot", "targets"] as const) {
    await using env = await setup({}, false);
    env.repo.expires[role] = past;
    if (role === "root") await env.repo.publishRoot();
    await env.repo.publish();
    const file = role === "root" ? "root.json version 2" : `${role}.json`;
    await assert.rejects(env.updater().refresh(), {
      name: "VerificationError",
      code: "TUF_EXPIRED",
      message: `Cannot trust ${file}: the metadata is expired (possible freeze attack)`,
    }, role);
  }
  // the injected clock decides
  await using env = await setup();
  const later = () => new Date(Date.now() + 30 * 86_400_000);
  await assert.rejects(env.updater({ now: later }).refresh(), { code: "TUF_EXPIRED" });
  await env.updater().refresh();
});

Deno.test("TufUpdater: a mirror replaying the same timestamp after it expired is a freeze", async () => {
  await using env = await setup();
  await env.updater().refresh();
  const inTwoWeeks = () => new Date(Date.now() + 14 * 86_400_000);
  // The repository renews root, snapshot and targets, but serves the old timestamp.
  env.repo.expires.root = env.repo.expires.snapshot = env.repo.expires.targets = new Date(
    Date.now() + 60 * 86_400_000,
  );
  await env.repo.publishRoot();
  await assert.rejects(env.updater({ now: inTwoWeeks }).refresh(), {
    code: "TUF_EXPIRED",
    message: "Cannot trust timestamp.json: the metadata is expired (possible freeze attack)",
  });
});

Deno.test("TufUpdater: rollbacks of timestamp, snapshot and targets versions are refused", async () => {
  const cases: {
    name: string;
    attack(repo: TestTufRepository, old: Record<string, Uint8Array>): Promise<void>;
    message: string;
  }[] = [
    {
      name: "older timestamp",
      async attack(repo, old) {
        await repo.write("timestamp.json", old.timestamp);
      },
      message:
        "Cannot update timestamp: version 1 is lower than the trusted 2 (possible rollback attack)",
    },
    {
      name: "new timestamp naming an older snapshot",
      async attack(repo) {
        await repo.publishTimestamp({
          mutate: {
            timestamp: (
              s,
            ) => ((s.meta as Record<string, { version: number }>)["snapshot.json"].version = 1),
          },
        });
      },
      message:
        "Cannot update timestamp: snapshot version 1 is lower than the trusted 2 (possible rollback attack)",
    },
    {
      name: "new snapshot naming an older targets",
      async attack(repo) {
        await repo.publishSnapshot({
          mutate: {
            snapshot: (
              s,
            ) => ((s.meta as Record<string, { version: number }>)["targets.json"].version = 1),
          },
        });
        await repo.publishTimestamp();
      },
      message:
        "Cannot update snapshot: targets.json version 1 is lower than the trusted 2 (possible rollback attack)",
    },
    {
      name: "new snapshot dropping a targets file",
      async attack(repo) {
        await repo.publishSnapshot({
          mutate: { snapshot: (s) => (s.meta = { "other.json": { version: 1 } }) },
        });
        await repo.publishTimestamp();
      },
      message: "Cannot update snapshot: the new snapshot has no entry for targets.json",
    },
    {
      name: "snapshot whose version is not the timestamp's",
      async attack(repo) {
        await repo.publishSnapshot();
        await repo.publishTimestamp({
          mutate: {
            timestamp: (s) => {
              const m = (s.meta as Record<string, Record<string, unknown>>)["snapshot.json"];
              m.version = 4;
            },
          },
        });
        await repo.write("4.snapshot.json", repo.latest.snapshot!);
      },
      message:
        "Cannot trust snapshot.json: version 3, but the timestamp names version 4 (possible rollback attack)",
    },
    {
      name: "targets whose version is not the snapshot's",
      async attack(repo, old) {
        await repo.publishSnapshot({
          mutate: {
            snapshot: (
              s,
            ) => ((s.meta as Record<string, { version: number }>)["targets.json"].version = 3),
          },
        });
        await repo.publishTimestamp();
        await repo.write("3.targets.json", old.targets);
      },
      message:
        "Cannot trust targets.json: version 1, but the snapshot names version 3 (possible rollback attack)",
    },
  ];
  for (const c of cases) {
    await using env = await setup();
    const old = { ...env.repo.latest } as Record<string, Uint8Array>;
    await env.repo.publish(); // versions 2: the client trusts them after this refresh
    await env.updater().refresh();
    await c.attack(env.repo, old);
    await assert.rejects(env.updater().refresh(), {
      name: "VerificationError",
      code: "TUF_VERSION_INVALID",
      message: c.message,
    }, c.name);
  }
});

Deno.test("TufUpdater: metadata must match the hashes and length its parent states", async () => {
  {
    await using env = await setup();
    // snapshot bytes changed after the timestamp was signed: same length, other hash
    const snap = env.repo.latest.snapshot!;
    await env.repo.write("1.snapshot.json", snap.map((b, i) => (i === snap.length - 1 ? 0x20 : b)));
    await assert.rejects(env.updater().refresh(), {
      code: "TUF_LENGTH_OR_HASH_MISMATCH",
      message: "Cannot verify snapshot.json: sha256 hash mismatch",
    });
    // and longer than the timestamp says: the download stops at the stated length
    await env.repo.write(
      "1.snapshot.json",
      await signMetadata(
        { ...JSON.parse(dec.decode(snap)).signed, extra: 1 },
        env.repo.roles.snapshot.keys,
      ),
    );
    await assert.rejects(env.updater().refresh(), {
      code: "TUF_LENGTH_OR_HASH_MISMATCH",
      message: `Cannot fetch 1.snapshot.json: larger than ${snap.length} bytes`,
    });
  }
  {
    await using env = await setup({}, false);
    await env.repo.publishTargets();
    await env.repo.publishSnapshot({
      mutate: {
        snapshot: (s) => {
          (s.meta as Record<string, unknown>)["targets.json"] = {
            version: 1,
            hashes: { sha256: "00".repeat(32) },
          };
        },
      },
    });
    await env.repo.publishTimestamp();
    await assert.rejects(env.updater().refresh(), {
      code: "TUF_LENGTH_OR_HASH_MISMATCH",
      message: "Cannot verify targets.json: sha256 hash mismatch",
    });
  }
});

Deno.test("TufUpdater: downloads are bounded by go-tuf's limits", async () => {
  await using env = await setup();
  await env.repo.write("timestamp.json", new Uint8Array(16_385).fill(0x20));
  await assert.rejects(env.updater().refresh(), {
    name: "VerificationError",
    code: "TUF_LENGTH_OR_HASH_MISMATCH",
    message: "Cannot fetch timestamp.json: larger than 16384 bytes",
  });
  await env.repo.write("2.root.json", new Uint8Array(512_001).fill(0x20));
  await assert.rejects(env.updater().refresh(), {
    message: "Cannot fetch 2.root.json: larger than 512000 bytes",
  });
});

Deno.test("TufUpdater: a target that does not match its length and hashes is refused and not cached", async () => {
  const cases: [string, Uint8Array, RegExp][] = [
    [
      "changed byte",
      TRUSTED_ROOT.map((b, i) => (i === 10 ? b ^ 1 : b)),
      /^Cannot verify target trusted_root\.json: sha256 hash mismatch$/,
    ],
    [
      "truncated",
      TRUSTED_ROOT.subarray(1),
      /^Cannot verify target trusted_root\.json: length \d+, expected \d+$/,
    ],
    [
      "longer",
      new Uint8Array([...TRUSTED_ROOT, 0x0a]),
      /^Cannot fetch target trusted_root\.json: larger than \d+ bytes$/,
    ],
  ];
  for (const [name, bytes, message] of cases) {
    await using env = await setup();
    await env.repo.write(`targets/${TR_SHA}.trusted_root.json`, bytes);
    const u = env.updater();
    await u.refresh();
    await assert.rejects(u.getTarget("trusted_root.json"), {
      code: "TUF_LENGTH_OR_HASH_MISMATCH",
      message,
    }, name);
    await assert.rejects(Deno.stat(`${env.cache}/targets/trusted_root.json`), Deno.errors.NotFound);
  }
  // a damaged cached copy is ignored and downloaded again
  await using env = await setup();
  const u = env.updater();
  await u.refresh();
  await u.getTarget("trusted_root.json");
  await Deno.writeFile(`${env.cache}/targets/trusted_root.json`, new TextEncoder().encode("{}"));
  env.repo.requests.length = 0;
  assert.deepEqual(await u.getTarget("trusted_root.json"), TRUSTED_ROOT);
  assert.deepEqual(env.repo.requests, [`/targets/${TR_SHA}.trusted_root.json`]);
});

Deno.test("TufUpdater: unsafe and unknown target names are refused before any download", async () => {
  await using env = await setup();
  env.repo.targets.set("a/../../escape.json", new TextEncoder().encode("x"));
  await env.repo.publishTargets({
    mutate: {
      targets: (s) => {
        const t = s.targets as Record<string, unknown>;
        t["../../escape.json"] = t["a/../../escape.json"];
      },
    },
  }).catch(() => {});
  const u = env.updater();
  await u.refresh();
  for (
    const name of ["../../escape.json", "a/../../escape.json", "/etc/passwd", "a\\b", "a//b", "./x"]
  ) {
    env.repo.requests.length = 0;
    await assert.rejects(u.getTarget(name), { code: "TUF_TARGET_PATH_INVALID" }, name);
    assert.deepEqual(env.repo.requests, [], name);
  }
  await assert.rejects(u.getTarget("nope.json"), {
    name: "VerificationError",
    code: "TUF_TARGET_NOT_FOUND",
    message: "Cannot find target nope.json",
  });
});

Deno.test("TufUpdater: new timestamp keys recover from a fast-forward attack (§5.3.11)", async () => {
  await using env = await setup();
  await env.updater().refresh();
  // An attacker holding the timestamp key pushes version 1000 to the client.
  await env.repo.publishTimestamp({ mutate: { timestamp: (s) => (s.version = 1000) } });
  await env.updater().refresh();
  // Going on from version 3 with the same key is now refused as a rollback...
  env.repo.version.timestamp = 2;
  await env.repo.publishTimestamp();
  await assert.rejects(env.updater().refresh(), { code: "TUF_VERSION_INVALID" });
  // ...so the repository rotates the timestamp key and goes on from version 3.
  env.repo.version.timestamp = 2;
  await env.repo.rotate({ timestamp: { keys: [await generateTestKey()], threshold: 1 } });
  await env.repo.publishTimestamp();
  const u = env.updater();
  await u.refresh();
  assert.equal(u.trusted?.timestamp?.signed.version, 3);
});

Deno.test("TufUpdater: delegated targets roles are searched (paths, terminating)", async () => {
  await using env = await setup({}, false);
  const dk = await generateTestKey("ed25519");
  const file = new TextEncoder().encode("delegated\n");
  env.repo.targetsExtra = {
    delegations: {
      keys: { [dk.id]: dk.json },
      roles: [
        { name: "other", keyids: [dk.id], threshold: 1, terminating: false, paths: ["x/*"] },
        { name: "team/a", keyids: [dk.id], threshold: 1, terminating: true, paths: ["deleg/*"] },
      ],
    },
  };
  const delegated = await signMetadata({
    _type: "targets",
    spec_version: "1.0.31",
    version: 1,
    expires: new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, "Z"),
    targets: {
      "deleg/file.txt": { length: file.length, hashes: { sha256: sha256(file).toHex() } },
    },
  }, [dk]);
  // a static file server decodes %2F: the file lives in a folder
  await Deno.mkdir(`${env.repo.dir}/1.team`);
  await env.repo.write("1.team/a.json", delegated);
  await Deno.mkdir(`${env.repo.dir}/targets/deleg`, { recursive: true });
  await env.repo.write(`targets/deleg/${sha256(file).toHex()}.file.txt`, file);
  await env.repo.publishTargets();
  await env.repo.publishSnapshot({
    extraMeta: { "team/a.json": { version: 1 }, "other.json": { version: 1 } },
  });
  await env.repo.publishTimestamp();
  const u = env.updater();
  await u.refresh();
  env.repo.requests.length = 0;
  assert.deepEqual(await u.getTarget("deleg/file.txt"), file);
  assert.deepEqual(env.repo.requests, [
    "/1.team%2Fa.json",
    `/targets/deleg/${sha256(file).toHex()}.file.txt`,
  ]);
  assert.deepEqual(await ls(env.cache), [
    "root.json",
    "snapshot.json",
    "targets.json",
    "targets/deleg%2Ffile.txt",
    "team%2Fa.json",
    "timestamp.json",
  ]);
  // a name no delegation covers is not found, without fetching "other"
  await assert.rejects(u.getTarget("y/z"), { code: "TUF_TARGET_NOT_FOUND" });
});

Deno.test("TufUpdater.refreshFromCache() uses only the cache and says what is missing", async () => {
  await using env = await setup();
  await assert.rejects(env.updater().refreshFromCache(), {
    name: "IoError",
    code: "TUF_CACHE_MISSING",
    message: `Cannot use the TUF cache: timestamp.json is not in ${env.cache}`,
  });
  const online = env.updater();
  await online.refresh();
  await online.getTarget("trusted_root.json");
  env.repo.requests.length = 0;
  const u = env.updater();
  await u.refreshFromCache();
  assert.deepEqual(await u.getTarget("trusted_root.json"), TRUSTED_ROOT);
  assert.deepEqual(env.repo.requests, []);
  await assert.rejects(
    env.updater({ now: () => new Date(Date.now() + 30 * 86_400_000) }).refreshFromCache(),
    { code: "TUF_EXPIRED" },
  );
});

Deno.test("TufUpdater: a file: mirror works for air-gapped use (a missing root version ends the walk)", async () => {
  await using env = await setup();
  const u = env.updater({ metadataUrl: `file://${env.repo.dir}` });
  await u.refresh();
  assert.deepEqual(await u.getTarget("trusted_root.json"), TRUSTED_ROOT);
  assert.deepEqual(env.repo.requests, []);
  await Deno.remove(`${env.repo.dir}/timestamp.json`);
  await assert.rejects(env.updater({ metadataUrl: `file://${env.repo.dir}` }).refresh(), {
    name: "IoError",
    code: "NETWORK",
    message: new RegExp(
      `^Cannot fetch timestamp\\.json: file://${env.repo.dir}/timestamp\\.json: `,
    ),
  });
});
