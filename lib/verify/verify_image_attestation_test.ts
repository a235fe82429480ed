import assert from "node:assert/strict";
import { generateKeyPair } from "../keys/generate_key_pair.ts";
import { loadPrivateKey } from "../keys/private_key.ts";
import { keyPolicy } from "./verification_policy.ts";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import { attestationLayerDescriptor } from "../oci/cosign_attestations.ts";
import { readSignatureImage, writeSignatureImage } from "../oci/cosign_signatures.ts";
import { MemoryRegistry } from "../registry/memory_registry.ts";
import type { Repository } from "../registry/types.ts";
import { INTOTO_PAYLOAD_TYPE, signDsse } from "../payload/dsse.ts";
import { attestImage } from "../sign/attest_image.ts";
import { keySigner } from "../signature/signer.ts";
import { IMAGES, pushTestImages } from "../../tests/helpers/oci_images.ts";
import {
  renderAttestationOutput,
  verifyImageAttestations,
  type VerifyImageAttestationsOptions,
} from "./verify_image_attestation.ts";

const F = new URL("../../tests/fixtures/attest/", import.meta.url);
const read = (p: string) => Deno.readFile(new URL(p, F));
const enc = new TextEncoder();
const app: Repository = { registry: "127.0.0.1:5077", repository: "test/app" };
const publicKey = parsePublicKeyPem(await read("cosign.pub"));
const signer = keySigner(await loadPrivateKey(await read("cosign.key"), new Uint8Array()));
const pw = enc.encode("x");
const other = keySigner(
  await loadPrivateKey(enc.encode((await generateKeyPair(pw)).privatePem), pw),
);
const ATT = `sha256-${IMAGES.amd64.slice(7)}.att`;
const ref = { ...app, digest: IMAGES.amd64 };

async function setup(): Promise<MemoryRegistry> {
  const reg = new MemoryRegistry();
  await pushTestImages(reg, app);
  return reg;
}

/** Options, with the policy's claims (`type`, `checkClaims`) given flat. */
type Extra = Partial<Omit<VerifyImageAttestationsOptions, "policy">> & {
  type?: string;
  checkClaims?: boolean;
};

function verify(reg: MemoryRegistry, extra: Extra = {}) {
  const { type, checkClaims, ...rest } = extra;
  return verifyImageAttestations({
    registry: reg,
    ref,
    policy: { ...keyPolicy(publicKey), claims: { type, check: checkClaims } },
    ...rest,
  });
}

/** Appends an envelope signed over `statement` as a `.att` layer. */
async function addEnvelope(reg: MemoryRegistry, statement: string, by = signer, type?: string) {
  const env = await signDsse(enc.encode(statement), INTOTO_PAYLOAD_TYPE, by);
  await writeSignatureImage(reg, app, ATT, {
    base: await readSignatureImage(reg, app, ATT),
    add: [{ descriptor: await attestationLayerDescriptor(env, type), payload: env }],
  });
  return env;
}

const statementFor = (digest: string, predicateType = "https://example.com/p") =>
  `{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"${predicateType}","subject":[{"name":"x","digest":{"sha256":"${
    digest.slice(7)
  }"}}],"predicate":{}}`;

Deno.test("verifyImageAttestations() returns the envelopes of the wanted type, printed as stored", async () => {
  const reg = await setup();
  const a = await attestImage({
    registry: reg,
    ref,
    signer,
    predicate: await read("custom.txt"),
    type: "custom",
  });
  const b = await attestImage({
    registry: reg,
    ref,
    signer,
    predicate: await read("slsaprovenance.json"),
    type: "slsaprovenance",
  });
  const custom = await verify(reg);
  assert.deepEqual(custom.attestations.map((x) => x.envelope), [a.envelope]);
  const slsa = await verify(reg, { type: "slsaprovenance02" });
  assert.deepEqual(slsa.attestations.map((x) => x.envelope), [b.envelope]);
  assert.equal(
    new TextDecoder().decode(renderAttestationOutput(slsa.attestations)),
    `${new TextDecoder().decode(b.envelope)}\n`,
  );
  const byUri = await verify(reg, { type: "https://slsa.dev/provenance/v0.2" });
  assert.equal(byUri.attestations.length, 1);
  // A tag resolves to the same digest.
  const byTag = await verifyImageAttestations({
    registry: reg,
    ref: { ...app, tag: "amd64" },
    policy: keyPolicy(publicKey),
  });
  assert.equal(byTag.digest, IMAGES.amd64);
});

