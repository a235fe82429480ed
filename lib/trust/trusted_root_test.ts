import assert from "node:assert/strict";
import { join } from "node:path";
import { VECTORS } from "../../tests/_vectors.ts";
import { VerificationError } from "../errors.ts";
import {
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
