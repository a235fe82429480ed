import assert from "node:assert/strict";
import { derEncode, derUtf8, TAG } from "../asn1/der.ts";
import { EXTENSION_OID, parseCertificatePem } from "./certificate.ts";
import {
  certificateIdentity,
  cosignCertificateFields,
  FULCIO_OID,
  otherNameSan,
  parseFulcioExtensions,
  rawExtension,
  subjectAlternativeNames,
} from "./fulcio_extensions.ts";
import {
  issueTestCertificate,
  subjectAltName,
  testExtension,
} from "../../tests/helpers/test_ca.ts";

const FIXTURES = new URL("../../tests/fixtures/x509/", import.meta.url);
const pem = (name: string) => parseCertificatePem(Deno.readFileSync(new URL(name, FIXTURES)));
const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("parseFulcioExtensions() reads a GitHub Actions certificate as sigstore-go does", () => {
  // Expected values: sigstore-go pkg/fulcio/certificate/summarize_test.go
  // TestSummarizeCertificateWithActionsBundle (same certificate).
  assert.deepEqual(parseFulcioExtensions(pem("leaf-github-workflow.pem")), {
    issuer: "https://token.actions.githubusercontent.com",
    githubWorkflowTrigger: "push",
    githubWorkflowSha: "f0b49a04e5a62250e0f60fb128004a73110fe311",
    githubWorkflowName: "Release",
    githubWorkflowRepository: "sigstore/sigstore-js",
    githubWorkflowRef: "refs/heads/main",
    buildSignerUri:
      "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
    buildSignerDigest: "f0b49a04e5a62250e0f60fb128004a73110fe311",
    runnerEnvironment: "github-hosted",
    sourceRepositoryUri: "https://github.com/sigstore/sigstore-js",
    sourceRepositoryDigest: "f0b49a04e5a62250e0f60fb128004a73110fe311",
    sourceRepositoryRef: "refs/heads/main",
    sourceRepositoryIdentifier: "495574555",
    sourceRepositoryOwnerUri: "https://github.com/sigstore",
    sourceRepositoryOwnerIdentifier: "71096353",
    buildConfigUri:
      "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
    buildConfigDigest: "f0b49a04e5a62250e0f60fb128004a73110fe311",
    buildTrigger: "push",
    runInvocationUri: "https://github.com/sigstore/sigstore-js/actions/runs/5904696764/attempts/1",
    sourceRepositoryVisibilityAtSigning: "public",
  });
  // TestSummarizeCertificateWithOauthBundle / WithOtherNameSAN.
  assert.deepEqual(parseFulcioExtensions(pem("leaf-email-2022.pem")), {
    issuer: "https://github.com/login/oauth",
  });
  assert.deepEqual(parseFulcioExtensions(pem("leaf-othername.pem")), {
    issuer: "http://oidc.local:8080",
  });
});

Deno.test("certificateIdentity() is sigstore-go's summary SAN: URI, else email, else otherName", () => {
  assert.equal(
    certificateIdentity(pem("leaf-github-workflow.pem")),
    "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
  );
  assert.equal(certificateIdentity(pem("leaf-email-2022.pem")), "brian@dehamer.com");
  assert.equal(certificateIdentity(pem("leaf-othername.pem")), "foo!oidc.local");
  assert.equal(otherNameSan(pem("leaf-othername.pem")), "foo!oidc.local");
  assert.equal(certificateIdentity(pem("fulcio-root-v1.pem")), undefined);
});

Deno.test("subjectAlternativeNames() lists every SAN in cosign's order", async () => {
  const other = (oid: string, v: string): [string, Uint8Array] => [oid, derUtf8(v)];
  const { cert } = await issueTestCertificate({
    extensions: [testExtension(
      EXTENSION_OID.subjectAltName,
      true,
      subjectAltName({
        otherNames: [other(FULCIO_OID.otherName, "user!host")],
        uris: ["https://u.test"],
        ips: [Uint8Array.of(10, 0, 0, 1)],
        emails: ["e@x.test"],
        dns: ["d.test"],
      }),
    )],
  });
  assert.deepEqual(subjectAlternativeNames(cert), [
    "d.test",
    "e@x.test",
    "10.0.0.1",
    "https://u.test",
    "user!host",
  ]);
  assert.equal(certificateIdentity(cert), "https://u.test");
  // UnmarshalOtherNameSAN: two otherNames, or one of another type, give none.
  for (
    const names of [
      [other(FULCIO_OID.otherName, "a"), other(FULCIO_OID.otherName, "b")],
      [other("1.2.3.4", "a")],
    ]
  ) {
    const { cert: c } = await issueTestCertificate({
      extensions: [
        testExtension(EXTENSION_OID.subjectAltName, true, subjectAltName({ otherNames: names })),
      ],
    });
    assert.deepEqual(subjectAlternativeNames(c), []);
    assert.equal(certificateIdentity(c), undefined);
  }
});

