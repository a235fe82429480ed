import assert from "node:assert/strict";
import {
  fetchSignaturePayload,
  readSignatureImage,
  signatureLayerDescriptor,
  writeSignatureImage,
} from "./cosign_signatures.ts";
import { marshalConfigFile, marshalManifest } from "../registry/marshal_manifest.ts";
import { MemoryRegistry } from "../registry/memory_registry.ts";

const FIXTURES = new URL("../../tests/fixtures/cosign-oci/", import.meta.url);
const dec = new TextDecoder();
const read = (p: string) => Deno.readFile(new URL(p, FIXTURES));
const repo = { registry: "127.0.0.1:5077", repository: "test/app" };

Deno.test("marshalManifest() and marshalConfigFile() reproduce cosign's bytes from their parse", async () => {
  for (const dir of ["oci-two-signatures", "docker-media-types", "record-creation-timestamp"]) {
    const m = await read(`${dir}/manifest.json`);
    assert.equal(marshalManifest(JSON.parse(dec.decode(m))), dec.decode(m), dir);
    const c = await read(`${dir}/config.json`);
    assert.equal(marshalConfigFile(JSON.parse(dec.decode(c))), dec.decode(c), dir);
  }
});

Deno.test("marshalConfigFile() writes ggcr's ConfigFile field order and drops unknown fields", () => {
  assert.equal(
    marshalConfigFile({
      os: "linux",
      zzz: 1,
      created: "2024-01-02T03:04:05.500000000+02:00",
      config: { Labels: { b: "2", a: "1" }, Env: ["A=1"], Unknown: 1, Healthcheck: { Retries: 3 } },
      rootfs: { diff_ids: ["sha256:aa"], type: "layers" },
      architecture: "amd64",
      history: [{ empty_layer: true, comment: "c" }],
    }),
    '{"architecture":"amd64","created":"2024-01-02T03:04:05.5+02:00","history":[{"created":"0001-01-01T00:00:00Z","comment":"c","empty_layer":true}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:aa"]},"config":{"Healthcheck":{"Retries":3},"Env":["A=1"],"Labels":{"a":"1","b":"2"}}}',
  );
});

Deno.test("writeSignatureImage() builds cosign's exact signature image, then appends to it", async () => {
  const golden = JSON.parse(dec.decode(await read("oci-two-signatures/manifest.json")));
  const reg = new MemoryRegistry();
  const tag = "sha256-ecfa557d3ad2895613583424c60d54a45ffdc5824486f8727793eef5eafdcff3.sig";
  for (const i of [0, 1]) {
    const payload = await read(`oci-two-signatures/layer-${i}.json`);
    const descriptor = await signatureLayerDescriptor({
      payload,
      base64Signature: golden.layers[i].annotations["dev.cosignproject.cosign/signature"],
    });
    const base = await readSignatureImage(reg, repo, tag);
    assert.equal(base === undefined, i === 0);
    await writeSignatureImage(reg, repo, tag, { base, add: [{ descriptor, payload }] });
  }
  const got = await reg.getManifest(repo, tag);
  assert.equal(dec.decode(got.bytes), dec.decode(await read("oci-two-signatures/manifest.json")));
  assert.equal(
    dec.decode(await reg.getBlobBytes(repo, golden.config.digest, 1000)),
    dec.decode(await read("oci-two-signatures/config.json")),
  );
});

Deno.test("signatureLayerDescriptor() writes certificate, chain, bundle and timestamp annotations", async () => {
  const d = await signatureLayerDescriptor({
    payload: new Uint8Array([1]),
    base64Signature: "c2ln",
    certificate: "CERT",
    bundle: "{}",
    rfc3161Timestamp: "{}",
  });
  assert.deepEqual(d.annotations, {
    "dev.cosignproject.cosign/signature": "c2ln",
    "dev.sigstore.cosign/certificate": "CERT",
    "dev.sigstore.cosign/chain": "",
    "dev.sigstore.cosign/bundle": "{}",
    "dev.sigstore.cosign/rfc3161timestamp": "{}",
  });
  assert.equal(
    marshalManifest({ schemaVersion: 2, config: d, layers: [] }).slice(0, 120),
    '{"schemaVersion":2,"config":{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":1,"digest":"sha256:4b',
  );
});

Deno.test("readSignatureImage() treats a missing tag as no signatures and refuses an index", async () => {
  const reg = new MemoryRegistry();
  assert.equal(await readSignatureImage(reg, repo, "sha256-00.sig"), undefined);
  await reg.putManifest(
    repo,
    "idx.sig",
    new TextEncoder().encode('{"schemaVersion":2,"manifests":[]}'),
    "application/vnd.oci.image.index.v1+json",
  );
  await assert.rejects(readSignatureImage(reg, repo, "idx.sig"), { code: "UNSUPPORTED" });
});

Deno.test("fetchSignaturePayload() refuses a layer whose descriptor exceeds the limit before downloading", async () => {
  let downloads = 0;
  const reg = new MemoryRegistry({
    hook: (op) => {
      if (op === "getBlob") downloads++;
    },
  });
  const payload = new Uint8Array(300);
  const d = await reg.putBlob(repo, payload);
  const desc = { mediaType: "x", ...d };
  await assert.rejects(fetchSignaturePayload(reg, repo, desc, 299), {
    code: "TOO_LARGE",
    message: "size of layer (300) exceeded the limit (299)",
  });
  assert.equal(downloads, 0);
  // a descriptor that under-states the size is still bounded by the limit
  await assert.rejects(fetchSignaturePayload(reg, repo, { ...desc, size: 10 }, 299), {
    code: "TOO_LARGE",
  });
  assert.deepEqual(await fetchSignaturePayload(reg, repo, desc, 300), payload);
});
