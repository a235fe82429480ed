import assert from "node:assert/strict";
import { join } from "node:path";
import { inspectBundle } from "./inspect_bundle.ts";
import { parseTrustedRoot } from "../trust/trusted_root.ts";

const F = join(import.meta.dirname!, "..", "..", "tests", "fixtures");
const D = join(F, "bundle-inspect");

for (const entry of Deno.readDirSync(D)) {
  if (!entry.name.endsWith(".json")) continue;
  Deno.test(`inspectBundle() describes ${entry.name}`, async () => {
    const expected = await Deno.readTextFile(join(D, entry.name.replace(/\.json$/, ".txt")));
    assert.equal(inspectBundle(await Deno.readFile(join(D, entry.name))), expected);
  });
}

Deno.test("inspectBundle() names logs, CT logs and the CA by URL from a trusted root", async () => {
  const root = parseTrustedRoot(await Deno.readFile(join(F, "keyless-local", "trusted_root.json")));
  const out = inspectBundle(await Deno.readFile(join(D, "keyless-local_blob.sigstore.json")), root);
  const lines = out.split("\n").map((l) => l.trim());
  assert.ok(lines.includes("- Authority URL: http://127.0.0.1:38031"), out);
  assert.ok(lines.includes("- Log URL: http://127.0.0.1:43079/test"), out);
  assert.ok(lines.includes("- Log URL: http://127.0.0.1:38229"), out);
  assert.ok(!out.includes("Log ID:") && !out.includes("Authority Key ID:"), out);
});

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const V01 = "application/vnd.dev.sigstore.bundle+json;version=0.1";
const V02 = "application/vnd.dev.sigstore.bundle+json;version=0.2";

const WARNINGS: [string, unknown, string][] = [
  [
    "an empty bundle",
    {},
    "- Bundle Media Type:\n- [!] WARNING: Missing Bundle Media Type\n- [!] WARNING: Missing Verification Material\n- [!] WARNING: Missing Content\n",
  ],
  [
    "an unknown media type and empty material",
    { mediaType: "x", verificationMaterial: {}, messageSignature: {} },
    "- Bundle Media Type: x\n- [!] WARNING: Unrecognized Media Type\n- Verification Material:\n  - [!] WARNING: Missing Verification Material Content (must be certificate, chain, or public key)\n- Content:\n  - Type: Message Signature\n  - Signature: Present (0 bytes)\n",
  ],
  [
    "a v0.2 bundle with one certificate and an entry without proof; a v0.1 entry without promise",
    {
      mediaType: V02,
      verificationMaterial: {
        certificate: {},
        tlogEntries: [{ logIndex: "7", kindVersion: { kind: "hashedrekord" } }],
      },
    },
    "- Bundle Media Type: " + V02 +
    "\n- Verification Material:\n  - Content: X.509 Certificate\n    - [!] WARNING: Certificate raw_bytes is empty\n    - [!] WARNING: v0.1/v0.2 bundle should use certificate chain, not single certificate\n  - Transparency Log Entries: 1\n    - Entry [0]:\n      - Log Index: 7\n      - Kind: hashedrekord\n      - Version:\n      - Integrated Time: 0 (Not set)\n      - [!] WARNING: v0.2 bundle tlog entry MUST contain an inclusion proof\n- [!] WARNING: Missing Content\n",
  ],
  [
    "a v0.1 entry without promise, an empty chain, a key hint that is not base64, a DSSE key hint mismatch",
    {
      mediaType: V01,
      verification_material: {
        x509_certificate_chain: { certificates: [] },
        tlog_entries: [{}],
      },
      dsseEnvelope: { payloadType: "text/plain", payload: "aGk=", signatures: [] },
    },
    "- Bundle Media Type: " + V01 +
    "\n- Verification Material:\n  - Content: X.509 Certificate Chain\n    - [!] WARNING: Certificate chain is empty\n  - Transparency Log Entries: 1\n    - Entry [0]:\n      - Log Index: 0\n      - Integrated Time: 0 (Not set)\n      - [!] WARNING: v0.1 bundle tlog entry MUST contain an inclusion promise\n- Content:\n  - Type: DSSE Envelope\n  - Payload Type: text/plain\n  - Payload: Present (2 bytes)\n  - Signatures: 0\n  - [!] WARNING: DSSE envelope MUST contain only one signature\n",
  ],
  [
    "a public key hint that is not base64 and a mismatching DSSE key ID",
    {
      verificationMaterial: { publicKey: { hint: "not base64!" } },
      dsseEnvelope: { signatures: [{ sig: "AAAA", keyid: "AQID" }] },
    },
    "- Bundle Media Type:\n- [!] WARNING: Missing Bundle Media Type\n- Verification Material:\n  - Content: Public Key Identifier\n    - Hint: not base64!\n- Content:\n  - Type: DSSE Envelope\n  - Payload Type:\n  - Payload: Present (0 bytes)\n  - Signatures: 1\n    - Signature [0]:\n      - Signature: Present (3 bytes)\n      - Key Hint: 010203\n      - [!] WARNING: Key hint mismatch with Verification Material\n",
  ],
];

for (const [name, bundle, expected] of WARNINGS) {
  Deno.test(`inspectBundle() warns about ${name}`, () => {
    assert.equal(inspectBundle(enc(bundle)), expected);
  });
}

const BAD: [string, Uint8Array, string][] = [
  ["not JSON", new TextEncoder().encode("{"), "unmarshaling bundle: "],
  [
    "an unknown field",
    enc({ mediaType: "x", extra: 1 }),
    'unmarshaling bundle: unknown field "extra"',
  ],
  [
    "a nested unknown field",
    enc({ verificationMaterial: { publicKey: { hint: "", x: 1 } } }),
    'unmarshaling bundle: unknown field "x"',
  ],
  ["a list where an object belongs", enc([]), "unmarshaling bundle: Bundle is not an object"],
  [
    "bytes that are not base64",
    enc({ messageSignature: { signature: "%%" } }),
    "unmarshaling bundle: signature is not base64",
  ],
];

for (const [name, input, message] of BAD) {
  Deno.test(`inspectBundle() refuses ${name}`, () => {
    assert.throws(
      () => inspectBundle(input),
      (e: unknown) => e instanceof SyntaxError && e.message.startsWith(message),
    );
  });
}
