import assert from "node:assert/strict";
import { derEncode, derSequence, TAG } from "../asn1/der.ts";
import { VerificationError } from "../errors.ts";
import {
  type Certificate,
  EXTENSION_OID,
  parseCertificate,
  parseCertificateChainPem,
  parseCertificatePem,
} from "./certificate.ts";
import {
  assertNoRootInChain,
  type CertificateAuthorityLike,
  verifyCertificateChain,
} from "./verify_certificate_chain.ts";
import {
  ATTR,
  basicConstraints,
  extKeyUsage,
  generateTestKey,
  issueTestCertificate,
  keyUsage,
  subjectAltName,
  type TestCertificateOptions,
  testChain,
  testExtension,
  testName,
} from "../../tests/helpers/test_ca.ts";

const FIXTURES = new URL("../../tests/fixtures/x509/", import.meta.url);
const pem = (name: string) => parseCertificatePem(Deno.readFileSync(new URL(name, FIXTURES)));

const intermediate = pem("fulcio-intermediate-v1.pem");
const root = pem("fulcio-root-v1.pem");
const publicGood: CertificateAuthorityLike = {
  certChain: [intermediate, root],
  validFor: { start: Date.parse("2022-04-13T20:06:15Z") },
};
const staging: CertificateAuthorityLike = {
  certChain: [pem("staging-fulcio-intermediate.pem"), pem("staging-fulcio-root.pem")],
};

const CODES = /^CERT_/;
async function rejects(p: Promise<unknown>, code: string, message?: RegExp, what?: string) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof VerificationError, what);
    assert.match(e.code, CODES);
    assert.equal(e.code, code, `${what}: ${e.message}`);
    if (message) assert.match(e.message, message, what);
    return true;
  });
}

const subjects = (chain: Certificate[]) => chain.map((c) => c.subject.text);

Deno.test("verifyCertificateChain() validates real public-good leaves of every key type at notBefore", async () => {
  for (
    const file of [
      "leaf-p256.pem",
      "leaf-p384.pem",
      "leaf-p521.pem",
      "leaf-rsa2048.pem",
      "leaf-rsa4096.pem",
      "leaf-github-workflow.pem",
      "leaf-email-2022.pem",
    ]
  ) {
    const leaf = pem(file);
    const chain = await verifyCertificateChain(leaf, [publicGood], leaf.notBefore);
    assert.equal(chain.length, 3, file);
    assert.equal(chain[0], leaf);
    assert.equal(chain[1], intermediate);
    assert.equal(chain[2], root);
  }
});

Deno.test("verifyCertificateChain() validates the staging, scaffolding (otherName SAN) and mock chains", async () => {
  const stagingLeaf = pem("staging-leaf-p384.pem");
  assert.deepEqual(
    subjects(
      await verifyCertificateChain(stagingLeaf, [publicGood, staging], stagingLeaf.notBefore),
    ),
    ["", "CN=sigstore-intermediate,O=sigstore.dev", "CN=sigstore,O=sigstore.dev"],
  );
  const scaffolding = {
    certChain: parseCertificateChainPem(
      Deno.readFileSync(new URL("scaffolding-ca-chain.pem", FIXTURES)),
    ),
  };
  const other = pem("leaf-othername.pem");
  assert.equal((await verifyCertificateChain(other, [scaffolding], other.notBefore)).length, 2);
  const mock = pem("cosign-sct-leaf.pem");
  assert.deepEqual(
    subjects(
      await verifyCertificateChain(
        mock,
        [{ certChain: [pem("cosign-sct-root.pem")] }],
        mock.notBefore,
      ),
    ),
    ["", "CN=sigstore,O=sigstore.mock"],
  );
});

Deno.test("verifyCertificateChain() holds every certificate to the given time", async () => {
  const leaf = pem("leaf-p256.pem");
  assert.equal((await verifyCertificateChain(leaf, [publicGood], leaf.notAfter)).length, 3);
  await rejects(
    verifyCertificateChain(leaf, [publicGood], leaf.notAfter + 1),
    "CERT_EXPIRED",
    /^Cannot verify certificate chain: the leaf certificate has expired: 2026-05-26T14:32:01\.001Z is after 2026-05-26T14:32:01Z$/,
  );
  await rejects(
    verifyCertificateChain(leaf, [publicGood], leaf.notBefore - 1000),
    "CERT_NOT_YET_VALID",
    /the leaf certificate is not yet valid: 2026-05-26T14:22:00Z is before 2026-05-26T14:22:01Z/,
  );
  // The authority's validFor window (trusted root) is checked too.
  await rejects(
    verifyCertificateChain(
      leaf,
      [{ ...publicGood, validFor: { end: leaf.notBefore - 1 } }],
      leaf.notBefore,
    ),
    "CERT_AUTHORITY_NOT_VALID",
    /the certificate authority "CN=sigstore,O=sigstore.dev" is not valid at 2026-05-26T14:22:01Z/,
  );
});

