import assert from "node:assert/strict";
import type { Descriptor, ImageIndex } from "../registry/types.ts";
import { indexPlatforms, selectPlatform } from "./select_platform.ts";

const entry = (n: number, platform?: Descriptor["platform"]): Descriptor => ({
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: `sha256:${String(n).repeat(64)}`,
  size: 100,
  ...(platform ? { platform } : {}),
});

const INDEX: ImageIndex = {
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: [
    entry(1, { os: "linux", architecture: "amd64" }),
    entry(2, { os: "linux", architecture: "arm", variant: "v7" }),
    entry(3, { os: "linux", architecture: "arm", variant: "v6" }),
    entry(4, { os: "windows", architecture: "amd64", "os.version": "10.0.17763.1234" }),
    entry(5),
  ],
};

Deno.test("selectPlatform() picks the one entry matching, empty parts matching anything", () => {
  const cases: [string, string][] = [
    ["linux/amd64", entry(1).digest],
    ["linux/arm/v7", entry(2).digest],
    ["linux/arm/v6", entry(3).digest],
    ["windows", entry(4).digest],
    ["/amd64:10.0.17763.1234", entry(4).digest],
  ];
  for (const [spec, digest] of cases) assert.equal(selectPlatform(INDEX, spec), digest, spec);
});

Deno.test("selectPlatform() refuses specs matching none, several, or with too many slashes", () => {
  const cases: [string, string][] = [
    ["linux/s390x", "unable to find an entity for linux/s390x"],
    ["linux/arm/v8:1.0", "unable to find an entity for linux/arm/v8:1.0"],
    // ggcr's Platform.String() is empty without an OS.
    ["/riscv64", "unable to find an entity for "],
    [
      "linux/arm",
      "platform spec matches more than one image architecture: linux/arm/v7, linux/arm/v6",
    ],
    [
      "linux",
      "platform spec matches more than one image architecture: linux/amd64, linux/arm/v7, linux/arm/v6",
    ],
    ["linux/arm/v7/x", "parsing platform: too many slashes in platform spec: linux/arm/v7/x"],
  ];
  for (const [spec, message] of cases) {
    assert.throws(() => selectPlatform(INDEX, spec), {
      name: "SigstoreError",
      code: "UNSUPPORTED",
      message,
    }, spec);
  }
});

Deno.test("indexPlatforms() lists the platforms as cosign's GetIndexPlatforms does", () => {
  assert.equal(
    indexPlatforms(INDEX),
    "linux/amd64, linux/arm/v7, linux/arm/v6, windows/amd64:10.0.17763.1234",
  );
});
