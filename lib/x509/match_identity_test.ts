import assert from "node:assert/strict";
import { derUtf8 } from "../asn1/der.ts";
import { VerificationError } from "../errors.ts";
import { EXTENSION_OID, parseCertificatePem } from "./certificate.ts";
import { FULCIO_OID } from "./fulcio_extensions.ts";
import {
  type CertificateIdentityOptions,
  type IdentityMatchMode,
  matchIdentity,
} from "./match_identity.ts";
import {
  issueTestCertificate,
  subjectAltName,
  testExtension,
} from "../../tests/helpers/test_ca.ts";

const FIXTURES = new URL("../../tests/fixtures/x509/", import.meta.url);
const pem = (name: string) => parseCertificatePem(Deno.readFileSync(new URL(name, FIXTURES)));

const gha = pem("leaf-github-workflow.pem");
const WORKFLOW =
  "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main";
const GHA_ISSUER = "https://token.actions.githubusercontent.com";

Deno.test("matchIdentity() accepts matching identities in both modes", async () => {
  const table: CertificateIdentityOptions[] = [
    {},
    { certificateIdentity: WORKFLOW, certificateOidcIssuer: GHA_ISSUER },
    {
      certificateIdentityRegexp: "^https://github\\.com/sigstore/",
      certificateOidcIssuerRegexp: "(?i)TOKEN\\.actions",
    },
    // Unanchored, as Go's MatchString.
    { certificateIdentityRegexp: "sigstore-js", certificateOidcIssuerRegexp: "githubusercontent" },
    {
      certificateIdentity: WORKFLOW,
      certificateOidcIssuer: GHA_ISSUER,
      certificateGithubWorkflowTrigger: "push",
      certificateGithubWorkflowSha: "f0b49a04e5a62250e0f60fb128004a73110fe311",
      certificateGithubWorkflowName: "Release",
      certificateGithubWorkflowRepository: "sigstore/sigstore-js",
      certificateGithubWorkflowRef: "refs/heads/main",
    },
  ];
  for (const mode of ["cosign", "sigstore-go"] as const) {
    for (const policy of table) {
      assert.deepEqual(
        await matchIdentity(gha, policy, mode),
        { subject: WORKFLOW, issuer: GHA_ISSUER },
        `${mode} ${JSON.stringify(policy)}`,
      );
    }
  }
  const other = pem("leaf-othername.pem");
  const policy = {
    certificateIdentity: "foo!oidc.local",
    certificateOidcIssuer: "http://oidc.local:8080",
  };
  for (const mode of ["cosign", "sigstore-go"] as const) {
    assert.deepEqual(await matchIdentity(other, policy, mode), {
      subject: "foo!oidc.local",
      issuer: "http://oidc.local:8080",
    });
  }
});

