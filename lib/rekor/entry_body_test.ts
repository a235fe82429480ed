import assert from "node:assert/strict";
import { join } from "node:path";
import { VECTORS } from "../../tests/_vectors.ts";
import { VerificationError } from "../errors.ts";
import { parseEntryBody } from "./entry_body.ts";

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
async function bodyOf(path: string): Promise<Uint8Array> {
  const b = JSON.parse(await Deno.readTextFile(join(VECTORS, "bundles", path)));
  return Uint8Array.fromBase64(b.verificationMaterial.tlogEntries[0].canonicalizedBody);
}

Deno.test("parseEntryBody() reads hashedrekord 0.0.1/0.0.2, dsse 0.0.1 and intoto 0.0.2 bodies", async () => {
  const v1 = parseEntryBody(await bodyOf("sigstore-python/bundle_v3.txt.sigstore"));
  assert.equal(v1.digest?.algorithm, "sha256");
  assert.equal(
    v1.digest?.value.toHex(),
    "5e6ae9de58c1177bea615b4fcbfb2fd688e8c4b51c2e56b6a38e817833ec24a2",
  );
  const v2 = parseEntryBody(await bodyOf("sigstore-python/staging-rekor-v2.txt.sigstore.json"));
  assert.equal(v2.apiVersion, "0.0.2");
  assert.equal(v2.digest?.algorithm, "sha256");
  assert.equal(v2.digest?.value.toBase64(), "FfZyRhFZIbt8HeDn6eknXIAW3CVKDACYiJRLftNkSqo=");
  const dsse = parseEntryBody(await bodyOf("sigstore-js/bundleV02-dsse.sigstore"));
  assert.equal(
    dsse.payloadHash?.value.toHex(),
    "9d0e79526eac45e14ba330e17f7200531ac9ddfc20ada74443b36d604292e30c",
  );
  assert.equal(dsse.signatures.length, 1);
  const intoto = parseEntryBody(await bodyOf("sigstore-js/bundleV02-intoto.sigstore"));
  assert.equal(intoto.payloadType, "application/vnd.in-toto+json");
  // The doubly base64-encoded signature is decoded to the DER signature.
  assert.equal(intoto.signatures[0].signature?.[0], 0x30);
  assert.equal(intoto.payloadHash?.value.toHex(), dsse.payloadHash?.value.toHex());
});

Deno.test("parseEntryBody() rejects other kinds and malformed bodies", () => {
  const table: [unknown, RegExp][] = [
    [{ kind: "rekord", apiVersion: "0.0.1", spec: {} }, /unsupported entry kind rekord 0.0.1/],
    [{ kind: "hashedrekord", apiVersion: "0.0.1" }, /no spec/],
    [
      { kind: "hashedrekord", apiVersion: "0.0.1", spec: { signature: { content: "!" } } },
      /not base64/,
    ],
    [{ kind: "dsse", apiVersion: "0.0.1", spec: { signatures: [] } }, /spec.signatures is missing/],
  ];
  for (const [body, message] of table) {
    assert.throws(
      () => parseEntryBody(enc(body)),
      (e) =>
        e instanceof VerificationError && e.code === "TLOG_ENTRY_INVALID" &&
        message.test(e.message),
    );
  }
  assert.throws(() => parseEntryBody(new TextEncoder().encode("{")), /not JSON/);
});
