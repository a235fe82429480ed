/**
 * cosign's experimental OCI 1.1 signature storage against go-containerregistry's registry
 * (referrers API): `sign --registry-referrers-mode=oci-1-1` (COSIGN_EXPERIMENTAL=1) pushes the
 * signature image as a referrer of the image. Go's referrer is verified by ours with
 * `verify --experimental-oci11` (ours saying that the referrer was verified); ours writes the same
 * manifest shape and stderr lines as Go, and both verify both; a referrer signed by another key
 * fails in both; a failing referrer falls back to the `.sig` tag (ours says so); several referrers
 * get cosign's warning. Keys from Go `generate-key-pair`, no transparency log.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createRegistry } from "../../lib/registry/client.ts";
import type { ImageManifest } from "../../lib/registry/types.ts";
import { startRegistry } from "../peers/registry.ts";
import { pushImage } from "../registry/_helpers.ts";
import { describe, expectSameFailure, expectSuccess, run, suiteDir, suiteOptions } from "./_run.ts";

const registry = await startRegistry({ mode: "referrers" });
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-oci11-");
addEventListener("unload", () => client.close());
globalThis.addEventListener("unload", () => void registry.stop());

const opts = suiteOptions(dir);
const experimental = suiteOptions(dir, { COSIGN_EXPERIMENTAL: "1" });
expectSuccess(await run("go", ["generate-key-pair"], opts), "keys");
const other = join(dir, "other");
await Deno.mkdir(other);
expectSuccess(await run("go", ["generate-key-pair"], suiteOptions(other)), "other keys");

const SIG_TYPE = "application/vnd.dev.cosign.artifact.sig.v1+json";
let n = 0;
async function image(): Promise<{ ref: string; repo: string; digest: string }> {
  const repo = `oci11/app${++n}`;
  const { digest } = await pushImage(client, { registry: registry.host, repository: repo }, "v1");
  return { ref: `${registry.host}/${repo}@${digest}`, repo, digest };
}

const goSignOci11 = (key: string, ref: string) =>
  run("go", [
    "sign",
    "--key",
    key,
    "--tlog-upload=false",
    "--registry-referrers-mode=oci-1-1",
    "--yes",
    ref,
  ], experimental);
const verifyArgs = (ref: string, key = "cosign.pub") => [
  "verify",
  "--key",
  key,
  "--insecure-ignore-tlog",
  "--experimental-oci11",
  ref,
];

Deno.test("Go signs into an OCI 1.1 referrer; ours verifies it with --experimental-oci11", async () => {
  const img = await image();
  expectSuccess(await goSignOci11("cosign.key", img.ref), "go signs (oci-1-1)");
  const r = { registry: registry.host, repository: img.repo };
  // What Go wrote: one referrer of the signature artifact type, no .sig tag.
  const refs = await client.referrers(r, img.digest, SIG_TYPE);
  assert.equal(refs.length, 1, JSON.stringify(refs));
  assert.deepEqual(await client.listTags(r), ["v1"]);
  const m = (await client.getManifest(r, refs[0].digest)).manifest as ImageManifest;
  assert.equal(m.config.mediaType, SIG_TYPE);
  assert.equal(m.subject?.digest, img.digest);
  assert.equal(m.layers.length, 1);
  assert.equal(m.layers[0].mediaType, "application/vnd.dev.cosign.simplesigning.v1+json");

  const go = expectSuccess(await run("go", verifyArgs(img.ref), opts), "go verifies");
  const ours = expectSuccess(await run("ours", verifyArgs(img.ref), opts), "ours verifies");
  assert.equal(ours.stdout, go.stdout);
  assert.equal(JSON.parse(ours.stdout)[0].critical.image["docker-manifest-digest"], img.digest);
  assert.ok(
    ours.stderr.includes(
      `Verified the signatures in the OCI 1.1 signature referrer ${
        refs[0].digest
      } of ${img.ref}; ` +
        `its .sig tag, if any, was not read\n`,
    ),
    describe(ours),
  );
  // Without the flag, neither looks at the referrer: no .sig tag, no signatures.
  const plainArgs = verifyArgs(img.ref).filter((a) => a !== "--experimental-oci11");
  expectSameFailure(
    [await run("go", plainArgs, opts), await run("ours", plainArgs, opts)],
    "no .sig tag without --experimental-oci11",
  );
});

Deno.test("a referrer signed by another key fails in both", async () => {
  const img = await image();
  expectSuccess(await goSignOci11(join(other, "cosign.key"), img.ref), "go signs, other key");
  const go = await run("go", verifyArgs(img.ref), opts);
  const ours = await run("ours", verifyArgs(img.ref), opts);
  expectSameFailure([go, ours], "another key's referrer");
  // The referrer failed, then the (missing) .sig tag: the error is the tag's, as in cosign.
  assert.match(ours.stderr, /no signatures found/, describe(ours));
  assert.match(go.stderr, /no signatures found/, describe(go));
  // The right key verifies it.
  const okArgs = verifyArgs(img.ref, join(other, "cosign.pub"));
  expectSuccess(await run("ours", okArgs, opts), "ours verifies with the other key");
  expectSuccess(await run("go", okArgs, opts), "go verifies with the other key");
});

Deno.test("a failing referrer falls back to the .sig tag, and ours says so", async () => {
  const img = await image();
  // The referrer signed with another key first, then the tag with ours. (The other order would
  // not do: Go's oci-1-1 sign copies the .sig tag's layers into the referrer, checked below.)
  expectSuccess(await goSignOci11(join(other, "cosign.key"), img.ref), "go signs (oci-1-1)");
  expectSuccess(
    await run("go", ["sign", "--key", "cosign.key", "--tlog-upload=false", "--yes", img.ref], opts),
    "go signs (tag)",
  );
  const go = expectSuccess(await run("go", verifyArgs(img.ref), opts), "go falls back");
  const ours = expectSuccess(await run("ours", verifyArgs(img.ref), opts), "ours falls back");
  assert.equal(ours.stdout, go.stdout);
  assert.match(
    ours.stderr,
    /Could not verify an OCI 1\.1 signature referrer of \S+ \(no matching signatures: [^\n]*\); verified the signatures in its \.sig tag instead\n/,
    describe(ours),
  );
  // A second oci-1-1 sign: a second referrer, with the tag's layer and its own; cosign reads
  // the last one listed and warns about the count.
  expectSuccess(await goSignOci11(join(other, "cosign.key"), img.ref), "go signs again");
  const r = { registry: registry.host, repository: img.repo };
  const refs = await client.referrers(r, img.digest, SIG_TYPE);
  assert.equal(refs.length, 2);
  const layers = await Promise.all(
    refs.map(async (d) =>
      ((await client.getManifest(r, d.digest)).manifest as ImageManifest).layers.length
    ),
  );
  assert.deepEqual(layers.toSorted(), [1, 2]);
  const go2 = await run("go", verifyArgs(img.ref), opts);
  const ours2 = await run("ours", verifyArgs(img.ref), opts);
  assert.equal(ours2.code, go2.code, describe(ours2) + describe(go2));
  assert.equal(ours2.stdout, go2.stdout);
  const warning = `WARNING: there were a total of 2 references with artifactType ${SIG_TYPE}\n`;
  assert.ok(go2.stderr.includes(warning.trimEnd()), describe(go2));
  assert.ok(ours2.stderr.includes(warning), describe(ours2));
  // The last one listed is verified when it is the one carrying the tag's layer (our key);
  // otherwise it fails and the tag is verified. This registry lists referrers in no fixed order
  // (a Go map), so either may happen; ours must say which, and name the referrer it verified.
  const withTag = refs[layers.indexOf(2)].digest;
  assert.ok(
    ours2.stderr.includes(
      `Verified the signatures in the OCI 1.1 signature referrer ${withTag} of`,
    ) || ours2.stderr.includes("; verified the signatures in its .sig tag instead\n"),
    describe(ours2),
  );
});

/** A referrer manifest with its digests, sizes and timestamps blanked, for comparing shapes. */
function shape(text: string): string {
  return text.replace(/sha256:[0-9a-f]{64}/g, "D").replace(/"size":\d+/g, '"size":N')
    .replace(/"dev\.cosignproject\.cosign\/signature":"[^"]*"/g, '"SIG"');
}

