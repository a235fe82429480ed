import assert from "node:assert/strict";
import { VerificationError } from "../errors.ts";
import type { Descriptor, Registry } from "../registry/types.ts";
import { findSignatureReferrer, SIGNATURE_ARTIFACT_TYPE } from "./signature_referrer.ts";

const REPO = { registry: "r.test", repository: "app" };
const IMAGE = "sha256:" + "1".repeat(64);
const d = (n: string): Descriptor => ({
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  size: 1,
  digest: "sha256:" + n.repeat(64),
  artifactType: SIGNATURE_ARTIFACT_TYPE,
});

/** A registry whose referrers listing is fixed; records the filter asked for. */
function listing(found: Descriptor[], asked: unknown[]): Registry {
  return {
    referrers: (repo: unknown, digest: string, artifactType?: string) => {
      asked.push([repo, digest, artifactType]);
      return Promise.resolve(found);
    },
  } as unknown as Registry;
}

Deno.test("findSignatureReferrer: cosign's artifact type, the last referrer listed, the count", async () => {
  const asked: unknown[] = [];
  const got = await findSignatureReferrer(listing([d("a"), d("b"), d("c")], asked), REPO, IMAGE);
  assert.deepEqual(got, { descriptor: d("c"), count: 3 });
  assert.deepEqual(asked, [[REPO, IMAGE, "application/vnd.dev.cosign.artifact.sig.v1+json"]]);
});

Deno.test("findSignatureReferrer: none is NO_SIGNATURES with cosign's message", async () => {
  await assert.rejects(
    findSignatureReferrer(listing([], []), REPO, IMAGE),
    (e: unknown) => {
      assert.ok(e instanceof VerificationError);
      assert.equal(e.code, "NO_SIGNATURES");
      assert.equal(
        e.message,
        "unable to locate reference with artifactType application/vnd.dev.cosign.artifact.sig.v1+json",
      );
      return true;
    },
  );
});
