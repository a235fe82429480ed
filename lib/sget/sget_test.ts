import assert from "node:assert/strict";
import { sget } from "./sget.ts";
import { RegistryError, SigstoreError } from "../errors.ts";
import { concatBytes } from "../stream.ts";
import { MemoryRegistry } from "../registry/memory_registry.ts";
import { OCI_CONFIG, OCI_INDEX, OCI_MANIFEST } from "../registry/media_types.ts";
import type { Reference, Registry, Repository } from "../registry/types.ts";

const repo: Repository = { registry: "reg.test", repository: "art" };
const enc = new TextEncoder();

async function pushArtifact(
  reg: Registry,
  content: Uint8Array,
  options: { tag?: string; layers?: Uint8Array[]; size?: unknown } = {},
): Promise<Reference> {
  const c = await reg.putBlob(repo, enc.encode("{}"));
  const layers = [];
  for (const l of options.layers ?? [content]) {
    const d = await reg.putBlob(repo, l);
    layers.push({ mediaType: "text/plain", digest: d.digest, size: options.size ?? d.size });
  }
  const bytes = enc.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, ...c },
    layers,
  }));
  const digest = await reg.putManifest(repo, options.tag ?? "v1", bytes, OCI_MANIFEST);
  return { ...repo, digest };
}

function sink() {
  const chunks: Uint8Array[] = [];
  return {
    chunks,
    write(p: Uint8Array) {
      chunks.push(p.slice());
      return Promise.resolve(p.length);
    },
    bytes: () => concatBytes(chunks),
  };
}

async function listDir(dir: string): Promise<string[]> {
  const names = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

Deno.test("sget() writes an artifact fetched by digest to stdout", async () => {
  const reg = new MemoryRegistry();
  const content = new Uint8Array(3 * 1024 * 1024 + 7);
  for (let i = 0; i < content.length; i += 65536) {
    crypto.getRandomValues(content.subarray(i, i + 65536));
  }
  const ref = await pushArtifact(reg, content);
  const out = sink();
  const seen: number[] = [];
  const result = await sget({
    registry: reg,
    ref,
    output: { stdout: out },
    onProgress: (n, total) => {
      assert.equal(total, content.length);
      seen.push(n);
    },
  });
  assert.deepEqual(out.bytes(), content);
  assert.equal(result.size, content.length);
  assert.equal(seen.at(-1), content.length);
});

Deno.test("sget() refuses a tag without a key, before any registry request", async () => {
  let calls = 0;
  const reg = new MemoryRegistry({ hook: () => void calls++ });
  await assert.rejects(
    sget({ registry: reg, ref: { ...repo, tag: "v1" }, output: { stdout: sink() } }),
    (e) =>
      e instanceof SigstoreError && e.code === "KEY_NOT_FOUND" &&
      e.message.endsWith(
        "public key must be specified when fetching by tag, you must fetch by digest or supply a public key",
      ),
  );
  assert.equal(calls, 0);
});

Deno.test("sget() verifies the tag's digest before fetching, and pins it", async () => {
  const reg = new MemoryRegistry();
  const ref = await pushArtifact(reg, enc.encode("hello"));
  const pinnedSeen: Reference[] = [];
  const out = sink();
  await sget({
    registry: reg,
    ref: { ...repo, tag: "v1" },
    output: { stdout: out },
    verify: (pinned) => {
      pinnedSeen.push(pinned);
      return Promise.resolve();
    },
  });
  assert.deepEqual(pinnedSeen, [{ ...repo, tag: "v1", digest: ref.digest }]);
  assert.equal(new TextDecoder().decode(out.bytes()), "hello");
});

Deno.test("sget() writes nothing when verification fails", async () => {
  const reg = new MemoryRegistry();
  await pushArtifact(reg, enc.encode("hello"));
  const out = sink();
  await assert.rejects(
    sget({
      registry: reg,
      ref: { ...repo, tag: "v1" },
      output: { stdout: out },
      verify: () => Promise.reject(new SigstoreError("NO_MATCHING_SIGNATURE", "no")),
    }),
    (e) => e instanceof SigstoreError && e.code === "NO_MATCHING_SIGNATURE",
  );
  assert.equal(out.chunks.length, 0);
});

Deno.test("sget() rejects what is not a single-layer artifact", async (t) => {
  const cases: { name: string; push: (reg: MemoryRegistry) => Promise<Reference>; msg: RegExp }[] =
    [
      {
        name: "two layers",
        push: (reg) =>
          pushArtifact(reg, enc.encode("a"), { layers: [enc.encode("a"), enc.encode("b")] }),
        msg: /invalid artifact: expected exactly one layer, found 2$/,
      },
      {
        name: "no layers",
        push: (reg) => pushArtifact(reg, enc.encode("a"), { layers: [] }),
        msg: /invalid artifact: expected exactly one layer, found 0$/,
      },
      {
        name: "an index",
        push: async (reg) => {
          const img = await pushArtifact(reg, enc.encode("a"));
          const m = await reg.getManifest(repo, img.digest!);
          const bytes = enc.encode(JSON.stringify({
            schemaVersion: 2,
            mediaType: OCI_INDEX,
            manifests: [{ mediaType: OCI_MANIFEST, digest: img.digest, size: m.bytes.length }],
          }));
          return { ...repo, digest: await reg.putManifest(repo, "idx", bytes, OCI_INDEX) };
        },
        msg: /invalid artifact: an image index or unknown manifest type/,
      },
      {
        name: "a size that is not a number",
        push: (reg) => pushArtifact(reg, enc.encode("a"), { size: "1" }),
        msg: /invalid artifact: the layer has no valid size$/,
      },
    ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const reg = new MemoryRegistry();
      const ref = await c.push(reg);
      const out = sink();
      await assert.rejects(
        sget({ registry: reg, ref, output: { stdout: out } }),
        (e) => e instanceof SigstoreError && e.code === "UNSUPPORTED" && c.msg.test(e.message),
      );
      assert.equal(out.chunks.length, 0);
    });
  }
});

