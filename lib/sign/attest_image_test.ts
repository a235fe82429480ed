import assert from "node:assert/strict";
import { loadPrivateKey } from "../keys/private_key.ts";
import { MemoryRegistry } from "../registry/memory_registry.ts";
import type { ImageManifest, Registry, Repository } from "../registry/types.ts";
import { parseEnvelope } from "../payload/dsse.ts";
import { IMAGES, pushTestImages } from "../../tests/helpers/oci_images.ts";
import { attestImage, type AttestImageOptions } from "./attest_image.ts";
import { keySigner } from "../signature/signer.ts";

const F = new URL("../../tests/fixtures/attest/", import.meta.url);
const read = (p: string) => Deno.readFile(new URL(p, F));
const dec = new TextDecoder();
const app: Repository = { registry: "127.0.0.1:5077", repository: "test/app" };
const signer = keySigner(await loadPrivateKey(await read("cosign.key"), new Uint8Array()));
// ECDSA signatures here are deterministic (RFC 6979): a second signer makes a different envelope.
const edSigner = keySigner(await loadPrivateKey(await read("ed25519.key"), new Uint8Array()), {
  ed25519ph: true,
});
const ATT = `sha256-${IMAGES.amd64.slice(7)}.att`;
const SLSA = await read("slsaprovenance.json");
const LINK = await read("link.json");
const NOW = () => new Date("2024-05-06T07:08:09.123Z");

async function setup(): Promise<MemoryRegistry> {
  const reg = new MemoryRegistry();
  await pushTestImages(reg, app);
  return reg;
}

function attest(reg: Registry, extra: Partial<AttestImageOptions> = {}) {
  return attestImage({
    registry: reg,
    ref: { ...app, digest: IMAGES.amd64 },
    signer,
    predicate: SLSA,
    type: "slsaprovenance",
    now: NOW,
    retry: { baseDelayMs: 1 },
    ...extra,
  });
}

async function attImage(reg: Registry, tag = ATT) {
  const m = await reg.getManifest(app, tag);
  const man = m.manifest as ImageManifest;
  const config = dec.decode(await reg.getBlobBytes(app, man.config.digest, 100000));
  return { mediaType: m.mediaType, text: dec.decode(m.bytes), manifest: man, config };
}

/** The predicate type inside each layer's envelope. */
async function layerTypes(reg: Registry): Promise<string[]> {
  const { manifest } = await attImage(reg);
  const out = [];
  for (const l of manifest.layers) {
    const env = parseEnvelope(await reg.getBlobBytes(app, l.digest, 1 << 20));
    out.push(JSON.parse(dec.decode(Uint8Array.fromBase64(env.payload))).predicateType);
  }
  return out;
}

Deno.test("attestImage() writes the .att image cosign writes: DSSE layer, predicateType annotation, ggcr config", async () => {
  const reg = await setup();
  const r1 = await attest(reg);
  const r2 = await attest(reg, { type: "link", predicate: LINK });
  assert.equal(r1.location.tag, ATT);
  const { text, config, manifest } = await attImage(reg);
  const [l1, l2] = [r1.layer, r2.layer];
  // The exact bytes cosign v2.6.4 wrote for two attestations (see the interop suite).
  assert.equal(
    config,
    `{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"},{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["${l1.digest}","${l2.digest}"]},"config":{}}`,
  );
  const layer = (l: typeof l1, uri: string) =>
    `{"mediaType":"application/vnd.dsse.envelope.v1+json","size":${l.size},"digest":"${l.digest}","annotations":{"dev.cosignproject.cosign/signature":"","predicateType":"${uri}"}}`;
  assert.equal(
    text,
    `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":${config.length},"digest":"${manifest.config.digest}"},"layers":[${
      layer(l1, "https://slsa.dev/provenance/v0.2")
    },${layer(l2, "https://in-toto.io/Link/v1")}]}`,
  );
  // The statement: subject = repository + image digest.
  const st = JSON.parse(dec.decode(r1.statement));
  assert.deepEqual(st.subject, [{
    name: "127.0.0.1:5077/test/app",
    digest: { sha256: IMAGES.amd64.slice(7) },
  }]);
  assert.equal(st._type, "https://in-toto.io/Statement/v0.1");
  assert.deepEqual(await reg.getBlobBytes(app, l1.digest, 1 << 20), r1.envelope);
});

Deno.test("attestImage() resolves a tag, and with upload=false writes nothing", async () => {
  const reg = await setup();
  const r = await attest(reg, { ref: { ...app, tag: "amd64" }, upload: false });
  assert.equal(r.resolvedFromTag, true);
  assert.equal(r.digest, IMAGES.amd64);
  assert.equal(r.uploaded, false);
  await assert.rejects(reg.getManifest(app, ATT));
});

