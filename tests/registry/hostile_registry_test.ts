/**
 * `cosign verify`, `verify-attestation`, `download signature|attestation`, `verify
 * --new-bundle-format` and `verify --local-image` (ours, in-process) against a hostile registry
 * (tests/helpers/hostile_registry.ts): every signature, attestation and bundle layer is read no
 * further than its descriptor declares (issue 17). The signed image is real: the two signatures
 * the Go cosign v2.6.4 made (tests/fixtures/cosign-oci/oci-two-signatures).
 */
import assert from "node:assert/strict";
import { cosign } from "../../cli/_test_io.ts";
import { OCI_EMPTY, OCI_MANIFEST } from "../../lib/registry/media_types.ts";
import type { Descriptor, ImageManifest } from "../../lib/registry/types.ts";
import { IMAGES, pushTestImages } from "../helpers/oci_images.ts";
import { startHostileRegistry } from "../helpers/hostile_registry.ts";
import { sha256, utf8 } from "./_helpers.ts";

const FIXTURES = new URL("../fixtures/cosign-oci/", import.meta.url);
const KEY = new URL("cosign.pub", FIXTURES).pathname;
const TRUSTED_ROOT = new URL("../fixtures/new_bundle/trusted_root.json", import.meta.url).pathname;
const GOLDEN = "oci-two-signatures";
const MiB = 1024 * 1024;
const SIG_TAG = `sha256-${IMAGES.amd64.slice(7)}.sig`;
const ATT_TAG = `sha256-${IMAGES.amd64.slice(7)}.att`;

const hostile = startHostileRegistry();
const dir = await Deno.makeTempDir({ prefix: "cosign-hostile-" });
globalThis.addEventListener("unload", () => {
  Deno.removeSync(dir, { recursive: true });
});
const stop = () => hostile.stop();

const golden = JSON.parse(
  await Deno.readTextFile(new URL(`${GOLDEN}/manifest.json`, FIXTURES)),
) as ImageManifest;
const goldenLayers = await Promise.all(
  golden.layers.map((_, i) => Deno.readFile(new URL(`${GOLDEN}/layer-${i}.json`, FIXTURES))),
);
const goldenConfig = await Deno.readFile(new URL(`${GOLDEN}/config.json`, FIXTURES));

let n = 0;
/**
 * A repository holding the test images and, under the amd64 image's `.sig` (or `.att`) tag, the
 * golden signature image with its layers replaced by `layers(golden layers)`. Every layer digest
 * gets a stored blob (the registry checks them on push); faults are set by the caller.
 */
async function imageWith(
  layers: (golden: Descriptor[]) => Descriptor[],
  tag = SIG_TAG,
): Promise<{ name: string; ref: string }> {
  const name = `hostile/app${++n}`;
  const repo = hostile.repo(name);
  await pushTestImages(hostile.store, repo);
  await hostile.store.putBlob(repo, goldenConfig);
  for (const b of goldenLayers) await hostile.store.putBlob(repo, b);
  const manifest = { ...golden, layers: layers(structuredClone(golden.layers)) };
  for (const l of manifest.layers) {
    if (!(await hostile.store.hasBlob(repo, l.digest))) {
      hostile.store.setBlobUnchecked(repo, l.digest, new Uint8Array());
    }
  }
  await hostile.store.putManifest(repo, tag, utf8(JSON.stringify(manifest)), OCI_MANIFEST);
  return { name, ref: `${hostile.host}/${name}@${IMAGES.amd64}` };
}

/** 20 layers, each declaring 260 bytes, each served as an endless body. */
async function endlessLayers(mediaType: string): Promise<Descriptor[]> {
  const out: Descriptor[] = [];
  for (let i = 0; i < 20; i++) {
    const digest = await sha256(utf8(`endless layer ${i}`));
    hostile.faults.set(digest, { kind: "endless" });
    out.push({
      mediaType,
      size: 260,
      digest,
      annotations: {
        "dev.cosignproject.cosign/signature": golden.layers[0].annotations![
          "dev.cosignproject.cosign/signature"
        ],
      },
    });
  }
  return out;
}

const verifyArgs = (ref: string) => [
  "verify",
  "--key",
  KEY,
  "--insecure-ignore-tlog=true",
  ref,
];

/** The blob GETs the registry served for `digests` since `from`, and how they ended. */
function servedFor(digests: string[], from: number) {
  return hostile.served.slice(from).filter((s) => digests.includes(s.digest));
}