Deno.test("parseFulcioExtensions() takes the later of 1.1 and 1.8; cosign reads 1.1 only", async () => {
  const { cert } = await issueTestCertificate({
    extensions: [
      testExtension(FULCIO_OID.issuer, false, derUtf8("https://v2.test")),
      testExtension(FULCIO_OID.issuerV1, false, enc("https://v1.test")),
      testExtension(FULCIO_OID.tokenSubject, false, derEncode(TAG.PRINTABLE_STRING, enc("sub"))),
    ],
  });
  assert.deepEqual(parseFulcioExtensions(cert), { issuer: "https://v1.test", tokenSubject: "sub" });
  assert.equal(rawExtension(cert, FULCIO_OID.issuerV1), "https://v1.test");
  assert.equal(rawExtension(cert, FULCIO_OID.githubWorkflowRef), "");
  const { cert: v2Last } = await issueTestCertificate({
    extensions: [
      testExtension(FULCIO_OID.issuerV1, false, enc("https://v1.test")),
      testExtension(FULCIO_OID.issuer, false, derUtf8("https://v2.test")),
    ],
  });
  assert.equal(parseFulcioExtensions(v2Last).issuer, "https://v2.test");
});

Deno.test("parseFulcioExtensions() rejects a 1.8+ value that is not one DER string", async () => {
  const table: [Uint8Array, RegExp][] = [
    [
      enc("https://raw.test"),
      /Cannot parse Fulcio extension 1\.3\.6\.1\.4\.1\.57264\.1\.8: unexpected error unmarshalling DER-encoded string: /,
    ],
    [Uint8Array.of(...derUtf8("a"), 0), /DER input has trailing data/],
    [derEncode(TAG.OCTET_STRING, enc("a")), /unsupported string type: 4/],
  ];
  for (const [value, message] of table) {
    const { cert } = await issueTestCertificate({
      extensions: [testExtension(FULCIO_OID.issuer, false, value)],
    });
    assert.throws(() => parseFulcioExtensions(cert), { name: "SyntaxError", message });
  }
});

Deno.test("cosignCertificateFields() is cosign verify's optional object, keys in Go's order", () => {
  const fields = cosignCertificateFields(pem("leaf-github-workflow.pem"));
  assert.deepEqual(fields, {
    "1.3.6.1.4.1.57264.1.1": "https://token.actions.githubusercontent.com",
    "1.3.6.1.4.1.57264.1.2": "push",
    "1.3.6.1.4.1.57264.1.3": "f0b49a04e5a62250e0f60fb128004a73110fe311",
    "1.3.6.1.4.1.57264.1.4": "Release",
    "1.3.6.1.4.1.57264.1.5": "sigstore/sigstore-js",
    "1.3.6.1.4.1.57264.1.6": "refs/heads/main",
    Issuer: "https://token.actions.githubusercontent.com",
    Subject:
      "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
    githubWorkflowName: "Release",
    githubWorkflowRef: "refs/heads/main",
    githubWorkflowRepository: "sigstore/sigstore-js",
    githubWorkflowSha: "f0b49a04e5a62250e0f60fb128004a73110fe311",
    githubWorkflowTrigger: "push",
  });
  assert.deepEqual(Object.keys(fields), Object.keys(fields).toSorted());
  assert.deepEqual(cosignCertificateFields(pem("leaf-othername.pem")), {
    "1.3.6.1.4.1.57264.1.1": "http://oidc.local:8080",
    Issuer: "http://oidc.local:8080",
    Subject: "foo!oidc.local",
  });
  assert.deepEqual(cosignCertificateFields(pem("fulcio-root-v1.pem")), { Subject: "" });
});
