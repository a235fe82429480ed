import assert from "node:assert/strict";
import { SigstoreError } from "../errors.ts";
import { MemoryRegistry } from "../registry/memory_registry.ts";
import { IMAGES, pushTestImages } from "../../tests/helpers/oci_images.ts";
import { attachSbom, downloadSbom, sbomMediaType } from "./sbom.ts";

Deno.test("sbomMediaType() follows cosign's --type, --input-format and .json rules", () => {
  const ok: [string, string, string, string][] = [
    ["spdx", "", "sbom.spdx", "text/spdx"],
    ["spdx", "", "sbom.spdx.json", "text/spdx+json"],
    ["spdx", "json", "sbom", "text/spdx+json"],
    ["spdx", "text", "sbom.spdx.json", "text/spdx+json"],
    ["cyclonedx", "", "bom.xml", "application/vnd.cyclonedx+xml"],
    ["cyclonedx", "", "bom.json", "application/vnd.cyclonedx+json"],
    ["cyclonedx", "json", "-", "application/vnd.cyclonedx+json"],
    ["cyclonedx", "xml", "bom.json", "application/vnd.cyclonedx+json"],
    ["syft", "", "x", "application/vnd.syft+json"],
    ["syft", "json", "x", "application/vnd.syft+json"],
  ];
  for (const [type, format, path, want] of ok) {
    assert.equal(sbomMediaType(type, format, path), want, `${type} ${format} ${path}`);
  }
  const bad: [string, string, string][] = [
    ["bogus", "", 'unknown SBOM type: "bogus", expected (spdx|cyclonedx|syft)'],
    ["", "", 'unknown SBOM type: "", expected (spdx|cyclonedx|syft)'],
    ["spdx", "xml", 'invalid SBOM input format: "xml", expected (json|text)'],
    ["cyclonedx", "text", 'invalid SBOM input format: "text", expected (json|xml)'],
    ["syft", "xml", 'invalid SBOM input format: "xml", expected (json)'],
  ];
  for (const [type, format, message] of bad) {
    assert.throws(() => sbomMediaType(type, format, "x"), { name: "TypeError", message });
  }
});

const repo = { registry: "reg.example", repository: "app" };
const hex = (d: string) => d.slice("sha256:".length);

Deno.test("attachSbom() writes cosign's SBOM image; downloadSbom() reads it back", async () => {
  const registry = new MemoryRegistry();
  await pushTestImages(registry, repo);
  const sbom = new TextEncoder().encode('{"spdxVersion":"SPDX-2.3"}\n');
  const told: string[] = [];
  const digest = await attachSbom({
    registry,
    ref: { ...repo, tag: "amd64" },
    sbom,
    mediaType: "text/spdx+json",
    onUpload: (a, b, c) => {
      told.push(a, b, c);
    },
  });
  // The digest Go cosign v2.6.4's `attach sbom --sbom sbom.spdx.json` wrote for the same bytes
  // and image (tests/interop/sbom_test.ts compares the two tools live).
  assert.equal(digest, "sha256:c4d502dcfe000a378c0f388c340890bf6975eab2740663bb497b65b94b7feb19");
  assert.deepEqual(told, [
    "reg.example/app:amd64",
    `reg.example/app:sha256-${hex(IMAGES.amd64)}.sbom`,
    "text/spdx+json",
  ]);
  for (const ref of [{ ...repo, tag: "amd64" }, { ...repo, digest: IMAGES.amd64 }]) {
    const got = await downloadSbom(registry, ref, { maxSize: 1024 });
    assert.equal(got.mediaType, "text/spdx+json");
    assert.deepEqual(got.payload, sbom);
  }
  // Beyond COSIGN_MAX_ATTACHMENT_SIZE: refused before the download.
  await assert.rejects(downloadSbom(registry, { ...repo, tag: "amd64" }, { maxSize: 10 }), {
    code: "TOO_LARGE",
    message: "size of layer (27) exceeded the limit (10)",
  });
});

Deno.test("downloadSbom() refuses what cosign refuses", async () => {
  const registry = new MemoryRegistry();
  await pushTestImages(registry, repo);
  await attachSbom({
    registry,
    ref: { ...repo, tag: "arm64" },
    sbom: new Uint8Array([1]),
    mediaType: "text/spdx",
  });
  const hints: string[] = [];
  const cases: { ref: object; platform?: string; code: string; message: string }[] = [
    { ref: { tag: "amd64" }, code: "MANIFEST_UNKNOWN", message: "no sbom attached to reference" },
    {
      ref: { digest: `sha256:${"0".repeat(64)}` },
      code: "MANIFEST_UNKNOWN",
      message: "no sbom attached to reference",
    },
    {
      ref: { tag: "multi" },
      code: "MANIFEST_UNKNOWN",
      message: "no SBOM found attached to image index",
    },
    {
      ref: { tag: "amd64" },
      platform: "linux/amd64",
      code: "UNSUPPORTED",
      message: "specified reference is not a multiarch image",
    },
    {
      ref: { tag: "multi" },
      platform: "linux/s390x",
      code: "UNSUPPORTED",
      message: "unable to find an entity for linux/s390x",
    },
    { ref: { tag: "nope" }, code: "MANIFEST_UNKNOWN", message: "" },
  ];
  for (const c of cases) {
    const err = await downloadSbom(registry, { ...repo, ...c.ref }, {
      maxSize: 1024,
      platform: c.platform,
      onIndexWithoutSbom: (p) => {
        hints.push(p);
      },
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof SigstoreError, JSON.stringify(c));
    assert.equal(err.code, c.code, JSON.stringify(c));
    if (c.message) assert.equal(err.message, c.message);
    else assert.match(err.message, /^entity not found in registry, error: /);
  }
  assert.deepEqual(hints, ["linux/amd64, linux/arm64"]);
  const arm = await downloadSbom(registry, { ...repo, tag: "multi" }, {
    maxSize: 1024,
    platform: "linux/arm64",
  });
  assert.deepEqual(arm, { mediaType: "text/spdx", payload: new Uint8Array([1]) });
});
