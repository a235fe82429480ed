import assert from "node:assert/strict";
import { join } from "node:path";
import { VECTORS } from "../../tests/_vectors.ts";
import { VerificationError } from "../errors.ts";
import { parseCertificatePem } from "../x509/certificate.ts";
import { verifyEmbeddedScts } from "../x509/sct.ts";
import { verifyCertificateChain } from "../x509/verify_certificate_chain.ts";
import {
  ctLogKeys,
  findLog,
  logKeyId,
  logOrigin,
  parseTrustedRoot,
  rekorLogKeySelector,
} from "./trusted_root.ts";

const publicGood = await Deno.readFile(join(VECTORS, "roots", "public-good_trusted_root.json"));
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

Deno.test("parseTrustedRoot() reads the public-good root: Rekor v1 and v2 logs, the rest kept", () => {
  const root = parseTrustedRoot(publicGood);
  assert.deepEqual(root.tlogs.map((l) => [l.baseUrl, l.keyDetails]), [
    ["https://rekor.sigstore.dev", "PKIX_ECDSA_P256_SHA_256"],
    ["https://log2025-1.rekor.sigstore.dev", "PKIX_ED25519"],
  ]);
  assert.equal(root.tlogs[0].validFor.start, Date.parse("2021-01-12T11:53:27Z"));
  assert.equal(root.ctlogs.length, 2);
  assert.equal(root.certificateAuthorities.length, 2);
  assert.equal(root.timestampAuthorities.length, 1);
});

Deno.test("logKeyId(): SHA-256 of the SPKI for Rekor v1, the C2SP signed-note key ID for v2", () => {
  const root = parseTrustedRoot(publicGood);
  const [v1, v2] = root.tlogs;
  assert.equal(
    logKeyId(v1.publicKey, "rekor.sigstore.dev").toHex(),
    "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d",
  );
  assert.equal(
    logKeyId(v2.publicKey, logOrigin(v2.baseUrl)).toBase64(),
    "zxGZFVvd0FEmjR8WrFwMdcAJ9vtaY/QXf44Y1wUeP6A=",
  );
  assert.notDeepEqual(logKeyId(v2.publicKey, "other.host"), v2.keyId);
  assert.equal(findLog(root.tlogs, v2.keyId), v2);
  assert.equal(findLog(root.tlogs, new Uint8Array(32)), undefined);
});

Deno.test("parseTrustedRoot() rejects what sigstore-go rejects", () => {
  const base = () => JSON.parse(new TextDecoder().decode(publicGood));
  // deno-lint-ignore no-explicit-any
  const table: [string, (v: any) => void, RegExp][] = [
    ["media type", (v) => (v.mediaType = "x"), /unsupported TrustedRoot media type: x/],
    ["hash", (v) => (v.tlogs[0].hashAlgorithm = "SHA2_384"), /unsupported tlog hash algorithm/],
    ["log ID", (v) => delete v.tlogs[0].logId, /tlog missing log ID key ID/],
    ["key", (v) => delete v.tlogs[0].publicKey.rawBytes, /tlog missing public key raw bytes/],
    [
      "validity",
      (v) => delete v.tlogs[0].publicKey.validFor,
      /tlog missing public key validity period/,
    ],
    ["start", (v) => (v.tlogs[0].publicKey.validFor = {}), /validity period start time/],
    [
      "key type",
      (v) => (v.tlogs[0].publicKey.keyDetails = "PKIX_ED25519"),
      /tlog public key is not PKIX_ED25519/,
    ],
  ];
  for (const [what, change, message] of table) {
    const v = base();
    change(v);
    assert.throws(() => parseTrustedRoot(enc(v)), { name: "TypeError", message }, what);
  }
  assert.throws(() => parseTrustedRoot(new TextEncoder().encode("{")), SyntaxError);
});

