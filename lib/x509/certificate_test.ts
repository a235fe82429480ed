import assert from "node:assert/strict";
import { derContext, derEncode, derOidEncode, derSequence, derSet, TAG } from "../asn1/der.ts";
import { parsePublicKeyDer } from "../keys/public_key.ts";
import {
  certificateSpki,
  EXTENSION_OID,
  parseCertificate,
  parseCertificateChainPem,
  parseCertificatePem,
} from "./certificate.ts";
import {
  ATTR,
  issueTestCertificate,
  subjectAltName,
  testExtension,
  testName,
} from "../../tests/helpers/test_ca.ts";

const FIXTURES = new URL("../../tests/fixtures/x509/", import.meta.url);
const read = (name: string) => Deno.readFileSync(new URL(name, FIXTURES));
const pem = (name: string) => parseCertificatePem(read(name));

Deno.test("parseCertificate() reads the public-good Fulcio intermediate field by field", () => {
  const c = pem("fulcio-intermediate-v1.pem");
  assert.equal(c.version, 3);
  assert.equal(c.serialNumber, 0xb9d58957e75346eb25ab264641eb9ff5277da4n);
  assert.deepEqual(c.signatureAlgorithm, { oid: "1.2.840.10045.4.3.3" });
  assert.equal(c.issuer.text, "CN=sigstore,O=sigstore.dev");
  assert.equal(c.subject.text, "CN=sigstore-intermediate,O=sigstore.dev");
  assert.deepEqual(c.subject.attributes, [
    [{ oid: "2.5.4.10", value: "sigstore.dev" }],
    [{ oid: "2.5.4.3", value: "sigstore-intermediate" }],
  ]);
  assert.equal(c.notBefore, Date.UTC(2022, 3, 13, 20, 6, 15));
  assert.equal(c.notAfter, Date.UTC(2031, 9, 5, 13, 56, 58));
  assert.deepEqual(c.basicConstraints, { ca: true, pathLen: 0 });
  assert.deepEqual(c.keyUsage, ["keyCertSign", "cRLSign"]);
  assert.deepEqual(c.extKeyUsage, ["1.3.6.1.5.5.7.3.3"]);
  assert.equal(c.subjectKeyId?.toHex(), "dfd3e9cf56241196f9a8d8e92855a2c62e18643f");
  assert.equal(c.authorityKeyId?.toHex(), "58c01e5f9145a566a97acc90a19322d02ac5c5fa");
  assert.equal(c.subjectAltName, undefined);
  assert.deepEqual(c.extensions.map((e) => [e.oid, e.critical]), [
    ["2.5.29.15", true],
    ["2.5.29.37", false],
    ["2.5.29.19", true],
    ["2.5.29.14", false],
    ["2.5.29.35", false],
  ]);
  assert.deepEqual(c.spki, certificateSpki(c.der));
  assert.equal(parsePublicKeyDer(c.spki).curve, "P-384");
  // The TBS is the first element of the certificate, the signature the last.
  assert.deepEqual(c.der.subarray(4, 4 + c.tbs.length), c.tbs);
  assert.equal(c.signature.length, 102);
  assert.deepEqual(c.issuer.der, pem("fulcio-root-v1.pem").subject.der);
});