Deno.test("verifyCertificateChain() refuses wrong roots, tampered signatures and CA leaves", async () => {
  const leaf = pem("leaf-p256.pem");
  // Same names as the staging CA: the candidate is found by name, its signature fails.
  await rejects(
    verifyCertificateChain(leaf, [staging], leaf.notBefore),
    "CERT_SIGNATURE_INVALID",
    /the signature by the intermediate certificate "CN=sigstore-intermediate,O=sigstore.dev" does not verify/,
  );
  const scaffolding = {
    certChain: parseCertificateChainPem(
      Deno.readFileSync(new URL("scaffolding-ca-chain.pem", FIXTURES)),
    ),
  };
  await rejects(
    verifyCertificateChain(leaf, [scaffolding], leaf.notBefore),
    "CERT_CHAIN_INVALID",
    /^Cannot verify certificate chain: certificate signed by unknown authority$/,
  );
  await rejects(verifyCertificateChain(leaf, [], leaf.notBefore), "CERT_CHAIN_INVALID");
  // The most specific failure wins over "unknown authority".
  await rejects(
    verifyCertificateChain(leaf, [scaffolding, staging], leaf.notBefore),
    "CERT_SIGNATURE_INVALID",
  );

  const tampered = Uint8Array.from(leaf.der);
  tampered[tampered.length - 5] ^= 1;
  await rejects(
    verifyCertificateChain(parseCertificate(tampered), [publicGood], leaf.notBefore),
    "CERT_SIGNATURE_INVALID",
  );
  const tbsTampered = Uint8Array.from(leaf.der);
  tbsTampered[300] ^= 1; // inside the SubjectPublicKeyInfo
  await rejects(
    verifyCertificateChain(parseCertificate(tbsTampered), [publicGood], leaf.notBefore),
    "CERT_SIGNATURE_INVALID",
  );

  // The intermediate presented as a leaf: refused by default; Go accepts it (codeSigning EKU).
  await rejects(
    verifyCertificateChain(intermediate, [publicGood], leaf.notBefore),
    "CERT_LEAF_IS_CA",
    /the leaf certificate is a CA certificate/,
  );
  assert.deepEqual(
    subjects(
      await verifyCertificateChain(intermediate, [publicGood], leaf.notBefore, {
        allowCaLeaf: true,
      }),
    ),
    ["CN=sigstore-intermediate,O=sigstore.dev", "CN=sigstore,O=sigstore.dev"],
  );
});

Deno.test("verifyCertificateChain() completes paths with given intermediates and tries authorities in order", async () => {
  const leaf = pem("leaf-rsa2048.pem");
  const rootOnly = { certChain: [root] };
  await rejects(verifyCertificateChain(leaf, [rootOnly], leaf.notBefore), "CERT_CHAIN_INVALID");
  const chain = await verifyCertificateChain(leaf, [rootOnly], leaf.notBefore, {
    intermediates: [intermediate],
  });
  assert.equal(chain[1], intermediate);
  const v0 = {
    certChain: [pem("fulcio-root-v0.pem")],
    validFor: { end: Date.parse("2022-12-31T23:59:59.999Z") },
  };
  assert.equal(
    (await verifyCertificateChain(leaf, [v0, staging, publicGood], leaf.notBefore)).length,
    3,
  );
});

