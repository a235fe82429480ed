import assert from "node:assert/strict";
import { FIXTURES } from "../../tests/interop/_run.ts";
import { bundleVersionOf, isSigstoreBundle, parseBundle } from "./bundle.ts";
import { keyMessageBundle, marshalBundle } from "./marshal_bundle.ts";
import { join } from "node:path";
import { parsePublicKeyPem } from "../keys/public_key.ts";

const DIR = join(FIXTURES, "new_bundle");
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const goBundle = await Deno.readFile(join(DIR, "a.sigstore.json"));

Deno.test("bundleVersionOf() reads both media type spellings and refuses the others", () => {
  const table: [string, string | RegExp][] = [
    ["application/vnd.dev.sigstore.bundle+json;version=0.1", "0.1"],
    ["application/vnd.dev.sigstore.bundle+json;version=0.2", "0.2"],
    ["application/vnd.dev.sigstore.bundle+json;version=0.3", "0.3"],
    ["application/vnd.dev.sigstore.bundle.v0.3+json", "0.3"],
    ["application/vnd.dev.sigstore.bundle.v0.3.0+json", "0.3"],
    ["application/vnd.dev.sigstore.bundle.v0.3.1+json", "0.3"],
    ["application/vnd.dev.sigstore.bundle.v0.4+json", /bundle version v0.4 is not supported/],
    ["application/vnd.dev.sigstore.bundle+json;version=99.9", /unsupported media type/],
    ["this is completely wrong", /unsupported media type: this is completely wrong/],
    ["", /missing mediaType/],
  ];
  for (const [mediaType, want] of table) {
    if (typeof want === "string") assert.equal(bundleVersionOf(mediaType), want, mediaType);
    else assert.throws(() => bundleVersionOf(mediaType), { name: "TypeError", message: want });
  }
});

Deno.test("parseBundle() reads a Go cosign v0.3 bundle: key hint, entry, message signature", () => {
  const b = parseBundle(goBundle);
  assert.equal(b.version, "0.3");
  assert.equal(
    b.verificationMaterial.publicKeyHint,
    "jV+yJJKfB77l/ztWfxO0b5XwjFSmKL0/+qgUrOvdfYw=",
  );
  const [e] = b.verificationMaterial.tlogEntries;
  assert.equal(e.logIndex, 0);
  assert.equal(e.kind, "hashedrekord");
  assert.equal(e.version, "0.0.1");
  assert.equal(e.integratedTime, 1795326176);
  assert.equal(e.inclusionProof?.treeSize, 1);
  assert.deepEqual(e.inclusionProof?.hashes, []);
  assert.equal(b.messageSignature?.messageDigest?.algorithm, "SHA2_256");
  assert.ok(isSigstoreBundle(goBundle));
});

Deno.test("marshalBundle() writes back exactly what the Go cosign wrote", () => {
  const text = new TextDecoder().decode(goBundle);
  assert.equal(marshalBundle(parseBundle(goBundle)), text);
  const none = Deno.readFileSync(join(DIR, "n.sigstore.json"));
  assert.equal(marshalBundle(parseBundle(none)), new TextDecoder().decode(none));
});

Deno.test("keyMessageBundle() makes cosign's key hint: base64 of SHA-256 of the SPKI", async () => {
  const key = parsePublicKeyPem(await Deno.readFile(join(DIR, "cosign.pub")));
  const b = await keyMessageBundle({
    spki: key.spki,
    algorithm: "sha256",
    digest: new Uint8Array(32),
    signature: Uint8Array.of(1, 2),
  });
  assert.equal(
    b.verificationMaterial.publicKeyHint,
    parseBundle(goBundle).verificationMaterial.publicKeyHint,
  );
  assert.equal(
    marshalBundle(b),
    '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":' +
      '{"publicKey":{"hint":"jV+yJJKfB77l/ztWfxO0b5XwjFSmKL0/+qgUrOvdfYw="}},"messageSignature":' +
      '{"messageDigest":{"algorithm":"SHA2_256","digest":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},' +
      '"signature":"AQI="}}',
  );
});

Deno.test("parseBundle() accepts proto field names and numbers for int64, as protojson does", () => {
  const v = JSON.parse(new TextDecoder().decode(goBundle));
  const e = v.verificationMaterial.tlogEntries[0];
  e.integratedTime = Number(e.integratedTime);
  e.log_id = e.logId;
  delete e.logId;
  assert.equal(parseBundle(enc(v)).verificationMaterial.tlogEntries[0].integratedTime, 1795326176);
});

Deno.test("parseBundle() rejects malformed bundles with the reason", () => {
  const base = () => JSON.parse(new TextDecoder().decode(goBundle));
  const entry = (v: { verificationMaterial: { tlogEntries: Record<string, unknown>[] } }) =>
    v.verificationMaterial.tlogEntries[0];
  // deno-lint-ignore no-explicit-any
  const table: [string, (v: any) => void, RegExp][] = [
    ["no mediaType", (v) => delete v.mediaType, /missing mediaType/],
    [
      "unknown version",
      (v) => (v.mediaType = "application/vnd.dev.sigstore.bundle+json;version=99.9"),
      /unsupported media type/,
    ],
    ["no content", (v) => delete v.messageSignature, /missing bundle content/],
    ["no material", (v) => delete v.verificationMaterial, /missing verification material/],
    ["no key", (v) => delete v.verificationMaterial.publicKey, /missing verification material/],
    ["v0.2 without proof", (v) => {
      v.mediaType = "application/vnd.dev.sigstore.bundle+json;version=0.2";
      delete entry(v).inclusionProof;
    }, /inclusion proof missing/],
    ["v0.1 without SET", (v) => {
      v.mediaType = "application/vnd.dev.sigstore.bundle+json;version=0.1";
      delete entry(v).inclusionPromise;
    }, /inclusion promises missing/],
    [
      "no checkpoint",
      (v) => delete (entry(v).inclusionProof as Record<string, unknown>).checkpoint,
      /missing required checkpoint/,
    ],
    ["bad int64", (v) => (entry(v).integratedTime = "12x"), /integratedTime is not an integer/],
    ["bad bytes", (v) => (entry(v).canonicalizedBody = "!!"), /canonicalizedBody is not base64/],
    [
      "no body",
      (v) => delete entry(v).canonicalizedBody,
      /missing logId, kindVersion or canonicalizedBody/,
    ],
  ];
  for (const [what, change, message] of table) {
    const v = base();
    change(v);
    assert.throws(() => parseBundle(enc(v)), { name: "TypeError", message }, what);
    assert.equal(isSigstoreBundle(enc(v)), false);
  }
  assert.throws(() => parseBundle(new TextEncoder().encode('{"mediaType":}')), SyntaxError);
  assert.equal(isSigstoreBundle(new TextEncoder().encode('{"base64Signature":"AA=="}')), false);
});
