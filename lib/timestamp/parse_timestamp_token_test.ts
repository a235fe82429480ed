import assert from "node:assert/strict";
import {
  derBool,
  derEncode,
  derOctets,
  derOidEncode,
  derSequence,
  derUint,
  TAG,
} from "../asn1/der.ts";
import { bundleFixture, fixture, pemFixture } from "../../tests/helpers/timestamp_fixtures.ts";
import { parseCertificate } from "../x509/certificate.ts";
import { parseSignedTimestamp } from "./parse_timestamp_response.ts";
import { parseTimestampToken, TIMESTAMP_OID } from "./parse_timestamp_token.ts";

const hex = (s: string) => Uint8Array.fromHex(s.replace(/\s/g, ""));

Deno.test("parseTimestampToken() reads every TSTInfo field of an OpenSSL token", () => {
  // openssl ts -reply -text: Policy 1.2.3.4.1, sha384, serial 0x02, "Dec  4 15:53:19.648 2026",
  // accuracy 1 s 500 ms 100 µs, ordering yes, nonce 0x34BE71097772ABFA, TSA DirName.
  const token = parseSignedTimestamp(fixture("openssl/resp.tsr")).token!;
  const info = token.tstInfo;
  assert.equal(info.version, 1);
  assert.equal(info.policy, "1.2.3.4.1");
  assert.equal(info.hashAlgorithm, "2.16.840.1.101.3.4.2.2");
  assert.equal(info.hash, "sha384");
  assert.equal(
    info.hashedMessage.toHex(),
    "8db0eadf979a43f716f7176c124669058cc7549813d3dc45375926477 54ee8efbdac57cc08566ba3a93f31fcd5f7e977"
      .replace(/\s/g, ""),
  );
  assert.equal(info.serialNumber, 2n);
  assert.equal(new Date(info.genTime).toISOString(), "2026-12-04T15:53:19.648Z");
  assert.equal(info.genTimeFraction, "648");
  assert.deepEqual(info.accuracy, { seconds: 1, millis: 500, micros: 100 });
  assert.equal(info.ordering, true);
  assert.equal(info.nonce, 0x34BE71097772ABFAn);
  assert.equal(info.tsa![0], 0xa4); // directoryName
  assert.deepEqual(info.extensions, []);
  // The SignedData around it: RSA, ESS v1 (SHA-1), leaf and root embedded.
  assert.deepEqual(token.digestAlgorithms, ["2.16.840.1.101.3.4.2.1"]);
  assert.equal(token.eContentType, TIMESTAMP_OID.tstInfo);
  assert.deepEqual(
    token.certificates,
    [...pemFixture("openssl/tsa.pem"), ...pemFixture("openssl/root.pem")],
  );
  const leaf = parseCertificate(token.certificates[0]);
  const s = token.signer;
  assert.equal(s.version, 1);
  assert.ok("serial" in s.sid);
  assert.equal(s.sid.serial, leaf.serialNumber);
  assert.deepEqual(s.sid.issuer, leaf.issuer.der);
  assert.equal(s.signatureAlgorithm, "1.2.840.113549.1.1.1");
  assert.equal(s.signature.length, 256);
  assert.equal(s.contentType, TIMESTAMP_OID.tstInfo);
  assert.equal(new Date(s.signingTime!).toISOString(), "2026-12-04T15:53:19.000Z");
  assert.equal(s.signingCertificate!.version, 1);
  assert.equal(s.signingCertificate!.hash, "sha1");
  assert.equal(s.signingCertificate!.certHash.toHex(), "4227ade42effe0c673f2fcdb34eb5b6e9fce9a01");
  assert.equal(s.signingCertificate!.issuerSerial, undefined);
  assert.equal(s.signedAttrs[0], 0x31); // re-tagged as SET OF for the signature
});

