import assert from "node:assert/strict";
import { loadPrivateKey } from "../keys/private_key.ts";
import { MemoryRegistry } from "../registry/memory_registry.ts";
import type { ImageManifest, Repository } from "../registry/types.ts";
import { pae } from "../payload/dsse.ts";
import { readAllBounded } from "../stream.ts";
import { IMAGES, pushTestImages } from "../../tests/helpers/oci_images.ts";
import { imageSignStatement, signImageBundle } from "./sign_image_bundle.ts";
import { keySigner, type Signer } from "../signature/signer.ts";

const FIXTURES = new URL("../../tests/fixtures/cosign-oci/", import.meta.url);
const app: Repository = { registry: "127.0.0.1:5077", repository: "test/app" };
const dec = new TextDecoder();
const real = keySigner(
  await loadPrivateKey(await Deno.readFile(new URL("cosign.key", FIXTURES)), new Uint8Array()),
);

/** Records what it signs and answers a fixed signature. */
function fakeSigner(signed: Uint8Array[]): Signer {
  return {
    publicKey: real.publicKey,
    hash: "sha256",
    sign: async (r) => {
      signed.push(await readAllBounded(r, 1 << 20, "pae"));
      return new Uint8Array([1, 2, 3]);
    },
  };
}

const BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json";

Deno.test("imageSignStatement() is cosign's sign/v1 statement of the digest", () => {
  assert.equal(
    dec.decode(imageSignStatement("sha256:abcd")),
    '{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"abcd"}}],' +
      '"predicateType":"https://sigstore.dev/cosign/sign/v1"}',
  );
  assert.throws(() => imageSignStatement("abcd"), TypeError);
  assert.throws(() => imageSignStatement("a:b:c"), TypeError);
});

Deno.test("signImageBundle() pushes the bundle as a referrer, in go-containerregistry's layout", async () => {
  const reg = new MemoryRegistry();
  await pushTestImages(reg, app);
  const signed: Uint8Array[] = [];
  const [r] = await signImageBundle({
    registry: reg,
    ref: { ...app, digest: IMAGES.amd64 },
    signer: fakeSigner(signed),
    now: () => new Date("2026-01-02T03:04:05.678Z"),
  });
  assert.equal(r.digest, IMAGES.amd64);
  assert.deepEqual(signed, [
    pae("application/vnd.in-toto+json", imageSignStatement(IMAGES.amd64)),
  ]);
  const hint = new Uint8Array(
    await crypto.subtle.digest("SHA-256", real.publicKey.spki as BufferSource),
  ).toBase64();
  assert.equal(
    r.bundle,
    `{"mediaType":"${BUNDLE}","verificationMaterial":{"publicKey":{"hint":"${hint}"}},` +
      `"dsseEnvelope":{"payload":"${imageSignStatement(IMAGES.amd64).toBase64()}",` +
      `"payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AQID"}]}}`,
  );
  const refs = await reg.referrers(app, IMAGES.amd64);
  assert.deepEqual(refs.map((d) => d.digest), [r.manifestDigest]);
  const m = await reg.getManifest(app, r.manifestDigest);
  const layer = new TextEncoder().encode(r.bundle);
  const sha = async (b: Uint8Array) =>
    "sha256:" + new Uint8Array(await crypto.subtle.digest("SHA-256", b as BufferSource)).toHex();
  const subject = await reg.headManifest(app, IMAGES.amd64);
  assert.equal(
    dec.decode(m.bytes),
    '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",' +
      '"config":{"mediaType":"application/vnd.oci.empty.v1+json","size":2,' +
      `"digest":"${await sha(new TextEncoder().encode("{}"))}","artifactType":"${BUNDLE}"},` +
      `"layers":[{"mediaType":"${BUNDLE}","size":${layer.length},"digest":"${await sha(
        layer,
      )}"}],` +
      '"annotations":{"dev.sigstore.bundle.content":"dsse-envelope",' +
      '"dev.sigstore.bundle.predicateType":"https://sigstore.dev/cosign/sign/v1",' +
      '"org.opencontainers.image.created":"2026-01-02T03:04:05Z"},' +
      `"subject":{"mediaType":"${subject!.mediaType}","size":${subject!.size},` +
      `"digest":"${IMAGES.amd64}"},"artifactType":"${BUNDLE}"}`,
  );
  const layerDigest = (m.manifest as ImageManifest).layers[0].digest;
  assert.equal(dec.decode(await reg.getBlobBytes(app, layerDigest, 1 << 20)), r.bundle);
});

Deno.test("signImageBundle() resolves a tag, walks an index with --recursive, logs each", async () => {
  const reg = new MemoryRegistry();
  await pushTestImages(reg, app);
  const logged: string[] = [];
  const out = await signImageBundle({
    registry: reg,
    ref: { ...app, tag: "multi" },
    signer: real,
    recursive: true,
    upload: (env) => {
      logged.push(JSON.parse(dec.decode(env)).payloadType);
      return Promise.reject(new Error("stop after the first log upload"));
    },
  }).catch((e) => e as Error);
  assert.ok(out instanceof Error && /stop after/.test(out.message));
  assert.deepEqual(logged, ["application/vnd.in-toto+json"]);
  const all = await signImageBundle({
    registry: reg,
    ref: { ...app, tag: "multi" },
    signer: real,
    recursive: true,
  });
  assert.deepEqual(all.map((s) => s.digest), [IMAGES.index, IMAGES.amd64, IMAGES.arm64]);
  for (const d of [IMAGES.index, IMAGES.amd64, IMAGES.arm64]) {
    assert.equal((await reg.referrers(app, d)).length, 1, d);
  }
  const one = await signImageBundle({ registry: reg, ref: { ...app, tag: "arm64" }, signer: real });
  assert.deepEqual(one.map((s) => s.digest), [IMAGES.arm64]);
});

Deno.test("signImageBundle() refuses an image that is not there, writing nothing", async () => {
  const reg = new MemoryRegistry();
  await pushTestImages(reg, app);
  const missing = "sha256:" + "0".repeat(64);
  await assert.rejects(
    signImageBundle({ registry: reg, ref: { ...app, digest: missing }, signer: real }),
    /the image does not exist/,
  );
  assert.deepEqual(await reg.referrers(app, missing), []);
});

Deno.test("signImageBundle() timestamps the envelope's signature before the log upload, and writes nothing when the timestamp is refused", async () => {
  const reg = await setup();
  const order: string[] = [];
  const [r] = await signImageBundle({
    registry: reg,
    ref: { ...app, digest: IMAGES.amd64 },
    signer: fakeSigner([]),
    timestamper: (sig) => {
      order.push(`timestamp ${sig.toHex()}`);
      return Promise.resolve(new Uint8Array([0x30, 0x00]));
    },
  });
  assert.deepEqual(order, ["timestamp 010203"]);
  assert.deepEqual(JSON.parse(r.bundle).verificationMaterial.timestampVerificationData, {
    rfc3161Timestamps: [{ signedTimestamp: "MAA=" }],
  });

  const other = await setup();
  await assert.rejects(
    signImageBundle({
      registry: other,
      ref: { ...app, digest: IMAGES.amd64 },
      signer: fakeSigner([]),
      timestamper: () => Promise.reject(new Error("refused")),
      upload: () => Promise.reject(new Error("must not be called")),
    }),
    { message: "refused" },
  );
  assert.deepEqual(await other.referrers(app, IMAGES.amd64), []);
});

async function setup(): Promise<MemoryRegistry> {
  const reg = new MemoryRegistry();
  await pushTestImages(reg, app);
  return reg;
}
