import assert from "node:assert/strict";
import { join } from "node:path";
import { parseBundle } from "../bundle/bundle.ts";
import { verifyBundleTlog } from "../bundle/verify_bundle_tlog.ts";
import { VerificationError } from "../errors.ts";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import { parseLocalBundle, parseRekorBundle } from "../rekor/blob_bundle.ts";
import { verifySet } from "../rekor/verify_entry.ts";
import { verifySignature } from "../signature/verify_signature.ts";
import { bytesReader } from "../stream.ts";
import {
  ctLogKeys,
  parseTrustedRoot,
  timestampAuthorities,
  type TrustedRoot,
} from "../trust/trusted_root.ts";
import {
  EXTENSION_OID,
  parseCertificate,
  parseCertificateChainPem,
  parseCertificatePem,
} from "../x509/certificate.ts";
import { ctLogId } from "../x509/sct.ts";
import {
  ATTR,
  basicConstraints,
  extKeyUsage,
  issueTestCertificate,
  keyUsage,
  subjectAltName,
  testExtension,
  testName,
} from "../../tests/helpers/test_ca.ts";
import {
  type CertificateTrust,
  verifyCertificateMaterial,
  type VerifyCertificateMaterialOptions,
} from "./verify_certificate_material.ts";

const FX = join(import.meta.dirname!, "..", "..", "tests", "fixtures", "keyless-local");
const VECTORS = join(import.meta.dirname!, "..", "..", "tests", "fixtures", "vectors", "bundles");
const read = (name: string) => Deno.readFileSync(join(FX, name));
const text = (name: string) => Deno.readTextFileSync(join(FX, name));
const expected = JSON.parse(text("expected.json"));
const EMAIL = expected.email as { identity: string; issuer: string };
const GITHUB = expected.github as Record<string, string>;

const root = parseTrustedRoot(read("trusted_root.json"));
const rootTrust = (r: TrustedRoot = root): CertificateTrust => ({
  kind: "trusted-root",
  authorities: r.certificateAuthorities,
  ctLogs: ctLogKeys(r),
  timestampAuthorities: timestampAuthorities(r),
});
const fulcioChain = parseCertificateChainPem(read("fulcio_chain.pem")); // intermediate, root
const ctKey = parsePublicKeyPem(read("ctlog.pub"));
const rekorKey = parsePublicKeyPem(read("rekor.pub"));
/** SIGSTORE_ROOT_FILE=fulcio_chain.pem SIGSTORE_CT_LOG_PUBLIC_KEY_FILE=ctlog.pub. */
const envTrust: CertificateTrust = {
  kind: "legacy",
  authorities: [{ certChain: fulcioChain }],
  hasIntermediates: true,
  ctLogs: [{ logId: ctLogId(ctKey.spki), publicKey: ctKey }],
  timestampAuthorities: [],
};
const emailPolicy = {
  certificateIdentity: EMAIL.identity,
  certificateOidcIssuer: EMAIL.issuer,
};

/** A v0.3 bundle's leaf and its SET-signed log time, the log entry verified with lib/bundle. */
async function sigstoreBundle(name: string) {
  const bundle = parseBundle(read(name));
  const [entry] = await verifyBundleTlog(bundle, { trustedRoot: root });
  assert.ok(entry.integratedTime);
  return {
    bundle,
    leaf: parseCertificate(bundle.verificationMaterial.certificate!),
    logTimes: [{ time: entry.integratedTime * 1000, uri: entry.log.baseUrl }],
  };
}

const v3 = await sigstoreBundle("blob.sigstore.json");
const github = await sigstoreBundle("blob-github.sigstore.json");