Deno.test("parseTimestampToken() reads a timestamp-authority token (ESS v2 with issuerSerial)", () => {
  const token = parseSignedTimestamp(fixture("tsa-v2.1.3/ours.tsr")).token!;
  const chain = pemFixture("tsa-v2.1.3/tsa-chain.pem");
  assert.deepEqual(token.certificates, [chain[0]]);
  const leaf = parseCertificate(chain[0]);
  const info = token.tstInfo;
  assert.equal(info.policy, "1.3.6.1.4.1.57264.2");
  assert.equal(info.genTimeFraction, "");
  assert.deepEqual(info.accuracy, { seconds: 1, millis: 0, micros: 0 });
  assert.equal(info.ordering, false);
  const ess = token.signer.signingCertificate!;
  assert.equal(ess.version, 2);
  assert.equal(ess.hash, "sha256");
  assert.equal(ess.issuerSerial!.serial, leaf.serialNumber);
  assert.deepEqual(ess.issuerSerial!.issuer, leaf.issuer.der);
  assert.equal(token.signer.signatureAlgorithm, "1.2.840.10045.4.3.2");
});

Deno.test("parseTimestampToken() reads a token without certificates, accuracy or tsa name", () => {
  const { timestamp } = bundleFixture("sigstore-go/public-key-validity.sigstore.json");
  const token = parseSignedTimestamp(timestamp).token!;
  assert.deepEqual(token.certificates, []);
  assert.equal(token.tstInfo.accuracy, undefined);
  assert.equal(token.tstInfo.nonce, undefined);
  assert.deepEqual(token.tstInfo.tsa, hex("a4023000")); // an empty directoryName
  assert.equal(token.tstInfo.serialNumber, 0xA84AFF4D94DF2C9DD9A8E7EB36DDA8E2317181DBn);
});

Deno.test("parseTimestampToken() reads a signer named by subject key identifier", () => {
  const token = parseTimestampToken(fixture("cms/good-ski.token"));
  assert.equal(token.signer.version, 3);
  assert.ok("subjectKeyId" in token.signer.sid);
  assert.deepEqual(
    token.signer.sid.subjectKeyId,
    parseCertificate(token.certificates[0]).subjectKeyId,
  );
});

// A syntactically complete token around `tstInfo` (nothing in it verifies; parsing does not care).
function token(
  tstInfo: Uint8Array,
  { signers = 1, certificates = [] as Uint8Array[] } = {},
): Uint8Array {
  const oid = (o: string) => derOidEncode(o);
  const attr = (type: string, value: Uint8Array) =>
    derSequence(oid(type), derEncode(TAG.SET, value));
  const signerInfo = derSequence(
    derUint(1n),
    derSequence(derSequence(), derUint(1n)),
    derSequence(oid(SHA256)),
    derEncode(
      TAG.CONTEXT | 0,
      attr(TIMESTAMP_OID.contentType, oid(TIMESTAMP_OID.tstInfo)),
      attr(TIMESTAMP_OID.messageDigest, derOctets(new Uint8Array(32))),
    ),
    derSequence(oid("1.2.840.10045.4.3.2")),
    derOctets(Uint8Array.of(0)),
  );
  return derSequence(
    oid(TIMESTAMP_OID.signedData),
    derEncode(
      TAG.CONTEXT | 0,
      derSequence(
        derUint(3n),
        derEncode(TAG.SET, derSequence(oid(SHA256))),
        derSequence(oid(TIMESTAMP_OID.tstInfo), derEncode(TAG.CONTEXT | 0, derOctets(tstInfo))),
        ...(certificates.length ? [derEncode(TAG.CONTEXT | 0, ...certificates)] : []),
        derEncode(TAG.SET, ...Array(signers).fill(signerInfo)),
      ),
    ),
  );
}

const SHA256 = "2.16.840.1.101.3.4.2.1";
const ascii = (s: string) => new TextEncoder().encode(s);