// The cosign-mode texts are those of cosign v2.6.4 `verify-blob --certificate … --certificate-chain
// …`, and the sigstore-go-mode texts those of `verify-blob --bundle … --new-bundle-format
// --trusted-root …` (checked on the sigstore-java P-256 bundle), each followed here by what was
// expected where cosign's own text omits it.
Deno.test("matchIdentity() refuses mismatches with messages naming both sides", async () => {
  const table: [IdentityMatchMode, CertificateIdentityOptions, string, string][] = [
    [
      "cosign",
      { certificateIdentity: "https://github.com/evil/repo", certificateOidcIssuer: GHA_ISSUER },
      "CERT_IDENTITY_MISMATCH",
      `Cannot verify certificate identity: none of the expected identities matched what was in the certificate, got subjects [${WORKFLOW}] with issuer ${GHA_ISSUER} (expected subject "https://github.com/evil/repo" with issuer "${GHA_ISSUER}")`,
    ],
    [
      "cosign",
      {
        certificateIdentityRegexp: "^sigstore-js",
        certificateOidcIssuer: "https://accounts.google.com",
      },
      "CERT_IDENTITY_MISMATCH",
      `Cannot verify certificate identity: none of the expected identities matched what was in the certificate, got subjects [${WORKFLOW}] with issuer ${GHA_ISSUER} (expected subject matching "^sigstore-js" with issuer "https://accounts.google.com")`,
    ],
    [
      "cosign",
      { certificateIdentity: WORKFLOW, certificateGithubWorkflowTrigger: "pull_request" },
      "CERT_EXTENSION_MISMATCH",
      'Cannot verify certificate identity: expected GitHub Workflow Trigger not found in certificate (expected "pull_request", got "push")',
    ],
    [
      "cosign",
      { certificateGithubWorkflowSha: "0000" },
      "CERT_EXTENSION_MISMATCH",
      'Cannot verify certificate identity: expected GitHub Workflow SHA not found in certificate (expected "0000", got "f0b49a04e5a62250e0f60fb128004a73110fe311")',
    ],
    [
      "sigstore-go",
      { certificateIdentity: "https://github.com/evil/repo", certificateOidcIssuer: GHA_ISSUER },
      "CERT_IDENTITY_MISMATCH",
      `Cannot verify certificate identity: no matching CertificateIdentity found, last error: expected SAN value "https://github.com/evil/repo", got "${WORKFLOW}"`,
    ],
    [
      "sigstore-go",
      { certificateIdentityRegexp: "^sigstore-js", certificateOidcIssuer: GHA_ISSUER },
      "CERT_IDENTITY_MISMATCH",
      `Cannot verify certificate identity: no matching CertificateIdentity found, last error: expected SAN value to match regex "^sigstore-js", got "${WORKFLOW}"`,
    ],
    [
      "sigstore-go",
      { certificateIdentity: WORKFLOW, certificateOidcIssuerRegexp: "google" },
      "CERT_IDENTITY_MISMATCH",
      `Cannot verify certificate identity: no matching CertificateIdentity found, last error: expected issuer value to match regex "google", got "${GHA_ISSUER}"`,
    ],
    [
      "sigstore-go",
      {
        certificateIdentity: WORKFLOW,
        certificateOidcIssuer: GHA_ISSUER,
        certificateGithubWorkflowRef: "refs/heads/dev",
      },
      "CERT_EXTENSION_MISMATCH",
      'Cannot verify certificate identity: no matching CertificateIdentity found, last error: expected GithubWorkflowRef to be "refs/heads/dev", got "refs/heads/main"',
    ],
    // cosign prefers the regexp when both are set; sigstore-go checks both.
    [
      "sigstore-go",
      {
        certificateIdentity: "x",
        certificateIdentityRegexp: "sigstore",
        certificateOidcIssuer: GHA_ISSUER,
      },
      "CERT_IDENTITY_MISMATCH",
      `Cannot verify certificate identity: no matching CertificateIdentity found, last error: expected SAN value "x", got "${WORKFLOW}"`,
    ],
  ];
  for (const [mode, policy, code, message] of table) {
    await assert.rejects(
      matchIdentity(gha, policy, mode),
      (e: unknown) => e instanceof VerificationError && e.code === code && e.message === message,
      `${mode} ${JSON.stringify(policy)}`,
    );
  }
  assert.equal(
    (await matchIdentity(gha, { certificateIdentity: "x", certificateIdentityRegexp: "sigstore" }))
      .subject,
    WORKFLOW,
  );
  // sigstore-go's othername test: the same certificate must not match as an email.
  await assert.rejects(
    matchIdentity(pem("leaf-othername.pem"), {
      certificateIdentity: "foo@oidc.local",
      certificateOidcIssuer: "http://oidc.local:8080",
    }, "sigstore-go"),
    { code: "CERT_IDENTITY_MISMATCH" },
  );
});