Deno.test("verifyCertificateMaterial() accepts Go cosign's v0.3 keyless bundle with the trusted root (sigstore-go rules), and its key verifies the blob", async () => {
  const got = await verifyCertificateMaterial({
    material: { leaf: v3.leaf },
    trust: rootTrust(),
    evidence: { policy: "log", logTimes: v3.logTimes },
    policy: { identity: emailPolicy, identityMode: "sigstore-go" },
  });
  assert.deepEqual(got.identity, { subject: EMAIL.identity, issuer: EMAIL.issuer });
  assert.deepEqual(got.fields, {
    "1.3.6.1.4.1.57264.1.1": EMAIL.issuer,
    Issuer: EMAIL.issuer,
    Subject: EMAIL.identity,
  });
  assert.deepEqual(got.signingTimes, [{ source: "tlog", ...v3.logTimes[0] }]);
  assert.deepEqual(got.chain.map((c) => c.subject.text), [
    "",
    "CN=local-fulcio-intermediate,O=cosign-deno tests",
    "CN=local-fulcio-root,O=cosign-deno tests",
  ]);
  assert.equal(got.scts.length, 1);
  assert.equal(got.scts[0].sct.logId.toHex(), expected.ctlog.logId);
  assert.deepEqual(got.timestamps, []);
  await verifySignature({
    publicKey: got.publicKey,
    hash: "sha256",
    signature: v3.bundle.messageSignature!.signature,
    reader: bytesReader(read("blob.txt")),
  });
});

Deno.test("verifyCertificateMaterial() accepts the old bundle with SIGSTORE_* trust (cosign rules)", async () => {
  const local = parseLocalBundle(read("blob.bundle"));
  const leaf = parseCertificatePem(Uint8Array.fromBase64(local.cert));
  await verifySet(local.entry!, rekorKey);
  const got = await verifyCertificateMaterial({
    material: { leaf },
    trust: envTrust,
    evidence: { policy: "all", logTimes: [{ time: local.entry!.integratedTime * 1000 }] },
    policy: {
      identity: {
        ...emailPolicy,
        certificateIdentity: undefined,
        certificateIdentityRegexp: "^alice@",
      },
    },
  });
  assert.deepEqual(got.identity, { subject: EMAIL.identity, issuer: EMAIL.issuer });
  assert.equal(got.signingTimes[0].time, local.entry!.integratedTime * 1000);
  assert.equal(got.scts.length, 1);
  await verifySignature({
    publicKey: got.publicKey,
    hash: "sha256",
    signature: Uint8Array.fromBase64(local.base64Signature),
    reader: bytesReader(read("blob.txt")),
  });
});

Deno.test("verifyCertificateMaterial() takes the intermediates of a .sig layer's chain annotation when SIGSTORE_ROOT_FILE holds only the root, as cosign does", async () => {
  const manifest = JSON.parse(text("image/sig.manifest.json"));
  const a = manifest.layers[0].annotations as Record<string, string>;
  const leaf = parseCertificatePem(a["dev.sigstore.cosign/certificate"]);
  const chain = parseCertificateChainPem(a["dev.sigstore.cosign/chain"]);
  const entry = parseRekorBundle(a["dev.sigstore.cosign/bundle"]);
  await verifySet(entry, rekorKey);
  const onlyRoot: CertificateTrust = {
    ...envTrust,
    authorities: [{ certChain: parseCertificateChainPem(read("fulcio_root.pem")) }],
    hasIntermediates: false,
  };
  const options = (over: Partial<VerifyCertificateMaterialOptions["material"]>) => ({
    material: { leaf, chain, chainSource: "signature" as const, ...over },
    trust: onlyRoot,
    evidence: { policy: "all" as const, logTimes: [{ time: entry.integratedTime * 1000 }] },
    policy: { identity: emailPolicy },
  });
  const got = await verifyCertificateMaterial(options({}));
  assert.equal(got.chain.length, 3);
  assert.equal(got.fields.Subject, EMAIL.identity);
  // Without the annotation's intermediate there is no path: cosign's "certificate signed by
  // unknown authority".
  await assert.rejects(verifyCertificateMaterial(options({ chain: undefined })), {
    code: "CERT_CHAIN_INVALID",
    message: "Cannot verify certificate chain: certificate signed by unknown authority",
  });
  // A trusted root ignores the signature's chain (sigstore-go builds paths from the root only).
  const rootOnlyRoot = structuredClone(root);
  rootOnlyRoot.certificateAuthorities[0].certChain = [fulcioChain[1]];
  await assert.rejects(
    verifyCertificateMaterial({ ...options({}), trust: rootTrust(rootOnlyRoot) }),
    { code: "CERT_CHAIN_INVALID" },
  );
});

