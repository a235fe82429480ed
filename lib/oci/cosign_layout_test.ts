import assert from "node:assert/strict";
import {
  COSIGN_LAYOUT_KIND,
  loadCosignLayout,
  localImageView,
  marshalIndexJson,
  readCosignLayout,
  saveCosignLayout,
} from "./cosign_layout.ts";
import { SigstoreError } from "../errors.ts";
import { MemoryRegistry } from "../registry/memory_registry.ts";
import { OCI_CONFIG, OCI_EMPTY, OCI_INDEX, OCI_MANIFEST } from "../registry/media_types.ts";
import type { Descriptor, Registry, Repository } from "../registry/types.ts";

const enc = new TextEncoder();
const repo: Repository = { registry: "reg.test", repository: "app" };

async function pushImage(
  reg: Registry,
  r: Repository,
  tag: string,
  options: { layers?: string[]; configType?: string } = {},
): Promise<{ digest: string; size: number }> {
  const c = await reg.putBlob(r, enc.encode(`{"os":"linux","tag":"${tag}"}`));
  const layers = [];
  for (const l of options.layers ?? [`layer of ${tag}`]) {
    const d = await reg.putBlob(r, enc.encode(l));
    layers.push({ mediaType: "application/vnd.oci.image.layer.v1.tar", ...d });
  }
  const bytes = enc.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: options.configType ?? OCI_CONFIG, ...c },
    layers,
  }));
  return { digest: await reg.putManifest(r, tag, bytes, OCI_MANIFEST), size: bytes.length };
}

function tagOf(digest: string, suffix: string): string {
  return `${digest.replace(":", "-")}.${suffix}`;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "cosign-layout-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function blobNames(dir: string): Promise<string[]> {
  const out = [];
  for await (const e of Deno.readDir(`${dir}/blobs/sha256`)) out.push(`sha256:${e.name}`);
  return out.sort();
}

Deno.test("marshalIndexJson() writes Go's MarshalIndent with three spaces", () => {
  const d: Descriptor = {
    mediaType: OCI_MANIFEST,
    size: 394,
    digest: "sha256:ecfa557d3ad2895613583424c60d54a45ffdc5824486f8727793eef5eafdcff3",
    annotations: { kind: COSIGN_LAYOUT_KIND.image },
  };
  // Captured from `cosign save` (v2.6.4) of an image without signatures.
  assert.equal(
    marshalIndexJson([d]),
    `{
   "schemaVersion": 2,
   "mediaType": "application/vnd.oci.image.index.v1+json",
   "manifests": [
      {
         "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "size": 394,
         "digest": "sha256:ecfa557d3ad2895613583424c60d54a45ffdc5824486f8727793eef5eafdcff3",
         "annotations": {
            "kind": "dev.cosignproject.cosign/image"
         }
      }
   ]
}`,
  );
  assert.match(
    marshalIndexJson([{ ...d, annotations: { kind: "<&>" } }]),
    /"kind": "\\u003c\\u0026\\u003e"/,
  );
});

Deno.test("saveCosignLayout() writes the image, its signatures and attestations", async () => {
  await withDir(async (dir) => {
    const reg = new MemoryRegistry();
    const img = await pushImage(reg, repo, "v1");
    const sig = await pushImage(reg, repo, tagOf(img.digest, "sig"), { layers: ["sig"] });
    const att = await pushImage(reg, repo, tagOf(img.digest, "att"), { layers: ["att"] });
    const result = await saveCosignLayout({
      registry: reg,
      ref: { ...repo, tag: "v1" },
      dir: `${dir}/out`,
    });
    assert.deepEqual(result, {
      digest: img.digest,
      mediaType: OCI_MANIFEST,
      signatures: true,
      attestations: true,
    });
    assert.equal(
      await Deno.readTextFile(`${dir}/out/oci-layout`),
      '{\n    "imageLayoutVersion": "1.0.0"\n}',
    );
    const index = JSON.parse(await Deno.readTextFile(`${dir}/out/index.json`));
    assert.deepEqual(index.manifests, [
      { mediaType: OCI_MANIFEST, ...img, annotations: { kind: COSIGN_LAYOUT_KIND.image } },
      { mediaType: OCI_MANIFEST, ...sig, annotations: { kind: COSIGN_LAYOUT_KIND.signatures } },
      { mediaType: OCI_MANIFEST, ...att, annotations: { kind: COSIGN_LAYOUT_KIND.attestations } },
    ]);
    // 3 manifests + 3 configs + 3 layers.
    assert.equal((await blobNames(`${dir}/out`)).length, 9);
    const saved = await readCosignLayout(`${dir}/out`);
    assert.equal(saved.image?.digest, img.digest);
    assert.equal(saved.signatures?.digest, sig.digest);
    assert.equal(saved.attestations?.digest, att.digest);
    assert.equal(saved.imageIndex, undefined);
  });
});

