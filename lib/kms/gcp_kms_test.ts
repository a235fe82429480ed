/**
 * gcpKms() against the Cloud KMS REST fake (tests/helpers/fake_gcp_kms.ts, which checks the
 * service account's JWT-bearer grant, bearer tokens and CRC32C checksums; its limits are listed
 * there): key creation, signing, the request sequence of sigstore's GCP provider, and errors.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeGcpKms } from "../../tests/helpers/fake_gcp_kms.ts";
import { verifySignature } from "../signature/verify_signature.ts";
import { bytesReader } from "../stream.ts";
import { crc32c, gcpKms, parseGcpKmsUri } from "./gcp_kms.ts";
import { openKmsSigner } from "./kms_signer.ts";

const fake = await startFakeGcpKms();
const dir = await Deno.makeTempDir();
addEventListener("unload", () => {
  void fake.stop();
  Deno.removeSync(dir, { recursive: true });
});
const credentials = join(dir, "sa.json");
await Deno.writeTextFile(credentials, fake.serviceAccountJson);
const env: Record<string, string> = {
  GOOGLE_APPLICATION_CREDENTIALS: credentials,
  CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS: fake.endpoint,
};
const getEnv = (n: string) => env[n];
const KEY = "projects/test-project/locations/global/keyRings/cosign/cryptoKeys/signer";

Deno.test("crc32c() is CRC-32C (Castagnoli)", () => {
  // RFC 3720 B.4: 32 bytes of zeros, and of 0xff.
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
});

Deno.test("parseGcpKmsUri() takes keys with and without a version", () => {
  assert.deepEqual(parseGcpKmsUri(`gcpkms://${KEY}`), {
    project: "test-project",
    location: "global",
    keyRing: "cosign",
    key: "signer",
  });
  assert.equal(parseGcpKmsUri(`gcpkms://${KEY}/cryptoKeyVersions/3`).version, "3");
  assert.equal(parseGcpKmsUri(`gcpkms://${KEY}/versions/4`).version, "4");
  assert.throws(() => parseGcpKmsUri("gcpkms://projects/p/keyRings/r/cryptoKeys/k"), {
    name: "TypeError",
    message:
      "Cannot parse GCP KMS URI: kms specification should be in the format gcpkms://projects/[PROJECT_ID]/locations/[LOCATION]/keyRings/[KEY_RING]/cryptoKeys/[KEY]/cryptoKeyVersions/[VERSION]",
  });
});

Deno.test("gcpKms() creates the key ring and an EC_SIGN_P256_SHA256 key, then signs digests", async () => {
  const before = fake.requests.length;
  const pub = await gcpKms(`gcpkms://${KEY}`, { getEnv }).createKey();
  assert.equal(pub.curve, "P-256");
  const ring = "/v1/projects/test-project/locations/global/keyRings";
  assert.deepEqual(fake.requests.slice(before).map((r) => `${r.method} ${r.path}`), [
    `GET ${ring}/cosign`,
    `POST ${ring}?keyRingId=cosign`,
    `GET ${ring}/cosign/cryptoKeys/signer`,
    `POST ${ring}/cosign/cryptoKeys?cryptoKeyId=signer`,
    `GET ${ring}/cosign/cryptoKeys/signer`,
    `GET ${ring}/cosign/cryptoKeys/signer/cryptoKeyVersions?filter=state%3DENABLED&orderBy=name%20desc`,
    `GET ${ring}/cosign/cryptoKeys/signer/cryptoKeyVersions/1/publicKey`,
  ]);
  assert.ok(fake.requests.slice(before).every((r) => r.authorized));

  for (const ref of [`gcpkms://${KEY}`, `gcpkms://${KEY}/cryptoKeyVersions/1`]) {
    const signer = await openKmsSigner(ref, { getEnv });
    assert.equal(signer.hash, "sha256");
    const message = new TextEncoder().encode(`signed by ${ref}\n`);
    const signature = await signer.sign(bytesReader(message));
    await verifySignature({
      publicKey: pub,
      hash: "sha256",
      signature,
      reader: bytesReader(message),
    });
  }
  const sign = fake.requests.findLast((r) => r.path.endsWith(":asymmetricSign"))!;
  const digest = Uint8Array.fromBase64((sign.body as { digest: { sha256: string } }).digest.sha256);
  assert.equal((sign.body as { digestCrc32c: string }).digestCrc32c, String(crc32c(digest)));
});

Deno.test("gcpKms() uses the key's algorithm: P-384 keys sign SHA-384 digests", async () => {
  fake.createKey(KEY.replace("signer", "p384"), "EC_SIGN_P384_SHA384");
  const signer = await openKmsSigner(`gcpkms://${KEY.replace("signer", "p384")}`, { getEnv });
  assert.equal(signer.hash, "sha384");
  const message = new TextEncoder().encode("p384\n");
  await verifySignature({
    publicKey: signer.publicKey,
    hash: "sha384",
    signature: await signer.sign(bytesReader(message)),
    reader: bytesReader(message),
  });
});

Deno.test("gcpKms() fails with one coded line", async () => {
  const bad = join(dir, "bad.json");
  await Deno.writeTextFile(
    bad,
    JSON.stringify({ ...JSON.parse(fake.serviceAccountJson), client_email: "x@y" }),
  );
  const cases: [Record<string, string>, string, string, string][] = [
    [
      { HOME: dir },
      `gcpkms://${KEY}`,
      "KMS_CREDENTIALS_MISSING",
      "Cannot use GCP KMS: no credentials (set GOOGLE_APPLICATION_CREDENTIALS)",
    ],
    [
      { ...env, GOOGLE_APPLICATION_CREDENTIALS: bad },
      `gcpkms://${KEY}`,
      "KMS_CREDENTIALS_MISSING",
      "Cannot get a GCP access token: HTTP 400 invalid_grant",
    ],
    [
      env,
      `gcpkms://${KEY.replace("signer", "missing")}`,
      "KEY_NOT_FOUND",
      `Cannot read GCP KMS ${KEY.replace("signer", "missing")}: NOT_FOUND: CryptoKey ${
        KEY.replace("signer", "missing")
      } not found.`,
    ],
  ];
  for (const [e, ref, code, message] of cases) {
    await assert.rejects(() => gcpKms(ref, { getEnv: (n) => e[n] }).publicKey(), {
      name: "KeyError",
      code,
      message,
    }, message);
  }
});