Deno.test("parseCertificate() reads Fulcio leaves of every key type (sigstore-java bundles)", () => {
  const table: [string, string, number | string, string][] = [
    ["leaf-p256.pem", "ecdsa", "P-256", "2026-05-26T14:22:01Z"],
    ["leaf-p384.pem", "ecdsa", "P-384", "2026-05-26T14:22:02Z"],
    ["leaf-p521.pem", "ecdsa", "P-521", "2026-05-26T14:22:04Z"],
    ["leaf-rsa2048.pem", "rsa", 2048, "2026-05-26T14:21:54Z"],
    ["leaf-rsa4096.pem", "rsa", 4096, "2026-05-26T14:21:59Z"],
  ];
  for (const [file, kind, size, notBefore] of table) {
    const c = pem(file);
    const key = parsePublicKeyDer(c.spki);
    assert.equal(key.kind, kind, file);
    assert.equal(key.curve ?? key.bits, size, file);
    assert.equal(c.notBefore, Date.parse(notBefore), file);
    assert.equal(c.notAfter - c.notBefore, 10 * 60_000, file);
    assert.equal(c.issuer.text, "CN=sigstore-intermediate,O=sigstore.dev", file);
    assert.equal(c.subject.text, "", file);
    assert.deepEqual(c.subjectAltName?.emails, [
      "untrusted-sa@sigstore-conformance.iam.gserviceaccount.com",
    ]);
    assert.equal(c.extensions.find((e) => e.oid === EXTENSION_OID.subjectAltName)?.critical, true);
    assert.deepEqual(c.keyUsage, ["digitalSignature"], file);
    assert.deepEqual(c.extKeyUsage, ["1.3.6.1.5.5.7.3.3"], file);
    assert.equal(c.basicConstraints, undefined, file);
  }
  assert.equal(pem("leaf-p521.pem").serialNumber, 0x1f3470868f81643e2e28c349a9c4621f9d133bc7n);
});

Deno.test("parseCertificate() reads the GitHub Actions leaf (URI SAN, Fulcio extensions)", () => {
  const c = pem("leaf-github-workflow.pem");
  assert.equal(c.serialNumber, 0x7ddff914df3c117e1bc29edced0e59ace5e0470en);
  assert.deepEqual(c.subjectAltName, {
    emails: [],
    uris: ["https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main"],
    dnsNames: [],
    ipAddresses: [],
    otherNames: [],
  });
  const fulcio = c.extensions.filter((e) => e.oid.startsWith("1.3.6.1.4.1.57264.1."));
  assert.equal(fulcio.length, 21);
  assert.equal(
    new TextDecoder().decode(fulcio[0].value),
    "https://token.actions.githubusercontent.com",
  );
});

Deno.test("parseCertificate() reads an otherName SAN and Go's text of a long issuer name", () => {
  const c = pem("leaf-othername.pem");
  assert.deepEqual(c.subjectAltName?.otherNames, [{
    typeId: "1.3.6.1.4.1.57264.1.7",
    value: Uint8Array.of(0x0c, 14, ...new TextEncoder().encode("foo!oidc.local")),
    utf8: "foo!oidc.local",
  }]);
  // sigstore-go pkg/fulcio/certificate/summarize_test.go TestSummarizeCertificateWithOtherNameSAN
  assert.equal(
    c.issuer.text,
    "O=Linux Foundation,POSTALCODE=57274,STREET=548 Market St,L=San Francisco,ST=California,C=USA",
  );
  assert.equal(c.signatureAlgorithm.oid, "1.2.840.113549.1.1.11");
  assert.deepEqual(c.signatureAlgorithm.parameters, Uint8Array.of(5, 0));
});

Deno.test("parseCertificate() reads a WebPKI leaf: DNS SAN, CA:FALSE, serialNumber attribute", () => {
  const c = pem("monologue-leaf.pem");
  assert.equal(
    c.subject.text,
    "SERIALNUMBER=1512556025483463,O=Google Certificate Transparency,L=London,C=GB",
  );
  assert.equal(
    c.issuer.text,
    "CN=Merge Delay Intermediate 1,OU=Certificate Transparency,O=Google UK Ltd.,ST=London,C=GB",
  );
  assert.deepEqual(c.basicConstraints, { ca: false });
  assert.deepEqual(c.subjectAltName?.dnsNames, ["flowers-to-the-world.com"]);
  assert.deepEqual(c.extKeyUsage, ["1.3.6.1.5.5.7.3.1"]);
  assert.equal(c.keyUsage, undefined);
});

