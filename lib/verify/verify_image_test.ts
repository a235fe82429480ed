import assert from "node:assert/strict";
import { VerificationError } from "../errors.ts";
import { generateKeyPair } from "../keys/generate_key_pair.ts";
import { loadPrivateKey } from "../keys/private_key.ts";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import {
  readSignatureImage,
  signatureLayerDescriptor,
  writeSignatureImage,
} from "../oci/cosign_signatures.ts";
import { MemoryRegistry } from "../registry/memory_registry.ts";
import type { ImageManifest, Repository } from "../registry/types.ts";
import { keySigner, type Signer } from "../signature/signer.ts";
import { signImage } from "../sign/sign_image.ts";
import { IMAGES, pushTestImages } from "../../tests/helpers/oci_images.ts";
import { renderVerificationHeader, renderVerificationOutput, verifyImage } from "./verify_image.ts";
import { keyPolicy } from "./verification_policy.ts";

const FIXTURES = new URL("../../tests/fixtures/cosign-oci/", import.meta.url);
const dec = new TextDecoder();
const enc = new TextEncoder();
const read = (p: string) => Deno.readFile(new URL(p, FIXTURES));
const readText = async (p: string) => dec.decode(await read(p));
const app: Repository = { registry: "127.0.0.1:5077", repository: "test/app" };
const publicKey = parsePublicKeyPem(await read("cosign.pub"));
const signer = keySigner(await loadPrivateKey(await read("cosign.key"), new Uint8Array()));
const pw = enc.encode("x");
const otherKey = keySigner(
  await loadPrivateKey(enc.encode((await generateKeyPair(pw)).privatePem), pw),
);
const SIG_TAG = `sha256-${IMAGES.amd64.slice(7)}.sig`;

/** The registry as cosign left it: the images and cosign's own two-signature image. */
async function cosignRegistry(): Promise<MemoryRegistry> {
  const reg = new MemoryRegistry();
  await pushTestImages(reg, app);
  const golden = JSON.parse(await readText("oci-two-signatures/manifest.json")) as ImageManifest;
  for (const [i, layer] of golden.layers.entries()) {
    const payload = await read(`oci-two-signatures/layer-${i}.json`);
    await writeSignatureImage(reg, app, SIG_TAG, {
      base: await readSignatureImage(reg, app, SIG_TAG),
      add: [{ descriptor: layer, payload }],
    });
  }
  return reg;
}

Deno.test("verifyImage() verifies cosign's signatures and renders cosign verify's exact output", async () => {
  const reg = await cosignRegistry();
  const r = await verifyImage({
    registry: reg,
    ref: { ...app, digest: IMAGES.amd64 },
    policy: keyPolicy(publicKey),
  });
  assert.equal(r.signatures.length, 2);
  assert.equal(r.digest, IMAGES.amd64);
  assert.equal(
    renderVerificationOutput(r.signatures, "json"),
    await readText("verify/json.stdout"),
  );
  assert.equal(
    renderVerificationHeader({
      ref: `127.0.0.1:5077/test/app@${IMAGES.amd64}`,
      checkClaims: true,
      annotations: false,
      bundleVerified: r.bundleVerified,
      publicKey: true,
    }),
    await readText("verify/json.stderr"),
  );
});

Deno.test("verifyImage() filters by annotations; text output prints the stored payloads", async () => {
  const reg = await cosignRegistry();
  const r = await verifyImage({
    registry: reg,
    ref: { ...app, digest: IMAGES.amd64 },
    policy: { ...keyPolicy(publicKey), claims: { annotations: { foo: "bar" } } },
  });
  assert.equal(r.signatures.length, 1);
  assert.equal(
    renderVerificationOutput(r.signatures, "text"),
    await readText("verify/text-annotations.stdout"),
  );
  assert.equal(
    renderVerificationHeader({
      ref: `127.0.0.1:5077/test/app@${IMAGES.amd64}`,
      checkClaims: true,
      annotations: true,
      bundleVerified: false,
      publicKey: true,
    }),
    await readText("verify/text-annotations.stderr"),
  );
});

