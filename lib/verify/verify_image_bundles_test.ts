import assert from "node:assert/strict";
import { VerificationError } from "../errors.ts";
import { loadPrivateKey } from "../keys/private_key.ts";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import { MemoryRegistry } from "../registry/memory_registry.ts";
import type { Repository } from "../registry/types.ts";
import { signImageBundle } from "../sign/sign_image_bundle.ts";
import { keySigner } from "../signature/signer.ts";
import { IMAGES, pushTestImages } from "../../tests/helpers/oci_images.ts";
import { verifyImageBundles } from "./verify_image_bundles.ts";
import { keyPolicy } from "./verification_policy.ts";

const FIXTURES = new URL("../../tests/fixtures/cosign-oci/", import.meta.url);
const app: Repository = { registry: "127.0.0.1:5077", repository: "test/app" };
const signer = keySigner(
  await loadPrivateKey(await Deno.readFile(new URL("cosign.key", FIXTURES)), new Uint8Array()),
);
const publicKey = parsePublicKeyPem(await Deno.readFile(new URL("cosign.pub", FIXTURES)));

const options = (reg: MemoryRegistry, ref: { digest?: string; tag?: string }) => ({
  registry: reg,
  ref: { ...app, ...ref },
  name: "the-name",
  policy: keyPolicy(publicKey),
});

Deno.test("verifyImageBundles() verifies a referrer bundle by digest and by tag", async () => {
  const reg = new MemoryRegistry();
  await pushTestImages(reg, app);
  const [signed] = await signImageBundle({ registry: reg, ref: { ...app, tag: "amd64" }, signer });
  for (const ref of [{ digest: IMAGES.amd64 }, { tag: "amd64" }]) {
    const r = await verifyImageBundles(options(reg, ref));
    assert.equal(r.digest, IMAGES.amd64);
    assert.deepEqual(r.verified.map((v) => v.manifestDigest), [signed.manifestDigest]);
    assert.equal(
      new TextDecoder().decode(r.verified[0].payload),
      `{"critical":{"identity":{"docker-reference":"the-name"},"image":{"docker-manifest-digest":"${IMAGES.amd64}"},"type":"https://sigstore.dev/cosign/sign/v1"},"optional":null}`,
    );
  }
});

Deno.test("verifyImageBundles() needs a bundle referrer, and one that verifies", async () => {
  const reg = new MemoryRegistry();
  await pushTestImages(reg, app);
  await assert.rejects(
    verifyImageBundles(options(reg, { digest: IMAGES.arm64 })),
    (e) =>
      e instanceof VerificationError && e.code === "NO_MATCHING_ATTESTATIONS" &&
      e.message === "no valid bundles exist in registry",
  );
  // A bundle signed for amd64, attached to arm64: the statement's subject is not arm64's digest.
  const [signed] = await signImageBundle({ registry: reg, ref: { ...app, tag: "amd64" }, signer });
  const m = await reg.getManifest(app, signed.manifestDigest);
  const moved = JSON.parse(new TextDecoder().decode(m.bytes));
  const head = await reg.headManifest(app, IMAGES.arm64);
  moved.subject = { mediaType: head!.mediaType, size: head!.size, digest: IMAGES.arm64 };
  const bytes = new TextEncoder().encode(JSON.stringify(moved));
  const digest = "sha256:" +
    new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)).toHex();
  await reg.putManifest(app, digest, bytes, moved.mediaType);
  await assert.rejects(
    verifyImageBundles(options(reg, { digest: IMAGES.arm64 })),
    (e) =>
      e instanceof VerificationError && e.code === "NO_MATCHING_ATTESTATIONS" &&
      /^no matching attestations: .*provided artifact digest does not match any digest in statement/
        .test(e.message),
  );
});
