import assert from "node:assert/strict";
import { cosignAttachmentLocation, cosignTag } from "./cosign_tags.ts";

const HEX = "5ef546943f44691ecf4f7af2126e89b3a0e0970afbf7f24285826cf105bf08a7";

Deno.test("cosignTag() names attachments as cosign does", () => {
  assert.equal(cosignTag(`sha256:${HEX}`, "sig"), `sha256-${HEX}.sig`);
  assert.equal(cosignTag(`sha256:${HEX}`, "att"), `sha256-${HEX}.att`);
  assert.equal(cosignTag(`sha256:${HEX}`, "sbom"), `sha256-${HEX}.sbom`);
  assert.equal(cosignTag(`sha256:${HEX}`, ""), `sha256-${HEX}`);
  // captured: --attachment-tag-prefix=pfx- (tests/fixtures/cosign-oci/tag-prefix)
  assert.equal(cosignTag(`sha256:${HEX}`, "sig", "pfx-"), `pfx-sha256-${HEX}.sig`);
  assert.throws(() => cosignTag("latest", "sig"), TypeError);
});

Deno.test("cosignAttachmentLocation() stores in COSIGN_REPOSITORY when given", () => {
  const image = { registry: "r.io", repository: "app" };
  assert.deepEqual(cosignAttachmentLocation(image, `sha256:${HEX}`, "sig"), {
    repo: image,
    tag: `sha256-${HEX}.sig`,
  });
  assert.deepEqual(
    cosignAttachmentLocation(image, `sha256:${HEX}`, "sig", {
      targetRepository: { registry: "s.io", repository: "sigs" },
      tagPrefix: "p",
    }),
    { repo: { registry: "s.io", repository: "sigs" }, tag: `psha256-${HEX}.sig` },
  );
});