Deno.test("verifyImage() resolves a tag; without claims the header says only the key check", async () => {
  const reg = await cosignRegistry();
  const r = await verifyImage({
    registry: reg,
    ref: { ...app, tag: "amd64" },
    policy: { ...keyPolicy(publicKey), claims: { check: false } },
  });
  assert.equal(r.digest, IMAGES.amd64);
  assert.equal(
    renderVerificationOutput(r.signatures),
    await readText("verify/no-claims-tag.stdout"),
  );
  assert.equal(
    renderVerificationHeader({
      ref: "127.0.0.1:5077/test/app:amd64",
      checkClaims: false,
      annotations: false,
      bundleVerified: false,
      publicKey: true,
    }),
    await readText("verify/no-claims-tag.stderr"),
  );
});

/** cosign's stderr `Error: <message>` line. */
async function cosignError(file: string): Promise<string> {
  const text = await readText(file);
  return text.slice("Error: ".length, text.indexOf("\nerror during command execution"));
}

Deno.test("verifyImage() fails with cosign's codes and messages", async () => {
  const reg = await cosignRegistry();
  const amd64 = { ...app, digest: IMAGES.amd64 };
  const cases: Array<[string, Parameters<typeof verifyImage>[0], string, string | RegExp]> = [
    [
      "unsigned",
      { registry: reg, ref: { ...app, digest: IMAGES.arm64 }, policy: keyPolicy(publicKey) },
      "NO_SIGNATURES",
      "no signatures found",
    ],
    [
      "missing tag",
      { registry: reg, ref: { ...app, tag: "nope" }, policy: keyPolicy(publicKey) },
      "TAG_NOT_FOUND",
      /^image tag not found: /,
    ],
    [
      "missing repository",
      {
        registry: reg,
        ref: { ...app, repository: "test/nosuchrepo", tag: "latest" },
        policy: keyPolicy(publicKey),
      },
      "TAG_NOT_FOUND",
      /^image tag not found: /,
    ],
    [
      "other key",
      { registry: reg, ref: amd64, policy: keyPolicy(otherKey.publicKey) },
      "NO_MATCHING_SIGNATURE",
      await cosignError("verify/other-key.stderr"),
    ],
    [
      "annotation",
      {
        registry: reg,
        ref: amd64,
        policy: { ...keyPolicy(publicKey), claims: { annotations: { foo: "baz" } } },
      },
      "NO_MATCHING_SIGNATURE",
      await cosignError("verify/annotation-mismatch.stderr"),
    ],
    [
      "size",
      { registry: reg, ref: amd64, policy: keyPolicy(publicKey), maxAttachmentSize: 100 },
      "NO_MATCHING_SIGNATURE",
      "no matching signatures: size of layer (239) exceeded the limit (100)\n size of layer (278) exceeded the limit (100)",
    ],
  ];
  for (const [name, opts, code, message] of cases) {
    await assert.rejects(verifyImage(opts), (e) => {
      assert.ok(e instanceof VerificationError, name);
      assert.equal(e.code, code, name);
      if (typeof message === "string") assert.equal(e.message, message, name);
      else assert.match(e.message, message, name);
      return true;
    });
  }
});

Deno.test("verifyImage() checks the payload's digest claim (cosign: invalid or missing digest in claim)", async () => {
  const reg = new MemoryRegistry();
  const other = { registry: "127.0.0.1:5077", repository: "test/other" };
  await signImage({
    registry: reg,
    ref: { ...other, digest: IMAGES.arm64 },
    signer,
    payload: await read("verify/wrong-digest.payload.json"),
  });
  const ref = { ...other, digest: IMAGES.arm64 };
  // Read the expected text first: a promise that rejects while another await runs is unhandled.
  const message = await cosignError("verify/wrong-digest.stderr");
  await assert.rejects(verifyImage({ registry: reg, ref, policy: keyPolicy(publicKey) }), {
    code: "NO_MATCHING_SIGNATURE",
    message,
  });
  const r = await verifyImage({
    registry: reg,
    ref,
    policy: { ...keyPolicy(publicKey), claims: { check: false } },
  });
  assert.equal(r.signatures.length, 1);
});

