/**
 * `sget` against a real registry (Debian's distribution 2.8), in-process through `run()`: by digest,
 * by tag with and without a key (signatures made by our `cosign sign`), the exit codes 10/11/12,
 * artifacts that are not single-layer, and a fault proxy that corrupts, truncates or fails blob
 * downloads. Whatever fails leaves no output file (an existing one intact) and nothing on stdout.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cosign, fakeIo, type FakeIoOptions } from "../../cli/_test_io.ts";
import { run } from "../../cli/run.ts";
import { sgetCommand } from "../../cli/sget.ts";
import { createRegistry } from "../../lib/registry/client.ts";
import { OCI_CONFIG, OCI_INDEX, OCI_MANIFEST } from "../../lib/registry/media_types.ts";
import type { Repository } from "../../lib/registry/types.ts";
import { startFaultProxy } from "../peers/fault_proxy.ts";
import { startRegistry } from "../peers/registry.ts";
import { FIXTURES, randomBlob } from "../interop/_run.ts";

const registry = await startRegistry({ mode: "http" });
const proxy = startFaultProxy(`http://${registry.host}`);
const client = createRegistry({});
const dir = await Deno.makeTempDir({ prefix: "sget-test-" });
addEventListener("unload", () => {
  client.close();
  Deno.removeSync(dir, { recursive: true });
});
globalThis.addEventListener("unload", () => {
  void proxy.stop();
  void registry.stop();
});

const KEY = join(FIXTURES, "cosign-oci", "cosign.key");
const PUB = join(FIXTURES, "cosign-oci", "cosign.pub");
/** A key that signed nothing here. */
const OTHER_PUB = join(FIXTURES, "attest", "cosign.pub");
const TAG_NEEDS_KEY =
  "public key must be specified when fetching by tag, you must fetch by digest or supply a public key";
const enc = new TextEncoder();

let counter = 0;

interface Artifact {
  repo: Repository;
  /** `host/repo@digest` */
  byDigest: string;
  /** `host/repo:tag` */
  byTag: string;
  digest: string;
  layerDigest: string;
  content: Uint8Array;
}

/** Pushes a single-layer artifact as `cosign upload blob` does (OCI manifest, text/plain layer). */
async function pushArtifact(
  content: Uint8Array,
  options: { layers?: Uint8Array[]; host?: string } = {},
): Promise<Artifact> {
  const tag = `t${++counter}`;
  const repo = { registry: registry.host, repository: `sget/art${counter}` };
  const c = await client.putBlob(repo, enc.encode('{"architecture":"","os":""}'));
  const layers = [];
  for (const l of options.layers ?? [content]) {
    const d = await client.putBlob(repo, l);
    layers.push({ mediaType: "text/plain", size: d.size, digest: d.digest });
  }
  const bytes = enc.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, size: c.size, digest: c.digest },
    layers,
  }));
  const digest = await client.putManifest(repo, tag, bytes, OCI_MANIFEST);
  const host = options.host ?? registry.host;
  return {
    repo,
    byDigest: `${host}/${repo.repository}@${digest}`,
    byTag: `${host}/${repo.repository}:${tag}`,
    digest,
    layerDigest: layers[0]?.digest,
    content,
  };
}

async function sget(argv: string[], options: FakeIoOptions & { stderrIsTerminal?: boolean } = {}) {
  const io = fakeIo(options);
  if (options.stderrIsTerminal) io.isTerminal = { ...io.isTerminal, stderr: true };
  const code = await run(sgetCommand, argv, io, { persistentFlags: [] });
  return { code, io };
}

async function listDir(path: string): Promise<string[]> {
  const names = [];
  for await (const e of Deno.readDir(path)) names.push(e.name);
  return names.sort();
}

/** A fresh, empty folder for output files. */
async function outDir(): Promise<string> {
  return await Deno.makeTempDir({ dir, prefix: "out-" });
}

async function signWithOurs(image: string): Promise<void> {
  const { code, io } = await cosign(
    ["sign", "--key", KEY, "--tlog-upload=false", "--yes", image],
    { env: { COSIGN_PASSWORD: "" } },
  );
  assert.equal(code, 0, io.err());
}

Deno.test("sget by digest writes the artifact's exact bytes to stdout", async () => {
  const a = await pushArtifact(randomBlob(2 * 1024 * 1024 + 3));
  const { code, io } = await sget([a.byDigest]);
  assert.equal(code, 0, io.err());
  assert.deepEqual(io.outBytes(), a.content);
  assert.equal(io.err(), "");
});