/** A synthetic chain, with overrides for the intermediate (re-issued) and the leaf. */
async function chainWith(
  opts: { intermediate?: TestCertificateOptions; leaf?: TestCertificateOptions } = {},
) {
  const base = await testChain();
  let { intermediate, intermediateKey } = base;
  if (opts.intermediate) {
    ({ cert: intermediate, key: intermediateKey } = await issueTestCertificate({
      notBefore: base.intermediate.notBefore,
      notAfter: base.intermediate.notAfter,
      subject: base.intermediate.subject.der,
      subjectKey: intermediateKey,
      issuerKey: base.rootKey,
      issuerCert: base.root,
      ...opts.intermediate,
    }));
  }
  const { cert: leaf } = await issueTestCertificate({
    notBefore: base.leaf.notBefore,
    subject: derSequence(),
    issuerKey: intermediateKey,
    issuerCert: intermediate,
    extensions: [
      testExtension(EXTENSION_OID.keyUsage, true, keyUsage("digitalSignature")),
      testExtension(EXTENSION_OID.extKeyUsage, false, extKeyUsage("1.3.6.1.5.5.7.3.3")),
      testExtension(
        EXTENSION_OID.subjectAltName,
        true,
        subjectAltName({ emails: ["a@example.com"] }),
      ),
    ],
    ...opts.leaf,
  });
  return {
    ...base,
    intermediate,
    intermediateKey,
    leaf,
    ca: { certChain: [intermediate, base.root] },
  };
}

const CA_EXTS = [
  testExtension(EXTENSION_OID.keyUsage, true, keyUsage("keyCertSign", "cRLSign")),
  testExtension(EXTENSION_OID.basicConstraints, true, basicConstraints(true, 0)),
];

// The synthetic cases below were run through Go 1.26 x509.Verify (roots, intermediates, time,
// KeyUsages codeSigning, the leaf's SAN dropped from its unhandled extensions as cosign does):
// every outcome matches, except that Go accepts a CA certificate as the leaf.
Deno.test("verifyCertificateChain() checks extended key usages as Go's checkChainForKeyUsage", async () => {
  const ok = await chainWith();
  assert.equal((await verifyCertificateChain(ok.leaf, [ok.ca], ok.leaf.notBefore)).length, 3);

  const serverAuth = await chainWith({
    leaf: {
      extensions: [
        testExtension(EXTENSION_OID.extKeyUsage, false, extKeyUsage("1.3.6.1.5.5.7.3.1")),
      ],
    },
  });
  await rejects(
    verifyCertificateChain(serverAuth.leaf, [serverAuth.ca], serverAuth.leaf.notBefore),
    "CERT_EXT_KEY_USAGE_MISMATCH",
    /does not allow the extended key usage 1\.3\.6\.1\.5\.5\.7\.3\.3/,
  );
  // extKeyUsage: null skips the check; another usage can be asked for.
  assert.equal(
    (await verifyCertificateChain(serverAuth.leaf, [serverAuth.ca], serverAuth.leaf.notBefore, {
      extKeyUsage: null,
    })).length,
    3,
  );
  await rejects(
    verifyCertificateChain(serverAuth.leaf, [serverAuth.ca], serverAuth.leaf.notBefore, {
      extKeyUsage: "1.3.6.1.5.5.7.3.1",
    }),
    "CERT_EXT_KEY_USAGE_MISMATCH", // the intermediate allows code signing only
  );
  // A leaf without the extension is unrestricted (as in Go).
  const none = await chainWith({ leaf: { extensions: [] } });
  assert.equal((await verifyCertificateChain(none.leaf, [none.ca], none.leaf.notBefore)).length, 3);
  // Usages nest: an intermediate restricted to server auth cannot issue code-signing leaves.
  const nested = await chainWith({
    intermediate: {
      extensions: [
        ...CA_EXTS,
        testExtension(EXTENSION_OID.extKeyUsage, false, extKeyUsage("1.3.6.1.5.5.7.3.1")),
      ],
    },
  });
  await rejects(
    verifyCertificateChain(nested.leaf, [nested.ca], nested.leaf.notBefore),
    "CERT_EXT_KEY_USAGE_MISMATCH",
  );
  const any = await chainWith({
    intermediate: {
      extensions: [
        ...CA_EXTS,
        testExtension(EXTENSION_OID.extKeyUsage, false, extKeyUsage("2.5.29.37.0")),
      ],
    },
  });
  assert.equal((await verifyCertificateChain(any.leaf, [any.ca], any.leaf.notBefore)).length, 3);
});

