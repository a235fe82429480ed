import assert from "node:assert/strict";
import { join } from "node:path";
import { FIXTURES } from "../../tests/interop/_run.ts";
import { VECTORS } from "../../tests/_vectors.ts";
import { VerificationError } from "../errors.ts";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import { parseTrustedRoot, type TrustedRoot } from "../trust/trusted_root.ts";
import { parseBundle, type SigstoreBundle } from "./bundle.ts";
import { verifyBundleTlog, type VerifyBundleTlogOptions } from "./verify_bundle_tlog.ts";

const DIR = join(FIXTURES, "new_bundle");
const root = parseTrustedRoot(await Deno.readFile(join(DIR, "trusted_root.json")));
const key = parsePublicKeyPem(await Deno.readFile(join(DIR, "cosign.pub")));
const bundle = parseBundle(await Deno.readFile(join(DIR, "a.sigstore.json")));
const digest = bundle.messageSignature!.messageDigest!.digest;
const options: VerifyBundleTlogOptions = {
  trustedRoot: root,
  keyDer: key.spki,
  artifactDigest: { algorithm: "sha256", value: digest },
};

const rejects = (b: SigstoreBundle, o: Partial<VerifyBundleTlogOptions>, code: string) =>
  assert.rejects(
    () => verifyBundleTlog(b, { ...options, ...o }),
    (e) => e instanceof VerificationError && e.code === code,
    code,
  );

function changed(f: (b: SigstoreBundle) => void): SigstoreBundle {
  const b = structuredClone(bundle);
  f(b);
  return b;
}

Deno.test("verifyBundleTlog() verifies a Go cosign bundle's entry against its trusted root", async () => {
  const [v] = await verifyBundleTlog(bundle, options);
  assert.equal(v.integratedTime, 1795326176);
  assert.equal(v.log.baseUrl, "http://127.0.0.1:1");
});

Deno.test("verifyBundleTlog() fails each step with its own code", async () => {
  const e = (b: SigstoreBundle) => b.verificationMaterial.tlogEntries[0];
  const flip = (x: Uint8Array) => (x[x.length >> 1] ^= 1);
  await rejects(changed((b) => flip(e(b).signedEntryTimestamp!)), {}, "TLOG_SET_INVALID");
  await rejects(changed((b) => flip(e(b).logId)), {}, "TLOG_LOG_KEY_UNKNOWN");
  await rejects(changed((b) => flip(e(b).inclusionProof!.rootHash)), {}, "TLOG_INCLUSION_INVALID");
  await rejects(
    changed((
      b,
    ) => (e(b).inclusionProof!.checkpoint = e(b).inclusionProof!.checkpoint.replace(
      "\n1\n",
      "\n2\n",
    ))),
    {},
    "TLOG_CHECKPOINT_INVALID",
  );
  await rejects(changed((b) => flip(b.messageSignature!.signature)), {}, "TLOG_ENTRY_MISMATCH");
  await rejects(bundle, { keyDer: root.tlogs[0].publicKey.spki }, "TLOG_ENTRY_MISMATCH");
  await rejects(
    bundle,
    { artifactDigest: { algorithm: "sha256", value: new Uint8Array(32) } },
    "TLOG_ENTRY_MISMATCH",
  );
  await rejects(changed((b) => (e(b).kind = "dsse")), {}, "TLOG_ENTRY_INVALID");
  await rejects(
    changed((b) => (b.verificationMaterial.tlogEntries = [])),
    {},
    "TLOG_ENTRY_NOT_FOUND",
  );
  await rejects(
    changed((b) => b.verificationMaterial.tlogEntries.push(structuredClone(e(b)))),
    {},
    "TLOG_ENTRY_INVALID",
  );
  // The entry was integrated after "now", or outside the log key's validity.
  await rejects(bundle, { now: Date.parse("2025-01-01T00:00:00Z") }, "TLOG_TIME_INVALID");
  const late: TrustedRoot = structuredClone(root);
  late.tlogs[0].publicKey = root.tlogs[0].publicKey;
  late.tlogs[0].validFor.start = Date.parse("2027-01-01T00:00:00Z");
  await rejects(bundle, { trustedRoot: late }, "TLOG_TIME_INVALID");
  late.tlogs[0].validFor = { start: 0, end: Date.parse("2025-01-01T00:00:00Z") };
  await rejects(bundle, { trustedRoot: late }, "TLOG_TIME_INVALID");
});

Deno.test("verifyBundleTlog() never trusts an integrated time that no SET signs", async () => {
  const e = (b: SigstoreBundle) => b.verificationMaterial.tlogEntries[0];
  const now = Date.parse("2026-12-01T00:00:00Z");
  const unsigned = (time: number) =>
    changed((b) => {
      delete e(b).signedEntryTimestamp;
      e(b).integratedTime = time;
    });
  // The inclusion proof still verifies; the time is not reported, whatever it says.
  for (const time of [1795326176, 4102444800, 1]) {
    const [v] = await verifyBundleTlog(unsigned(time), { ...options, now });
    assert.equal(v.integratedTime, undefined, `time ${time}`);
  }
  // A log whose key is no longer valid: a time edited into its validity window does not help,
  // without a SET the key must be valid now.
  const retired: TrustedRoot = structuredClone(root);
  retired.tlogs[0].publicKey = root.tlogs[0].publicKey;
  retired.tlogs[0].validFor = { start: 0, end: Date.parse("2026-06-01T00:00:00Z") };
  await rejects(
    unsigned(Date.parse("2026-01-01T00:00:00Z") / 1000),
    { trustedRoot: retired, now },
    "TLOG_TIME_INVALID",
  );
  // With its SET the real (signed) time decides: after the end of validity, refused too.
  await rejects(bundle, { trustedRoot: retired, now }, "TLOG_TIME_INVALID");
  // A SET-signed time still has to be the signed one.
  await rejects(changed((b) => (e(b).integratedTime -= 1)), { now }, "TLOG_SET_INVALID");
});