Deno.test("verifyImage() rejects a tampered payload and a layer without a signature", async () => {
  const reg = new MemoryRegistry();
  const ref = { ...app, digest: IMAGES.amd64 };
  const signed = await signImage({ registry: reg, ref, signer, upload: false });
  const tampered = enc.encode(
    dec.decode(signed.signatures[0].payload).replace("null", '{"a":"b"}'),
  );
  const sigTag = signed.signatures[0].location.tag;
  await writeSignatureImage(reg, app, sigTag, {
    add: [
      {
        descriptor: await signatureLayerDescriptor({
          payload: tampered,
          base64Signature: signed.signatures[0].base64Signature,
        }),
        payload: tampered,
      },
      {
        descriptor: {
          mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
          digest: signed.signatures[0].layer.digest,
          size: signed.signatures[0].layer.size,
        },
        payload: signed.signatures[0].payload,
      },
    ],
  });
  await assert.rejects(verifyImage({ registry: reg, ref, policy: keyPolicy(publicKey) }), {
    code: "NO_MATCHING_SIGNATURE",
    message:
      `no matching signatures: invalid signature when validating ASN.1 encoded signature\n signature layer ${
        signed.signatures[0].layer.digest
      } is missing "dev.cosignproject.cosign/signature" annotation`,
  });
});

Deno.test("verifyImage() returns the signatures that pass among others and accepts any of several keys", async () => {
  const reg = new MemoryRegistry();
  const ref = { ...app, digest: IMAGES.amd64 };
  await signImage({ registry: reg, ref, signer: otherKey });
  await signImage({ registry: reg, ref, signer });
  const r = await verifyImage({ registry: reg, ref, policy: keyPolicy(publicKey) });
  assert.equal(r.signatures.length, 1);
  const both = await verifyImage({
    registry: reg,
    ref,
    policy: keyPolicy([publicKey, otherKey.publicKey]),
  });
  assert.equal(both.signatures.length, 2);
});

Deno.test("verifyImage() refuses more than 100 signatures before downloading any", async () => {
  let downloads = 0;
  const reg = new MemoryRegistry({
    hook: (op) => {
      if (op === "getBlob") downloads++;
    },
  });
  const ref = { ...app, digest: IMAGES.amd64 };
  const fake: Signer = { ...signer, sign: () => Promise.resolve(new Uint8Array(8)) };
  const add = [];
  for (let i = 0; i < 101; i++) {
    const payload = enc.encode(`{"n":${i}}`);
    add.push({
      descriptor: await signatureLayerDescriptor({ payload, base64Signature: "AA==" }),
      payload,
    });
  }
  await writeSignatureImage(reg, app, `sha256-${IMAGES.amd64.slice(7)}.sig`, { add });
  downloads = 0;
  await assert.rejects(verifyImage({ registry: reg, ref, policy: keyPolicy(fake.publicKey) }), {
    code: "TOO_MANY",
    message: "maximum number of signatures on an image is 100, found 101",
  });
  assert.equal(downloads, 0);
});

Deno.test("renderVerificationHeader() lists the transparency-log and certificate checks", () => {
  const base = { ref: "r/x:1", checkClaims: true, annotations: false, publicKey: false };
  assert.equal(
    renderVerificationHeader({ ...base, bundleVerified: true, fulcioVerified: true }),
    "\nVerification for r/x:1 --\nThe following checks were performed on each of these signatures:\n  - The cosign claims were validated\n  - Existence of the claims in the transparency log was verified offline\n  - The code-signing certificate was verified using trusted certificate authority certificates\n",
  );
  assert.ok(
    renderVerificationHeader({ ...base, bundleVerified: false, rekorOnline: true }).endsWith(
      "  - The claims were present in the transparency log\n  - The signatures were integrated into the transparency log when the certificate was valid\n",
    ),
  );
});

Deno.test("renderVerificationOutput() adds Bundle and extra fields to optional in sorted order", () => {
  const payload = enc.encode(
    '{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"d"},"type":"t"},"optional":{"z":1}}',
  );
  const out = renderVerificationOutput(
    [{
      descriptor: { mediaType: "x", digest: "d", size: 1 },
      payload,
      base64Signature: "",
      bundle:
        '{"SignedEntryTimestamp":"AA==","Payload":{"body":"Ym9keQ==","integratedTime":1,"logIndex":2,"logID":"id"}}',
    }],
    "json",
    () => ({ Subject: "me@example.com" }),
  );
  assert.equal(
    out,
    '\n[{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"d"},"type":"t"},"optional":{"Bundle":{"SignedEntryTimestamp":"AA==","Payload":{"body":"Ym9keQ==","integratedTime":1,"logIndex":2,"logID":"id"}},"Subject":"me@example.com","z":1}}]\n',
  );
});