Deno.test("verifyCertificateChain() refuses issuers that may not sign, expired issuers and long paths", async () => {
  const table: [string, TestCertificateOptions, string, RegExp][] = [
    [
      "intermediate expired at signing time",
      { notAfter: Date.UTC(2024, 4, 1), extensions: CA_EXTS },
      "CERT_EXPIRED",
      /the intermediate certificate "CN=test-intermediate,O=test\.dev" has expired: 2024-06-01T00:00:00Z is after 2024-05-01T00:00:00Z/,
    ],
    [
      "intermediate not yet valid",
      { notBefore: Date.UTC(2024, 5, 2), notAfter: Date.UTC(2025, 0, 1), extensions: CA_EXTS },
      "CERT_NOT_YET_VALID",
      /intermediate certificate .* is not yet valid/,
    ],
    [
      "no basic constraints",
      { extensions: [testExtension(EXTENSION_OID.keyUsage, true, keyUsage("keyCertSign"))] },
      "CERT_NOT_AUTHORIZED_TO_SIGN",
      /cannot sign certificates: it is not a CA/,
    ],
    [
      "cA FALSE",
      {
        extensions: [testExtension(EXTENSION_OID.basicConstraints, true, basicConstraints(false))],
      },
      "CERT_NOT_AUTHORIZED_TO_SIGN",
      /it is not a CA/,
    ],
    [
      "no keyCertSign",
      {
        extensions: [
          testExtension(EXTENSION_OID.keyUsage, true, keyUsage("digitalSignature", "cRLSign")),
          testExtension(EXTENSION_OID.basicConstraints, true, basicConstraints(true)),
        ],
      },
      "CERT_NOT_AUTHORIZED_TO_SIGN",
      /its key usage lacks keyCertSign/,
    ],
    [
      "unknown critical extension",
      { extensions: [...CA_EXTS, testExtension("1.2.3.4", true, Uint8Array.of(5, 0))] },
      "CERT_UNHANDLED_CRITICAL_EXTENSION",
      /the intermediate certificate .* has an unhandled critical extension 1\.2\.3\.4/,
    ],
    [
      "critical SAN with only an otherName (Go leaves it unhandled off the leaf)",
      {
        extensions: [
          ...CA_EXTS,
          testExtension(
            EXTENSION_OID.subjectAltName,
            true,
            subjectAltName({
              otherNames: [[
                "1.3.6.1.4.1.57264.1.7",
                derEncode(TAG.UTF8_STRING, Uint8Array.of(0x61)),
              ]],
            }),
          ),
        ],
      },
      "CERT_UNHANDLED_CRITICAL_EXTENSION",
      /unhandled critical extension 2\.5\.29\.17/,
    ],
    [
      "name constraints",
      {
        extensions: [...CA_EXTS, testExtension(EXTENSION_OID.nameConstraints, true, derSequence())],
      },
      "CERT_CHAIN_INVALID",
      /has name constraints, which are not supported/,
    ],
  ];
  for (const [what, intermediate, code, message] of table) {
    const c = await chainWith({ intermediate });
    await rejects(verifyCertificateChain(c.leaf, [c.ca], c.leaf.notBefore), code, message, what);
  }
  // Non-critical unknown extensions are fine.
  const fine = await chainWith({
    intermediate: {
      extensions: [...CA_EXTS, testExtension("1.2.3.4", false, Uint8Array.of(5, 0))],
    },
  });
  assert.equal((await verifyCertificateChain(fine.leaf, [fine.ca], fine.leaf.notBefore)).length, 3);
});

Deno.test("verifyCertificateChain() enforces pathLen constraints", async () => {
  const base = await testChain();
  // A second intermediate below the first, whose pathLen is 0.
  const { cert: second, key: secondKey } = await issueTestCertificate({
    notBefore: base.intermediate.notBefore,
    notAfter: base.intermediate.notAfter,
    subject: testName([ATTR.CN, "second"]),
    issuerKey: base.intermediateKey,
    issuerCert: base.intermediate,
    extensions: [testExtension(EXTENSION_OID.basicConstraints, true, basicConstraints(true))],
  });
  const { cert: leaf } = await issueTestCertificate({
    notBefore: base.leaf.notBefore,
    issuerKey: secondKey,
    issuerCert: second,
  });
  await rejects(
    verifyCertificateChain(
      leaf,
      [{ certChain: [second, base.intermediate, base.root] }],
      leaf.notBefore,
    ),
    "CERT_PATH_LENGTH_EXCEEDED",
    /the intermediate certificate "CN=test-intermediate,O=test\.dev" allows 0 intermediate certificates below it, found 1/,
  );
});

