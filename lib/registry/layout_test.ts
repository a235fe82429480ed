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
