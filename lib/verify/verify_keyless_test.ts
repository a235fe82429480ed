/**
 * Keyless verification through the entry points, on the Go cosign v2.6.4 keyless fixtures
 * (tests/fixtures/keyless-local): Sigstore bundles with sigstore-go's rules, cosign's old bundles
 * and `.sig`/`.att` layers with cosign's, and each of the signing-time policies.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { VerificationError } from "../errors.ts";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import { readSignatureImage, writeSignatureImage } from "../oci/cosign_signatures.ts";
import { MemoryRegistry } from "../registry/memory_registry.ts";
import type { Descriptor } from "../registry/types.ts";
import { bytesReader } from "../stream.ts";
import { parseTrustedRoot } from "../trust/trusted_root.ts";
import { parseCertificateChainPem } from "../x509/certificate.ts";
import { certificateTrust } from "./certificate_trust.ts";
import type { CertificatePolicy, VerificationPolicy } from "./verification_policy.ts";
import { verifyBlob } from "./verify_blob.ts";
import { verifyBlobAttestation } from "./verify_blob_attestation.ts";
import { verifyBlobAttestationBundle } from "./verify_blob_attestation_bundle.ts";
import { verifyBlobBundle } from "./verify_blob_bundle.ts";
import { certificateOptional, renderCertificateSummary, verifyImage } from "./verify_image.ts";
import { verifyImageAttestations } from "./verify_image_attestation.ts";

const FX = join(import.meta.dirname!, "..", "..", "tests", "fixtures", "keyless-local");
const read = (name: string) => Deno.readFileSync(join(FX, name));
const expected = JSON.parse(Deno.readTextFileSync(join(FX, "expected.json")));
const root = parseTrustedRoot(read("trusted_root.json"));
const rekorKey = parsePublicKeyPem(read("rekor.pub"));
const [intermediate, fulcioRoot] = parseCertificateChainPem(read("fulcio_chain.pem"));
const alice = { subject: expected.email.identity, issuer: expected.email.issuer };

const cert = (over: Partial<CertificatePolicy> = {}): CertificatePolicy => ({
  identities: [alice],
  trust: certificateTrust({ trustedRoot: root }),
  ...over,
});
/** Sigstore bundles: the trusted root for the log and the certificate. */
const rootPolicy = (over: Partial<VerificationPolicy> = {}): VerificationPolicy => ({
  signer: { certificate: cert() },
  tlog: { trustedRoot: root },
  ...over,
});
/** cosign's old formats with SIGSTORE_ROOT_FILE, SIGSTORE_REKOR_PUBLIC_KEY, the CT log key. */
const envPolicy = (over: Partial<VerificationPolicy> = {}): VerificationPolicy => ({
  signer: {
    certificate: cert({
      trust: certificateTrust({
        roots: [fulcioRoot],
        intermediates: [intermediate],
        ctLogKeys: [parsePublicKeyPem(read("ctlog.pub"))],
      }),
    }),
  },
  tlog: { logKey: rekorKey, offline: true },
  ...over,
});
const code = (c: VerificationError["code"], message?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof VerificationError, String(e));
  assert.equal(e.code, c, e.message);
  if (message) assert.match(e.message, message);
  return true;
};
const blobBundle = (policy: VerificationPolicy, name = "blob.sigstore.json") =>
  verifyBlobBundle({ policy, bundle: read(name), input: bytesReader(read("blob.txt")) });
const oldBlob = (policy: VerificationPolicy, blob = read("blob.txt")) =>
  verifyBlob({
    policy,
    signatureRef: "",
    bundle: read("blob.bundle"),
    input: bytesReader(blob),
    deps: { getEnv: () => undefined },
  });

Deno.test("verifyBlobBundle() verifies Go cosign's keyless v0.3 bundle (sigstore-go rules)", async () => {
  await blobBundle(rootPolicy());
  await blobBundle({
    ...rootPolicy(),
    signer: {
      certificate: cert({
        identities: [{ subject: expected.github.identity, issuer: expected.github.issuer }],
        githubWorkflow: { repository: expected.github.repository, ref: expected.github.ref },
      }),
    },
  }, "blob-github.sigstore.json");
});

Deno.test("verifyBlobBundle() refuses keyless bundles as sigstore-go does", async () => {
  await assert.rejects(
    blobBundle(
      rootPolicy({
        signer: { certificate: cert({ identities: [{ ...alice, subject: "bob@example.com" }] }) },
      }),
    ),
    code("CERT_IDENTITY_MISMATCH", /expected SAN value "bob@example\.com"/),
  );
  // --insecure-ignore-tlog: the current time, after the certificate's ten minutes.
  await assert.rejects(
    blobBundle(rootPolicy({ tlog: { ignore: true } })),
    code("CERT_EXPIRED", /the leaf certificate has expired/),
  );
  // --use-signed-timestamps: the bundle has no timestamp.
  await assert.rejects(
    blobBundle(rootPolicy({ timestamps: { required: true, authorities: [] } })),
    code("SIGNING_TIME_MISSING"),
  );
  // Another blob: the signature (checked with the leaf's key first) does not verify.
  await assert.rejects(
    verifyBlobBundle({
      policy: rootPolicy(),
      bundle: read("blob.sigstore.json"),
      input: bytesReader(read("predicate.json")),
    }),
    code("SIGNATURE_INVALID"),
  );
  // No trust material for certificates.
  await assert.rejects(
    blobBundle(rootPolicy({ signer: { certificate: cert({ trust: undefined }) } })),
    code("UNSUPPORTED"),
  );
});