Deno.test("rekorLogKeySelector() picks the log by the entry's log ID, valid at its integrated time", () => {
  const root = parseTrustedRoot(publicGood);
  const select = rekorLogKeySelector(root);
  const id = "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d";
  const t = Date.parse("2024-01-01T00:00:00Z") / 1000;
  assert.equal(select({ logID: id, integratedTime: t }), root.tlogs[0].publicKey);
  assert.equal(select({ logID: id.toUpperCase(), integratedTime: t }), root.tlogs[0].publicKey);
  const isCode = (code: string) => (e: unknown) =>
    e instanceof VerificationError && e.code === code;
  assert.throws(
    () => select({ logID: "00".repeat(32), integratedTime: t }),
    isCode("TLOG_LOG_KEY_UNKNOWN"),
  );
  assert.throws(() => select({ logID: "zz", integratedTime: t }), isCode("TLOG_LOG_KEY_UNKNOWN"));
  // Before the log's validity (2021-01-12).
  assert.throws(
    () => select({ logID: id, integratedTime: Date.parse("2020-06-01T00:00:00Z") / 1000 }),
    isCode("TLOG_TIME_INVALID"),
  );
});

// ---- certificate authorities, CT logs and timestamp authorities (tests/fixtures/x509) ----

const FIXTURES = new URL("../../tests/fixtures/x509/", import.meta.url);
const fixture = (name: string) => Deno.readFileSync(new URL(name, FIXTURES));
const pemDer = (name: string) => parseCertificatePem(fixture(name)).der;

Deno.test("parseTrustedRoot() parses certificate authorities, CT logs and timestamp authorities", () => {
  const root = parseTrustedRoot(fixture("public-good-trusted-root.json"));
  const [v0, v1] = root.certificateAuthorities;
  assert.equal(v0.uri, "https://fulcio.sigstore.dev");
  assert.deepEqual(v0.subject, { organization: "sigstore.dev", commonName: "sigstore" });
  assert.deepEqual(v0.certChain.map((c) => c.der), [pemDer("fulcio-root-v0.pem")]);
  assert.deepEqual(v0.validFor, {
    start: Date.parse("2021-03-07T03:20:29Z"),
    end: Date.parse("2022-12-31T23:59:59.999Z"),
  });
  assert.deepEqual(v1.certChain.map((c) => c.der), [
    pemDer("fulcio-intermediate-v1.pem"),
    pemDer("fulcio-root-v1.pem"),
  ]);
  assert.deepEqual(v1.validFor, { start: Date.parse("2022-04-13T20:06:15Z") });
  assert.deepEqual(root.ctlogs.map((l) => [l.baseUrl, l.keyId.toBase64(), l.validFor]), [
    ["https://ctfe.sigstore.dev/test", "CGCS8ChS/2hF0dFrJ4ScRWcYrBY9wzjSbea8IgY2b3I=", {
      start: Date.parse("2021-03-14T00:00:00Z"),
      end: Date.parse("2022-10-31T23:59:59.999Z"),
    }],
    ["https://ctfe.sigstore.dev/2022", "3T0wasbHETJjGR4cmWc3AqJKXrjePK3/h4pygC8p7o4=", {
      start: Date.parse("2022-10-20T00:00:00Z"),
    }],
  ]);
  assert.deepEqual(ctLogKeys(root)[1], {
    logId: root.ctlogs[1].keyId,
    publicKey: root.ctlogs[1].publicKey,
    validFor: root.ctlogs[1].validFor,
  });
  const [tsa] = root.timestampAuthorities;
  assert.equal(tsa.uri, "https://timestamp.sigstore.dev/api/v1/timestamp");
  assert.deepEqual(tsa.certChain.map((c) => c.subject.text), [
    "CN=sigstore-tsa,O=sigstore.dev",
    "CN=sigstore-tsa-selfsigned,O=sigstore.dev",
  ]);
  assert.deepEqual(tsa.validFor, { start: Date.parse("2025-07-04T00:00:00Z") });
});

Deno.test("A trusted root's authorities and CT logs verify real Fulcio leaves (x509)", async () => {
  const root = parseTrustedRoot(fixture("public-good-trusted-root.json"));
  for (const file of ["leaf-p384.pem", "leaf-rsa2048.pem", "leaf-email-2022.pem"]) {
    const leaf = parseCertificatePem(fixture(file));
    const chain = await verifyCertificateChain(leaf, root.certificateAuthorities, leaf.notBefore);
    assert.equal(chain.length, 3);
    const [sct] = await verifyEmbeddedScts(leaf, chain[1], ctLogKeys(root));
    assert.equal(sct.log.logId, root.ctlogs[1].keyId);
  }
  const scaffolding = parseTrustedRoot(fixture("scaffolding-trusted-root.json"));
  const leaf = parseCertificatePem(fixture("leaf-othername.pem"));
  const chain = await verifyCertificateChain(
    leaf,
    scaffolding.certificateAuthorities,
    leaf.notBefore,
  );
  assert.equal((await verifyEmbeddedScts(leaf, chain[1], ctLogKeys(scaffolding))).length, 1);
});