Deno.test("verifyCertificateMaterial() reports the GitHub workflow extensions in cosign's optional fields and checks the workflow flags", async () => {
  const got = await verifyCertificateMaterial({
    material: { leaf: github.leaf },
    trust: rootTrust(),
    evidence: { policy: "log", logTimes: github.logTimes },
    policy: {
      identity: {
        certificateIdentity: GITHUB.identity,
        certificateOidcIssuer: GITHUB.issuer,
        certificateGithubWorkflowRepository: GITHUB.repository,
        certificateGithubWorkflowRef: GITHUB.ref,
        certificateGithubWorkflowSha: GITHUB.sha,
        certificateGithubWorkflowTrigger: GITHUB.trigger,
        certificateGithubWorkflowName: GITHUB.workflowName,
      },
      identityMode: "sigstore-go",
    },
  });
  assert.deepEqual(got.fields, {
    "1.3.6.1.4.1.57264.1.1": GITHUB.issuer,
    "1.3.6.1.4.1.57264.1.2": GITHUB.trigger,
    "1.3.6.1.4.1.57264.1.3": GITHUB.sha,
    "1.3.6.1.4.1.57264.1.4": GITHUB.workflowName,
    "1.3.6.1.4.1.57264.1.5": GITHUB.repository,
    "1.3.6.1.4.1.57264.1.6": GITHUB.ref,
    Issuer: GITHUB.issuer,
    Subject: GITHUB.identity,
    githubWorkflowName: GITHUB.workflowName,
    githubWorkflowRef: GITHUB.ref,
    githubWorkflowRepository: GITHUB.repository,
    githubWorkflowSha: GITHUB.sha,
    githubWorkflowTrigger: GITHUB.trigger,
  });
});

/** A chain whose intermediate expires while the leaf is still valid. */
async function expiringIntermediateChain() {
  const { cert: caRoot, key: rootKey } = await issueTestCertificate({
    notBefore: Date.UTC(2024, 0, 1),
    notAfter: Date.UTC(2030, 0, 1),
    subject: testName([ATTR.CN, "root"]),
    extensions: [
      testExtension(EXTENSION_OID.keyUsage, true, keyUsage("keyCertSign")),
      testExtension(EXTENSION_OID.basicConstraints, true, basicConstraints(true)),
    ],
  });
  const { cert: intermediate, key: intermediateKey } = await issueTestCertificate({
    notBefore: Date.UTC(2024, 0, 1),
    notAfter: Date.UTC(2024, 5, 1, 0, 5),
    subject: testName([ATTR.CN, "intermediate"]),
    issuerKey: rootKey,
    issuerCert: caRoot,
    extensions: [
      testExtension(EXTENSION_OID.keyUsage, true, keyUsage("keyCertSign")),
      testExtension(EXTENSION_OID.basicConstraints, true, basicConstraints(true, 0)),
    ],
  });
  const { cert: leaf } = await issueTestCertificate({
    notBefore: Date.UTC(2024, 5, 1),
    notAfter: Date.UTC(2024, 5, 1, 0, 10),
    subject: new Uint8Array([0x30, 0]),
    issuerKey: intermediateKey,
    issuerCert: intermediate,
    extensions: [
      testExtension(EXTENSION_OID.extKeyUsage, false, extKeyUsage("1.3.6.1.5.5.7.3.3")),
      testExtension(EXTENSION_OID.subjectAltName, true, subjectAltName({ emails: ["a@b.c"] })),
    ],
  });
  return { leaf, trust: [{ certChain: [intermediate, caRoot] }] };
}