// Expected texts checked against Go 1.26 crypto/x509 on the same certificates.
Deno.test("Distinguished names print as Go's pkix.Name.String()", async () => {
  const table: [Uint8Array, string][] = [
    [
      testName(
        [ATTR.CN, "first"],
        [ATTR.CN, "a,b"],
        [ATTR.O, "x"],
        [ATTR.O, "y"],
        ["1.2.840.113549.1.9.1", "me@x.org"],
        [[ATTR.OU, "u1"], [ATTR.OU, "u2"]],
        ["2.5.4.5", "42"],
        [ATTR.C, "DE"],
      ),
      "SERIALNUMBER=42,CN=a\\,b,OU=u1+OU=u2,O=x+O=y,C=DE,1.2.840.113549.1.9.1=#0c086d6540782e6f7267",
    ],
    [testName([ATTR.CN, " lead"]), "CN=\\ lead"],
    [testName([ATTR.CN, "#x"]), "CN=\\#x"],
    [testName([ATTR.CN, "trail "]), "CN=trail\\ "],
    [testName([ATTR.CN, 'q"<>;+\\']), 'CN=q\\"\\<\\>\\;\\+\\\\'],
    [testName(["2.5.4.4", "Doe"], ["2.5.4.42", "J*"]), "2.5.4.42=#0c024a2a,2.5.4.4=#1303446f65"],
    [derSequence(), ""],
    [
      testName([ATTR.CN, "é ü"], ["1.2.3.4", "x".repeat(200)]),
      "CN=é ü,1.2.3.4=#1381c8" + "78".repeat(200),
    ],
  ];
  for (const [name, text] of table) {
    const { cert } = await issueTestCertificate({ subject: name });
    assert.equal(cert.subject.text, text);
  }
});

Deno.test("parseCertificate() reads UTCTime and GeneralizedTime validity (RFC 5280 §4.1.2.5)", async () => {
  const { cert } = await issueTestCertificate({
    notBefore: Date.UTC(1950, 0, 1),
    notAfter: Date.UTC(2050, 0, 1, 0, 0, 1),
  });
  assert.equal(cert.notBefore, Date.UTC(1950, 0, 1));
  assert.equal(cert.notAfter, Date.UTC(2050, 0, 1, 0, 0, 1));
  // UTCTime for 2049, GeneralizedTime for 2050 (as Go marshals them).
  assert.ok(new TextDecoder().decode(cert.tbs).includes("20500101000001Z"));
});

Deno.test("parseCertificate() reads every GeneralName kind and formats IP addresses as Go", async () => {
  const ips = [
    Uint8Array.of(192, 0, 2, 1),
    Uint8Array.fromHex("20010db8000000000000000000000001"),
    Uint8Array.fromHex("00000000000000000000ffffc0000201"),
    Uint8Array.fromHex("20010db8000100000000000100000001"),
    Uint8Array.fromHex("00000000000000000000000000000000"),
  ];
  const { cert } = await issueTestCertificate({
    extensions: [testExtension(
      EXTENSION_OID.subjectAltName,
      false,
      subjectAltName({
        emails: ["a@b.c"],
        uris: ["https://x.test/p?q=1"],
        dns: ["x.test"],
        ips,
        otherNames: [["1.3.6.1.4.1.57264.1.7", derEncode(TAG.UTF8_STRING, Uint8Array.of(0x61))], [
          "1.2.3.4",
          derEncode(TAG.OCTET_STRING, Uint8Array.of(1)),
        ]],
      }),
    )],
  });
  assert.deepEqual(cert.subjectAltName, {
    emails: ["a@b.c"],
    uris: ["https://x.test/p?q=1"],
    dnsNames: ["x.test"],
    ipAddresses: ["192.0.2.1", "2001:db8::1", "192.0.2.1", "2001:db8:1::1:0:1", "::"],
    otherNames: [
      { typeId: "1.3.6.1.4.1.57264.1.7", value: Uint8Array.of(0x0c, 1, 0x61), utf8: "a" },
      { typeId: "1.2.3.4", value: Uint8Array.of(0x04, 1, 1) },
    ],
  });
});