Deno.test("verifyBundleTlog() checks Rekor v2 checkpoints with the log's host and C2SP key hint", async () => {
  const dir = join(VECTORS, "bundles", "sigstore-python");
  const v2Root = parseTrustedRoot(await Deno.readFile(join(dir, "trusted_root.staging.json")));
  const v2 = parseBundle(await Deno.readFile(join(dir, "staging-rekor-v2.txt.sigstore.json")));
  const [v] = await verifyBundleTlog(v2, { trustedRoot: v2Root });
  assert.equal(v.log.baseUrl, "https://log2025-alpha1.rekor.sigstage.dev");
  assert.equal(v.integratedTime, undefined);
  const o = { trustedRoot: v2Root };
  const e = (b: SigstoreBundle) => b.verificationMaterial.tlogEntries[0];
  // sigstore-java's negative: another origin in the checkpoint.
  const other = structuredClone(v2);
  e(other).inclusionProof!.checkpoint = e(other).inclusionProof!.checkpoint.replaceAll(
    "sigstage",
    "github",
  );
  await assert.rejects(() => verifyBundleTlog(other, o), { code: "TLOG_CHECKPOINT_INVALID" });
  // The log's base URL names another host: the origin no longer matches.
  const moved: TrustedRoot = structuredClone(v2Root);
  moved.tlogs.forEach((l, i) => (l.publicKey = v2Root.tlogs[i].publicKey));
  moved.tlogs.find((l) => l.baseUrl.includes("log2025-alpha1"))!.baseUrl = "https://elsewhere.dev";
  await assert.rejects(() => verifyBundleTlog(v2, { trustedRoot: moved }), {
    code: "TLOG_CHECKPOINT_INVALID",
  });
  const noProof = structuredClone(v2);
  delete e(noProof).inclusionProof;
  await assert.rejects(() => verifyBundleTlog(noProof, o), { code: "TLOG_INCLUSION_INVALID" });
});

Deno.test("verifyBundleTlog() binds a DSSE bundle's entry to its one signature, kind and version", async () => {
  const dir = join(FIXTURES, "new_bundle_attest");
  const dRoot = parseTrustedRoot(await Deno.readFile(join(dir, "trusted_root.json")));
  const dKey = parsePublicKeyPem(await Deno.readFile(join(dir, "cosign.pub")));
  const d = parseBundle(await Deno.readFile(join(dir, "a.sigstore.json")));
  const o = { trustedRoot: dRoot, keyDer: dKey.spki };
  await verifyBundleTlog(d, o);
  const variant = (f: (b: SigstoreBundle) => void) => {
    const b = structuredClone(d);
    f(b);
    return b;
  };
  const sig = d.dsseEnvelope!.signatures[0];
  const cases: [string, SigstoreBundle, string][] = [
    [
      "valid + garbage",
      variant((b) => b.dsseEnvelope!.signatures.push({ sig: new Uint8Array(70), keyid: "" })),
      "TLOG_ENTRY_MISMATCH",
    ],
    [
      "garbage + valid",
      variant((b) => b.dsseEnvelope!.signatures.unshift({ sig: new Uint8Array(70), keyid: "" })),
      "TLOG_ENTRY_MISMATCH",
    ],
    [
      "valid twice",
      variant((b) => b.dsseEnvelope!.signatures.push(structuredClone(sig))),
      "TLOG_ENTRY_MISMATCH",
    ],
    [
      "another signature",
      variant((b) => (b.dsseEnvelope!.signatures[0].sig[10] ^= 1)),
      "TLOG_ENTRY_MISMATCH",
    ],
    [
      "another payload",
      variant((b) => (b.dsseEnvelope!.payload = new TextEncoder().encode("{}"))),
      "TLOG_ENTRY_MISMATCH",
    ],
    [
      "kind hashedrekord",
      variant((b) => (b.verificationMaterial.tlogEntries[0].kind = "hashedrekord")),
      "TLOG_ENTRY_INVALID",
    ],
    [
      "version 0.0.2",
      variant((b) => (b.verificationMaterial.tlogEntries[0].version = "0.0.2")),
      "TLOG_ENTRY_INVALID",
    ],
    // The message-signature bundle's entry spliced into this one.
    [
      "a hashedrekord entry spliced in",
      variant((
        b,
      ) => (b.verificationMaterial.tlogEntries = structuredClone(
        bundle.verificationMaterial.tlogEntries,
      ))),
      "TLOG_LOG_KEY_UNKNOWN",
    ],
  ];
  for (const [what, b, code] of cases) {
    await assert.rejects(() => verifyBundleTlog(b, o), (e) => {
      assert.ok(e instanceof VerificationError, `${what}: ${e}`);
      assert.equal(e.code, code, `${what}: ${e.message}`);
      return true;
    }, what);
  }
});
