/**
 * A certificate stored next to a PKCS#11 key (same id and label) travels with what we sign, as
 * cosign's sign.go attaches a token certificate (`certSigner.Cert`): in the image signature's
 * `dev.sigstore.cosign/certificate` annotation, the attestation's, and the blob bundle's `cert`.
 * The real Go cosign v2.6.4 then verifies our signatures by that certificate alone — `--ca-roots`
 * with the issuing CA and the certificate's identity, no key — which it can only do by reading
 * the certificate where cosign puts it. A key without a certificate gets cosign's warning, and Go
 * cosign's certificate-based verification of its signature fails (the control).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createRegistry } from "../../lib/registry/client.ts";
import { createSoftHsmToken, SOFTHSM_MODULE, writeTokenCertificate } from "../helpers/softhsm.ts";
import { startRegistry } from "../peers/registry.ts";
import { REPO_ROOT } from "../peers/run.ts";
import { pushImage } from "../registry/_helpers.ts";
import {
  describe,
  expectSuccess,
  expectVerified,
  run,
  suiteDir,
  suiteOptions,
  TOOLS,
} from "../interop/_run.ts";

const token = await createSoftHsmToken({
  label: "cert token",
  keys: [
    { label: "signer", id: "01", type: "EC:prime256v1" },
    { label: "bare", id: "02", type: "EC:prime256v1" },
  ],
});
addEventListener("unload", () => Deno.removeSync(token.dir, { recursive: true }));
const IDENTITY = "release@example.com";
const ISSUER = "https://issuer.example.com";
const cert = await writeTokenCertificate(token, { id: "01", label: "signer" }, [
  "basicConstraints=critical,CA:FALSE",
  "keyUsage=critical,digitalSignature",
  "extendedKeyUsage=codeSigning",
  `subjectAltName=critical,email:${IDENTITY}`,
  // Fulcio's first OIDC issuer extension (the raw string), the one cosign v2.6.4's
  // --certificate-oidc-issuer reads (pkg/cosign/certextensions.go).
  `1.3.6.1.4.1.57264.1.1=DER:${new TextEncoder().encode(ISSUER).toHex()}`,
]);
const dir = await suiteDir("cosign-pkcs11-cert-");
await Deno.writeTextFile(join(dir, "ca.pem"), cert.caPem);
await Deno.writeTextFile(join(dir, "blob"), "a blob signed by a token key with a certificate\n");
await Deno.copyFile(
  join(REPO_ROOT, "tests/fixtures/attest/predicate.json"),
  join(dir, "predicate.json"),
);
const registry = await startRegistry({ mode: "http" });
const client = createRegistry({});
addEventListener("unload", () => {
  client.close();
  void registry.stop();
});

const opts = () => suiteOptions(dir, token.env);
const uri = (object: string) =>
  `pkcs11:token=cert%20token;object=${object}?module-path=${SOFTHSM_MODULE}&pin-value=1234`;
/** Verification by certificate only: the CA as root, the certificate's identity, no log. */
const BY_CERTIFICATE = [
  "--ca-roots",
  "ca.pem",
  "--certificate-identity",
  IDENTITY,
  "--certificate-oidc-issuer",
  ISSUER,
  "--insecure-ignore-sct",
  "--insecure-ignore-tlog=true",
];
const NO_CERT_WARNING = "WARNING: no x509 certificate retrieved from the PKCS11 token\n";

