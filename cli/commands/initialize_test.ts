import assert from "node:assert/strict";
import { cosign } from "../_test_io.ts";
import { digestSync } from "../../lib/digest.ts";
import { urlToPath } from "../../lib/tuf/tuf_cache.ts";
import { TestTufRepository } from "../../tests/helpers/tuf_repository.ts";

const TRUSTED_ROOT = await Deno.readFile(
  new URL("../../tests/fixtures/tuf/trusted_root.json", import.meta.url),
);

async function served() {
  const repo = await TestTufRepository.create();
  repo.targets.set("trusted_root.json", TRUSTED_ROOT);
  await repo.publish();
  const url = repo.serve();
  const tufRoot = await Deno.makeTempDir({ prefix: "tuf-root-" });
  const rootFile = `${tufRoot}.root.json`;
  await Deno.writeFile(rootFile, repo.initialRoot);
  return {
    repo,
    url,
    tufRoot,
    rootFile,
    async [Symbol.asyncDispose]() {
      await repo.close();
      await Deno.remove(tufRoot, { recursive: true }).catch(() => {});
      await Deno.remove(rootFile).catch(() => {});
    },
  };
}

Deno.test("cosign initialize --mirror --root prints nothing and fills $TUF_ROOT", async () => {
  await using env = await served();
  const { code, io } = await cosign(["initialize", "--mirror", env.url, "--root", env.rootFile], {
    env: { TUF_ROOT: env.tufRoot },
  });
  assert.equal(io.err(), "");
  assert.equal(io.out(), "");
  assert.equal(code, 0);
  assert.equal(await Deno.readTextFile(`${env.tufRoot}/remote.json`), `{"mirror":"${env.url}"}`);
  assert.deepEqual(
    await Deno.readFile(`${env.tufRoot}/${urlToPath(env.url)}/targets/trusted_root.json`),
    TRUSTED_ROOT,
  );
});

Deno.test("cosign initialize without TUF_ROOT uses $HOME/.sigstore/root; COSIGN_MIRROR binds --mirror", async () => {
  await using env = await served();
  const { code, io } = await cosign(["initialize", "--root", env.rootFile], {
    env: { HOME: env.tufRoot, COSIGN_MIRROR: env.url },
  });
  assert.equal(io.err(), "");
  assert.equal(code, 0);
  assert.equal(
    await Deno.readTextFile(`${env.tufRoot}/.sigstore/root/remote.json`),
    `{"mirror":"${env.url}"}`,
  );
});

Deno.test("cosign initialize --root <url> warns without --root-checksum, as cosign", async () => {
  await using env = await served();
  const rootUrl = `${env.url}/1.root.json`;
  const sum = digestSync("sha256", env.repo.initialRoot).toHex();
  let r = await cosign(["initialize", "--mirror", env.url, "--root", rootUrl], {
    env: { TUF_ROOT: env.tufRoot },
  });
  assert.equal(
    r.io.err(),
    "WARNING: Fetching initial root from URL without providing its checksum is deprecated and will be disallowed in a future Cosign release. Please provide the initial root checksum via the --root-checksum argument.\n",
  );
  assert.equal(r.code, 0);
  r = await cosign(
    ["initialize", "--mirror", env.url, "--root", rootUrl, "--root-checksum", sum],
    { env: { TUF_ROOT: env.tufRoot } },
  );
  assert.equal(r.io.err(), "");
  assert.equal(r.code, 0);
});

Deno.test("cosign initialize: bad input is one error line and exit code 1", async () => {
  await using env = await served();
  const sum = digestSync("sha256", env.repo.initialRoot).toHex();
  const wrong = "ab".repeat(32);
  const cases: [string[], string][] = [
    [
      ["--root", env.rootFile, "--root-checksum", wrong],
      `error: incorrect checksum for file ${env.rootFile}: expected ${wrong} but got ${sum}\n`,
    ],
    [
      ["--root", env.rootFile, "--root-checksum", "sha1:00"],
      "error: unsupported checksum algorithm: sha1\n",
    ],
    [
      ["--root", `${env.tufRoot}/none.json`],
      `error: cannot read root ${env.tufRoot}/none.json: no such file or directory\n`,
    ],
  ];
  for (const [args, err] of cases) {
    const { code, io } = await cosign(["initialize", "--mirror", env.url, ...args], {
      env: { TUF_ROOT: `${env.tufRoot}/x` },
    });
    assert.equal(io.err(), err, args.join(" "));
    assert.equal(code, 1, args.join(" "));
    assert.equal(io.out(), "");
  }
  // a TUF failure: the repository's timestamp expired
  env.repo.expires.timestamp = new Date(Date.now() - 1000);
  await env.repo.publishTimestamp();
  const { code, io } = await cosign(
    ["initialize", "--mirror", env.url, "--root", env.rootFile],
    { env: { TUF_ROOT: env.tufRoot } },
  );
  assert.equal(
    io.err(),
    "error: cannot trust timestamp.json: the metadata is expired (possible freeze attack)\n",
  );
  assert.equal(code, 1);
  const extra = await cosign(["initialize", "extra"], { env: { TUF_ROOT: env.tufRoot } });
  assert.equal(extra.code, 1); // usage errors exit 1, as in Go
  assert.equal(extra.io.err(), 'error: unknown command "extra" for "cosign initialize"\n');
});

Deno.test("cosign initialize --help shows examples and cosign's flags", async () => {
  const { code, io } = await cosign(["initialize", "--help"]);
  assert.equal(code, 0);
  const out = io.out();
  assert.match(out, /^Initializes SigStore root to retrieve trusted certificate and key targets/);
  assert.match(out, /Examples:\n {2}# initialize root with distributed root keys/);
  assert.match(out, /cosign initialize --mirror <url> --root <url> --root-checksum <sha256>/);
  assert.match(
    out,
    /--mirror string +GCS bucket to a SigStore TUF repository.*\(default "https:\/\/tuf-repo-cdn\.sigstore\.dev"\)/,
  );
  assert.match(out, /--root string +path to trusted initial root\. defaults to embedded root/);
  assert.match(out, /--root-checksum string +checksum of the initial root/);
});
