import assert from "node:assert/strict";
import { IoError, RegistryError } from "../errors.ts";
import { openLayout, REF_NAME_ANNOTATION } from "./layout.ts";
import { OCI_EMPTY, OCI_INDEX, OCI_MANIFEST } from "./media_types.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const repo = { registry: "layout", repository: "local" };

Deno.test("openLayout() creates a layout and round-trips blobs, manifests and tags", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(openLayout(dir), IoError);
    const layout = await openLayout(dir, { create: true });
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/oci-layout`)), {
      imageLayoutVersion: "1.0.0",
    });
    const config = await layout.putBlob(repo, enc("{}"));
    const layer = await layout.putBlob(repo, enc("layer"));
    assert.equal(await layout.hasBlob(repo, layer.digest), true);
    const manifest = enc(JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_EMPTY, ...config },
      layers: [{ mediaType: "application/octet-stream", ...layer }],
    }));
    const digest = await layout.putManifest(repo, "v1", manifest, OCI_MANIFEST);
    const reopened = await openLayout(dir);
    const byTag = await reopened.getManifest(repo, "v1");
    assert.equal(byTag.digest, digest);
    assert.deepEqual(byTag.bytes, manifest);
    assert.deepEqual(await reopened.headManifest(repo, "v1"), {
      digest,
      mediaType: OCI_MANIFEST,
      size: manifest.length,
    });
    assert.deepEqual(await reopened.listTags(repo), ["v1"]);
    assert.deepEqual(await reopened.getBlobBytes(repo, layer.digest, 100), enc("layer"));
    const index = JSON.parse(await Deno.readTextFile(`${dir}/index.json`));
    assert.equal(index.mediaType, OCI_INDEX);
    assert.equal(index.manifests[0].annotations[REF_NAME_ANNOTATION], "v1");

    // Referrers are found by scanning the index.
    const referrer = enc(JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: "application/x-sig",
      config: { mediaType: OCI_EMPTY, ...config },
      layers: [],
      subject: { mediaType: OCI_MANIFEST, digest, size: manifest.length },
    }));
    const refDigest = await layout.putManifest(repo, "sig", referrer, OCI_MANIFEST);
    assert.deepEqual(
      (await layout.referrers(repo, digest, "application/x-sig")).map((d) => d.digest),
      [refDigest],
    );
    assert.deepEqual(await layout.referrers(repo, digest, "other"), []);

    await layout.deleteManifest(repo, refDigest);
    assert.deepEqual(await layout.listTags(repo), ["v1"]);
    await assert.rejects(layout.getManifest(repo, "sig"), { code: "MANIFEST_UNKNOWN" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("LayoutRegistry verifies blobs on write and on read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const layout = await openLayout(dir, { create: true });
    const wrong = `sha256:${"0".repeat(64)}`;
    const err = await layout.putBlob(repo, {
      stream: () => new Blob(["data"]).stream(),
      digest: wrong,
      size: 4,
    }).catch((e) => e);
    assert.ok(err instanceof RegistryError);
    assert.equal(err.code, "DIGEST_MISMATCH");
    assert.equal(await layout.hasBlob(repo, wrong), false);
    assert.deepEqual([...Deno.readDirSync(`${dir}/blobs/sha256`)], []);

    const { digest } = await layout.putBlob(repo, enc("good"));
    await Deno.writeTextFile(`${dir}/blobs/sha256/${digest.slice(7)}`, "evil");
    await assert.rejects(layout.getBlobBytes(repo, digest, 100), { code: "DIGEST_MISMATCH" });
    await assert.rejects(layout.getBlobBytes(repo, digest, 2), { code: "TOO_LARGE" });
    await assert.rejects(layout.getBlob(repo, wrong), { code: "BLOB_UNKNOWN" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Fails instead of hanging when a read blocks (a FIFO opened for reading waits for a writer). */
async function settles<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still blocked after 20 s`)), 20_000);
  });
  try {
    return await Promise.race([p, hang]);
  } finally {
    clearTimeout(timer);
  }
}

