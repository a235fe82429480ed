/**
 * The PIV path on a SoftHSM2 token laid out as ykcs11 lays out a YubiKey (the signature slot's key
 * is `CKA_ID` 2 and needs a context-specific login, `CKA_ALWAYS_AUTHENTICATE`), and Yubico's real
 * `libykcs11` without a YubiKey: it must say so in one line.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  createSoftHsmToken,
  pkcs11Tool,
  SOFTHSM_MODULE,
  YKCS11_MODULE,
} from "../../tests/helpers/softhsm.ts";
import { marshalPublicKeyPem } from "../keys/public_key.ts";
import { loadSigner } from "../sign/load_signer.ts";
import { loadPublicKey } from "../verify/load_public_key.ts";
import { bytesReader } from "../stream.ts";
import { PIV_KEY_ID, pivSlot, PivToken } from "./piv_token.ts";

const token = await createSoftHsmToken({
  label: "YubiKey PIV #123",
  pin: "123456",
  keys: [{ label: "Private key for Digital Signature", id: "02", type: "EC:prime256v1" }],
});
Deno.env.set("SOFTHSM2_CONF", token.conf);
addEventListener("unload", () => Deno.removeSync(token.dir, { recursive: true }));
// ykcs11 asks for the PIN again for each signature with the signature slot's key (PIN policy
// "always"): recreate it with CKA_ALWAYS_AUTHENTICATE, as a YubiKey reports it.
await pkcs11Tool(token, ["--delete-object", "--type", "privkey", "--id", "02"]);
await pkcs11Tool(token, ["--delete-object", "--type", "pubkey", "--id", "02"]);
await pkcs11Tool(token, [
  "--keypairgen",
  "--key-type",
  "EC:prime256v1",
  "--label",
  "signature",
  "--id",
  "02",
  "--always-auth",
]);

async function opensslVerify(pem: string, message: Uint8Array, signature: Uint8Array) {
  const dir = await Deno.makeTempDir({ dir: token.dir });
  await Deno.writeTextFile(join(dir, "pub.pem"), pem);
  await Deno.writeFile(join(dir, "sig"), signature);
  await Deno.writeFile(join(dir, "msg"), message);
  const out = await new Deno.Command("openssl", {
    args: ["dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig", "msg"],
    cwd: dir,
  }).output();
  return out.success;
}

Deno.test("pivSlot() takes cosign's slot names; '' is the signature slot", () => {
  assert.equal(pivSlot(""), "signature");
  assert.equal(PIV_KEY_ID[pivSlot("authentication")], 1);
  assert.equal(PIV_KEY_ID[pivSlot("signature")], 2);
  assert.equal(PIV_KEY_ID[pivSlot("key-management")], 3);
  assert.equal(PIV_KEY_ID[pivSlot("card-authentication")], 4);
  assert.throws(() => pivSlot("9c"), {
    name: "TypeError",
    message:
      'Cannot use PIV slot "9c": expected authentication, signature, card-authentication or key-management',
  });
});

Deno.test("PivToken signs with the signature slot's key, logging in again for each signature", async () => {
  using piv = await PivToken.open(SOFTHSM_MODULE);
  assert.equal(piv.slot, token.slot);
  assert.equal(piv.info.label, "YubiKey PIV #123");
  const prompts: string[] = [];
  const signer = await piv.signer("signature", {
    promptPin: (p) => (prompts.push(p), Promise.resolve("123456")),
  });
  try {
    const message = new TextEncoder().encode("signed on a PIV slot\n");
    const pem = marshalPublicKeyPem(signer.publicKey);
    assert.ok(await opensslVerify(pem, message, await signer.sign(bytesReader(message))));
    assert.ok(await opensslVerify(pem, message, await signer.sign(bytesReader(message))));
    assert.deepEqual(prompts, ["Enter PIN for security key: "]);
    assert.equal(marshalPublicKeyPem(await piv.publicKey("signature")), pem);
  } finally {
    signer.close();
  }
  await assert.rejects(() => piv.signer("authentication", { pin: "123456" }), {
    name: "KeyError",
    code: "KEY_NOT_FOUND",
    message: "Cannot find key in PKCS#11 token 'YubiKey PIV #123': no private key with id=%01",
  });
  await assert.rejects(() => piv.signer("signature", { pin: "000000" }), {
    code: "TOKEN_LOGIN_FAILED",
    message: "Cannot log in to PKCS#11 token 'YubiKey PIV #123': CKR_PIN_INCORRECT",
  });
});

Deno.test("loadSigner('piv:…') and loadPublicKey('piv:…') use the PIV module (cosign --sk --slot)", async () => {
  const deps = {
    getEnv: () => undefined,
    getPassword: () => Promise.reject(new Error("no password for a token")),
    pkcs11: { pivModulePath: SOFTHSM_MODULE, promptPin: () => Promise.resolve("123456") },
  };
  const signer = await loadSigner("piv:signature", deps);
  (signer as unknown as { close(): void }).close();
  const pub = await loadPublicKey("piv:", deps);
  assert.deepEqual(pub.spki, signer.publicKey.spki);
});

Deno.test("PivToken.setPin() changes the PIN with C_SetPIN; a wrong old PIN is refused", async () => {
  using piv = await PivToken.open(SOFTHSM_MODULE);
  await assert.rejects(() => piv.setPin("999999", "654321"), {
    code: "TOKEN_LOGIN_FAILED",
    message: "Cannot change PIN: CKR_PIN_INCORRECT",
  });
  await piv.setPin("123456", "654321");
  (await piv.signer("signature", { pin: "654321" })).close();
  await piv.setPin("654321", "123456");
});

Deno.test("PivToken.open() wants exactly one card", async () => {
  const two = await createSoftHsmToken({ label: "first" });
  const init = await new Deno.Command("softhsm2-util", {
    args: ["--init-token", "--free", "--label", "second", "--pin", "1234", "--so-pin", "5678"],
    env: two.env,
  }).output();
  assert.ok(init.success);
  Deno.env.set("SOFTHSM2_CONF", two.conf);
  try {
    await assert.rejects(() => PivToken.open(SOFTHSM_MODULE), {
      name: "KeyError",
      code: "TOKEN_NOT_PRESENT",
      message: "Cannot open PIV token: found 2 cards, please attach only one",
    });
  } finally {
    Deno.env.set("SOFTHSM2_CONF", token.conf);
    await two.remove();
  }
});

Deno.test("PivToken.open() with Yubico's libykcs11 and no YubiKey says there is no card", async () => {
  await assert.rejects(() => PivToken.open(YKCS11_MODULE), (e: Error & { code?: string }) => {
    assert.equal(e.name, "KeyError");
    assert.equal(e.code, "TOKEN_NOT_PRESENT");
    // ykcs11 reports CKR_DEVICE_ERROR when PC/SC lists no reader; with a reader and no key it
    // lists no slot.
    assert.match(
      e.message,
      /^Cannot open PIV token: no cards found( \(C_GetSlotList: CKR_\w+\))?$/,
    );
    return true;
  });
});
