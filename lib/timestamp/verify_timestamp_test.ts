import assert from "node:assert/strict";
import { VerificationError } from "../errors.ts";
import {
  bundleFixture,
  cosignBlobSignature,
  fixture,
  fixtureText,
  pemFixture,
  tamper,
  trustedRootAuthorities,
} from "../../tests/helpers/timestamp_fixtures.ts";
import { parseSignedTimestamp } from "./parse_timestamp_response.ts";
import { parseRfc3161Timestamp } from "./rfc3161_timestamp.ts";
import {
  type TimestampAuthority,
  verifyTimestamp,
  type VerifyTimestampOptions,
} from "./verify_timestamp.ts";

const OPEN = { start: 0 };
const tsaChain = pemFixture("tsa-v2.1.3/tsa-chain.pem");
const tsa: TimestampAuthority = { certChain: tsaChain, validFor: OPEN, uri: "http://tsa.test" };
const signature = cosignBlobSignature();
const ours = fixture("tsa-v2.1.3/ours.tsr");
const cmsRoot = pemFixture("cms/root.pem");
const cmsSig = fixture("cms/sig.bin");

function opts(over: Partial<VerifyTimestampOptions>): VerifyTimestampOptions {
  return {
    timestamp: ours,
    signature,
    authorities: [tsa],
    ...over,
  };
}

Deno.test("verifyTimestamp() accepts real timestamps from five authorities", async () => {
  const python = trustedRootAuthorities("sigstore-python/trusted_root.staging.json");
  const goVirtual = trustedRootAuthorities("sigstore-go/trusted-root-public-key-validity.json");
  const cases: [string, VerifyTimestampOptions, string, string | undefined][] = [
    [
      "Go cosign sign-blob --rfc3161-timestamp (timestamp-authority v2.1.3)",
      opts({ timestamp: parseRfc3161Timestamp(fixtureText("tsa-v2.1.3/blob.timestamp.json")) }),
      "2026-12-04T15:53:10.000Z",
      "http://tsa.test",
    ],
    ["our client, same TSA", opts({}), "2026-12-04T15:53:10.000Z", "http://tsa.test"],
    [
      "chain embedded in the response",
      opts({
        timestamp: fixture("tsa-v2.1.3/with-chain.tsr"),
        authorities: [{ certChain: pemFixture("tsa-v2.1.3/tsa-chain-2.pem"), validFor: OPEN }],
      }),
      "2026-12-04T15:53:10.000Z",
      undefined,
    ],
    [
      "OpenSSL TSA (RSA, ESS v1, SHA-384 imprint, milliseconds)",
      opts({
        timestamp: fixture("openssl/resp.tsr"),
        signature: fixture("openssl/sig.bin"),
        authorities: [{
          certChain: [...pemFixture("openssl/tsa.pem"), ...pemFixture("openssl/root.pem")],
          validFor: OPEN,
        }],
      }),
      "2026-12-04T15:53:19.648Z",
      undefined,
    ],
    [
      "staging TSA, hashedrekord bundle (sigstore-python)",
      opts({
        ...bundleFixture("sigstore-python/staging-rekor-v2.txt.sigstore.json"),
        authorities: python,
      }),
      "2025-06-09T11:57:38.000Z",
      "https://timestamp.sigstage.dev/api/v1/timestamp",
    ],
    [
      "staging TSA, DSSE bundle: the imprint is over the DSSE signature (sigstore-python)",
      opts({
        ...bundleFixture("sigstore-python/a.dsse.staging-rekor-v2.txt.sigstore.json"),
        authorities: python,
      }),
      "2026-05-13T19:23:33.000Z",
      "https://timestamp.sigstage.dev/api/v1/timestamp",
    ],
    [
      "sigstore-go virtual TSA: no certificate embedded, the trusted leaf signs",
      opts({
        ...bundleFixture("sigstore-go/public-key-validity.sigstore.json"),
        authorities: goVirtual,
      }),
      "2026-06-04T17:43:29.000Z",
      "https://virtual.tsa.sigstore.dev",
    ],
    [
      "bare token, signer named by subject key identifier (openssl cms -keyid)",
      opts({
        timestamp: fixture("cms/good-ski.token"),
        signature: cmsSig,
        authorities: [{ certChain: cmsRoot, validFor: OPEN }],
      }),
      "2026-12-04T15:59:35.000Z",
      undefined,
    ],
    [
      "bare token without certificates, the authority names the leaf",
      opts({
        timestamp: fixture("cms/good-nocerts.token"),
        signature: cmsSig,
        authorities: [{ certChain: [...pemFixture("cms/good.pem"), ...cmsRoot], validFor: OPEN }],
      }),
      "2026-12-04T15:59:35.000Z",
      undefined,
    ],
  ];
  for (const [name, o, time, uri] of cases) {
    const v = await verifyTimestamp(o);
    assert.equal(new Date(v.genTime).toISOString(), time, name);
    assert.equal(v.authority.uri, uri, name);
    assert.equal(v.authority, o.authorities.find((a) => a.uri === uri) ?? o.authorities[0], name);
  }
});