type Case = [
  what: string,
  options: () => Promise<VerifyCertificateMaterialOptions> | VerifyCertificateMaterialOptions,
  code: VerificationError["code"],
  message?: RegExp,
];

const base = (over: Partial<VerifyCertificateMaterialOptions> = {}) => ({
  material: { leaf: v3.leaf },
  trust: rootTrust(),
  evidence: { policy: "log" as const, logTimes: v3.logTimes },
  policy: { identity: emailPolicy, identityMode: "sigstore-go" as const },
  ...over,
});
const legacy = (over: Partial<VerifyCertificateMaterialOptions> = {}) =>
  base({
    trust: envTrust,
    evidence: { policy: "all", logTimes: v3.logTimes },
    policy: { identity: emailPolicy },
    ...over,
  });
const publicGood = parseTrustedRoot(
  Deno.readFileSync(join(VECTORS, "sigstore-go", "trusted-root-public-good.json")),
);
const withCtLogs = (ctlogs: TrustedRoot["ctlogs"]) => ({ ...root, ctlogs });
const withCaValidFor = (validFor: { start?: number; end?: number }) => ({
  ...root,
  certificateAuthorities: [{ ...root.certificateAuthorities[0], validFor }],
});

const cases: Case[] = [
  [
    "another identity (sigstore-go)",
    () =>
      base({
        policy: {
          ...base().policy,
          identity: { ...emailPolicy, certificateIdentity: "bob@example.com" },
        },
      }),
    "CERT_IDENTITY_MISMATCH",
    /no matching CertificateIdentity found, last error: expected SAN value "bob@example\.com", got "alice@example\.com"/,
  ],
  [
    "another issuer (cosign)",
    () =>
      legacy({ policy: { identity: { ...emailPolicy, certificateOidcIssuer: GITHUB.issuer } } }),
    "CERT_IDENTITY_MISMATCH",
    /none of the expected identities matched what was in the certificate, got subjects \[alice@example\.com\] with issuer http:\/\/127\.0\.0\.1:\d+ /,
  ],
  [
    "an issuer regexp that does not match (sigstore-go)",
    () =>
      base({
        policy: {
          identityMode: "sigstore-go",
          identity: {
            certificateIdentity: EMAIL.identity,
            certificateOidcIssuerRegexp: "^https://",
          },
        },
      }),
    "CERT_IDENTITY_MISMATCH",
    /expected issuer value to match regex "\^https:\/\/"/,
  ],
  [
    "an identity regexp that does not match (cosign)",
    () =>
      legacy({
        policy: {
          identity: { certificateIdentityRegexp: "^bob@", certificateOidcIssuer: EMAIL.issuer },
        },
      }),
    "CERT_IDENTITY_MISMATCH",
  ],
  [
    "a GitHub workflow value that differs",
    () =>
      base({
        material: { leaf: github.leaf },
        evidence: { policy: "log", logTimes: github.logTimes },
        policy: {
          identityMode: "sigstore-go",
          identity: {
            certificateIdentity: GITHUB.identity,
            certificateOidcIssuer: GITHUB.issuer,
            certificateGithubWorkflowRepository: "octo-org/other",
          },
        },
      }),
    "CERT_EXTENSION_MISMATCH",
  ],
  [
    "a SET-signed integrated time after the certificate expired",
    () => base({ evidence: { policy: "log", logTimes: [{ time: v3.leaf.notAfter + 1000 }] } }),
    "CERT_EXPIRED",
    /the leaf certificate has expired/,
  ],
  [
    "a SET-signed integrated time before the certificate was issued (cosign rules)",
    () => legacy({ evidence: { policy: "all", logTimes: [{ time: v3.leaf.notBefore - 1000 }] } }),
    "CERT_NOT_YET_VALID",
  ],
  [
    "an integrated time without SET outside the certificate's validity",
    () =>
      base({
        evidence: {
          policy: "log",
          logTimes: v3.logTimes,
          unsignedLogTimes: [v3.leaf.notAfter + 60_000],
        },
      }),
    "CERT_EXPIRED",
    /integrated time outside certificate validity/,
  ],
  [
    "no SET and no timestamp",
    () =>
      base({ evidence: { policy: "log", logTimes: [], unsignedLogTimes: [v3.logTimes[0].time] } }),
    "SIGNING_TIME_MISSING",
  ],
  [
    "no SET and no timestamp, either accepted",
    () => base({ evidence: { policy: "observer", logTimes: [] } }),
    "SIGNING_TIME_MISSING",
  ],
  [
    "--use-signed-timestamps without a timestamp",
    () => base({ evidence: { policy: "signed", logTimes: v3.logTimes, timestamps: [] } }),
    "SIGNING_TIME_MISSING",
  ],
  [
    "no log time nor timestamp, the certificate expired now (cosign: expected a signed timestamp)",
    () => legacy({ evidence: { policy: "all", now: v3.leaf.notAfter + 3_600_000 } }),
    "CERT_EXPIRED",
    /expected a signed timestamp to verify an expired certificate/,
  ],
  [
    "an SCT from a log the trusted root does not know",
    () => base({ trust: rootTrust(withCtLogs(root.tlogs)) }),
    "SCT_LOG_KEY_UNKNOWN",
    /only able to verify 0 SCT entries; unable to meet threshold of 1/,
  ],
  [
    "an SCT from a log SIGSTORE_CT_LOG_PUBLIC_KEY_FILE does not name",
    () =>
      legacy({
        trust: { ...envTrust, ctLogs: [{ logId: ctLogId(rekorKey.spki), publicKey: rekorKey }] },
      }),
    "SCT_LOG_KEY_UNKNOWN",
    /ctfe public key not found for payload/,
  ],
  [
    "an SCT after its CT log key's validity",
    () =>
      base({
        trust: rootTrust(
          withCtLogs([{
            ...root.ctlogs[0],
            validFor: { start: 0, end: v3.leaf.notBefore - 1000 },
          }]),
        ),
      }),
    "SCT_TIME_INVALID",
  ],
  [
    "a root certificate the trust does not hold inside a bundle's chain",
    () =>
      base({
        material: {
          leaf: v3.leaf,
          chain: [fulcioChain[0], publicGood.certificateAuthorities[0].certChain.at(-1)!],
          chainSource: "bundle",
        },
      }),
    "CERT_ROOT_IN_CHAIN",
    /must not contain a self-signed root certificate \("CN=sigstore,O=sigstore\.dev"\)/,
  ],
  [
    "a certificate authority not valid at the signing time",
    () => base({ trust: rootTrust(withCaValidFor({ end: v3.leaf.notBefore - 1000 })) }),
    "CERT_AUTHORITY_NOT_VALID",
  ],
  [
    "a Fulcio chain the trust does not hold",
    () =>
      base({
        trust: {
          ...rootTrust(),
          authorities: publicGood.certificateAuthorities.filter((a) =>
            a.validFor.end === undefined
          ),
        },
      }),
    "CERT_CHAIN_INVALID",
  ],
  [
    "an intermediate that expired before the signing time while the leaf was valid",
    async () => {
      const { leaf, trust } = await expiringIntermediateChain();
      return {
        material: { leaf },
        trust: {
          kind: "legacy",
          authorities: trust,
          hasIntermediates: true,
          ctLogs: [],
          timestampAuthorities: [],
        },
        evidence: { policy: "all", logTimes: [{ time: Date.UTC(2024, 5, 1, 0, 7) }] },
        policy: { ignoreSct: true },
      };
    },
    "CERT_EXPIRED",
    /the intermediate certificate "CN=intermediate" has expired: 2024-06-01T00:07:00Z is after 2024-06-01T00:05:00Z/,
  ],
];