/** Rebuilds the DER of a certificate with `edit` applied to its TBS children. */
function editTbs(der: Uint8Array, edit: (children: Uint8Array[]) => Uint8Array[]): Uint8Array {
  // Certificate = SEQ { tbs, alg, sig }; re-encode with the edited TBS (signature left stale).
  const parse = (bytes: Uint8Array): Uint8Array[] => {
    const out: Uint8Array[] = [];
    let i = 0;
    const hdr = bytes[1] & 0x80 ? 2 + (bytes[1] & 0x7f) : 2;
    i = hdr;
    while (i < bytes.length) {
      const lenByte = bytes[i + 1];
      let len = lenByte, h = 2;
      if (lenByte & 0x80) {
        h = 2 + (lenByte & 0x7f);
        len = 0;
        for (let k = 0; k < (lenByte & 0x7f); k++) len = len * 256 + bytes[i + 2 + k];
      }
      out.push(bytes.subarray(i, i + h + len));
      i += h + len;
    }
    return out;
  };
  const [tbs, alg, sig] = parse(der);
  return derSequence(derSequence(...edit(parse(tbs))), alg, sig);
}

Deno.test("parseCertificate() rejects what Go's x509.ParseCertificate rejects", async () => {
  const { cert } = await issueTestCertificate({
    extensions: [testExtension(EXTENSION_OID.keyUsage, true, Uint8Array.of(3, 2, 7, 0x80))],
  });
  const der = cert.der;
  const ext = (e: Uint8Array) => derContext(3, true, derSequence(e));
  const table: [string, Uint8Array, RegExp][] = [
    ["not DER", Uint8Array.of(1, 2, 3), /Cannot parse certificate: DER input truncated/],
    ["empty sequence", Uint8Array.of(0x30, 0), /expected 3 elements/],
    [
      "algorithm mismatch",
      editTbs(
        der,
        (c) => [c[0], c[1], derSequence(derOidEncode("1.2.840.10045.4.3.3")), ...c.slice(3)],
      ),
      /inner and outer signature algorithm identifiers don't match/,
    ],
    [
      "negative serial",
      editTbs(der, (c) => [c[0], Uint8Array.of(2, 1, 0xff), ...c.slice(2)]),
      /negative serial number/,
    ],
    [
      "bad version",
      editTbs(der, (c) => [derContext(0, true, Uint8Array.of(2, 1, 3)), ...c.slice(1)]),
      /invalid version/,
    ],
    [
      "duplicate extension",
      editTbs(der, (c) => [
        ...c.slice(0, 7),
        derContext(
          3,
          true,
          derSequence(
            testExtension("1.2.3", false, Uint8Array.of(5, 0)),
            testExtension("1.2.3", false, Uint8Array.of(5, 0)),
          ),
        ),
      ]),
      /duplicate extensions/,
    ],
    [
      "bad time",
      editTbs(der, (c) => [
        ...c.slice(0, 4),
        derSequence(
          derEncode(TAG.UTC_TIME, new TextEncoder().encode("240231000000Z")),
          derEncode(TAG.UTC_TIME, new TextEncoder().encode("250101000000Z")),
        ),
        ...c.slice(5),
      ]),
      /time out of range/,
    ],
    [
      "unsupported string type",
      editTbs(der, (c) => [
        ...c.slice(0, 5),
        derSequence(
          derSet(derSequence(derOidEncode(ATTR.CN), derEncode(0x1c, Uint8Array.of(0, 0, 0, 0x61)))),
        ),
        ...c.slice(6),
      ]),
      /invalid RDNSequence: invalid attribute value: unsupported string type: 28/,
    ],
    [
      "bad PrintableString",
      editTbs(der, (c) => [
        ...c.slice(0, 5),
        derSequence(
          derSet(derSequence(derOidEncode(ATTR.CN), derEncode(0x13, Uint8Array.of(0x40)))),
        ),
        ...c.slice(6),
      ]),
      /invalid PrintableString/,
    ],
    [
      "bad IP length",
      editTbs(der, (c) => [
        ...c.slice(0, 7),
        ext(
          testExtension(
            EXTENSION_OID.subjectAltName,
            false,
            subjectAltName({ ips: [Uint8Array.of(1, 2, 3)] }),
          ),
        ),
      ]),
      /invalid subject alternative name extension: cannot parse IP address of length 3/,
    ],
    [
      "non-ASCII email",
      editTbs(der, (c) => [
        ...c.slice(0, 7),
        ext(
          testExtension(EXTENSION_OID.subjectAltName, false, subjectAltName({ emails: ["é@x"] })),
        ),
      ]),
      /SAN rfc822Name is malformed/,
    ],
    [
      "URI with a control character",
      editTbs(der, (c) => [
        ...c.slice(0, 7),
        ext(
          testExtension(
            EXTENSION_OID.subjectAltName,
            false,
            subjectAltName({ uris: ["https://x.test/\n"] }),
          ),
        ),
      ]),
      /cannot parse URI "https:\/\/x\.test\/\\n": invalid control character in URL/,
    ],
    [
      "URI with a bad escape",
      editTbs(der, (c) => [
        ...c.slice(0, 7),
        ext(
          testExtension(
            EXTENSION_OID.subjectAltName,
            false,
            subjectAltName({ uris: ["https://x.test/%zz"] }),
          ),
        ),
      ]),
      /invalid URL escape/,
    ],
    [
      "bad basic constraints",
      editTbs(
        der,
        (
          c,
        ) => [
          ...c.slice(0, 7),
          ext(testExtension(EXTENSION_OID.basicConstraints, true, Uint8Array.of(1, 1, 0xff))),
        ],
      ),
      /invalid basic constraints extension/,
    ],
    [
      "bad key usage padding",
      editTbs(
        der,
        (
          c,
        ) => [
          ...c.slice(0, 7),
          ext(testExtension(EXTENSION_OID.keyUsage, true, Uint8Array.of(3, 2, 7, 0x81))),
        ],
      ),
      /invalid key usage extension: invalid BIT STRING padding/,
    ],
    [
      "non-DER boolean",
      editTbs(der, (c) => [
        ...c.slice(0, 7),
        ext(
          derSequence(
            derOidEncode("1.2.3"),
            Uint8Array.of(1, 1, 1),
            derEncode(TAG.OCTET_STRING, Uint8Array.of(5, 0)),
          ),
        ),
      ]),
      /expected a DER BOOLEAN/,
    ],
    [
      "trailing data",
      Uint8Array.of(...der, 0),
      /DER input has trailing data/,
    ],
  ];
  for (const [what, input, message] of table) {
    assert.throws(() => parseCertificate(input), { name: "SyntaxError", message }, what);
  }
  assert.throws(() => parseCertificate(new Uint8Array(128 * 1024 + 1)), {
    name: "SyntaxError",
    message: "Cannot parse certificate: larger than 131072 bytes",
  });
});