/** Waits until the server noticed every hang-up (the client cancels asynchronously). */
async function allCancelled(digests: string[], from: number): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (servedFor(digests, from).every((s) => s.cancelled)) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

Deno.test("verify: the golden signatures verify through the hostile registry when it is honest", async () => {
  const { ref } = await imageWith((l) => l);
  const { code, io } = await cosign(verifyArgs(ref));
  assert.equal(code, 0, io.err());
  assert.equal(JSON.parse(io.out()).length, 2);
});

Deno.test("verify, download signature: 20 endless layers declaring 260 bytes each stop at byte 261", async () => {
  const layers = await endlessLayers("application/vnd.dev.cosign.simplesigning.v1+json");
  const digests = layers.map((l) => l.digest);
  const { name, ref } = await imageWith(() => layers);
  const from = hostile.served.length;
  const v = await cosign(verifyArgs(ref));
  assert.equal(v.code, 12, v.io.err());
  // Only the first reason is printed (cli/run.ts prints an error's first line); the server saw
  // all 20 bodies started and hung up on.
  assert.equal(
    v.io.err().trimEnd().split("\n").at(-1),
    `error: no matching signatures: Cannot fetch blob ${hostile.host}/${name}@${
      digests[0]
    }: the content is longer than its declared size 260`,
  );
  assert.equal(servedFor(digests, from).length, 20);
  assert.equal(await allCancelled(digests, from), true, "every endless body was hung up on");
  for (const s of servedFor(digests, from)) assert.ok(s.bytes < 32 * MiB, `${s.bytes} written`);

  const d = await cosign(["download", "signature", ref]);
  assert.equal(d.code, 1);
  assert.match(
    d.io.err(),
    new RegExp(
      `^error: .*Cannot fetch blob ${hostile.host}/${name}@sha256:[0-9a-f]{64}: the content is longer than its declared size 260\\n$`,
    ),
  );
});

Deno.test("verify-attestation, download attestation: 20 endless envelopes stop at byte 261", async () => {
  const layers = await endlessLayers("application/vnd.dsse.envelope.v1+json");
  const digests = layers.map((l) => l.digest);
  const { ref } = await imageWith(() => layers, ATT_TAG);
  const from = hostile.served.length;
  const v = await cosign([
    "verify-attestation",
    "--key",
    KEY,
    "--insecure-ignore-tlog=true",
    ref,
  ]);
  assert.equal(v.code, 1, v.io.err());
  assert.match(v.io.err(), /: the content is longer than its declared size 260\n$/);
  assert.equal(servedFor(digests, from).length, 20);
  assert.equal(await allCancelled(digests, from), true);

  const d = await cosign(["download", "attestation", ref]);
  assert.equal(d.code, 1);
  assert.match(d.io.err(), /: the content is longer than its declared size 260\n$/);
});

Deno.test("verify: a layer longer or shorter than its descriptor is refused, with or without Content-Length", async () => {
  const [layer] = golden.layers;
  const { size, digest } = layer;
  // [name, declared size, Content-Length sent, the reason printed]
  const cases: Array<[string, number, boolean, string]> = [
    [
      "longer, Content-Length sent: refused before the body",
      size - 1,
      true,
      `Content-Length ${size} does not match the declared size ${size - 1}`,
    ],
    [
      "shorter, Content-Length sent: refused before the body",
      size + 1,
      true,
      `Content-Length ${size} does not match the declared size ${size + 1}`,
    ],
    [
      "longer, chunked: stopped at byte size + 1",
      size - 1,
      false,
      `the content is longer than its declared size ${size - 1}`,
    ],
    [
      "shorter, chunked: refused at its end",
      size + 1,
      false,
      `the content has ${size} bytes, its descriptor declares ${size + 1}`,
    ],
  ];
  try {
    for (const [name, declared, withLength, reason] of cases) {
      hostile.faults.set(digest, {
        kind: "body",
        bytes: goldenLayers[0],
        contentLength: withLength ? undefined : null,
      });
      const image = await imageWith((l) => [{ ...l[0], size: declared }]);
      const { code, io } = await cosign(verifyArgs(image.ref));
      assert.equal(code, 12, `${name}: ${io.err()}`);
      assert.equal(
        io.err().trimEnd().split("\n").at(-1),
        `error: no matching signatures: Cannot fetch blob ${hostile.host}/${image.name}@${digest}: ${reason}`,
        name,
      );
    }
  } finally {
    hostile.faults.delete(digest);
  }
});

