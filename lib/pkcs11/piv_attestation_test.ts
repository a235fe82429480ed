/**
 * verifyPivAttestation() on certificates laid out as a YubiKey makes them (Yubico's extensions
 * 1.3.6.1.4.1.41482.3.{3,7,8,9}), made by openssl: no YubiKey is available to the tests.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { verifyPivAttestation } from "./piv_attestation.ts";
import { parseDer } from "../asn1/der.ts";
import { formatDistinguishedName } from "./piv_attestation.ts";

const dir = await Deno.makeTempDir({ prefix: "cosign-piv-attestation-" });
addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

async function openssl(args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stderr: "piped" }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

// The device: an RSA attestation key (as YubiKeys have) with a self-issued certificate.
await openssl(["genrsa", "-out", "device.key", "2048"]);
await openssl([
  "req",
  "-x509",
  "-new",
  "-key",
  "device.key",
  "-days",
  "3650",
  "-outform",
  "DER",
  "-out",
  "device.der",
  "-subj",
  "/O=Yubico/CN=Yubico PIV Root CA Serial 263751",
]);
await openssl(["x509", "-inform", "DER", "-in", "device.der", "-out", "device.pem"]);
// The attested key, and its certificate with firmware 5.7.1, serial 5213681, PIN policy once (2),
// touch policy always (2), form factor USB-C keychain (3).
await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "key.pem"]);
await openssl([
  "req",
  "-new",
  "-key",
  "key.pem",
  "-subj",
  "/CN=YubiKey PIV Attestation 9c",
  "-out",
  "key.csr",
]);
await Deno.writeTextFile(
  join(dir, "ext.cnf"),
  `[ext]
1.3.6.1.4.1.41482.3.3 = DER:050701
1.3.6.1.4.1.41482.3.7 = DER:02034F8DF1
1.3.6.1.4.1.41482.3.8 = DER:0202
1.3.6.1.4.1.41482.3.9 = DER:03
[bare]
1.3.6.1.4.1.41482.3.7 = DER:02034F8DF1
`,
);
for (
  const [section, out, ca] of [["ext", "key.der", "device"], ["bare", "bare.der", "device"], [
    "ext",
    "other.der",
    "other",
  ]]
) {
  if (ca === "other") {
    await openssl(["genrsa", "-out", "other.key", "2048"]);
    await openssl([
      "req",
      "-x509",
      "-new",
      "-key",
      "other.key",
      "-subj",
      "/CN=other",
      "-out",
      "other.pem",
    ]);
  }
  await openssl([
    "x509",
    "-req",
    "-in",
    "key.csr",
    "-CA",
    `${ca}.pem`,
    "-CAkey",
    `${ca}.key`,
    "-days",
    "365",
    "-extfile",
    "ext.cnf",
    "-extensions",
    section,
    "-outform",
    "DER",
    "-out",
    out,
  ]);
}
const read = (name: string) => Deno.readFile(join(dir, name));

Deno.test("verifyPivAttestation() checks the device's signature and reads Yubico's extensions", async () => {
  const a = verifyPivAttestation({
    deviceCertificate: await read("device.der"),
    keyCertificate: await read("key.der"),
  });
  assert.deepEqual(
    {
      version: a.version,
      serial: a.serial,
      formFactor: a.formFactor,
      pin: a.pinPolicy,
      touch: a.touchPolicy,
    },
    { version: { major: 5, minor: 7, patch: 1 }, serial: 5213681, formFactor: 3, pin: 2, touch: 2 },
  );
  assert.equal(a.deviceIssuer, "CN=Yubico PIV Root CA Serial 263751,O=Yubico");
  assert.equal(a.deviceCertificatePem, await Deno.readTextFile(join(dir, "device.pem")));
  assert.match(
    a.keyCertificatePem,
    /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/,
  );
});

Deno.test("verifyPivAttestation() refuses a key certificate of another issuer or without Yubico's extensions", async () => {
  const cases: [string, string][] = [
    [
      "other.der",
      "Cannot verify PIV attestation: the key certificate is not signed by the device certificate",
    ],
    [
      "bare.der",
      "Cannot verify PIV attestation: the key certificate has no Yubico firmware or policy extension",
    ],
  ];
  for (const [file, message] of cases) {
    assert.throws(
      () =>
        verifyPivAttestation({
          deviceCertificate: Deno.readFileSync(join(dir, "device.der")),
          keyCertificate: Deno.readFileSync(join(dir, file)),
        }),
      { name: "VerificationError", code: "SIGNATURE_INVALID", message },
    );
  }
  assert.throws(
    () =>
      verifyPivAttestation({
        deviceCertificate: Uint8Array.of(0x30, 0),
        keyCertificate: new Uint8Array(),
      }),
    { name: "SyntaxError" },
  );
  assert.ok(await read("key.der"));
});

Deno.test("formatDistinguishedName() writes names as Go's pkix.Name.String() does", () => {
  // SEQUENCE { SET { CN= x } SET { O=a,b } SET { C=US } SET { O=c } }
  const atv = (oid: number[], value: string) => {
    const v = new TextEncoder().encode(value);
    const o = Uint8Array.of(0x06, oid.length, ...oid);
    const s = Uint8Array.of(0x0c, v.length, ...v);
    const seq = Uint8Array.of(0x30, o.length + s.length, ...o, ...s);
    return Uint8Array.of(0x31, seq.length, ...seq);
  };
  const parts = [
    atv([85, 4, 3], " x"),
    atv([85, 4, 10], "a,b"),
    atv([85, 4, 6], "US"),
    atv([85, 4, 10], "c"),
  ];
  const body = parts.flatMap((p) => [...p]);
  const name = parseDer(Uint8Array.of(0x30, body.length, ...body));
  assert.equal(formatDistinguishedName(name), "CN=\\ x,O=a\\,b+O=c,C=US");
});
