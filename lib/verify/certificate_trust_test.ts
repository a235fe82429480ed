import assert from "node:assert/strict";
import { join } from "node:path";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import { verifyTimestamp } from "../timestamp/verify_timestamp.ts";
import { parseRfc3161Timestamp } from "../timestamp/rfc3161_timestamp.ts";
import { parseTrustedRoot } from "../trust/trusted_root.ts";
import { parseCertificateChainPem } from "../x509/certificate.ts";
import { certificateTrust, splitRootFile, splitTsaChain } from "./certificate_trust.ts";

const FIXTURES = join(import.meta.dirname!, "..", "..", "tests", "fixtures");
const keyless = (name: string) => Deno.readFileSync(join(FIXTURES, "keyless-local", name));
const tsa = (name: string) => Deno.readFileSync(join(FIXTURES, "timestamp", "tsa-v2.1.3", name));

Deno.test("splitRootFile() takes self-issued certificates as roots, the others as intermediates (cosign initRoots)", () => {
  const [intermediate, root] = parseCertificateChainPem(keyless("fulcio_chain.pem"));
  assert.deepEqual(splitRootFile([intermediate, root]), {
    roots: [root],
    intermediates: [intermediate],
  });
  assert.deepEqual(splitRootFile([root]), { roots: [root], intermediates: [] });
});

Deno.test("certificateTrust() from cosign's pieces: one authority per root with every intermediate, CT log IDs from the key", () => {
  const [intermediate, root] = parseCertificateChainPem(keyless("fulcio_chain.pem"));
  const ct = parsePublicKeyPem(keyless("ctlog.pub"));
  const expected = JSON.parse(new TextDecoder().decode(keyless("expected.json")));
  const trust = certificateTrust({ roots: [root], intermediates: [intermediate], ctLogKeys: [ct] });
  assert.equal(trust.kind, "legacy");
  assert.equal(trust.hasIntermediates, true);
  assert.deepEqual(trust.authorities, [{ certChain: [intermediate, root] }]);
  assert.equal(trust.ctLogs[0].logId.toHex(), expected.ctlog.logId);
  assert.deepEqual(trust.timestampAuthorities, []);
  assert.equal(certificateTrust({ roots: [root] }).hasIntermediates, false);
});

Deno.test("certificateTrust() from a trusted root keeps its windows", () => {
  const root = parseTrustedRoot(keyless("trusted_root.json"));
  const trust = certificateTrust({ trustedRoot: root });
  assert.equal(trust.kind, "trusted-root");
  assert.equal(trust.authorities, root.certificateAuthorities);
  assert.equal(trust.ctLogs.length, 1);
  assert.deepEqual(trust.ctLogs[0].validFor, root.ctlogs[0].validFor);
});

Deno.test("splitTsaChain() reads a --timestamp-certificate-chain file as cosign's GetTSACerts, and its authority verifies the TSA's real timestamp", async () => {
  const chain = parseCertificateChainPem(tsa("tsa-chain.pem"));
  const [authority] = splitTsaChain([...chain].reverse());
  assert.deepEqual(authority.certChain, chain.map((c) => c.der));
  const signature = Uint8Array.fromBase64(new TextDecoder().decode(tsa("blob.sig")).trim());
  const verified = await verifyTimestamp({
    timestamp: parseRfc3161Timestamp(new TextDecoder().decode(tsa("blob.timestamp.json"))),
    signature,
    authorities: [authority],
  });
  assert.ok(verified.genTime > 0);
});

Deno.test("splitTsaChain() refuses a chain without exactly one leaf, or without a root", () => {
  const chain = parseCertificateChainPem(tsa("tsa-chain.pem"));
  const other = parseCertificateChainPem(tsa("tsa-chain-2.pem"));
  for (
    const [certs, message] of [
      [chain.slice(1), /exactly one leaf certificate$/],
      [[chain[0], other[0], ...chain.slice(1)], /exactly one leaf certificate$/],
      [chain.slice(0, -1), /at least one root certificate$/],
    ] as const
  ) {
    assert.throws(() => splitTsaChain(certs), { code: "TIMESTAMP_UNTRUSTED", message });
  }
});