Deno.test("ours signs into an OCI 1.1 referrer of Go's shape; both verify it", async () => {
  const shapes: string[] = [];
  const lines: string[] = [];
  for (const signer of ["go", "ours"] as const) {
    const img = await image();
    const s = expectSuccess(
      await run(signer, [
        "sign",
        "--key",
        "cosign.key",
        "--tlog-upload=false",
        "--registry-referrers-mode=oci-1-1",
        "--yes",
        img.ref,
      ], experimental),
      `${signer} signs (oci-1-1)`,
    );
    const r = { registry: registry.host, repository: img.repo };
    const refs = await client.referrers(r, img.digest, SIG_TYPE);
    assert.equal(refs.length, 1, `${signer}: ${JSON.stringify(refs)}`);
    assert.deepEqual(await client.listTags(r), ["v1"], signer);
    const got = await client.getManifest(r, refs[0].digest);
    shapes.push(shape(new TextDecoder().decode(got.bytes)));
    lines.push(s.stderr.replaceAll(img.repo, "REPO").replace(/sha256:[0-9a-f]{64}/g, "D"));
    for (const verifier of ["go", "ours"] as const) {
      expectSuccess(
        await run(verifier, verifyArgs(img.ref), opts),
        `${verifier} verifies ${signer}'s referrer`,
      );
    }
    // Another key's referrer fails in both.
    const bad = verifyArgs(img.ref, join(other, "cosign.pub"));
    expectSameFailure(
      [await run("go", bad, opts), await run("ours", bad, opts)],
      `${signer}'s referrer, another key`,
    );
  }
  assert.equal(shapes[1], shapes[0]);
  assert.equal(lines[1], lines[0]);
});

Deno.test("the flag's refusals: oci-1-1 sign with COSIGN_REPOSITORY, --local-image has no referrers", async () => {
  const img = await image();
  const s = await run("ours", [
    "sign",
    "--key",
    "cosign.key",
    "--tlog-upload=false",
    "--registry-referrers-mode=oci-1-1",
    "--yes",
    img.ref,
  ], suiteOptions(dir, { COSIGN_EXPERIMENTAL: "1", COSIGN_REPOSITORY: `${registry.host}/sigs` }));
  assert.equal(s.code, 1, describe(s));
  assert.match(s.stderr, /cannot use --registry-referrers-mode=oci-1-1 with COSIGN_REPOSITORY yet/);
  const l = await run("ours", [...verifyArgs(dir).slice(0, -1), "--local-image", dir], opts);
  assert.equal(l.code, 1, describe(l));
  assert.equal(l.stderr, "error: cannot use --experimental-oci11 with --local-image\n");
});