Deno.test("verifyCertificateChain() checks leaf extensions and verifies every signature scheme", async () => {
  const unknown = await chainWith({
    leaf: { extensions: [testExtension("1.3.6.1.4.1.11129.2.4.3", true, Uint8Array.of(5, 0))] },
  });
  await rejects(
    verifyCertificateChain(unknown.leaf, [unknown.ca], unknown.leaf.notBefore),
    "CERT_UNHANDLED_CRITICAL_EXTENSION",
    /the leaf certificate has an unhandled critical extension 1\.3\.6\.1\.4\.1\.11129\.2\.4\.3/,
  );
  for (
    const [kind, hash] of [
      ["Ed25519", "SHA-256"],
      ["RSA", "SHA-512"],
      ["RSA-PSS", "SHA-256"],
      ["RSA-PSS", "SHA-384"],
      ["P-384", "SHA-384"],
      ["P-256", "SHA-512"],
    ] as const
  ) {
    const caKey = await generateTestKey(kind);
    const { cert: ca } = await issueTestCertificate({
      subjectKey: caKey,
      subject: testName([ATTR.CN, `ca ${kind}`]),
      notAfter: Date.UTC(2025, 0, 1),
      hash,
      extensions: [testExtension(EXTENSION_OID.basicConstraints, true, basicConstraints(true))],
    });
    const { cert: leaf } = await issueTestCertificate({
      issuerKey: caKey,
      issuerCert: ca,
      hash,
      notBefore: Date.UTC(2024, 1, 1),
    });
    assert.equal(
      (await verifyCertificateChain(leaf, [{ certChain: [ca] }], leaf.notBefore)).length,
      2,
      kind,
    );
    const bad = Uint8Array.from(leaf.der);
    bad[bad.length - 3] ^= 0x10;
    await rejects(
      verifyCertificateChain(parseCertificate(bad), [{ certChain: [ca] }], leaf.notBefore),
      "CERT_SIGNATURE_INVALID",
      undefined,
      kind,
    );
  }
});

Deno.test("verifyCertificateChain() tries every same-named issuer and stops on cycles", async () => {
  const base = await testChain();
  // An impostor intermediate with the same name but another key, listed first.
  const { cert: impostor } = await issueTestCertificate({
    notBefore: base.intermediate.notBefore,
    notAfter: base.intermediate.notAfter,
    subject: base.intermediate.subject.der,
    issuerKey: base.rootKey,
    issuerCert: base.root,
    extensions: CA_EXTS,
  });
  const chain = await verifyCertificateChain(base.leaf, [{
    certChain: [impostor, base.intermediate, base.root],
  }], base.leaf.notBefore);
  assert.equal(chain[1], base.intermediate);
  // Two CAs that issued each other, and no root: the search ends.
  const a = await generateTestKey();
  const b = await generateTestKey();
  const nameA = testName([ATTR.CN, "A"]), nameB = testName([ATTR.CN, "B"]);
  const ext = [testExtension(EXTENSION_OID.basicConstraints, true, basicConstraints(true))];
  const { cert: aByB } = await issueTestCertificate({
    subjectKey: a,
    subject: nameA,
    issuerKey: b,
    issuer: nameB,
    extensions: ext,
    notAfter: Date.UTC(2025, 0, 1),
  });
  const { cert: bByA } = await issueTestCertificate({
    subjectKey: b,
    subject: nameB,
    issuerKey: a,
    issuer: nameA,
    extensions: ext,
    notAfter: Date.UTC(2025, 0, 1),
  });
  const { cert: leaf } = await issueTestCertificate({
    issuerKey: a,
    issuer: nameA,
    notBefore: Date.UTC(2024, 1, 1),
  });
  const other = await testChain();
  await rejects(
    verifyCertificateChain(leaf, [{ certChain: [aByB, bByA, other.root] }], leaf.notBefore),
    "CERT_CHAIN_INVALID",
  );
});

Deno.test("assertNoRootInChain() refuses a self-signed certificate in a bundle chain", async () => {
  const leaf = pem("leaf-email-2022.pem");
  await assertNoRootInChain([leaf, intermediate]);
  await rejects(
    assertNoRootInChain([leaf, intermediate, root]),
    "CERT_ROOT_IN_CHAIN",
    /^Cannot verify certificate chain: the certificate chain must not contain a self-signed root certificate \("CN=sigstore,O=sigstore\.dev"\)$/,
  );
  // Self-issued (same name) but signed by another key is not a root.
  const other = await generateTestKey();
  const name = testName([ATTR.CN, "same"]);
  const { cert } = await issueTestCertificate({ subject: name, issuer: name, issuerKey: other });
  await assertNoRootInChain([cert]);
});