Deno.test("verify: a layer declaring more than COSIGN_MAX_ATTACHMENT_SIZE is refused without a request", async () => {
  const { ref } = await imageWith((l) => [{ ...l[0], size: 200 * MiB }, l[1]]);
  const before = hostile.requests.length;
  const { code, io } = await cosign(verifyArgs(ref));
  // The other, honest signature still verifies.
  assert.equal(code, 0, io.err());
  assert.equal(JSON.parse(io.out()).length, 1);
  const gets = hostile.requests.slice(before).filter((r) =>
    r.path.endsWith(`/blobs/${golden.layers[0].digest}`)
  );
  assert.deepEqual(gets, []);

  const { ref: only } = await imageWith((l) => [{ ...l[0], size: 200 * MiB }]);
  const v = await cosign(verifyArgs(only));
  assert.equal(v.code, 12);
  assert.match(
    v.io.err(),
    /\nerror: no matching signatures: size of layer \(209715200\) exceeded the limit \(134217728\)\n$/,
  );
});

Deno.test("verify --new-bundle-format: a referrer bundle layer declaring 200 MiB is skipped without a download", async () => {
  const name = `hostile/bundle${++n}`;
  const repo = hostile.repo(name);
  await pushTestImages(hostile.store, repo);
  const empty = await hostile.store.putBlob(repo, utf8("{}"));
  const huge = await sha256(utf8("a bundle that never ends"));
  const endless = await sha256(utf8("another bundle that never ends"));
  hostile.faults.set(huge, { kind: "endless" });
  hostile.faults.set(endless, { kind: "endless" });
  for (const [digest, size] of [[huge, 200 * MiB], [endless, 4000]] as const) {
    hostile.store.setBlobUnchecked(repo, digest, new Uint8Array());
    const m = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      config: { mediaType: OCI_EMPTY, ...empty },
      layers: [{ mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json", size, digest }],
      subject: { mediaType: OCI_MANIFEST, digest: IMAGES.amd64, size: 100 },
    };
    await hostile.store.putManifest(
      repo,
      await sha256(utf8(JSON.stringify(m))),
      utf8(JSON.stringify(m)),
      OCI_MANIFEST,
    );
  }
  const before = hostile.requests.length;
  const from = hostile.served.length;
  const { code, io } = await cosign([
    "verify",
    "--key",
    KEY,
    "--new-bundle-format",
    "--trusted-root",
    TRUSTED_ROOT,
    `${hostile.host}/${name}@${IMAGES.amd64}`,
  ]);
  assert.equal(code, 1, io.err());
  assert.match(io.err(), /^error: no valid bundles exist in registry\n$/);
  const paths = hostile.requests.slice(before).map((r) => r.path);
  assert.ok(paths.some((p) => p.startsWith(`/v2/${name}/referrers/`)), paths.join("\n"));
  assert.ok(!paths.some((p) => p.endsWith(`/blobs/${huge}`)), "the 200 MiB bundle was not fetched");
  // The one declaring 4000 bytes was fetched, and hung up on after byte 4001.
  assert.equal(servedFor([endless], from).length, 1);
  assert.equal(await allCancelled([endless], from), true);
});

Deno.test("verify --local-image: index.json linked to /dev/zero, a FIFO signature blob", async () => {
  const { ref } = await imageWith((l) => l);
  const saved = `${dir}/saved`;
  const s = await cosign(["save", "--dir", saved, ref]);
  assert.equal(s.code, 0, s.io.err());
  const local = ["verify", "--key", KEY, "--insecure-ignore-tlog=true", "--local-image", saved];
  const ok = await cosign(local);
  assert.equal(ok.code, 0, ok.io.err());

  // A FIFO in place of the first signature's payload: refused, not waited on.
  const fifo = `${saved}/blobs/sha256/${golden.layers[0].digest.slice(7)}`;
  await Deno.remove(fifo);
  const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert.equal(mk.code, 0);
  const one = await cosign(local);
  assert.equal(one.code, 0, one.io.err());
  assert.equal(JSON.parse(one.io.out()).length, 1, "the other signature still verifies");

  await Deno.remove(`${saved}/index.json`);
  await Deno.symlink("/dev/zero", `${saved}/index.json`);
  const zero = await cosign(local);
  assert.equal(zero.code, 1);
  assert.equal(
    zero.io.err().trimEnd().split("\n").at(-1),
    `error: cannot read ${saved}/index.json: it is a symbolic link to /dev/zero, outside the layout`,
  );
});

Deno.test("stop the hostile registry", async () => {
  await stop();
});