Deno.test("saveCosignLayout() reads attachments from targetRepository and with tagPrefix", async () => {
  await withDir(async (dir) => {
    const reg = new MemoryRegistry();
    const img = await pushImage(reg, repo, "v1");
    const sigs = { registry: "reg.test", repository: "sigs" };
    await pushImage(reg, sigs, `pfx-${tagOf(img.digest, "sig")}`, { layers: ["sig"] });
    const plain = await saveCosignLayout({ registry: reg, ref: { ...repo, tag: "v1" }, dir });
    assert.equal(plain.signatures, false);
    const moved = await saveCosignLayout({
      registry: reg,
      ref: { ...repo, tag: "v1" },
      dir,
      targetRepository: sigs,
      tagPrefix: "pfx-",
    });
    assert.equal(moved.signatures, true);
  });
});

Deno.test("saveCosignLayout() of an index writes every child; a second save replaces index.json", async () => {
  await withDir(async (dir) => {
    const reg = new MemoryRegistry();
    const a = await pushImage(reg, repo, "a");
    const b = await pushImage(reg, repo, "b", { configType: OCI_EMPTY });
    const indexBytes = enc.encode(JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [{ mediaType: OCI_MANIFEST, ...a }, { mediaType: OCI_MANIFEST, ...b }],
    }));
    const idx = await reg.putManifest(repo, "multi", indexBytes, OCI_INDEX);
    await saveCosignLayout({ registry: reg, ref: { ...repo, tag: "multi" }, dir });
    const first = JSON.parse(await Deno.readTextFile(`${dir}/index.json`));
    assert.deepEqual(first.manifests, [{
      mediaType: OCI_INDEX,
      size: indexBytes.length,
      digest: idx,
      annotations: { kind: COSIGN_LAYOUT_KIND.imageIndex },
    }]);
    // index + 2 manifests + 2 configs + 2 layers
    assert.equal((await blobNames(dir)).length, 7);

    // An image whose config is not an image config gets ggcr's artifactType.
    await saveCosignLayout({ registry: reg, ref: { ...repo, tag: "b" }, dir });
    const second = JSON.parse(await Deno.readTextFile(`${dir}/index.json`));
    assert.deepEqual(second.manifests, [{
      mediaType: OCI_MANIFEST,
      ...b,
      annotations: { kind: COSIGN_LAYOUT_KIND.image },
      artifactType: OCI_EMPTY,
    }]);
    assert.equal((await blobNames(dir)).length, 7);
  });
});

Deno.test("loadCosignLayout() pushes the image under the tag and attachments under its digest", async () => {
  await withDir(async (dir) => {
    const src = new MemoryRegistry();
    const img = await pushImage(src, repo, "v1");
    const sig = await pushImage(src, repo, tagOf(img.digest, "sig"), { layers: ["sig"] });
    await saveCosignLayout({ registry: src, ref: { ...repo, tag: "v1" }, dir });

    const dst = new MemoryRegistry();
    const to = { registry: "other.test", repository: "copy" };
    const sigRepo = { registry: "other.test", repository: "sigs" };
    const { digest } = await loadCosignLayout({
      registry: dst,
      ref: { ...to, tag: "loaded" },
      dir,
      targetRepository: sigRepo,
    });
    assert.equal(digest, img.digest);
    assert.equal((await dst.getManifest(to, "loaded")).digest, img.digest);
    assert.equal((await dst.getManifest(sigRepo, tagOf(img.digest, "sig"))).digest, sig.digest);
    assert.deepEqual(await dst.listTags(to), ["loaded"]);
  });
});