Deno.test("sget() refuses a blob whose size disagrees with the manifest, leaving no file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const reg = new MemoryRegistry();
    // The manifest claims one byte more than the blob has.
    const ref = await pushArtifact(reg, enc.encode("hello"), { size: 6 });
    await assert.rejects(
      sget({ registry: reg, ref, output: { file: `${dir}/out` } }),
      (e) => e instanceof RegistryError && e.code === "DIGEST_MISMATCH",
    );
    assert.deepEqual(await listDir(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sget() enforces maxSize before downloading", async () => {
  let blobReads = 0;
  const reg = new MemoryRegistry({ hook: (op) => void (op === "getBlob" && blobReads++) });
  const ref = await pushArtifact(reg, new Uint8Array(100));
  await assert.rejects(
    sget({ registry: reg, ref, output: { stdout: sink() }, maxSize: 99 }),
    (e) => e instanceof SigstoreError && e.code === "TOO_LARGE",
  );
  assert.equal(blobReads, 0);
});

Deno.test("sget() replaces an existing file only on success", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const reg = new MemoryRegistry();
    const ref = await pushArtifact(reg, enc.encode("new content"));
    await Deno.writeTextFile(`${dir}/out`, "old content");
    await assert.rejects(
      sget({
        registry: reg,
        ref,
        output: { file: `${dir}/out` },
        signal: AbortSignal.abort(new Error("stop")),
      }),
      /stop/,
    );
    assert.equal(await Deno.readTextFile(`${dir}/out`), "old content");
    await sget({ registry: reg, ref, output: { file: `${dir}/out` } });
    assert.equal(await Deno.readTextFile(`${dir}/out`), "new content");
    assert.deepEqual(await listDir(dir), ["out"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sget() removes its private temporary file after writing to stdout", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const reg = new MemoryRegistry();
    const ref = await pushArtifact(reg, enc.encode("x"));
    await sget({ registry: reg, ref, output: { stdout: sink() }, tempDir: dir });
    const failing = { write: () => Promise.reject(new Error("broken pipe")) };
    await assert.rejects(
      sget({ registry: reg, ref, output: { stdout: failing }, tempDir: dir }),
      /broken pipe/,
    );
    assert.deepEqual(await listDir(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
