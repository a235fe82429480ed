import assert from "node:assert/strict";
import { constants, generateKeyPairSync, sign } from "node:crypto";
import { parseMetadata } from "./metadata.ts";
import { olpcCanonicalJson } from "./olpc_canonical_json.ts";
import { verifyDelegate, verifyKeySignature } from "./verify_delegate.ts";
import { generateTestKey, signMetadata } from "../../tests/helpers/tuf_repository.ts";

const fixture = (name: string) =>
  Deno.readFile(new URL(`../../tests/fixtures/tuf/${name}`, import.meta.url));

const signed = {
  _type: "timestamp",
  spec_version: "1.0.31",
  version: 1,
  expires: "2030-01-01T00:00:00Z",
  meta: { "snapshot.json": { version: 1 } },
};

Deno.test("verifyDelegate() checks the real root 14 with the keys of root 13 (threshold 3 of 5)", async () => {
  const r13 = parseMetadata(await fixture("13.root.json"), "root");
  const r14 = parseMetadata(await fixture("14.root.json"), "root");
  const ok = await verifyDelegate(r13.signed.keys, r13.signed.roles.root, "root", r14);
  // root 14 has an empty signature for 22f4caec…: four keys of five sign it.
  assert.deepEqual(ok.map((k) => k.slice(0, 8)), ["e71a54d5", "61643838", "a687e5bf", "183e64f3"]);
});

Deno.test("verifyDelegate() refuses a real root whose signed part was changed", async () => {
  const bytes = new TextDecoder().decode(await fixture("15.root.json"));
  const tampered = new TextEncoder().encode(
    bytes.replace('"expires": "2026-11-20T13:58:18Z"', '"expires": "2036-11-20T13:58:18Z"'),
  );
  assert.notEqual(new TextDecoder().decode(tampered), bytes);
  const m = parseMetadata(tampered, "root");
  await assert.rejects(verifyDelegate(m.signed.keys, m.signed.roles.root, "root", m), {
    name: "VerificationError",
    code: "TUF_UNSIGNED",
    message: "Cannot verify root metadata: not enough signatures, got 0, want 3",
  });
});

Deno.test("verifyDelegate() counts each listed key once and needs the threshold", async () => {
  const [a, b, c] = [
    await generateTestKey("ecdsa"),
    await generateTestKey("ed25519"),
    await generateTestKey("ecdsa"),
  ];
  const keys = Object.fromEntries([a, b, c].map((k) => [k.id, k.json]));
  const flat = Object.fromEntries(
    Object.entries(keys).map(([id, k]) => [id, { ...k, public: k.keyval.public }]),
  );
  const m = parseMetadata(await signMetadata(signed, [a, b]), "timestamp");
  const ids = [a.id, b.id, c.id];
  assert.deepEqual(await verifyDelegate(flat, { keyids: ids, threshold: 2 }, "timestamp", m), [
    a.id,
    b.id,
  ]);
  await assert.rejects(verifyDelegate(flat, { keyids: ids, threshold: 3 }, "timestamp", m), {
    code: "TUF_UNSIGNED",
    message: "Cannot verify timestamp metadata: not enough signatures, got 2, want 3",
  });
  // A signature by a key the role does not list does not count.
  await assert.rejects(verifyDelegate(flat, { keyids: [c.id], threshold: 1 }, "timestamp", m), {
    code: "TUF_UNSIGNED",
  });
  // A key ID the delegator has no key for does not count either.
  await assert.rejects(verifyDelegate({}, { keyids: [a.id], threshold: 1 }, "timestamp", m), {
    code: "TUF_UNSIGNED",
  });
});

Deno.test("verifyKeySignature() handles ecdsa, ed25519 and rsassa-pss-sha256 keys", async () => {
  const msg = olpcCanonicalJson(signed);
  for (const type of ["ecdsa", "ed25519"] as const) {
    const k = await generateTestKey(type);
    const key = { keytype: k.json.keytype, scheme: k.json.scheme, public: k.json.keyval.public };
    const sig = await k.sign(msg);
    assert.equal(await verifyKeySignature(key, sig, msg), true, type);
    assert.equal(await verifyKeySignature(key, sig, msg.subarray(1)), false, type);
    assert.equal(await verifyKeySignature(key, "zz", msg), false, type);
    // the keytype "ecdsa-sha2-nistp256" is an alias of "ecdsa" (go-tuf KeyTypeECDSA_SHA2_P256_COMPAT)
    if (type === "ecdsa") {
      const alias = { ...key, keytype: "ecdsa-sha2-nistp256" };
      assert.equal(await verifyKeySignature(alias, sig, msg), true);
    }
  }
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = publicKey.export({ type: "spki", format: "pem" }) as string;
  const key = { keytype: "rsa", scheme: "rsassa-pss-sha256", public: pem };
  for (const saltLength of [32, constants.RSA_PSS_SALTLEN_MAX_SIGN]) {
    const sig = sign("sha256", msg, {
      key: privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength,
    });
    assert.equal(
      await verifyKeySignature(key, sig.toString("hex"), msg),
      true,
      `salt ${saltLength}`,
    );
  }
  const pkcs1 = sign("sha256", msg, privateKey);
  assert.equal(await verifyKeySignature(key, pkcs1.toString("hex"), msg), false, "PKCS#1 v1.5");
});

Deno.test("verifyKeySignature() does not count keys of unknown or mismatched types", async () => {
  const msg = olpcCanonicalJson(signed);
  const k = await generateTestKey("ecdsa");
  const sig = await k.sign(msg);
  const pub = k.json.keyval.public;
  const cases = [
    { keytype: "ecdsa", scheme: "ecdsa-sha2-nistp521", public: pub },
    { keytype: "ecdsa", scheme: "ed25519", public: pub },
    { keytype: "ed25519", scheme: "ed25519", public: pub },
    { keytype: "rsa", scheme: "rsassa-pss-sha256", public: pub },
    { keytype: "dsa", scheme: "dsa", public: pub },
    { keytype: "ecdsa", scheme: "ecdsa-sha2-nistp256", public: "not a pem" },
  ];
  for (const key of cases) {
    assert.equal(
      await verifyKeySignature(key, sig, msg),
      false,
      JSON.stringify(key.scheme + key.keytype),
    );
  }
});