Deno.test("loadCosignLayout() refuses a layout without an image", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/oci-layout`, '{"imageLayoutVersion":"1.0.0"}');
    await Deno.writeTextFile(`${dir}/index.json`, marshalIndexJson([]));
    await assert.rejects(
      loadCosignLayout({ registry: new MemoryRegistry(), ref: { ...repo, tag: "x" }, dir }),
      (e) => e instanceof SigstoreError && e.code === "INPUT_NOT_FOUND",
    );
  });
});

Deno.test("localImageView() resolves cosign's signature tag to the saved signatures", async () => {
  await withDir(async (dir) => {
    const reg = new MemoryRegistry();
    const img = await pushImage(reg, repo, "v1");
    await saveCosignLayout({ registry: reg, ref: { ...repo, tag: "v1" }, dir });
    assert.throws(
      () => localImageView({ dir, layout: undefined as never }),
      (e) =>
        e instanceof SigstoreError && e.message === "must verify either an image index or image",
    );
    const unsigned = await readCosignLayout(dir);
    assert.throws(
      () => localImageView(unsigned),
      (e) =>
        e instanceof SigstoreError &&
        e.message === `no signatures associated with the image saved in ${dir}`,
    );
    const sig = await pushImage(reg, repo, tagOf(img.digest, "sig"), { layers: ["sig"] });
    await saveCosignLayout({ registry: reg, ref: { ...repo, tag: "v1" }, dir });
    const view = localImageView(await readCosignLayout(dir));
    assert.equal(view.ref.digest, img.digest);
    const fetched = await view.registry.getManifest(view.ref, tagOf(img.digest, "sig"));
    assert.equal(fetched.digest, sig.digest);
    await assert.rejects(view.registry.putBlob(view.ref, enc.encode("x")), SigstoreError);
  });
});

Deno.test("saveCosignLayout() fetches a child an index names many times once, and stops a layer longer than declared", async () => {
  const gets: string[] = [];
  const reg = new MemoryRegistry({
    hook: (op, _r, target) => {
      if (op === "getManifest" || op === "getBlob") gets.push(`${op} ${target}`);
    },
  });
  const child = await pushImage(reg, repo, "child");
  const entry = { mediaType: OCI_MANIFEST, ...child };
  const index = enc.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: Array.from({ length: 50 }, () => entry),
  }));
  const digest = await reg.putManifest(repo, "multi", index, OCI_INDEX);
  const dir = await Deno.makeTempDir();
  try {
    await saveCosignLayout({ registry: reg, ref: { ...repo, digest }, dir });
    assert.equal(gets.filter((g) => g === `getManifest ${child.digest}`).length, 1);

    // A layer whose descriptor declares one byte less than the blob: the save fails at that
    // layer's byte size + 1 (exact read), and index.json is not written.
    const layer = await reg.putBlob(repo, enc.encode("twelve bytes"));
    const bad = enc.encode(JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, ...(await reg.putBlob(repo, enc.encode("{}"))) },
      layers: [{ mediaType: "application/octet-stream", digest: layer.digest, size: 11 }],
    }));
    const badDigest = await reg.putManifest(repo, "bad", bad, OCI_MANIFEST);
    const out = `${dir}/bad`;
    await assert.rejects(
      saveCosignLayout({ registry: reg, ref: { ...repo, digest: badDigest }, dir: out }),
      {
        code: "TOO_LARGE",
        message:
          `Cannot fetch blob reg.test/app@${layer.digest}: the content is longer than its declared size 11`,
      },
    );
    await assert.rejects(Deno.stat(`${out}/index.json`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