Deno.test("verifyTimestamp() returns the signer and TSTInfo", async () => {
  const v = await verifyTimestamp(opts({}));
  assert.deepEqual(v.signer, tsaChain[0]);
  assert.equal(v.tstInfo.serialNumber, 0x5984D12402A2D25A335A7440539260B80D3D6460n);
  assert.equal(v.tstInfo.nonce, 0x45653C43E11E5A602BD00C449BD36708CE15E492n);
});

Deno.test("verifyTimestamp() takes the first authority that verifies", async () => {
  const other: TimestampAuthority = {
    certChain: pemFixture("tsa-v2.1.3/tsa-chain-2.pem"),
    validFor: OPEN,
    uri: "http://other.test",
  };
  const v = await verifyTimestamp(opts({ authorities: [other, tsa] }));
  assert.equal(v.authority, tsa);
});

Deno.test("verifyTimestamp() accepts genTime on the validity boundaries", async () => {
  const t = Date.UTC(2026, 11, 4, 15, 53, 10);
  for (const validFor of [{ start: t }, { start: 0, end: t }, { start: t, end: t }]) {
    const v = await verifyTimestamp(opts({ authorities: [{ certChain: tsaChain, validFor }] }));
    assert.equal(v.genTime, t);
  }
});

Deno.test("verifyTimestamp() rejects each failed check with its code", async () => {
  const parsed = parseSignedTimestamp(ours).token!;
  const genTime = parsed.tstInfo.genTime;
  const chain2 = pemFixture("tsa-v2.1.3/tsa-chain-2.pem");
  const virtual = trustedRootAuthorities("sigstore-go/trusted-root-public-key-validity.json")[0];
  const virtualTs = bundleFixture("sigstore-go/public-key-validity.sigstore.json");
  const cms = (file: string, certChain = cmsRoot) =>
    opts({
      timestamp: fixture(`cms/${file}`),
      signature: cmsSig,
      authorities: [{ certChain, validFor: OPEN }],
    });
  const oversized = new Uint8Array(1024 * 1024 + 16);
  oversized.set([0x30, 0x83, 0x10, 0x00, 0x0c]);
  const table: [string, VerifyTimestampOptions, string, string | RegExp][] = [
    [
      "a token for another signature",
      opts({ signature: new TextEncoder().encode("another signature") }),
      "TIMESTAMP_IMPRINT_MISMATCH",
      "Cannot verify timestamp: hashed messages don't match",
    ],
    [
      "tampered imprint (the signed TSTInfo no longer matches its digest)",
      opts({ timestamp: tamper(ours, parsed.tstInfo.hashedMessage) }),
      "TIMESTAMP_CONTENT_DIGEST_MISMATCH",
      "Cannot verify timestamp: message digest mismatch",
    ],
    [
      "tampered signature",
      opts({ timestamp: tamper(ours, parsed.signer.signature, 20) }),
      "TIMESTAMP_SIGNATURE_INVALID",
      "Cannot verify timestamp: signature does not verify",
    ],
    [
      "tampered signed attributes (the signing-certificate hash)",
      opts({ timestamp: tamper(ours, parsed.signer.signingCertificate!.certHash) }),
      "TIMESTAMP_SIGNATURE_INVALID",
      "Cannot verify timestamp: signature does not verify",
    ],
    [
      "another authority's chain (its TSA certificate differs)",
      opts({ authorities: [{ certChain: chain2, validFor: OPEN }] }),
      "TIMESTAMP_UNTRUSTED",
      "Cannot verify timestamp: the token's signer is not the timestamp authority's certificate",
    ],
    [
      "another authority's CAs only (the embedded leaf does not chain to them)",
      opts({ authorities: [{ certChain: chain2.slice(1), validFor: OPEN, uri: "http://b" }] }),
      "TIMESTAMP_UNTRUSTED",
      "Cannot verify timestamp: the TSA certificate does not chain to http://b",
    ],
    [
      "genTime before the authority's validity",
      opts({ authorities: [{ certChain: tsaChain, validFor: { start: genTime + 1 } }] }),
      "TIMESTAMP_OUTSIDE_VALIDITY",
      "Cannot verify timestamp: timestamp is before the validity period start",
    ],
    [
      "genTime after the authority's validity",
      opts({ authorities: [{ certChain: tsaChain, validFor: { start: 0, end: genTime - 1 } }] }),
      "TIMESTAMP_OUTSIDE_VALIDITY",
      "Cannot verify timestamp: timestamp is after the validity period end",
    ],
    [
      "genTime before the TSA certificate's notBefore",
      cms("not-yet-valid.token", [...pemFixture("cms/good.pem"), ...cmsRoot]),
      "TIMESTAMP_OUTSIDE_VALIDITY",
      /^Cannot verify timestamp: time 2026-12-04T15:53:10\.000Z is outside of the TSA certificate's validity 2026-12-04T15:59:34\.000Z to /,
    ],
    [
      "a nonce other than the request's",
      opts({ nonce: 42n }),
      "TIMESTAMP_NONCE_MISMATCH",
      "Cannot verify timestamp: the response's nonce differs from the request's",
    ],
    [
      "a nonce expected, none in the token",
      opts({ ...virtualTs, authorities: [virtual], nonce: 42n }),
      "TIMESTAMP_NONCE_MISMATCH",
      "Cannot verify timestamp: expected a nonce but the response has none",
    ],
    [
      "another policy",
      opts({ policy: "1.2.3" }),
      "TIMESTAMP_POLICY_MISMATCH",
      "Cannot verify timestamp: policy 1.3.6.1.4.1.57264.2 is not the requested 1.2.3",
    ],
    [
      "a rejected request (OpenSSL TSA, unaccepted policy)",
      opts({ timestamp: fixture("openssl/rejected.tsr") }),
      "TIMESTAMP_NOT_GRANTED",
      "Cannot verify timestamp: the request is rejected: Requested policy is not supported. " +
      "(the requested TSA policy is not supported by the TSA)",
    ],
    [
      "a SHA-1 imprint",
      opts({ timestamp: fixture("openssl/sha1.tsr"), signature: fixture("openssl/sig.bin") }),
      "TIMESTAMP_HASH_UNSUPPORTED",
      "Cannot verify timestamp: message imprint uses SHA-1, a weak hash algorithm",
    ],
    [
      "an oversized response",
      opts({ timestamp: oversized }),
      "TIMESTAMP_INVALID",
      "Cannot verify timestamp: Cannot parse timestamp response: DER input larger than 1048576 bytes",
    ],
    [
      "a truncated response",
      opts({ timestamp: ours.subarray(0, ours.length - 1) }),
      "TIMESTAMP_INVALID",
      "Cannot verify timestamp: Cannot parse timestamp response: DER input truncated",
    ],
    [
      "empty bytes (cosign's {} timestamp file)",
      opts({ timestamp: new Uint8Array(0) }),
      "TIMESTAMP_INVALID",
      "Cannot verify timestamp: Cannot parse timestamp response: DER input truncated",
    ],
    [
      "no authorities",
      opts({ authorities: [] }),
      "TIMESTAMP_UNTRUSTED",
      "Cannot verify timestamp: no timestamp authorities to verify against",
    ],
    [
      "no certificate for the signer (none embedded, the authority names no leaf)",
      opts({ ...virtualTs, authorities: [{ ...virtual, certChain: virtual.certChain.slice(1) }] }),
      "TIMESTAMP_SIGNER_NOT_FOUND",
      "Cannot verify timestamp: no certificate for the signer",
    ],
    [
      "no ESS signing-certificate attribute",
      cms("no-ess.token"),
      "TIMESTAMP_SIGNING_CERT_MISMATCH",
      "Cannot verify timestamp: no signing-certificate attribute",
    ],
    [
      "a TSA certificate whose EKU is not critical",
      cms("noncritical-eku.token"),
      "TIMESTAMP_TSA_CERT_INVALID",
      "Cannot verify timestamp: the TSA certificate's EKU is not critical",
    ],
    [
      "a TSA certificate with a second EKU",
      cms("two-ekus.token"),
      "TIMESTAMP_TSA_CERT_INVALID",
      "Cannot verify timestamp: the TSA certificate's only extended key usage must be timeStamping",
    ],
    [
      "an intermediate CA restricted to code signing (EKU chaining)",
      cms("under-codesigning-ca.token"),
      "TIMESTAMP_TSA_CERT_INVALID",
      "Cannot verify timestamp: a CA certificate of the chain does not allow timestamping",
    ],
    [
      "a CA certificate as TSA certificate",
      cms("ca-leaf.token"),
      "TIMESTAMP_TSA_CERT_INVALID",
      "Cannot verify timestamp: the TSA certificate is a CA certificate",
    ],
  ];
  for (const [name, o, code, message] of table) {
    await assert.rejects(verifyTimestamp(o), (e: unknown) => {
      assert.ok(e instanceof VerificationError, `${name}: ${e}`);
      assert.equal(e.code, code, `${name}: ${e.message}`);
      if (typeof message === "string") assert.equal(e.message, message, name);
      else assert.match(e.message, message, name);
      return true;
    }, name);
  }
});