const cases: Array<{
  name: string;
  prepare: (reg: MemoryRegistry) => Promise<unknown>;
  opts?: Extra;
  code: string;
  message: string | RegExp;
}> = [
  {
    name: "nothing attached",
    prepare: () => Promise.resolve(),
    code: "NOT_SIGNED",
    message: "no matching attestations: none attached",
  },
  {
    name: "signed by another key only",
    prepare: (reg) => addEnvelope(reg, statementFor(IMAGES.amd64), other),
    code: "NO_MATCHING_ATTESTATIONS",
    message: "no matching attestations: accepted signatures do not match threshold, Found: 0, " +
      "Expected 1",
  },
  {
    name: "subject of another image",
    prepare: (reg) => addEnvelope(reg, statementFor(IMAGES.arm64)),
    code: "NO_MATCHING_ATTESTATIONS",
    message: "no matching attestations: no matching subject digest found",
  },
  {
    name: "two failing layers: reasons joined as cosign joins them",
    prepare: async (reg) => {
      await addEnvelope(reg, statementFor(IMAGES.arm64));
      await addEnvelope(reg, statementFor(IMAGES.amd64), other);
    },
    code: "NO_MATCHING_ATTESTATIONS",
    message: "no matching attestations: no matching subject digest found\n accepted signatures " +
      "do not match threshold, Found: 0, Expected 1",
  },
  {
    name: "wrong --type",
    prepare: (reg) => addEnvelope(reg, statementFor(IMAGES.amd64)),
    opts: { type: "slsaprovenance" },
    code: "CLAIMS_MISMATCH",
    message:
      "none of the attestations matched the predicate type: slsaprovenance, found: https://example.com/p",
  },
  {
    name: "a link predicate of the wrong shape",
    prepare: (reg) =>
      addEnvelope(
        reg,
        statementFor(IMAGES.amd64, "https://in-toto.io/Link/v1").replace(
          `"predicate":{}`,
          `"predicate":{"name":1}`,
        ),
      ),
    opts: { type: "link" },
    code: "SIGNATURE_INVALID",
    message: /^converting to consumable policy validation: unmarshaling LinkStatement: /,
  },
  {
    name: "a payload type other than in-toto's",
    prepare: async (reg) => {
      const env = await signDsse(enc.encode(statementFor(IMAGES.amd64)), "text/plain", signer);
      await writeSignatureImage(reg, app, ATT, {
        add: [{ descriptor: await attestationLayerDescriptor(env), payload: env }],
      });
    },
    code: "NO_MATCHING_ATTESTATIONS",
    message: "no matching attestations: invalid payloadType text/plain on envelope. Expected " +
      "application/vnd.in-toto+json",
  },
  {
    name: "more than 100 attestations",
    prepare: async (reg) => {
      const env = await signDsse(enc.encode(statementFor(IMAGES.amd64)), "x", signer);
      const descriptor = await attestationLayerDescriptor(env);
      await writeSignatureImage(reg, app, ATT, {
        add: Array.from({ length: 101 }, () => ({ descriptor, payload: env })),
      });
    },
    code: "TOO_MANY",
    message: "maximum number of attestations on an image is 100, found 101",
  },
];

for (const c of cases) {
  Deno.test(`verifyImageAttestations() refuses: ${c.name}`, async () => {
    const reg = await setup();
    await c.prepare(reg);
    await assert.rejects(verify(reg, c.opts), (e: Error & { code?: string }) => {
      assert.equal(e.code, c.code, e.message);
      if (typeof c.message === "string") assert.equal(e.message, c.message);
      else assert.match(e.message, c.message);
      return true;
    });
  });
}

Deno.test("verifyImageAttestations() with checkClaims=false accepts another image's subject", async () => {
  const reg = await setup();
  await addEnvelope(reg, statementFor(IMAGES.arm64));
  const r = await verify(reg, { checkClaims: false, type: "https://example.com/p" });
  assert.equal(r.attestations.length, 1);
});

Deno.test("verifyImageAttestations() reports a missing tag as the registry's 404", async () => {
  const reg = await setup();
  await assert.rejects(
    verifyImageAttestations({
      registry: reg,
      ref: { ...app, tag: "nope" },
      policy: keyPolicy(publicKey),
    }),
    { code: "MANIFEST_UNKNOWN" },
  );
});

Deno.test("verifyImageAttestations() refuses an oversized layer before downloading it", async () => {
  let downloads = 0;
  const reg = new MemoryRegistry({
    hook: (op) => {
      if (op === "getBlob") downloads++;
    },
  });
  await pushTestImages(reg, app);
  await addEnvelope(reg, statementFor(IMAGES.amd64));
  downloads = 0;
  await assert.rejects(verify(reg, { maxAttachmentSize: 100 }), (e: Error) => {
    assert.match(
      e.message,
      /^no matching attestations: size of layer \(\d+\) exceeded the limit \(100\)$/,
    );
    return true;
  });
  assert.equal(downloads, 0);
});

Deno.test("verifyImageAttestations() keeps the good attestations among bad ones, in layer order", async () => {
  const reg = await setup();
  const a = await addEnvelope(reg, statementFor(IMAGES.amd64));
  await addEnvelope(reg, statementFor(IMAGES.amd64), other);
  await addEnvelope(reg, statementFor(IMAGES.arm64));
  const b = await addEnvelope(reg, statementFor(IMAGES.amd64, "https://example.com/p") + " ");
  const r = await verify(reg, { type: "https://example.com/p" });
  assert.deepEqual(r.attestations.map((x) => x.envelope), [a, b]);
});

Deno.test("verifyImageAttestations() reads cosign 1.3/1.4 envelopes whose payloadType is the predicate type", async () => {
  for (
    const [payloadType, ok] of [["https://example.com/p", true], [
      "https://example.com/q",
      false,
    ]] as const
  ) {
    const reg = await setup();
    const env = await signDsse(enc.encode(statementFor(IMAGES.amd64)), payloadType, signer);
    await writeSignatureImage(reg, app, ATT, {
      add: [{ descriptor: await attestationLayerDescriptor(env), payload: env }],
    });
    const run = verify(reg, { type: "https://example.com/p" });
    if (ok) assert.equal((await run).attestations.length, 1);
    else await assert.rejects(run);
  }
});
