import assert from "node:assert/strict";
import { join } from "node:path";
import { FIXTURES } from "../../tests/interop/_run.ts";
import { VerificationError } from "../errors.ts";
import { parseBundle, type SigstoreBundle } from "./bundle.ts";
import { checkBundleContent, checkBundleStatement } from "./check_bundle_content.ts";

// Bundles made by the Go cosign v2.6.4 (tests/fixtures/*/SOURCE.md).
const message = parseBundle(await Deno.readFile(join(FIXTURES, "new_bundle", "a.sigstore.json")));
const dsse = parseBundle(
  await Deno.readFile(join(FIXTURES, "new_bundle_attest", "a.sigstore.json")),
);

function changed(b: SigstoreBundle, f: (b: SigstoreBundle) => void): SigstoreBundle {
  const c = structuredClone(b);
  f(c);
  return c;
}

function statement(subject: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({
    _type: "https://in-toto.io/Statement/v1",
    subject,
    predicateType: "https://cosign.sigstore.dev/attestation/v1",
    predicate: {},
  }));
}

const digests = (n: number) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`alg${i}`, "00"]));

Deno.test("checkBundleContent() accepts the Go cosign's bundles and sigstore-go's limits", () => {
  for (const b of [message, dsse]) {
    checkBundleContent(b);
    checkBundleStatement(b, { limitSubjects: true });
  }
  const limits = { limitSubjects: true };
  checkBundleStatement(
    changed(dsse, (b) => {
      b.dsseEnvelope!.payload = statement(
        Array.from({ length: 1024 }, () => ({ name: "x", digest: digests(32) })),
      );
    }),
    limits,
  );
  // Without a comparison with an artifact (--check-claims=false), sigstore-go sets no limit.
  checkBundleStatement(changed(dsse, (b) => {
    b.dsseEnvelope!.payload = statement([{ name: "x", digest: digests(33) }]);
  }));
});

Deno.test("checkBundleContent() refuses what sigstore-go refuses", () => {
  const sig = dsse.dsseEnvelope!.signatures[0];
  const cases: [string, SigstoreBundle, string][] = [
    [
      "a message signature without messageDigest",
      changed(message, (b) => {
        delete b.messageSignature!.messageDigest;
      }),
      "TypeError",
    ],
    [
      "no DSSE signature",
      changed(dsse, (b) => (b.dsseEnvelope!.signatures = [])),
      "SIGNATURE_INVALID",
    ],
    [
      "valid + garbage",
      changed(dsse, (b) => {
        b.dsseEnvelope!.signatures.push({ sig: new Uint8Array(70), keyid: "" });
      }),
      "SIGNATURE_INVALID",
    ],
    [
      "garbage + valid",
      changed(dsse, (b) => {
        b.dsseEnvelope!.signatures.unshift({ sig: new Uint8Array(70), keyid: "" });
      }),
      "SIGNATURE_INVALID",
    ],
    [
      "the same signature twice",
      changed(dsse, (b) => {
        b.dsseEnvelope!.signatures.push(structuredClone(sig));
      }),
      "SIGNATURE_INVALID",
    ],
    [
      "payload type text/plain",
      changed(dsse, (b) => {
        b.dsseEnvelope!.payloadType = "text/plain";
      }),
      "SIGNATURE_INVALID",
    ],
    [
      "a payload that is not JSON",
      changed(dsse, (b) => {
        b.dsseEnvelope!.payload = new TextEncoder().encode("hello");
      }),
      "SIGNATURE_INVALID",
    ],
    [
      "a payload that is a JSON array",
      changed(dsse, (b) => {
        b.dsseEnvelope!.payload = new TextEncoder().encode("[]");
      }),
      "SIGNATURE_INVALID",
    ],
    [
      "33 digests in a subject",
      changed(dsse, (b) => {
        b.dsseEnvelope!.payload = statement([{ name: "x", digest: digests(33) }]);
      }),
      "SIGNATURE_INVALID",
    ],
    [
      "1025 subjects",
      changed(dsse, (b) => {
        b.dsseEnvelope!.payload = statement(
          Array.from({ length: 1025 }, () => ({ name: "x", digest: digests(1) })),
        );
      }),
      "SIGNATURE_INVALID",
    ],
  ];
  for (const [what, bundle, expected] of cases) {
    const check = () => {
      checkBundleContent(bundle);
      checkBundleStatement(bundle, { limitSubjects: true });
    };
    assert.throws(check, (e) => {
      if (expected === "TypeError") {
        assert.ok(e instanceof TypeError, `${what}: ${e}`);
        assert.match((e as Error).message, /^Cannot read bundle: missing verification material/);
      } else {
        assert.ok(e instanceof VerificationError, `${what}: ${e}`);
        assert.equal(e.code, expected, what);
        assert.match(e.message, /^Cannot verify the bundle: /);
      }
      return true;
    }, what);
  }
});