Deno.test("verifyTimestamp() reports the authority that got furthest", async () => {
  // The first authority fails early (another TSA leaf); the second verifies everything but the
  // imprint: its error is the one reported.
  const other = { certChain: pemFixture("tsa-v2.1.3/tsa-chain-2.pem"), validFor: OPEN };
  await assert.rejects(
    verifyTimestamp(opts({ authorities: [other, tsa], signature: new Uint8Array(1) })),
    { name: "VerificationError", code: "TIMESTAMP_IMPRINT_MISMATCH" },
  );
});

Deno.test("verifyTimestamp() refuses an authority it cannot read", async () => {
  await assert.rejects(
    verifyTimestamp(opts({
      authorities: [{ certChain: [Uint8Array.of(1, 2)], validFor: OPEN, uri: "http://x" }],
    })),
    {
      name: "TypeError",
      message: "Cannot read timestamp authority http://x: Cannot parse certificate: DER input " +
        "truncated",
    },
  );
});

Deno.test("verifyTimestamp() passes the chain to the injected validator at genTime", async () => {
  const calls: unknown[] = [];
  await verifyTimestamp(opts({
    timestamp: fixture("tsa-v2.1.3/with-chain.tsr"),
    authorities: [{ certChain: pemFixture("tsa-v2.1.3/tsa-chain-2.pem"), validFor: OPEN }],
    verifyChain: (c) => void calls.push(c),
  }));
  const chain2 = pemFixture("tsa-v2.1.3/tsa-chain-2.pem");
  assert.deepEqual(calls, [{
    leaf: chain2[0],
    // the authority's intermediate, then the embedded intermediate and root
    intermediates: [chain2[1], chain2[1], chain2[2]],
    roots: [chain2[2]],
    at: Date.UTC(2026, 11, 4, 15, 53, 10),
  }]);
});
