import assert from "node:assert/strict";
import { derOctets } from "../asn1/der.ts";
import { VerificationError } from "../errors.ts";
import { parsePublicKeyDer, parsePublicKeyPem } from "../keys/public_key.ts";
import {
  type Certificate,
  EXTENSION_OID,
  parseCertificate,
  parseCertificatePem,
} from "./certificate.ts";
import {
  ctLogId,
  type CtLogKey,
  embeddedScts,
  parseDetachedSct,
  verifyDetachedSct,
  verifyEmbeddedScts,
  verifySct,
} from "./sct.ts";
import {
  generateTestKey,
  issueTestCertificate,
  testChain,
  testExtension,
  type TestKey,
  testSct,
} from "../../tests/helpers/test_ca.ts";

const FIXTURES = new URL("../../tests/fixtures/x509/", import.meta.url);
const read = (name: string) => Deno.readFileSync(new URL(name, FIXTURES));
const pem = (name: string) => parseCertificatePem(read(name));
const logKey = (name: string, validFor?: CtLogKey["validFor"]): CtLogKey => {
  const publicKey = parsePublicKeyPem(read(name));
  return { publicKey, logId: ctLogId(publicKey.spki), validFor };
};

// Validity of the public-good CT log keys in the trusted root.
const ctfe2022 = logKey("ctfe-2022.pub", { start: Date.parse("2022-10-20T00:00:00Z") });
const ctfe2021 = logKey("ctfe-2021.pub", {
  start: Date.parse("2021-03-14T00:00:00Z"),
  end: Date.parse("2022-10-31T23:59:59.999Z"),
});
const mockLog = logKey("cosign-sct-ctlog.pub");
const intermediate = pem("fulcio-intermediate-v1.pem");

async function rejects(
  p: Promise<unknown>,
  code: string,
  message?: RegExp | string,
  what?: string,
) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof VerificationError, `${what}: ${e}`);
    assert.equal(e.code, code, `${what}: ${e.message}`);
    if (typeof message === "string") assert.equal(e.message, message, what);
    else if (message) assert.match(e.message, message, what);
    return true;
  });
}

Deno.test("ctLogId() is SHA-256 of the SPKI: the public-good and cosign test log IDs", () => {
  assert.equal(ctfe2022.logId.toBase64(), "3T0wasbHETJjGR4cmWc3AqJKXrjePK3/h4pygC8p7o4=");
  assert.equal(ctfe2021.logId.toBase64(), "CGCS8ChS/2hF0dFrJ4ScRWcYrBY9wzjSbea8IgY2b3I=");
  assert.equal(mockLog.logId.toHex().slice(0, 8), "f726caa3");
});

Deno.test("embeddedScts() reads the SCT list of a Fulcio certificate", () => {
  const scts = embeddedScts(pem("leaf-github-workflow.pem"));
  assert.equal(scts.length, 1);
  const [sct] = scts;
  assert.equal(sct.version, 0);
  assert.deepEqual(sct.logId, ctfe2022.logId);
  assert.equal(sct.timestamp, Date.parse("2023-08-18T16:05:35.120Z"));
  assert.deepEqual(sct.extensions, new Uint8Array(0));
  assert.equal(sct.hashAlgorithm, 4);
  assert.equal(sct.signatureAlgorithm, 3);
  assert.equal(sct.signature[0], 0x30);
  assert.deepEqual(embeddedScts(intermediate), []);
});

Deno.test("verifyEmbeddedScts() verifies real embedded SCTs (public-good, cosign's vector)", async () => {
  for (
    const file of [
      "leaf-p256.pem",
      "leaf-p521.pem",
      "leaf-rsa4096.pem",
      "leaf-github-workflow.pem",
      "leaf-email-2022.pem",
    ]
  ) {
    for (const mode of ["sigstore-go", "cosign"] as const) {
      const [v] = await verifyEmbeddedScts(pem(file), intermediate, [ctfe2021, ctfe2022], { mode });
      assert.equal(v.log, ctfe2022, `${file} ${mode}`);
    }
  }
  // cosign pkg/cosign/verify_sct_test.go TestVerifyEmbeddedSCT.
  const [v] = await verifyEmbeddedScts(pem("cosign-sct-leaf.pem"), pem("cosign-sct-root.pem"), [
    mockLog,
  ], {
    mode: "cosign",
  });
  assert.equal(v.sct.timestamp, Date.parse("2023-02-01T00:00:00Z"));
});

Deno.test("verifyEmbeddedScts() refuses SCTs from unknown logs", async () => {
  const leaf = pem("leaf-p256.pem");
  await rejects(
    verifyEmbeddedScts(leaf, intermediate, [ctfe2021, mockLog]),
    "SCT_LOG_KEY_UNKNOWN",
    "Cannot verify SCT: only able to verify 0 SCT entries; unable to meet threshold of 1 (SCT from unknown log dd3d306ac6c7113263191e1c99673702a24a5eb8de3cadff878a72802f29ee8e)",
  );
  // cosign TestVerifySCTError: "ctfe public key not found".
  await rejects(
    verifyEmbeddedScts(pem("cosign-sct-leaf.pem"), pem("cosign-sct-root.pem"), [ctfe2022], {
      mode: "cosign",
    }),
    "SCT_LOG_KEY_UNKNOWN",
    /^Cannot verify SCT: ctfe public key not found for payload\. Check your TUF root/,
  );
  await rejects(
    verifyEmbeddedScts(leaf, intermediate, [], { mode: "cosign" }),
    "SCT_LOG_KEY_UNKNOWN",
    "Cannot verify SCT: none of the CTFE keys have been found",
  );
});