Deno.test("verifyBlob() verifies Go cosign's old keyless bundle with SIGSTORE_* trust (cosign rules), and refuses what cosign refuses", async () => {
  await oldBlob(envPolicy());
  await assert.rejects(
    oldBlob(envPolicy(), read("predicate.json")),
    code("SIGNATURE_INVALID"),
  );
  await assert.rejects(
    oldBlob(envPolicy({ tlog: { ignore: true } })),
    code("CERT_EXPIRED", /expected a signed timestamp to verify an expired certificate/),
  );
  const onlyRoot = envPolicy({
    signer: {
      certificate: cert({ trust: certificateTrust({ roots: [fulcioRoot], ctLogKeys: [] }) }),
    },
  });
  await assert.rejects(oldBlob(onlyRoot), code("CERT_CHAIN_INVALID"));
  // The log key of the trusted root works as well (cosign with TUF's trusted root).
  const { rekorLogKeySelector } = await import("../trust/trusted_root.ts");
  await oldBlob({ ...rootPolicy(), tlog: { logKey: rekorLogKeySelector(root), offline: true } });
});

Deno.test("verifyBlobAttestationBundle() and verifyBlobAttestation() verify Go cosign's keyless attestations", async () => {
  const statement = await verifyBlobAttestationBundle({
    bundle: read("attestation.sigstore.json"),
    policy: { ...rootPolicy(), claims: { type: "slsaprovenance" } },
    artifactDigest: {
      algorithm: "sha256",
      value: new Uint8Array(await crypto.subtle.digest("SHA-256", read("blob.txt"))),
    },
  });
  assert.equal(statement.predicateType, "https://slsa.dev/provenance/v0.2");
  {
    await verifyBlobAttestation({
      policy: { ...envPolicy(), claims: { type: "slsaprovenance", check: false } },
      envelopePath: "",
      bundlePath: join(FX, "attestation.bundle"),
      maxSize: 1 << 20,
    });
    await assert.rejects(
      verifyBlobAttestation({
        policy: {
          ...envPolicy({
            signer: { certificate: cert({ identities: [{ ...alice, issuer: "https://other" }] }) },
          }),
          claims: { type: "slsaprovenance", check: false },
        },
        envelopePath: "",
        bundlePath: join(FX, "attestation.bundle"),
        maxSize: 1 << 20,
      }),
      code("CERT_IDENTITY_MISMATCH"),
    );
  }
});

/** The fixture image's .sig and .att layers in a registry of our own. */
async function fixtureRegistry() {
  const reg = new MemoryRegistry();
  const repo = { registry: "127.0.0.1:5000", repository: "keyless/fixture" };
  const digest = expected.image.digest as string;
  for (const kind of ["sig", "att"]) {
    const manifest = JSON.parse(Deno.readTextFileSync(join(FX, "image", `${kind}.manifest.json`)));
    const descriptor = manifest.layers[0] as Descriptor;
    const tag = `${digest.replace(":", "-")}.${kind}`;
    await writeSignatureImage(reg, repo, tag, {
      base: await readSignatureImage(reg, repo, tag),
      add: [{ descriptor, payload: read(`image/${kind}.layer.json`) }],
    });
  }
  return { reg, ref: { ...repo, digest } };
}

Deno.test("verifyImage() verifies a keyless .sig layer (certificate and chain annotations) and reports cosign's certificate fields", async () => {
  const { reg, ref } = await fixtureRegistry();
  const r = await verifyImage({ registry: reg, ref, policy: envPolicy() });
  assert.equal(r.signatures.length, 1);
  assert.equal(r.bundleVerified, true);
  assert.deepEqual(certificateOptional(r.signatures[0]), {
    "1.3.6.1.4.1.57264.1.1": alice.issuer,
    Issuer: alice.issuer,
    Subject: alice.subject,
  });
  assert.equal(
    renderCertificateSummary(r.signatures[0].certificate),
    `Certificate subject: ${alice.subject}\nCertificate issuer URL: ${alice.issuer}\n`,
  );
  // With only the root trusted, the chain annotation supplies the intermediate (cosign).
  await verifyImage({
    registry: reg,
    ref,
    policy: envPolicy({
      signer: {
        certificate: cert({
          trust: certificateTrust({
            roots: [fulcioRoot],
            ctLogKeys: [parsePublicKeyPem(read("ctlog.pub"))],
          }),
        }),
      },
    }),
  });
  await assert.rejects(
    verifyImage({
      registry: reg,
      ref,
      policy: envPolicy({
        signer: { certificate: cert({ identities: [{ ...alice, subject: "bob@example.com" }] }) },
      }),
    }),
    code("NO_MATCHING_SIGNATURE", /none of the expected identities matched/),
  );
});

Deno.test("verifyImageAttestations() verifies a keyless .att layer", async () => {
  const { reg, ref } = await fixtureRegistry();
  const r = await verifyImageAttestations({
    registry: reg,
    ref,
    policy: { ...envPolicy(), claims: { type: "slsaprovenance" } },
  });
  assert.equal(r.attestations.length, 1);
  assert.match(
    renderCertificateSummary(r.attestations[0].certificate),
    /^Certificate subject: alice@example\.com\n/,
  );
});