Deno.test("sign and attest an image with a token key and its certificate; Go cosign verifies by the certificate in the annotations", async () => {
  const { digest } = await pushImage(
    client,
    { registry: registry.host, repository: "cert/app" },
    "v1",
  );
  const image = `${registry.host}/cert/app@${digest}`;
  const signed = expectSuccess(
    await run("ours", [
      "sign",
      "--key",
      uri("signer"),
      "--tlog-upload=false",
      "--output-certificate",
      "image.crt",
      "--yes",
      image,
    ], opts()),
    "sign",
  );
  assert.doesNotMatch(signed.stderr, /no x509 certificate/);
  assert.equal(await Deno.readTextFile(join(dir, "image.crt")), cert.leafPem);
  expectSuccess(
    await run("ours", [
      "attest",
      "--key",
      uri("signer"),
      "--tlog-upload=false",
      "--yes",
      "--type",
      "custom",
      "--predicate",
      "predicate.json",
      image,
    ], opts()),
    "attest",
  );
  for (const tool of TOOLS) {
    const v = expectSuccess(
      await run(tool, ["verify", ...BY_CERTIFICATE, "--output", "json", image], opts()),
      `${tool} verify by certificate`,
    );
    const [sig] = JSON.parse(v.stdout);
    assert.equal(sig.optional.Subject, IDENTITY, describe(v));
    expectSuccess(
      await run(tool, [
        "verify-attestation",
        ...BY_CERTIFICATE,
        "--type",
        "custom",
        image,
      ], opts()),
      `${tool} verify-attestation by certificate`,
    );
  }
});

Deno.test("sign-blob with a token key and its certificate: the bundle carries it; Go cosign verifies by the bundle's and by --certificate/--certificate-chain", async () => {
  expectSuccess(
    await run("ours", [
      "sign-blob",
      "--key",
      uri("signer"),
      "--tlog-upload=false",
      "--bundle",
      "blob.bundle",
      "--output-signature",
      "blob.sig",
      "--output-certificate",
      "blob.crt",
      "blob",
    ], opts()),
    "sign-blob",
  );
  const bundle = JSON.parse(await Deno.readTextFile(join(dir, "blob.bundle")));
  assert.equal(atob(bundle.cert), cert.leafPem);
  // cosign writes the certificate PEM base64-encoded to --output-certificate.
  assert.equal(atob(await Deno.readTextFile(join(dir, "blob.crt"))), cert.leafPem);
  await Deno.writeTextFile(join(dir, "blob.pem"), cert.leafPem);
  for (const tool of TOOLS) {
    expectVerified(
      await run(
        tool,
        ["verify-blob", ...BY_CERTIFICATE, "--bundle", "blob.bundle", "blob"],
        opts(),
      ),
      `${tool} verify-blob --bundle by certificate`,
    );
    expectVerified(
      await run(tool, [
        "verify-blob",
        "--certificate",
        "blob.pem",
        "--certificate-chain",
        "ca.pem",
        "--certificate-identity",
        IDENTITY,
        "--certificate-oidc-issuer",
        ISSUER,
        "--insecure-ignore-sct",
        "--insecure-ignore-tlog=true",
        "--signature",
        "blob.sig",
        "blob",
      ], opts()),
      `${tool} verify-blob --certificate --certificate-chain`,
    );
  }
});

Deno.test("a token key without a certificate: cosign's warning, and verification by certificate fails", async () => {
  const signed = expectSuccess(
    await run("ours", [
      "sign-blob",
      "--key",
      uri("bare"),
      "--tlog-upload=false",
      "--bundle",
      "bare.bundle",
      "blob",
    ], opts()),
    "sign-blob",
  );
  assert.equal(signed.stderr.startsWith(NO_CERT_WARNING), true, describe(signed));
  const bundle = JSON.parse(await Deno.readTextFile(join(dir, "bare.bundle")));
  assert.equal(bundle.cert, undefined);
  for (const tool of TOOLS) {
    const r = await run(tool, [
      "verify-blob",
      ...BY_CERTIFICATE,
      "--bundle",
      "bare.bundle",
      "blob",
    ], opts());
    assert.notEqual(r.code, 0, describe(r));
  }
  // COSIGN_PKCS11_IGNORE_CERTIFICATE=1 leaves the certificate out (and warns), as cosign.
  const ignored = expectSuccess(
    await run("ours", [
      "sign-blob",
      "--key",
      uri("signer"),
      "--tlog-upload=false",
      "--bundle",
      "ignored.bundle",
      "blob",
    ], { ...opts(), env: { ...opts().env, COSIGN_PKCS11_IGNORE_CERTIFICATE: "1" } }),
    "sign-blob ignoring the certificate",
  );
  assert.equal(ignored.stderr.startsWith(NO_CERT_WARNING), true, describe(ignored));
  assert.equal(JSON.parse(await Deno.readTextFile(join(dir, "ignored.bundle"))).cert, undefined);
});
