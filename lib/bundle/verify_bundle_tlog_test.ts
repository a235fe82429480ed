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