Deno.test("attestImage() refuses an invalid --type before touching the registry", async () => {
  const reg = await setup();
  await assert.rejects(attest(reg, { type: "not a uri" }), {
    name: "TypeError",
    message: "invalid predicate type: not a uri",
  });
});

Deno.test("attestImage() reports a predicate that is not JSON for a typed predicate", async () => {
  const reg = await setup();
  await assert.rejects(
    attest(reg, { predicate: new TextEncoder().encode("nope"), predicateName: "p.json" }),
    {
      name: "PredicateError",
      message:
        "Cannot read predicate p.json: provenance predicate: not valid JSON: invalid character 'o' in literal null (expecting 'u')",
    },
  );
});

Deno.test("attestImage() --replace puts the new attestation first, keeps other types, rebuilds cosign's empty image", async () => {
  const reg = await setup();
  await attest(reg);
  await attest(reg, { type: "link", predicate: LINK });
  await attest(reg, { signer: edSigner });
  const log: string[] = [];
  const r = await attest(reg, {
    replace: true,
    dockerMediaTypes: true,
    recordCreationTimestamp: true,
    log: (l) => void log.push(l),
  });
  assert.deepEqual(log, [
    "Replacing attestation predicate: https://slsa.dev/provenance/v0.2",
    "Not replacing attestation predicate: https://in-toto.io/Link/v1",
    "Replacing attestation predicate: https://slsa.dev/provenance/v0.2",
  ]);
  assert.equal(r.replaced.length, 1); // the first one is identical to ours: replaced by itself
  assert.deepEqual(await layerTypes(reg), [
    "https://slsa.dev/provenance/v0.2",
    "https://in-toto.io/Link/v1",
  ]);
  const { mediaType, manifest, config } = await attImage(reg);
  // ReplaceSignatures starts from empty.Signatures(): Docker types from the environment, and
  // the zero creation time even with --record-creation-timestamp.
  assert.equal(mediaType, "application/vnd.docker.distribution.manifest.v2+json");
  assert.equal(manifest.config.mediaType, "application/vnd.docker.container.image.v1+json");
  assert.equal(manifest.layers[0].digest, r.layer.digest);
  assert.match(config, /^\{"architecture":"","created":"0001-01-01T00:00:00Z","history":\[\{/);
});

Deno.test("attestImage() --replace on an image without attestations just stores it", async () => {
  const reg = await setup();
  const log: string[] = [];
  await attest(reg, { replace: true, log: (l) => void log.push(l) });
  assert.deepEqual(log, []);
  assert.deepEqual(await layerTypes(reg), ["https://slsa.dev/provenance/v0.2"]);
});

Deno.test("attestImage() --replace refuses an existing layer it cannot read, as cosign", async () => {
  const reg = await setup();
  await attest(reg);
  // A layer whose envelope has no payload.
  const { writeSignatureImage, readSignatureImage } = await import("../oci/cosign_signatures.ts");
  const { attestationLayerDescriptor } = await import("../oci/cosign_attestations.ts");
  const bad = new TextEncoder().encode(`{"payloadType":"x"}`);
  await writeSignatureImage(reg, app, ATT, {
    base: await readSignatureImage(reg, app, ATT),
    add: [{ descriptor: await attestationLayerDescriptor(bad), payload: bad }],
  });
  await assert.rejects(attest(reg, { replace: true }), {
    message: "could not find 'payload' in payload data",
  });
});

Deno.test("attestImage() --record-creation-timestamp sets the config's created when appending", async () => {
  const reg = await setup();
  await attest(reg, { recordCreationTimestamp: true });
  const { config } = await attImage(reg);
  assert.match(config, /"created":"2024-05-06T07:08:09.123Z"/);
});

Deno.test("attestImage(): 20 concurrent attesters keep every attestation", async () => {
  const reg = await setup();
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      attest(reg, {
        type: "custom",
        predicate: new TextEncoder().encode(`attester ${i}`),
      })),
  );
  const { manifest } = await attImage(reg);
  assert.deepEqual(
    new Set(manifest.layers.map((l) => l.digest)),
    new Set(results.map((r) => r.layer.digest)),
  );
  assert.equal(manifest.layers.length, 20);
});

Deno.test("attestImage(): concurrent --replace attesters of one type keep only theirs, and every other type", async () => {
  const reg = await setup();
  await attest(reg); // an old provenance, to be replaced
  const link = await attest(reg, { type: "link", predicate: LINK });
  const replacers = await Promise.all(
    Array.from({ length: 5 }, () => attest(reg, { replace: true })),
  );
  const others = await Promise.all(
    Array.from(
      { length: 5 },
      (_, i) => attest(reg, { type: "custom", predicate: new TextEncoder().encode(`c${i}`) }),
    ),
  );
  const { manifest } = await attImage(reg);
  const present = new Set(manifest.layers.map((l) => l.digest));
  assert.ok(present.has(link.layer.digest));
  for (const r of [...others]) assert.ok(present.has(r.layer.digest));
  // Each replacer only removed what it saw on its first read: at least the last one survives.
  assert.ok(replacers.some((r) => present.has(r.layer.digest)));
});

Deno.test("attestImage() puts the witness's bundle on the layer, and writes nothing when it fails", async () => {
  const reg = await setup();
  const seen: Uint8Array[] = [];
  const r = await attest(reg, {
    witness: (envelope) => {
      seen.push(envelope);
      return Promise.resolve({ bundle: '{"SignedEntryTimestamp":"x"}' });
    },
  });
  assert.deepEqual(seen, [r.envelope]);
  const { manifest, text } = await attImage(reg);
  assert.deepEqual(manifest.layers[0].annotations, {
    "dev.cosignproject.cosign/signature": "",
    "dev.sigstore.cosign/bundle": '{"SignedEntryTimestamp":"x"}',
    predicateType: "https://slsa.dev/provenance/v0.2",
  });
  // Go marshals the annotation map with sorted keys.
  assert.ok(
    text.indexOf('"dev.cosignproject.cosign/signature"') <
        text.indexOf('"dev.sigstore.cosign/bundle"') &&
      text.indexOf('"dev.sigstore.cosign/bundle"') < text.indexOf('"predicateType"'),
  );

  const other = await setup();
  await assert.rejects(
    attest(other, { witness: () => Promise.reject(new Error("log down")) }),
    /log down/,
  );
  await assert.rejects(other.getManifest(app, ATT));
  // --no-upload: the log is not asked.
  await attest(other, { upload: false, witness: () => Promise.reject(new Error("called")) });
});

Deno.test("attestImage() puts the witness's RFC 3161 timestamp on the layer, in Go's key order", async () => {
  const reg = await setup();
  const stamp = '{"SignedRFC3161Timestamp":"MAA="}';
  await attest(reg, {
    witness: () =>
      Promise.resolve({ bundle: '{"SignedEntryTimestamp":"x"}', rfc3161Timestamp: stamp }),
  });
  const { manifest, text } = await attImage(reg);
  assert.deepEqual(manifest.layers[0].annotations, {
    "dev.cosignproject.cosign/signature": "",
    "dev.sigstore.cosign/bundle": '{"SignedEntryTimestamp":"x"}',
    "dev.sigstore.cosign/rfc3161timestamp": stamp,
    predicateType: "https://slsa.dev/provenance/v0.2",
  });
  const at = (k: string) => text.indexOf(`"${k}"`);
  assert.ok(
    at("dev.sigstore.cosign/bundle") < at("dev.sigstore.cosign/rfc3161timestamp") &&
      at("dev.sigstore.cosign/rfc3161timestamp") < at("predicateType"),
  );
});

Deno.test("attestImage() with newBundle pushes a v0.3 bundle referrer annotated with the predicate type", async () => {
  const reg = await setup();
  const logged: Uint8Array[] = [];
  const r = await attest(reg, {
    newBundle: {
      upload: (envelope) => {
        logged.push(envelope);
        return Promise.reject(new Error("no log here"));
      },
    },
  }).catch((e) => e);
  // The log is asked first; when it fails, nothing is written.
  assert.equal((r as Error).message, "no log here");
  assert.equal(logged.length, 1);
  assert.deepEqual(await reg.referrers(app, IMAGES.amd64), []);

  const ok = await attest(reg, { newBundle: {} });
  assert.equal(ok.uploaded, true);
  const refs = await reg.referrers(app, IMAGES.amd64);
  assert.deepEqual(refs.map((d) => d.digest), [ok.referrer!.manifestDigest]);
  const m = await reg.getManifest(app, ok.referrer!.manifestDigest);
  const man = m.manifest as ImageManifest;
  assert.deepEqual(man.annotations, {
    "dev.sigstore.bundle.content": "dsse-envelope",
    "dev.sigstore.bundle.predicateType": "https://slsa.dev/provenance/v0.2",
    "org.opencontainers.image.created": "2024-05-06T07:08:09Z",
  });
  assert.equal(man.artifactType, "application/vnd.dev.sigstore.bundle.v0.3+json");
  assert.equal(man.subject?.digest, IMAGES.amd64);
  const bundle = JSON.parse(dec.decode(await reg.getBlobBytes(app, man.layers[0].digest, 1 << 20)));
  assert.equal(atob(bundle.dsseEnvelope.payload), dec.decode(ok.statement));
  assert.deepEqual(bundle.verificationMaterial.tlogEntries, undefined);
  // Nothing in the .att tag.
  await assert.rejects(() => reg.getManifest(app, ATT));
});

Deno.test("attestImage() with newBundle and no upload writes nothing", async () => {
  const reg = await setup();
  const r = await attest(reg, { newBundle: {}, upload: false });
  assert.equal(r.uploaded, false);
  assert.equal(r.referrer, undefined);
  assert.deepEqual(await reg.referrers(app, IMAGES.amd64), []);
});
