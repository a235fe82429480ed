/**
 * sget against artifacts the real Go cosign v2.6.4 pushed (`cosign upload blob -f`) and signed,
 * against what our `cosign upload blob` pushed, and the real entry point spawned with the
 * permissions of `deno task sget`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fakeIo } from "../../cli/_test_io.ts";
import type { Command } from "../../cli/command.ts";
import { uploadCommand } from "../../cli/commands/upload.ts";
import { run as runCli } from "../../cli/run.ts";
import { sgetCommand } from "../../cli/sget.ts";
import { startRegistry } from "../peers/registry.ts";
import { childEnv, OURS_RUN_FLAGS } from "../peers/run.ts";
import {
  describe,
  expectSuccess,
  FIXTURES,
  randomBlob,
  REPO_ROOT,
  run,
  type RunOptions,
} from "../interop/_run.ts";

const registry = await startRegistry({ mode: "http" });
const dir = await Deno.makeTempDir({ prefix: "sget-interop-" });
addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
globalThis.addEventListener("unload", () => void registry.stop());

const KEY = join(FIXTURES, "cosign-oci", "cosign.key");
const PUB = join(FIXTURES, "cosign-oci", "cosign.pub");
/** Loopback must bypass the harness's dead proxy: the registry is on 127.0.0.1. */
const opts: RunOptions = {
  cwd: dir,
  password: "",
  env: { NO_PROXY: "127.0.0.1,localhost", no_proxy: "127.0.0.1,localhost" },
};

let counter = 0;

/** Writes a random file; returns its path and bytes. */
async function blobFile(size: number): Promise<{ path: string; bytes: Uint8Array }> {
  const bytes = randomBlob(size);
  const path = join(dir, `blob-${++counter}`);
  await Deno.writeFile(path, bytes);
  return { path, bytes };
}

/** The `host/repo@sha256:…` line `cosign upload blob` prints on stdout. */
function uploadedDigestRef(stdout: string): string {
  const m = /^(\S+@sha256:[0-9a-f]{64})$/m.exec(stdout);
  assert.ok(m, `no digest reference in ${JSON.stringify(stdout)}`);
  return m[1];
}

async function sget(argv: string[]) {
  const io = fakeIo();
  const code = await runCli(sgetCommand, argv, io, { persistentFlags: [] });
  return { code, io };
}

Deno.test("sget fetches what Go's cosign upload blob pushed, by digest and (signed by Go) by tag", async () => {
  const file = await blobFile(1024 * 1024 + 17);
  const tagRef = `${registry.host}/interop/go-blob:v1`;
  const up = expectSuccess(
    await run("go", ["upload", "blob", "-f", file.path, tagRef], opts),
    "go upload",
  );
  const digestRef = uploadedDigestRef(up.stdout);
  const byDigest = await sget([digestRef]);
  assert.equal(byDigest.code, 0, byDigest.io.err());
  assert.deepEqual(byDigest.io.outBytes(), file.bytes);

  expectSuccess(
    await run("go", ["sign", "--key", KEY, "--tlog-upload=false", "--yes", digestRef], opts),
    "go sign",
  );
  const out = join(dir, "go-blob.out");
  const byTag = await sget(["--key", PUB, "-o", out, tagRef]);
  assert.equal(byTag.code, 0, byTag.io.err());
  assert.equal(byTag.io.out(), "");
  assert.deepEqual(await Deno.readFile(out), file.bytes);
  assert.match(byTag.io.err(), /The signatures were verified against the specified public key/);
});

Deno.test("sget fetches what our cosign upload blob pushed", async () => {
  const file = await blobFile(200_000);
  const tagRef = `${registry.host}/interop/our-blob:v1`;
  const root: Command = { name: "cosign", short: "", subcommands: [uploadCommand] };
  const io = fakeIo();
  const code = await runCli(root, ["upload", "blob", "-f", file.path, tagRef], io, {
    normalize: true,
  });
  assert.equal(code, 0, io.err());
  const byDigest = await sget([uploadedDigestRef(io.out())]);
  assert.equal(byDigest.code, 0, byDigest.io.err());
  assert.deepEqual(byDigest.io.outBytes(), file.bytes);
  // And Go verifies the signature we then make over it; sget accepts it by tag.
  expectSuccess(
    await run("ours", [
      "sign",
      "--key",
      KEY,
      "--tlog-upload=false",
      "--yes",
      uploadedDigestRef(io.out()),
    ], opts),
    "ours sign",
  );
  const byTag = await sget(["--key", PUB, tagRef]);
  assert.equal(byTag.code, 0, byTag.io.err());
  assert.deepEqual(byTag.io.outBytes(), file.bytes);
});

/** Runs `deno run <deno task sget permissions> cli/sget.ts …` as a user would. */
async function spawnSget(args: string[]) {
  const env = await childEnv(opts);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
      "--allow-sys",
      ...OURS_RUN_FLAGS,
      join(REPO_ROOT, "cli", "sget.ts"),
      ...args,
    ],
    cwd: dir,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("the sget entry point, spawned with deno task sget's permissions", async () => {
  const file = await blobFile(3 * 1024 * 1024 + 1);
  const tagRef = `${registry.host}/interop/spawned:v1`;
  const up = expectSuccess(
    await run("go", ["upload", "blob", "-f", file.path, tagRef], opts),
    "go upload",
  );
  const digestRef = uploadedDigestRef(up.stdout);

  const toStdout = await spawnSget([digestRef]);
  assert.equal(toStdout.code, 0, toStdout.stderr);
  assert.deepEqual(toStdout.stdout, file.bytes);
  assert.equal(toStdout.stderr, "");

  const byTag = await spawnSget(["-o", "spawned.out", tagRef]);
  assert.equal(byTag.code, 1);
  assert.equal(
    byTag.stderr,
    "error: cannot fetch by tag without a key: public key must be specified when fetching by tag, " +
      "you must fetch by digest or supply a public key\n",
  );
  assert.equal(byTag.stdout.length, 0);
  await assert.rejects(Deno.stat(join(dir, "spawned.out")), Deno.errors.NotFound);

  const unsigned = await spawnSget(["--key", PUB, "-o", "spawned.out", tagRef]);
  assert.equal(unsigned.code, 10, unsigned.stderr);
  assert.match(unsigned.stderr, /^error: no signatures found$/m);
  await assert.rejects(Deno.stat(join(dir, "spawned.out")), Deno.errors.NotFound);

  const go = expectSuccess(
    await run("go", ["sign", "--key", KEY, "--tlog-upload=false", "--yes", digestRef], opts),
    "go sign",
  );
  const signed = await spawnSget(["--key", PUB, "-o", "spawned.out", tagRef]);
  assert.equal(signed.code, 0, `${signed.stderr}\n${describe(go)}`);
  assert.deepEqual(await Deno.readFile(join(dir, "spawned.out")), file.bytes);
});
