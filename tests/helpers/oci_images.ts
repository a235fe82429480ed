/**
 * Test images for the cosign signature tests: the same two-platform index, byte for byte, that
 * tests/fixtures/cosign-oci/SOURCE.md pushed to a real registry before `cosign sign` ran, so the
 * digests (and therefore the golden signature images) match.
 *
 * @module
 */
import type { Registry, Repository } from "../../lib/registry/types.ts";

/** The digests of the pushed manifests (identical in every repository). */
export const IMAGES = {
  amd64: "sha256:ecfa557d3ad2895613583424c60d54a45ffdc5824486f8727793eef5eafdcff3",
  arm64: "sha256:5ef546943f44691ecf4f7af2126e89b3a0e0970afbf7f24285826cf105bf08a7",
  index: "sha256:481a087b840f21e5a009e9bec1d2699e364fea72211ca59d40ef7fd0ae1628f0",
};

/**
 * Pushes tags `amd64`, `arm64` (images) and `multi` (their index) to `repo`.
 *
 * @param registry any registry
 * @param repo where to push
 * @returns the digests
 */
export async function pushTestImages(registry: Registry, repo: Repository) {
  const enc = new TextEncoder();
  const images = [];
  for (const arch of ["amd64", "arm64"]) {
    const cfg = enc.encode(JSON.stringify({
      architecture: arch,
      os: "linux",
      rootfs: { type: "layers", diff_ids: [] },
      config: {},
    }));
    const c = await registry.putBlob(repo, cfg);
    const l = await registry.putBlob(repo, enc.encode("layer " + arch));
    const m = enc.encode(JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...c },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...l }],
    }));
    const digest = await registry.putManifest(
      repo,
      arch,
      m,
      "application/vnd.oci.image.manifest.v1+json",
    );
    images.push({
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest,
      size: m.length,
      platform: { architecture: arch, os: "linux" },
    });
  }
  const idx = enc.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: images,
  }));
  await registry.putManifest(repo, "multi", idx, "application/vnd.oci.image.index.v1+json");
  return IMAGES;
}