Deno.test("parseCertificateChainPem() reads concatenated PEM blocks, bounded", () => {
  const text = new TextDecoder().decode(read("fulcio-intermediate-v1.pem")) + "\n\n" +
    new TextDecoder().decode(read("fulcio-root-v1.pem"));
  const chain = parseCertificateChainPem(text);
  assert.deepEqual(chain.map((c) => c.subject.text), [
    "CN=sigstore-intermediate,O=sigstore.dev",
    "CN=sigstore,O=sigstore.dev",
  ]);
  assert.deepEqual(parseCertificateChainPem("  \n"), []);
  assert.throws(() => parseCertificateChainPem(text, 1), {
    name: "SyntaxError",
    message: "Cannot parse certificate chain: more than 1 certificates",
  });
  assert.throws(() => parseCertificateChainPem(text + "junk"), {
    name: "SyntaxError",
    message: "Cannot parse certificate chain: error during PEM decoding",
  });
  const notCert = "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n";
  assert.throws(() => parseCertificateChainPem(text + notCert), {
    name: "SyntaxError",
    message: /^Cannot parse certificate chain: certificate 3: Cannot parse certificate: /,
  });
  assert.throws(() => parseCertificatePem("no pem here"), {
    name: "SyntaxError",
    message: "Cannot parse certificate: no PEM block found",
  });
});