Deno.test("verifyEmbeddedScts() refuses tampered SCTs, certificates and issuers", async () => {
  const leaf = pem("leaf-p256.pem");
  const sct = embeddedScts(leaf)[0];
  const at = (needle: Uint8Array) => {
    for (let i = 0; i < leaf.der.length; i++) {
      if (needle.every((b, k) => leaf.der[i + k] === b)) return i;
    }
    throw new Error("not found");
  };
  const flip = (offset: number) => {
    const der = Uint8Array.from(leaf.der);
    der[offset] ^= 1;
    return parseCertificate(der);
  };
  const table: [string, Certificate, Certificate][] = [
    ["SCT signature", flip(at(sct.signature) + 10), intermediate],
    ["SCT timestamp", flip(at(sct.logId) + 32 + 7), intermediate],
    ["certificate key", flip(at(leaf.spki) + 40), intermediate],
    ["certificate serial", flip(15), intermediate],
    ["issuer", leaf, pem("staging-fulcio-intermediate.pem")],
  ];
  for (const [what, cert, issuer] of table) {
    for (const mode of ["sigstore-go", "cosign"] as const) {
      await rejects(
        verifyEmbeddedScts(cert, issuer, [ctfe2022], { mode }),
        "SCT_INVALID",
        /signature does not verify/,
        `${what} ${mode}`,
      );
    }
  }
  await rejects(
    verifyEmbeddedScts(table[0][1], intermediate, [ctfe2022], { mode: "cosign" }),
    "SCT_INVALID",
    "Cannot verify SCT: error verifying embedded SCT: signature does not verify",
  );
});

Deno.test("verifyEmbeddedScts() holds SCTs to their log key's validity (sigstore-go only)", async () => {
  const leaf = pem("leaf-email-2022.pem"); // SCT of 2022-11-09
  const expired = { ...ctfe2022, validFor: { start: 0, end: Date.parse("2022-11-01T00:00:00Z") } };
  const notYet = { ...ctfe2022, validFor: { start: Date.parse("2023-01-01T00:00:00Z") } };
  for (const log of [expired, notYet]) {
    await rejects(
      verifyEmbeddedScts(leaf, intermediate, [log]),
      "SCT_TIME_INVALID",
      /SCT of log dd3d306a\w+ at 2022-11-09T23:00:35\.805Z is outside its key's validity/,
    );
    assert.equal(
      (await verifyEmbeddedScts(leaf, intermediate, [log], { mode: "cosign" })).length,
      1,
    );
  }
});

/** A chain whose leaf carries SCTs from the given test logs. */
async function leafWithScts(logs: { key: TestKey; timestamp?: number }[]) {
  const chain = await testChain();
  const { cert } = await issueTestCertificate({
    notBefore: chain.leaf.notBefore,
    issuerKey: chain.intermediateKey,
    issuerCert: chain.intermediate,
    scts: logs,
  });
  return { leaf: cert, issuer: chain.intermediate };
}

const testLog = async (kind: TestKey["kind"] = "P-256"): Promise<[TestKey, CtLogKey]> => {
  const key = await generateTestKey(kind);
  return [key, { logId: ctLogId(key.spki), publicKey: parsePublicKeyDer(key.spki) }];
};

Deno.test("verifyEmbeddedScts() counts distinct logs toward the threshold", async () => {
  const [k1, l1] = await testLog();
  const [k2, l2] = await testLog("RSA");
  const [k3] = await testLog();
  const two = await leafWithScts([{ key: k1 }, { key: k2 }, { key: k3 }]);
  assert.equal(
    (await verifyEmbeddedScts(two.leaf, two.issuer, [l1, l2], { threshold: 2 })).length,
    2,
  );
  // cosign mode wants every SCT from a known log.
  await rejects(
    verifyEmbeddedScts(two.leaf, two.issuer, [l1, l2], { mode: "cosign" }),
    "SCT_LOG_KEY_UNKNOWN",
  );
  const dup = await leafWithScts([{ key: k1 }, {
    key: k1,
    timestamp: Date.UTC(2024, 5, 1, 0, 0, 2),
  }]);
  const once = await verifyEmbeddedScts(dup.leaf, dup.issuer, [l1, l2]);
  assert.equal(once.length, 1);
  await rejects(
    verifyEmbeddedScts(dup.leaf, dup.issuer, [l1, l2], { threshold: 2 }),
    "SCT_INVALID",
    "Cannot verify SCT: only able to verify 1 SCT entries; unable to meet threshold of 2",
  );
  assert.equal(
    (await verifyEmbeddedScts(dup.leaf, dup.issuer, [l1], { mode: "cosign" })).length,
    2,
  );
  // Ed25519 CT signatures are not verified (certificate-transparency-go has no Ed25519).
  const [k4, l4] = await testLog("Ed25519");
  const ed = await leafWithScts([{ key: k4 }]);
  await rejects(
    verifyEmbeddedScts(ed.leaf, ed.issuer, [l4]),
    "SCT_INVALID",
    /unsupported signature algorithm 7/,
  );
});