Deno.test("parseTrustedRoot() reads protobuf JSON times with 0 to 9 fractional digits", () => {
  const withEnd = (end: string) => {
    const v = JSON.parse(new TextDecoder().decode(fixture("public-good-trusted-root.json")));
    v.certificateAuthorities[0].validFor.end = end;
    return enc(v);
  };
  const table: [string, number][] = [
    ["2022-12-31T23:59:59Z", Date.UTC(2022, 11, 31, 23, 59, 59)],
    ["2022-12-31T23:59:59.9Z", Date.UTC(2022, 11, 31, 23, 59, 59, 900)],
    ["2022-12-31T23:59:59.999Z", Date.UTC(2022, 11, 31, 23, 59, 59, 999)],
    ["2022-12-31T23:59:59.999000Z", Date.UTC(2022, 11, 31, 23, 59, 59, 999)],
    ["2026-06-04T12:43:29.186617431Z", Date.UTC(2026, 5, 4, 12, 43, 29, 186)],
    ["2022-12-31T23:59:59.5+02:00", Date.UTC(2022, 11, 31, 21, 59, 59, 500)],
    ["2024-02-29T00:00:00-00:30", Date.UTC(2024, 1, 29, 0, 30)],
  ];
  for (const [text, ms] of table) {
    assert.equal(parseTrustedRoot(withEnd(text)).certificateAuthorities[0].validFor.end, ms, text);
  }
  for (
    const bad of [
      "2022-12-31T23:59:59.1234567891Z", // protojson allows at most 9 digits
      "2022-12-31T23:59:59",
      "2022-12-31t23:59:59Z",
      "2022-12-31 23:59:59Z",
      "2022-13-01T00:00:00Z",
      "2023-02-29T00:00:00Z",
      "2022-12-31T23:59:60Z",
      "2022-12-31T24:00:00Z",
      "2022-12-31T23:59:59.Z",
      "2022-12-31",
    ]
  ) {
    assert.throws(() => parseTrustedRoot(withEnd(bad)), {
      name: "TypeError",
      message: "Cannot read trusted root: validFor.end is not an RFC 3339 time",
    }, bad);
  }
});

Deno.test("parseTrustedRoot() rejects certificate authorities sigstore-go rejects", () => {
  const base = () => JSON.parse(new TextDecoder().decode(fixture("public-good-trusted-root.json")));
  // deno-lint-ignore no-explicit-any
  const table: [string, (v: any) => void, RegExp][] = [
    [
      "no chain",
      (v) => delete v.certificateAuthorities[0].certChain,
      /CertificateAuthority missing cert chain$/,
    ],
    [
      "empty chain",
      (v) => (v.certificateAuthorities[1].certChain.certificates = []),
      /cert chain is empty$/,
    ],
    [
      "bad certificate",
      (v) => (v.certificateAuthorities[1].certChain.certificates[0].rawBytes = "MAA="),
      /^Cannot read trusted root: failed to parse certificate for https:\/\/fulcio\.sigstore\.dev Cannot parse certificate: /,
    ],
    [
      "bad TSA certificate",
      (v) => (v.timestampAuthorities[0].certChain.certificates[1].rawBytes = "AAAA"),
      /failed to parse certificate for https:\/\/timestamp\.sigstore\.dev\/api\/v1\/timestamp/,
    ],
    [
      "CT log validity",
      (v) => delete v.ctlogs[0].publicKey.validFor,
      /tlog missing public key validity period$/,
    ],
    [
      "CT log key",
      (v) => (v.ctlogs[1].publicKey.keyDetails = "PKIX_ED25519"),
      /tlog public key is not PKIX_ED25519/,
    ],
  ];
  for (const [what, change, message] of table) {
    const v = base();
    change(v);
    assert.throws(() => parseTrustedRoot(enc(v)), { name: "TypeError", message }, what);
  }
});