/** TSTInfo with `genTime` and the optional fields given as encodings. */
function tstInfo(genTime: Uint8Array, ...optional: Uint8Array[]): Uint8Array {
  return derSequence(
    derUint(1n),
    derOidEncode("1.2.3"),
    derSequence(derSequence(derOidEncode(SHA256)), derOctets(new Uint8Array(32))),
    derUint(7n),
    genTime,
    ...optional,
  );
}
const gen = (s: string) => derEncode(TAG.GENERALIZED_TIME, ascii(s));

Deno.test("parseTimestampToken() reads genTime with Go's rules", () => {
  const table: [string, string, string][] = [
    ["20261204155319Z", "2026-12-04T15:53:19.000Z", ""],
    ["20261204155319.5Z", "2026-12-04T15:53:19.500Z", "5"],
    ["20261204155319.123456789Z", "2026-12-04T15:53:19.123Z", "123456789"],
    ["20261204175319+0200", "2026-12-04T15:53:19.000Z", ""],
  ];
  for (const [text, iso, fraction] of table) {
    const info = parseTimestampToken(token(tstInfo(gen(text)))).tstInfo;
    assert.equal(new Date(info.genTime).toISOString(), iso, text);
    assert.equal(info.genTimeFraction, fraction, text);
  }
});

Deno.test("parseTimestampToken() rejects malformed tokens", () => {
  const good = fixture("cms/good-ski.token");
  const cert = pemFixture("cms/good.pem")[0];
  const t = (s: string) => gen(s);
  const table: [string, Uint8Array, string][] = [
    ["empty", new Uint8Array(0), "DER input truncated"],
    ["trailing data", Uint8Array.of(...good, 0), "DER input has trailing data"],
    [
      "not a ContentInfo",
      derSequence(derOctets(Uint8Array.of(1))),
      "ContentInfo: wrong element count",
    ],
    [
      "not SignedData",
      hex("3011 0609 2a864886f70d010701 a004 0402 0000"),
      "ContentInfo: not SignedData",
    ],
    [
      "two signers",
      token(tstInfo(t("20261204155319Z")), { signers: 2 }),
      "expected one SignerInfo, found 2",
    ],
    [
      "33 certificates",
      token(tstInfo(t("20261204155319Z")), { certificates: Array(33).fill(cert) }),
      "more than 32 certificates",
    ],
    [
      "trailing zero in the fraction",
      token(tstInfo(t("20261204155319.50Z"))),
      "TSTInfo: expected a UTCTime or GeneralizedTime",
    ],
    [
      "a comma as decimal sign",
      token(tstInfo(t("20261204155319,5Z"))),
      "TSTInfo: expected a UTCTime or GeneralizedTime",
    ],
    [
      "no time zone",
      token(tstInfo(t("20261204155319"))),
      "TSTInfo: expected a UTCTime or GeneralizedTime",
    ],
    [
      "a zero offset written +0000",
      token(tstInfo(t("20261204155319+0000"))),
      "TSTInfo: time zone out of range",
    ],
    ["February 30", token(tstInfo(t("20260230155319Z"))), "TSTInfo: time out of range"],
    [
      "genTime as UTCTime",
      token(tstInfo(derEncode(TAG.UTC_TIME, ascii("261204155319Z")))),
      "TSTInfo: genTime is not a GeneralizedTime",
    ],
    [
      "accuracy millis of 0",
      token(tstInfo(t("20261204155319Z"), derSequence(derEncode(0x80, Uint8Array.of(0))))),
      "TSTInfo: Accuracy: millis and micros must be 1..999",
    ],
    [
      "nonce before ordering",
      token(tstInfo(t("20261204155319Z"), derUint(5n), derBool(true))),
      "TSTInfo: ordering out of order",
    ],
    [
      "an unknown element",
      token(tstInfo(t("20261204155319Z"), derOctets(Uint8Array.of(1)))),
      "TSTInfo: unexpected element (tag 0x4)",
    ],
  ];
  for (const [name, input, detail] of table) {
    assert.throws(() => parseTimestampToken(input), {
      name: "SyntaxError",
      message: `Cannot parse timestamp token: ${detail}`,
    }, name);
  }
});