async function mkfifo(path: string): Promise<void> {
  const { code } = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.equal(code, 0, "mkfifo");
}

/** A layout holding one image `v1`; returns its paths. */
async function hostileLayout() {
  const dir = await Deno.makeTempDir({ prefix: "layout-hostile-" });
  const layout = await openLayout(dir, { create: true });
  const config = await layout.putBlob(repo, enc("{}"));
  const layer = await layout.putBlob(repo, enc("layer bytes"));
  const manifest = enc(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_EMPTY, ...config },
    layers: [{ mediaType: "application/octet-stream", ...layer }],
  }));
  const digest = await layout.putManifest(repo, "v1", manifest, OCI_MANIFEST);
  const blob = (d: string) => `${dir}/blobs/sha256/${d.slice(7)}`;
  return { dir, layout, layer, digest, manifest, blob };
}

Deno.test("LayoutRegistry opens only regular files inside the layout", async (t) => {
  const outside = await Deno.makeTempFile({ prefix: "outside-" });
  await Deno.writeTextFile(outside, "layer bytes");
  type L = Awaited<ReturnType<typeof hostileLayout>>;
  // [name, how to spoil the layout, what then fails, expected code, expected message]
  const cases: Array<
    [string, (l: L) => Promise<void>, (l: L) => Promise<unknown>, string, (l: L) => string]
  > = [
    [
      "index.json is a symbolic link to /dev/zero",
      async (l) => {
        await Deno.remove(`${l.dir}/index.json`);
        await Deno.symlink("/dev/zero", `${l.dir}/index.json`);
      },
      (l) => l.layout.readIndex(),
      "INPUT_UNREADABLE",
      (l) =>
        `Cannot read ${l.dir}/index.json: it is a symbolic link to /dev/zero, outside the layout`,
    ],
    [
      "index.json is a FIFO",
      async (l) => {
        await Deno.remove(`${l.dir}/index.json`);
        await mkfifo(`${l.dir}/index.json`);
      },
      (l) => l.layout.getManifest(repo, "v1"),
      "INPUT_UNREADABLE",
      (l) => `Cannot read ${l.dir}/index.json: not a regular file`,
    ],
    [
      "index.json links to a FIFO inside the layout",
      async (l) => {
        await mkfifo(`${l.dir}/fifo`);
        await Deno.remove(`${l.dir}/index.json`);
        await Deno.symlink("fifo", `${l.dir}/index.json`);
      },
      (l) => l.layout.readIndex(),
      "INPUT_UNREADABLE",
      (l) =>
        `Cannot read ${l.dir}/index.json: not a regular file (a symbolic link to ${
          Deno.realPathSync(l.dir)
        }/fifo)`,
    ],
    [
      "index.json is larger than 16 MiB (refused before reading)",
      (l) => Deno.truncate(`${l.dir}/index.json`, 16 * 1024 * 1024 + 1),
      (l) => l.layout.readIndex(),
      "TOO_LARGE",
      (l) => `Cannot read ${l.dir}/index.json: larger than 16777216 bytes`,
    ],
    [
      "oci-layout is a symbolic link to /dev/zero",
      async (l) => {
        await Deno.remove(`${l.dir}/oci-layout`);
        await Deno.symlink("/dev/zero", `${l.dir}/oci-layout`);
      },
      (l) => openLayout(l.dir),
      "INPUT_UNREADABLE",
      (l) =>
        `Cannot open OCI layout ${l.dir}: oci-layout: it is a symbolic link to /dev/zero, outside the layout`,
    ],
    [
      "a layer blob is a FIFO",
      async (l) => {
        await Deno.remove(l.blob(l.layer.digest));
        await mkfifo(l.blob(l.layer.digest));
      },
      (l) => l.layout.getBlob(repo, l.layer.digest, { size: l.layer.size }),
      "INPUT_UNREADABLE",
      (l) => `Cannot read blob ${l.dir}@${l.layer.digest}: not a regular file`,
    ],
    [
      "a manifest blob links to /dev/zero",
      async (l) => {
        await Deno.remove(l.blob(l.digest));
        await Deno.symlink("/dev/zero", l.blob(l.digest));
      },
      (l) => l.layout.getManifest(repo, "v1"),
      "INPUT_UNREADABLE",
      (l) =>
        `Cannot read blob ${l.dir}@${l.digest}: it is a symbolic link to /dev/zero, outside the layout`,
    ],
    [
      "a layer blob links to a regular file outside the layout",
      async (l) => {
        await Deno.remove(l.blob(l.layer.digest));
        await Deno.symlink(outside, l.blob(l.layer.digest));
      },
      (l) => l.layout.getBlob(repo, l.layer.digest, { size: l.layer.size }),
      "INPUT_UNREADABLE",
      (l) =>
        `Cannot read blob ${l.dir}@${l.layer.digest}: it is a symbolic link to ${
          Deno.realPathSync(outside)
        }, outside the layout`,
    ],
    [
      "a layer blob is longer than its descriptor",
      (l) => Deno.writeTextFile(l.blob(l.layer.digest), "layer bytes and more"),
      (l) => l.layout.getBlob(repo, l.layer.digest, { size: l.layer.size }),
      "TOO_LARGE",
      (l) =>
        `Cannot read blob ${l.dir}@${l.layer.digest}: the file has 20 bytes, its descriptor declares 11`,
    ],
    [
      "a manifest shorter than its index.json entry",
      (l) => Deno.writeFile(l.blob(l.digest), l.manifest.subarray(0, 10)),
      (l) => l.layout.getManifest(repo, "v1"),
      "DIGEST_MISMATCH",
      (l) =>
        `Cannot read blob ${l.dir}@${l.digest}: the file has 10 bytes, its descriptor declares ${l.manifest.length}`,
    ],
    [
      "a manifest (not in index.json) larger than 4 MiB",
      (l) => Deno.truncate(l.blob(l.layer.digest), 4 * 1024 * 1024 + 1),
      (l) => l.layout.getManifest(repo, l.layer.digest),
      "TOO_LARGE",
      (l) =>
        `Cannot read blob ${l.dir}@${l.layer.digest}: 4194305 bytes exceed the limit of 4194304`,
    ],
  ];
  for (const [name, spoil, act, code, message] of cases) {
    await t.step(name, async () => {
      const l = await hostileLayout();
      try {
        await spoil(l);
        await settles(
          assert.rejects(act(l), (e) => {
            assert.ok(e instanceof IoError || e instanceof RegistryError, String(e));
            assert.equal((e as IoError).code, code);
            assert.equal((e as Error).message, message(l));
            return true;
          }),
          name,
        );
      } finally {
        await Deno.remove(l.dir, { recursive: true });
      }
    });
  }
  await t.step("a symbolic link to a regular file inside the layout is followed", async () => {
    const l = await hostileLayout();
    try {
      await Deno.mkdir(`${l.dir}/store`);
      await Deno.rename(l.blob(l.layer.digest), `${l.dir}/store/layer`);
      await Deno.symlink("../../store/layer", l.blob(l.layer.digest));
      assert.equal(await l.layout.hasBlob(repo, l.layer.digest), true);
      const bytes = await new Response(
        await l.layout.getBlob(repo, l.layer.digest, { size: l.layer.size }),
      ).bytes();
      assert.deepEqual(bytes, enc("layer bytes"));
      await Deno.remove(l.blob(l.layer.digest));
      await Deno.symlink("/dev/zero", l.blob(l.layer.digest));
      // Not a blob of the layout: absent, and writing it replaces the link, not /dev/zero.
      assert.equal(await l.layout.hasBlob(repo, l.layer.digest), false);
      await l.layout.putBlob(repo, enc("layer bytes"));
      assert.equal((await Deno.lstat(l.blob(l.layer.digest))).isFile, true);
      assert.equal(await l.layout.hasBlob(repo, l.layer.digest), true);
    } finally {
      await Deno.remove(l.dir, { recursive: true });
    }
  });
  await Deno.remove(outside);
});
