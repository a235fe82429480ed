import assert from "node:assert/strict";
import { loadPrivateKey } from "../keys/private_key.ts";
import { attestImage } from "../sign/attest_image.ts";
import { keySigner } from "../signature/signer.ts";
import { IMAGES, pushTestImages } from "../../tests/helpers/oci_images.ts";
import {
  attachAttestation,
  envelopePredicateType,
  readAttestations,
  splitJsonStream,
} from "./cosign_attestations.ts";
import { MemoryRegistry } from "../registry/memory_registry.ts";
import type { ImageManifest, Repository } from "../registry/types.ts";

const F = new URL("../../tests/fixtures/attest/", import.meta.url);
const read = (p: string) => Deno.readFile(new URL(p, F));
const enc = new TextEncoder();
const dec = new TextDecoder();
const app: Repository = { registry: "127.0.0.1:5077", repository: "test/app" };
const signer = keySigner(await loadPrivateKey(await read("cosign.key"), new Uint8Array()));
const ATT = `sha256-${IMAGES.amd64.slice(7)}.att`;
const MAX = 1 << 20;

async function setup(): Promise<MemoryRegistry> {
  const reg = new MemoryRegistry();
  await pushTestImages(reg, app);
  return reg;
}

Deno.test("readAttestations() prints each envelope as cosign's AttestationPayload, filtered by type", async () => {
  const reg = await setup();
  const ref = { ...app, digest: IMAGES.amd64 };
  assert.deepEqual(await readAttestations(reg, ref, { maxSize: MAX }), []);
  const a = await attestImage({
    registry: reg,
    ref,
    signer,
    predicate: await read("link.json"),
    type: "link",
  });
  const b = await attestImage({
    registry: reg,
    ref,
    signer,
    predicate: await read("vuln.json"),
    type: "vuln",
  });
  const all = await readAttestations(reg, { ...app, tag: "amd64" }, { maxSize: MAX });
  assert.deepEqual(all.map((x) => x.line), [dec.decode(a.envelope), dec.decode(b.envelope)]);
  const vuln = await readAttestations(reg, ref, { maxSize: MAX, predicateType: "vuln" });
  assert.deepEqual(vuln.map((x) => x.line), [dec.decode(b.envelope)]);
  await assert.rejects(readAttestations(reg, ref, { maxSize: MAX, predicateType: "spdx" }), {
    code: "NOT_SIGNED",
    message: "no attestations with predicate type 'https://spdx.dev/Document' found",
  });
  await assert.rejects(readAttestations(reg, ref, { maxSize: MAX, predicateType: "not a uri" }), {
    name: "TypeError",
  });
  await assert.rejects(readAttestations(reg, ref, { maxSize: 10 }), {
    code: "TOO_LARGE",
  });
});

Deno.test("readAttestations() --platform picks one image of an index, and refuses a plain image", async () => {
  const reg = await setup();
  await attestImage({
    registry: reg,
    ref: { ...app, digest: IMAGES.arm64 },
    signer,
    predicate: enc.encode("arm"),
  });
  const got = await readAttestations(reg, { ...app, tag: "multi" }, {
    maxSize: MAX,
    platform: "linux/arm64",
  });
  assert.equal(got.length, 1);
  await assert.rejects(
    readAttestations(reg, { ...app, tag: "amd64" }, { maxSize: MAX, platform: "linux/arm64" }),
    { message: "specified reference is not a multiarch image" },
  );
  await assert.rejects(
    readAttestations(reg, { ...app, tag: "multi" }, { maxSize: MAX, platform: "linux/s390x" }),
    { message: "unable to find an entity for linux/s390x" },
  );
});

Deno.test("attachAttestation() stores each envelope of a JSON stream re-marshalled, with cosign's annotation", async () => {
  const reg = await setup();
  const ref = { ...app, tag: "amd64" };
  const a = await attestImage({
    registry: reg,
    ref,
    signer,
    predicate: enc.encode("x"),
    upload: false,
  });
  // Unknown fields dropped, Go field order restored.
  const text = dec.decode(a.envelope);
  const shuffled = JSON.stringify({ extra: 1, ...JSON.parse(text) });
  const file = enc.encode(`${shuffled}\n${text}\n`);
  const r = await attachAttestation({ registry: reg, ref }, file);
  assert.equal(r.location.tag, ATT);
  const m = (await reg.getManifest(app, ATT)).manifest as ImageManifest;
  assert.equal(m.layers.length, 1); // both re-marshal to the same envelope: one layer
  assert.deepEqual(m.layers[0].annotations, { "dev.cosignproject.cosign/signature": "" });
  assert.equal(m.layers[0].mediaType, "application/vnd.dsse.envelope.v1+json");
  assert.equal(dec.decode(await reg.getBlobBytes(app, m.layers[0].digest, MAX)), text);
});

Deno.test("attachAttestation() refuses envelopes cosign refuses", async () => {
  const reg = await setup();
  const ref = { ...app, digest: IMAGES.amd64 };
  const cases: [string, string][] = [
    [
      `{"payloadType":"text/plain","payload":"","signatures":[{"sig":"AA=="}]}`,
      "invalid payloadType text/plain on envelope. Expected application/vnd.in-toto+json",
    ],
    [
      `{"payloadType":"application/vnd.in-toto+json","payload":"","signatures":[]}`,
      "could not attach attestation without having signatures",
    ],
  ];
  for (const [file, message] of cases) {
    await assert.rejects(attachAttestation({ registry: reg, ref }, enc.encode(file)), { message });
  }
});

Deno.test("splitJsonStream() splits concatenated and newline-separated JSON values", () => {
  const parts = splitJsonStream(enc.encode(` {"a":"}{"}{"b":[1,{"c":"\\""}]}\n\n[1] `));
  assert.deepEqual(parts.map((p) => dec.decode(p)), [`{"a":"}{"}`, `{"b":[1,{"c":"\\""}]}`, "[1]"]);
  assert.throws(() => splitJsonStream(enc.encode(`{"a":1`)), { message: "unexpected EOF" });
});

Deno.test("envelopePredicateType() reads the statement's predicateType as cosign's ReplaceOp", () => {
  const env = (payload: string) => enc.encode(JSON.stringify({ payload: btoa(payload) }));
  assert.equal(envelopePredicateType(env(`{"predicateType":"https://x"}`)), "https://x");
  assert.throws(() => envelopePredicateType(env(`{}`)), {
    message: "could not find 'predicateType' in payload data",
  });
  assert.throws(() => envelopePredicateType(enc.encode(`{}`)), {
    message: "could not find 'payload' in payload data",
  });
});
