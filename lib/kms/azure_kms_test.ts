/**
 * azureKms() against the Key Vault fake over HTTPS (tests/helpers/fake_azure_key_vault.ts, which
 * checks the client-credentials grant, bearer tokens and the API version; its limits are listed
 * there): key creation as sigstore's Azure provider does it, signing, and errors.
 */
import assert from "node:assert/strict";
import { startFakeAzureKeyVault } from "../../tests/helpers/fake_azure_key_vault.ts";
import { verifySignature } from "../signature/verify_signature.ts";
import { bytesReader } from "../stream.ts";
import { azureKms, parseAzureKmsUri } from "./azure_kms.ts";
import { openKmsSigner } from "./kms_signer.ts";

const fake = await startFakeAzureKeyVault();
addEventListener("unload", () => void fake.stop());
const env: Record<string, string> = {
  AZURE_TENANT_ID: fake.tenant,
  AZURE_CLIENT_ID: fake.clientId,
  AZURE_CLIENT_SECRET: fake.clientSecret,
  AZURE_AUTHORITY_HOST: fake.authority,
};
const deps = { getEnv: (n: string) => env[n], fetch: fake.fetch };

Deno.test("parseAzureKmsUri() reads vault, key and version as sigstore does", () => {
  assert.deepEqual(parseAzureKmsUri("azurekms://myvault.vault.azure.net/cosign"), {
    vaultUrl: "https://myvault.vault.azure.net/",
    keyName: "cosign",
    keyVersion: "",
  });
  assert.equal(parseAzureKmsUri("azurekms://v.vault.azure.net/k/0123abcd").keyVersion, "0123abcd");
  assert.throws(() => parseAzureKmsUri("azurekms://v.vault.azure.net"), {
    name: "TypeError",
    message:
      "Cannot parse Azure KMS URI: kms specification should be in the format azurekms://[VAULT_NAME][VAULT_URL]/[KEY_NAME]/[KEY_VERSION (optional)]",
  });
});

Deno.test("azureKms() creates an EC key tagged for sigstore, then signs digests (r ‖ s to DER)", async () => {
  const ref = `azurekms://${fake.host}/cosign`;
  const before = fake.requests.length;
  const pub = await azureKms(ref, deps).createKey();
  assert.equal(pub.curve, "P-256");
  assert.deepEqual(fake.requests.slice(before).map((r) => `${r.method} ${r.path}`), [
    "GET /keys/cosign/?api-version=7.6",
    "POST /keys/cosign/create?api-version=7.6",
    "GET /keys/cosign/?api-version=7.6",
  ]);
  assert.deepEqual(fake.requests[before + 1].body, {
    kty: "EC",
    key_size: 2048,
    key_ops: ["sign", "verify"],
    attributes: { enabled: true },
    tags: { use: "sigstore" },
  });
  const signer = await openKmsSigner(ref, deps);
  const message = new TextEncoder().encode("signed by Azure Key Vault\n");
  const signature = await signer.sign(bytesReader(message));
  assert.equal(signature[0], 0x30);
  await verifySignature({
    publicKey: pub,
    hash: "sha256",
    signature,
    reader: bytesReader(message),
  });
  const sign = fake.requests.at(-1)!;
  assert.equal(sign.path, "/keys/cosign//sign?api-version=7.6");
  assert.equal((sign.body as { alg: string }).alg, "ES256");
});

Deno.test("azureKms() signs with ES384 and SHA-384 for a P-384 key", async () => {
  fake.createKey("p384", "P-384");
  const signer = await openKmsSigner(`azurekms://${fake.host}/p384`, deps);
  assert.equal(signer.hash, "sha384");
  const message = new TextEncoder().encode("p384\n");
  await verifySignature({
    publicKey: signer.publicKey,
    hash: "sha384",
    signature: await signer.sign(bytesReader(message)),
    reader: bytesReader(message),
  });
});

Deno.test("azureKms() fails with one coded line", async () => {
  const cases: [Record<string, string>, string, string, string][] = [
    [
      {},
      `azurekms://${fake.host}/cosign`,
      "KMS_CREDENTIALS_MISSING",
      "Cannot use Azure Key Vault: no credentials (set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET)",
    ],
    [
      { ...env, AZURE_CLIENT_SECRET: "wrong" },
      `azurekms://${fake.host}/cosign`,
      "KMS_CREDENTIALS_MISSING",
      "Cannot get an Azure access token: HTTP 401 invalid_client",
    ],
    [
      env,
      `azurekms://${fake.host}/missing`,
      "KEY_NOT_FOUND",
      "Cannot read Azure Key Vault key missing: KeyNotFound: A key with (name/id) missing was not found in this key vault.",
    ],
  ];
  for (const [e, ref, code, message] of cases) {
    await assert.rejects(
      () => azureKms(ref, { getEnv: (n) => e[n], fetch: fake.fetch }).publicKey(),
      { name: "KeyError", code, message },
      message,
    );
  }
});