for (const [what, options, code, message] of cases) {
  Deno.test(`verifyCertificateMaterial() refuses ${what}: ${code}`, async () => {
    await assert.rejects(verifyCertificateMaterial(await options()), (e: unknown) => {
      assert.ok(e instanceof VerificationError, String(e));
      assert.equal(e.code, code, e.message);
      if (message) assert.match(e.message, message);
      return true;
    });
  });
}

Deno.test("verifyCertificateMaterial() tolerates the trusted root in a bundle's chain (v0.1 bundles carry the full chain)", async () => {
  const got = await verifyCertificateMaterial(
    base({ material: { leaf: v3.leaf, chain: fulcioChain, chainSource: "bundle" } }),
  );
  assert.equal(got.chain.length, 3);
});

Deno.test("verifyCertificateMaterial() accepts the expiring intermediate while it was valid", async () => {
  const { leaf, trust } = await expiringIntermediateChain();
  const got = await verifyCertificateMaterial({
    material: { leaf },
    trust: {
      kind: "legacy",
      authorities: trust,
      hasIntermediates: true,
      ctLogs: [],
      timestampAuthorities: [],
    },
    evidence: { policy: "all", logTimes: [{ time: Date.UTC(2024, 5, 1, 0, 3) }] },
    policy: { ignoreSct: true },
  });
  assert.equal(got.chain.length, 3);
  assert.deepEqual(got.scts, []);
});