Deno.test("sget -o writes the file and leaves no temporary file", async () => {
  const a = await pushArtifact(randomBlob(100_000));
  const out = await outDir();
  for (const flag of ["-o", "--output"]) {
    const { code, io } = await sget([flag, join(out, "artifact"), a.byDigest]);
    assert.equal(code, 0, io.err());
    assert.equal(io.out(), "");
    assert.deepEqual(await Deno.readFile(join(out, "artifact")), a.content);
    assert.deepEqual(await listDir(out), ["artifact"]);
  }
});

Deno.test("sget by tag without a key fails with Go sget's message and writes nothing", async () => {
  const a = await pushArtifact(enc.encode("by tag"));
  const out = await outDir();
  const { code, io } = await sget(["-o", join(out, "artifact"), a.byTag]);
  assert.equal(code, 1);
  assert.equal(io.err(), `error: cannot fetch by tag without a key: ${TAG_NEEDS_KEY}\n`);
  assert.equal(io.out(), "");
  assert.deepEqual(await listDir(out), []);
  // A reference without tag or digest means :latest, which is a tag too.
  const bare = await sget([`${registry.host}/${a.repo.repository}`]);
  assert.equal(bare.code, 1);
  assert.equal(bare.io.err(), `error: cannot fetch by tag without a key: ${TAG_NEEDS_KEY}\n`);
});

Deno.test("sget --key verifies the signature, prints the verification on stderr only", async () => {
  const a = await pushArtifact(randomBlob(50_000));
  await signWithOurs(a.byDigest);
  const { code, io } = await sget(["--key", PUB, a.byTag]);
  assert.equal(code, 0, io.err());
  assert.deepEqual(io.outBytes(), a.content);
  const payload = JSON.stringify({
    critical: {
      identity: { "docker-reference": `${registry.host}/${a.repo.repository}` },
      image: { "docker-manifest-digest": a.digest },
      type: "cosign container image signature",
    },
    optional: null,
  });
  assert.equal(
    io.err(),
    "WARNING: Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the signature.\n" +
      `\nVerification for ${a.byTag} --\n` +
      "The following checks were performed on each of these signatures:\n" +
      "  - The cosign claims were validated\n" +
      "  - The signatures were verified against the specified public key\n" +
      `${payload}\n`,
  );
  // By digest with a key verifies too.
  const byDigest = await sget(["--key", PUB, a.byDigest]);
  assert.equal(byDigest.code, 0, byDigest.io.err());
  assert.deepEqual(byDigest.io.outBytes(), a.content);
});

Deno.test("sget --key exits 12 for another key, 10 when unsigned, 11 for a missing tag", async () => {
  const signed = await pushArtifact(enc.encode(`signed ${crypto.randomUUID()}`));
  await signWithOurs(signed.byDigest);
  const unsigned = await pushArtifact(enc.encode(`unsigned ${crypto.randomUUID()}`));
  const cases = [
    { key: OTHER_PUB, ref: signed.byTag, code: 12, err: /^error: no matching signatures: / },
    { key: PUB, ref: unsigned.byTag, code: 10, err: /^error: no signatures found\n$/ },
    { key: PUB, ref: unsigned.byDigest, code: 10, err: /^error: no signatures found\n$/ },
    {
      key: PUB,
      ref: `${registry.host}/${unsigned.repo.repository}:missing`,
      code: 11,
      err: /^error: cannot fetch .*:missing: image tag not found\n$/,
    },
  ];
  for (const c of cases) {
    const out = await outDir();
    const { code, io } = await sget(["--key", c.key, "-o", join(out, "artifact"), c.ref]);
    assert.equal(code, c.code, `${c.ref}: ${io.err()}`);
    const lines = io.err().split("\n").filter((l) => !l.startsWith("WARNING: "));
    assert.match(lines.join("\n"), c.err);
    assert.equal(io.out(), "");
    assert.deepEqual(await listDir(out), []);
    const toStdout = await sget(["--key", c.key, c.ref]);
    assert.equal(toStdout.code, c.code);
    assert.equal(toStdout.io.outBytes().length, 0);
  }
});

Deno.test("sget rejects a multi-layer image and an index", async () => {
  const multi = await pushArtifact(enc.encode("a"), {
    layers: [enc.encode("layer a"), enc.encode("layer b")],
  });
  const r1 = await sget([multi.byDigest]);
  assert.equal(r1.code, 1);
  assert.equal(
    r1.io.err(),
    `error: cannot fetch ${multi.byDigest}: invalid artifact: expected exactly one layer, found 2\n`,
  );
  assert.equal(r1.io.out(), "");

  const single = await pushArtifact(enc.encode("child"));
  const m = await client.getManifest(single.repo, single.digest);
  const index = enc.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [{
      mediaType: OCI_MANIFEST,
      digest: single.digest,
      size: m.bytes.length,
      platform: { architecture: "amd64", os: "linux" },
    }],
  }));
  const idx = await client.putManifest(single.repo, "index", index, OCI_INDEX);
  const r2 = await sget([`${registry.host}/${single.repo.repository}@${idx}`]);
  assert.equal(r2.code, 1);
  assert.match(r2.io.err(), /invalid artifact: an image index or unknown manifest type/);
  assert.equal(r2.io.out(), "");
});

