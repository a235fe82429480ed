import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { keyDetails, trustedRoot } from "./trusted_root.ts";

const spki = (type: string, options: object) =>
  new Uint8Array(
    // deno-lint-ignore no-explicit-any
    (generateKeyPairSync as any)(type, options).publicKey.export({ type: "spki", format: "der" }),
  );

Deno.test("keyDetails() names each key type the peers use, and refuses others", () => {
  const cases: [string, Uint8Array, string][] = [
    ["P-256", spki("ec", { namedCurve: "P-256" }), "PKIX_ECDSA_P256_SHA_256"],
    ["P-384", spki("ec", { namedCurve: "P-384" }), "PKIX_ECDSA_P384_SHA_384"],
    ["Ed25519", spki("ed25519", {}), "PKIX_ED25519"],
    ["RSA", spki("rsa", { modulusLength: 2048 }), "PKIX_RSA_PKCS1V15_2048_SHA256"],
  ];
  for (const [what, key, expected] of cases) assert.equal(keyDetails(key), expected, what);
  assert.throws(() => keyDetails(spki("x25519", {})), {
    name: "TypeError",
    message: "Cannot describe public key: unsupported algorithm",
  });
});

Deno.test("trustedRoot(): log IDs are SHA-256 of the SPKI, chains keep their order, empty PEM is refused", async () => {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const der = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
  const pem = publicKey.export({ type: "spki", format: "pem" }) as string;
  const cert = (b64: string) => `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
  const doc = await trustedRoot({
    tlogs: [{
      baseUrl: "http://127.0.0.1:1",
      publicKeyPem: pem,
      validFor: { start: "2020-01-01T00:00:00Z" },
    }],
    certificateAuthorities: [{
      uri: "http://127.0.0.1:2",
      chainPem: cert("AQID") + cert("BAUG"),
      subject: { organization: "o", commonName: "c" },
      validFor: { start: "2020-01-01T00:00:00Z" },
    }],
  });
  const logId = new Uint8Array(await crypto.subtle.digest("SHA-256", der)).toBase64();
  assert.deepEqual(doc, {
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    tlogs: [{
      baseUrl: "http://127.0.0.1:1",
      hashAlgorithm: "SHA2_256",
      publicKey: {
        rawBytes: der.toBase64(),
        keyDetails: "PKIX_ECDSA_P256_SHA_256",
        validFor: { start: "2020-01-01T00:00:00Z" },
      },
      logId: { keyId: logId },
    }],
    certificateAuthorities: [{
      subject: { organization: "o", commonName: "c" },
      uri: "http://127.0.0.1:2",
      certChain: { certificates: [{ rawBytes: "AQID" }, { rawBytes: "BAUG" }] },
      validFor: { start: "2020-01-01T00:00:00Z" },
    }],
    ctlogs: [],
    timestampAuthorities: [],
  });
  await assert.rejects(
    trustedRoot({ ctlogs: [{ baseUrl: "u", publicKeyPem: "", validFor: { start: "x" } }] }),
    { name: "TypeError", message: "Cannot read log key of u: no PUBLIC KEY block" },
  );
});