// sigstore-python's Rekor v2 bundle: a staging Fulcio certificate, a Rekor v2 entry (no SET) and
// an RFC 3161 timestamp from the staging timestamp authority.
const PY = join(VECTORS, "sigstore-python");
const pyRoot = parseTrustedRoot(Deno.readFileSync(join(PY, "trusted_root.staging.json")));
const pyBundle = parseBundle(Deno.readFileSync(join(PY, "staging-rekor-v2.txt.sigstore.json")));
const pyOptions = (r: TrustedRoot, policy: "signed" | "log" | "observer") => ({
  material: { leaf: parseCertificate(pyBundle.verificationMaterial.certificate!) },
  trust: rootTrust(r),
  evidence: {
    policy,
    logTimes: [],
    unsignedLogTimes: pyBundle.verificationMaterial.tlogEntries.map((e) => e.integratedTime),
    timestamps: pyBundle.verificationMaterial.rfc3161Timestamps,
    timestampedBytes: pyBundle.messageSignature!.signature,
  },
  policy: { identityMode: "sigstore-go" as const },
});

Deno.test("verifyCertificateMaterial() takes the signing time of a Rekor v2 bundle from its RFC 3161 timestamp", async () => {
  assert.equal(pyBundle.verificationMaterial.tlogEntries[0].signedEntryTimestamp, undefined);
  for (const policy of ["signed", "observer"] as const) {
    const got = await verifyCertificateMaterial(pyOptions(pyRoot, policy));
    assert.equal(got.signingTimes.length, 1);
    assert.equal(got.signingTimes[0].source, "timestamp");
    assert.equal(got.timestamps.length, 1);
    assert.ok(got.signingTimes[0].time >= got.chain[0].notBefore);
    assert.ok(got.signingTimes[0].time <= got.chain[0].notAfter);
  }
});

Deno.test("verifyCertificateMaterial() refuses a Rekor v2 entry without a signed timestamp, and a TSA outside its validity", async () => {
  await assert.rejects(verifyCertificateMaterial(pyOptions(pyRoot, "log")), {
    code: "SIGNING_TIME_MISSING",
  });
  const genTime = (await verifyCertificateMaterial(pyOptions(pyRoot, "signed"))).signingTimes[0]
    .time;
  const ended = {
    ...pyRoot,
    timestampAuthorities: pyRoot.timestampAuthorities.map((a) => ({
      ...a,
      validFor: { ...a.validFor, end: genTime - 1000 },
    })),
  };
  for (const policy of ["signed", "observer"] as const) {
    await assert.rejects(verifyCertificateMaterial(pyOptions(ended, policy)), {
      code: "TIMESTAMP_OUTSIDE_VALIDITY",
      message: /timestamp is after the validity period end/,
    });
  }
});