Deno.test("embeddedScts() rejects malformed SCT lists", async () => {
  const u16 = (n: number) => [n >> 8, n & 0xff];
  const [key] = await testLog();
  const good = await testSct(key, 1, { cert: Uint8Array.of(1) });
  const table: [string, Uint8Array, RegExp][] = [
    ["not an OCTET STRING", Uint8Array.of(5, 0), /SCT list extension: expected an OCTET STRING/],
    ["empty list", derOctets(Uint8Array.of(0, 0)), /empty SCT list/],
    ["truncated", derOctets(Uint8Array.of(0, 9, 0, 7, 1)), /truncated/],
    [
      "trailing",
      derOctets(Uint8Array.of(...u16(good.length + 2), ...u16(good.length), ...good, 0)),
      /trailing data after the SCT list/,
    ],
    [
      "SCT trailing",
      derOctets(Uint8Array.of(...u16(good.length + 3), ...u16(good.length + 1), ...good, 0)),
      /trailing data$/,
    ],
  ];
  for (const [what, value, message] of table) {
    const { cert } = await issueTestCertificate({
      extensions: [testExtension(EXTENSION_OID.sctList, false, value)],
    });
    assert.throws(() => embeddedScts(cert), { name: "SyntaxError", message }, what);
  }
});

Deno.test("verifyDetachedSct() verifies an add-chain SCT over an x509_entry (Google Xenon 2019)", async () => {
  const leaf = pem("monologue-leaf.pem");
  const xenon = logKey("monologue-xenon2019.pub");
  const sct = parseDetachedSct(read("monologue-sct.json"));
  assert.equal(sct.timestamp, 1512556025588);
  assert.equal((await verifyDetachedSct(leaf, sct, [ctfe2022, xenon])).log, xenon);
  await rejects(
    verifyDetachedSct(leaf, { ...sct, timestamp: sct.timestamp + 1 }, [xenon]),
    "SCT_INVALID",
    "Cannot verify SCT: error verifying SCT: signature does not verify",
  );
  await rejects(
    verifyDetachedSct(leaf, { ...sct, version: 1 }, [xenon]),
    "SCT_INVALID",
    /unsupported SCT version 1/,
  );
  await rejects(verifyDetachedSct(pem("leaf-p256.pem"), sct, [xenon]), "SCT_INVALID");
  await rejects(
    verifyDetachedSct(leaf, sct, [ctfe2022]),
    "SCT_LOG_KEY_UNKNOWN",
    /ctfe public key not found/,
  );
});

Deno.test("parseDetachedSct() rejects what certificate-transparency-go rejects", () => {
  const base = JSON.parse(new TextDecoder().decode(read("monologue-sct.json")));
  const table: [unknown, RegExp][] = [
    ["{", /not JSON/],
    [[], /not a JSON object/],
    [{ ...base, id: "AAAA" }, /id is invalid length/],
    [{ ...base, id: 5 }, /id is not base64/],
    [{ ...base, signature: base.signature.slice(0, -8) }, /truncated/],
    [{ ...base, signature: "!!" }, /signature is not base64/],
    [{ ...base, timestamp: -1 }, /timestamp is not a valid number/],
    [{ ...base, sct_version: 256 }, /sct_version is not a valid number/],
  ];
  for (const [input, message] of table) {
    const text = typeof input === "string" ? input : JSON.stringify(input);
    assert.throws(() => parseDetachedSct(text), { name: "SyntaxError", message }, text);
  }
});

Deno.test("verifySct() follows cosign: embedded first, then detached, else refused", async () => {
  const mockLeaf = pem("cosign-sct-leaf.pem");
  const mockRoot = pem("cosign-sct-root.pem");
  const detached = parseDetachedSct(read("monologue-sct.json"));
  // The detached SCT is ignored when the certificate embeds SCTs.
  assert.equal(
    (await verifySct(mockLeaf, mockRoot, [mockLog], { detached, mode: "cosign" })).length,
    1,
  );
  await rejects(
    verifySct(mockLeaf, undefined, [mockLog]),
    "SCT_INVALID",
    "Cannot verify SCT: certificate chain must contain at least a certificate and its issuer",
  );
  const xenon = logKey("monologue-xenon2019.pub");
  assert.equal(
    (await verifySct(pem("monologue-leaf.pem"), undefined, [xenon], { detached }))[0].log,
    xenon,
  );
  // cosign TestVerifySCTError: no embedded SCT and no detached one.
  await rejects(
    verifySct(intermediate, undefined, [ctfe2022]),
    "SCT_MISSING",
    "Cannot verify SCT: certificate does not include required embedded SCT and no detached SCT was set",
  );
});