Deno.test("matchIdentity() matches any SAN (cosign) or the summary SAN (sigstore-go)", async () => {
  const { cert } = await issueTestCertificate({
    extensions: [
      testExtension(
        EXTENSION_OID.subjectAltName,
        true,
        subjectAltName({ dns: ["d.test"], emails: ["e@x.test"] }),
      ),
      testExtension(FULCIO_OID.issuerV1, false, new TextEncoder().encode("https://v1.test")),
      testExtension(FULCIO_OID.issuer, false, derUtf8("https://v2.test")),
    ],
  });
  assert.deepEqual(
    await matchIdentity(cert, {
      certificateIdentity: "d.test",
      certificateOidcIssuer: "https://v1.test",
    }),
    { subject: "d.test", issuer: "https://v1.test" },
  );
  assert.deepEqual(
    await matchIdentity(cert, {
      certificateIdentity: "e@x.test",
      certificateOidcIssuer: "https://v2.test",
    }, "sigstore-go"),
    { subject: "e@x.test", issuer: "https://v2.test" },
  );
  await assert.rejects(
    matchIdentity(
      cert,
      { certificateIdentity: "d.test", certificateOidcIssuer: "https://v2.test" },
      "sigstore-go",
    ),
    { code: "CERT_IDENTITY_MISMATCH", message: /expected SAN value "d\.test", got "e@x\.test"$/ },
  );
  // cosign reads the issuer from 1.1 only.
  await assert.rejects(
    matchIdentity(cert, {
      certificateIdentity: "e@x.test",
      certificateOidcIssuer: "https://v2.test",
    }),
    {
      code: "CERT_IDENTITY_MISMATCH",
      message: /got subjects \[d\.test, e@x\.test\] with issuer https:\/\/v1\.test /,
    },
  );
  const { cert: bare } = await issueTestCertificate();
  await assert.rejects(
    matchIdentity(
      bare,
      { certificateIdentityRegexp: ".*", certificateOidcIssuerRegexp: ".*" },
      "sigstore-go",
    ),
    {
      code: "CERT_IDENTITY_MISMATCH",
      message: "Cannot verify certificate identity: no Subject Alternative Name found",
    },
  );
  // cosign: an empty regexp matches any issuer, "" included, but a SAN is still needed.
  await assert.rejects(
    matchIdentity(bare, { certificateIdentityRegexp: ".*", certificateOidcIssuerRegexp: ".*" }),
    { code: "CERT_IDENTITY_MISMATCH", message: /got subjects \[\] with issuer {2}\(/ },
  );
});

Deno.test("matchIdentity() compiles Go regexps with RE2 semantics and linear time", async () => {
  await assert.rejects(
    matchIdentity(gha, { certificateIdentityRegexp: "(", certificateOidcIssuer: GHA_ISSUER }),
    {
      name: "SyntaxError",
      message:
        "Cannot verify certificate identity: malformed subject in identity: ( : error parsing regexp: missing closing ): `(`",
    },
  );
  await assert.rejects(
    matchIdentity(
      gha,
      { certificateIdentityRegexp: "(", certificateOidcIssuer: GHA_ISSUER },
      "sigstore-go",
    ),
    {
      name: "SyntaxError",
      message: "Cannot verify certificate identity: error parsing regexp: missing closing ): `(`",
    },
  );
  await assert.rejects(
    matchIdentity(gha, { certificateIdentity: WORKFLOW, certificateOidcIssuerRegexp: "(?=x)" }),
    {
      name: "SyntaxError",
      message:
        "Cannot verify certificate identity: malformed issuer in identity: (?=x) : error parsing regexp: invalid or unsupported Perl syntax: `(?=`",
    },
  );
  // "$" is the end of the text, not before a final newline (Go, not PCRE).
  const { cert } = await issueTestCertificate({
    extensions: [testExtension(
      EXTENSION_OID.subjectAltName,
      false,
      subjectAltName({ dns: ["x.test\n"], uris: ["https://x.test/" + "a".repeat(20_000) + "!"] }),
    )],
  });
  await assert.rejects(matchIdentity(cert, { certificateIdentityRegexp: "^x\\.test$" }), {
    code: "CERT_IDENTITY_MISMATCH",
  });
  // Catastrophic for backtracking engines; RE2 answers in linear time.
  await assert.rejects(
    matchIdentity(cert, { certificateIdentityRegexp: "^https://x\\.test/(a+)+$" }),
    {
      code: "CERT_IDENTITY_MISMATCH",
    },
  );
  await assert.rejects(
    matchIdentity(gha, { certificateIdentity: WORKFLOW }, "sigstore-go"),
    { name: "TypeError", message: /must specify Issuer criteria/ },
  );
  await assert.rejects(
    matchIdentity(gha, { certificateOidcIssuer: GHA_ISSUER }, "sigstore-go"),
    { name: "TypeError", message: /there must be subject alternative name criteria/ },
  );
});
