/**
 * hashivaultKms() against the transit API fake (tests/helpers/fake_vault.ts; Vault itself cannot
 * be built here): the requests sigstore's Vault provider makes, signatures verified here, the
 * token sources, and the errors.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeVault } from "../../tests/helpers/fake_vault.ts";
import { verifySignature } from "../signature/verify_signature.ts";
import { bytesReader } from "../stream.ts";
import { hashivaultKms, parseHashivaultUri } from "./hashivault_kms.ts";
import { openKmsSigner } from "./kms_signer.ts";

const vault = startFakeVault({ mount: "signing" });
addEventListener("unload", () => void vault.stop());
const env: Record<string, string> = {
  VAULT_ADDR: vault.address,
  VAULT_TOKEN: vault.token,
  TRANSIT_SECRET_ENGINE_PATH: "signing",
};
const getEnv = (name: string) => env[name];

Deno.test("parseHashivaultUri() accepts sigstore's key names only", () => {
  assert.equal(parseHashivaultUri("hashivault://cosign"), "cosign");
  assert.equal(parseHashivaultUri("hashivault://my-key.v2"), "my-key.v2");
  assert.equal(parseHashivaultUri("hashivault://k"), "k");
  for (const bad of ["hashivault://", "hashivault://a/b", "hashivault://-a", "hashivault://a-"]) {
    assert.throws(() => parseHashivaultUri(bad), {
      name: "TypeError",
      message:
        "Cannot parse Vault URI: kms specification should be in the format hashivault://<key>",
    }, bad);
  }
});

Deno.test("hashivaultKms() creates an ecdsa-p256 key and signs SHA-256 digests as sigstore does", async () => {
  const before = vault.requests.length;
  const key = hashivaultKms("hashivault://cosign", { getEnv });
  const pub = await key.createKey();
  assert.equal(pub.curve, "P-256");
  assert.equal(await key.hash(), "sha256");
  const signer = await openKmsSigner("hashivault://cosign", { getEnv });
  const message = new TextEncoder().encode("signed by Vault transit\n");
  const signature = await signer.sign(bytesReader(message));
  await verifySignature({
    publicKey: pub,
    hash: "sha256",
    signature,
    reader: bytesReader(message),
  });
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", message));
  assert.deepEqual(vault.requests.slice(before), [
    {
      method: "PUT",
      path: "/v1/signing/keys/cosign",
      token: vault.token,
      body: { type: "ecdsa-p256" },
    },
    { method: "GET", path: "/v1/signing/keys/cosign", token: vault.token, body: {} },
    { method: "GET", path: "/v1/signing/keys/cosign", token: vault.token, body: {} },
    {
      method: "PUT",
      path: "/v1/signing/sign/cosign/sha2-256",
      token: vault.token,
      body: {
        input: digest.toBase64(),
        prehashed: true,
        key_version: "0",
        signature_algorithm: "pkcs1v15",
      },
    },
  ]);
});

Deno.test("hashivaultKms() reads the token from ~/.vault-token when VAULT_TOKEN is unset", async () => {
  const home = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(home, ".vault-token"), `${vault.token}\n`);
    const e: Record<string, string> = { ...env, HOME: home };
    delete e.VAULT_TOKEN;
    assert.equal(
      (await hashivaultKms("hashivault://cosign", { getEnv: (n) => e[n] }).publicKey()).curve,
      "P-256",
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("hashivaultKms() fails with one coded line", async () => {
  const empty = await Deno.makeTempDir();
  const cases: [Record<string, string>, string, string, string][] = [
    [
      {},
      "hashivault://cosign",
      "KMS_CREDENTIALS_MISSING",
      "Cannot use Vault: VAULT_ADDR is not set",
    ],
    [
      { VAULT_ADDR: vault.address, HOME: empty },
      "hashivault://cosign",
      "KMS_CREDENTIALS_MISSING",
      "Cannot use Vault: no Vault token found in VAULT_TOKEN or ~/.vault-token",
    ],
    [
      { ...env, VAULT_TOKEN: "wrong" },
      "hashivault://cosign",
      "KMS_REQUEST_FAILED",
      "Cannot read Vault transit key cosign: HTTP 403 permission denied",
    ],
    [
      env,
      "hashivault://missing",
      "KEY_NOT_FOUND",
      "Cannot read Vault transit key missing: HTTP 404",
    ],
    [
      { ...env, TRANSIT_SECRET_ENGINE_PATH: "transit" },
      "hashivault://cosign",
      "KEY_NOT_FOUND",
      'Cannot read Vault transit key cosign: HTTP 404 no handler for route "transit/keys/cosign". route entry not found.',
    ],
  ];
  try {
    for (const [e, ref, code, message] of cases) {
      await assert.rejects(() => hashivaultKms(ref, { getEnv: (n) => e[n] }).publicKey(), {
        name: "KeyError",
        code,
        message,
      }, message);
    }
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});