Deno.test("sget through a fault proxy: a flipped byte or a truncated body writes nothing", async () => {
  const a = await pushArtifact(randomBlob(300_000), { host: proxy.host });
  const flipped = a.content.slice();
  flipped[123_456] ^= 0x01;
  const blobPath = new RegExp(`/blobs/${a.layerDigest}$`);
  const cases = [
    {
      name: "flipped byte",
      action: {
        status: 200,
        headers: { "content-type": "application/octet-stream" },
        body: flipped,
      },
      err: /^error: cannot fetch blob .*: digest mismatch: got sha256:[0-9a-f]{64}\n$/,
    },
    {
      name: "truncated",
      action: { kind: "truncate" as const },
      err: /^error: cannot reach http:\/\/.*\/blobs\/sha256:[0-9a-f]{64}: .+\n$/,
    },
    {
      name: "too long",
      action: { status: 200, body: new Uint8Array([...a.content, 0]) },
      err:
        /^error: cannot fetch blob .*: Content-Length 300001 does not match the declared size 300000\n$/,
    },
    {
      name: "endless",
      action: { kind: "endless" as const },
      err: /^error: cannot fetch blob .*: the content is longer than its declared size 300000\n$/,
    },
  ];
  for (const c of cases) {
    proxy.rules.length = 0;
    proxy.rules.push({ method: "GET", path: blobPath, action: c.action });
    const out = await outDir();
    await Deno.writeTextFile(join(out, "artifact"), "old content");
    const toFile = await sget(["-o", join(out, "artifact"), a.byDigest]);
    assert.equal(toFile.code, 1, c.name);
    assert.match(toFile.io.err(), c.err, c.name);
    assert.equal(await Deno.readTextFile(join(out, "artifact")), "old content", c.name);
    assert.deepEqual(await listDir(out), ["artifact"], c.name);
    const toStdout = await sget([a.byDigest]);
    assert.equal(toStdout.code, 1, c.name);
    assert.equal(toStdout.io.outBytes().length, 0, c.name);
  }
  proxy.rules.length = 0;
  const ok = await sget(["-o", join(dir, "after-faults"), a.byDigest]);
  assert.equal(ok.code, 0, ok.io.err());
  assert.deepEqual(await Deno.readFile(join(dir, "after-faults")), a.content);
});

Deno.test("sget retries 500s on the blob and then succeeds", async () => {
  const a = await pushArtifact(randomBlob(10_000), { host: proxy.host });
  proxy.rules.length = 0;
  proxy.rules.push({
    method: "GET",
    path: new RegExp(`/blobs/${a.layerDigest}$`),
    times: 2,
    action: { status: 500, body: "boom" },
  });
  const before = proxy.requests.length;
  const { code, io } = await sget([a.byDigest]);
  proxy.rules.length = 0;
  assert.equal(code, 0, io.err());
  assert.deepEqual(io.outBytes(), a.content);
  const blobGets = proxy.requests.slice(before).filter((r) => r.path.includes("/blobs/"));
  assert.deepEqual(blobGets.map((r) => r.fault && "status" in r.fault ? r.fault.status : 200), [
    500,
    500,
    200,
  ]);
});

Deno.test("sget shows a progress line on stderr only when stderr is a terminal", async () => {
  const a = await pushArtifact(randomBlob(1024 * 1024));
  const tty = await sget([a.byDigest], { stderrIsTerminal: true });
  assert.equal(tty.code, 0, tty.io.err());
  assert.deepEqual(tty.io.outBytes(), a.content);
  assert.match(tty.io.err(), /^(\r\d+\.\d \/ 1\.0 MiB \(\d+%\))+\n$/);
  assert.match(tty.io.err(), /\r1\.0 \/ 1\.0 MiB \(100%\)\n$/);
  const pipe = await sget([a.byDigest]);
  assert.equal(pipe.io.err(), "");
});

Deno.test("sget usage: one reference, a malformed one is a usage error", async () => {
  const none = await sget([]);
  assert.equal(none.code, 1);
  assert.equal(none.io.err(), "error: accepts 1 arg(s), received 0\n");
  const bad = await sget(["Not/Valid@sha256:zz"]);
  assert.equal(bad.code, 1);
  assert.equal(bad.io.out(), "");
  const version = await sget(["version"]);
  assert.equal(version.code, 0);
  assert.match(version.io.out(), /^GitVersion: +v\d+\.\d+\.\d+/);
});
