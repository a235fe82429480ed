/**
 * Token keys on a real SoftHSM2 token, made by `softhsm2-util` and OpenSC's `pkcs11-tool`:
 * signatures checked by `openssl dgst -verify`, public keys compared with what `pkcs11-tool`
 * exports, every PIN source, and the failures (wrong PIN, missing object, token or module) as
 * coded errors.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  createSoftHsmToken,
  pkcs11Tool,
  readEcPointWithPkcs11Tool,
  readPublicKeyWithPkcs11Tool,
  SOFTHSM_MODULE,
} from "../../tests/helpers/softhsm.ts";
import { marshalPublicKeyPem, parsePublicKeyDer } from "../keys/public_key.ts";
import { bytesReader } from "../stream.ts";
import { loadPkcs11PublicKey, openPkcs11Signer } from "./pkcs11_key.ts";
import { listPkcs11KeyUris } from "./list_pkcs11_key_uris.ts";
import { listPkcs11Tokens } from "./list_pkcs11_tokens.ts";
import { parsePkcs11Uri } from "./pkcs11_uri.ts";

const token = await createSoftHsmToken({
  keys: [
    { label: "k1", id: "01", type: "EC:prime256v1" },
    { label: "k384", id: "02", type: "EC:secp384r1" },
    { label: "r1", id: "03", type: "rsa:2048" },
  ],
});
// SoftHSM2 reads SOFTHSM2_CONF when the module is initialised, in this process.
Deno.env.set("SOFTHSM2_CONF", token.conf);
addEventListener("unload", () => Deno.removeSync(token.dir, { recursive: true }));

const uri = (path: string, query = "&pin-value=1234") =>
  parsePkcs11Uri(`pkcs11:${path}?module-path=${SOFTHSM_MODULE}${query}`);

const message = new TextEncoder().encode("a message signed on the token\n");

async function opensslVerify(pem: string, signature: Uint8Array): Promise<boolean> {
  const dir = await Deno.makeTempDir({ dir: token.dir });
  await Deno.writeTextFile(join(dir, "pub.pem"), pem);
  await Deno.writeFile(join(dir, "sig"), signature);
  await Deno.writeFile(join(dir, "msg"), message);
  const out = await new Deno.Command("openssl", {
    args: ["dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig", "msg"],
    cwd: dir,
  }).output();
  return out.success && new TextDecoder().decode(out.stdout).trim() === "Verified OK";
}

/** The key as pkcs11-tool exports it (SPKI), or for P-384 as it lists it (the point). */
async function referenceSpki(id: string, curve?: string): Promise<Uint8Array> {
  if (curve !== "P-384") {
    return parsePublicKeyDer(await readPublicKeyWithPkcs11Tool(token, id)).spki;
  }
  const point = await readEcPointWithPkcs11Tool(token, id);
  // SEQUENCE { SEQUENCE { id-ecPublicKey, secp384r1 }, BIT STRING point }
  const prefix = Uint8Array.fromHex("3076301006072a8648ce3d020106052b81040022036200");
  const spki = new Uint8Array(prefix.length + point.length);
  spki.set(prefix);
  spki.set(point, prefix.length);
  return spki;
}

for (
  const [label, id, kind, size] of [
    ["k1", "01", "ecdsa", "P-256"],
    ["k384", "02", "ecdsa", "P-384"],
    ["r1", "03", "rsa", 2048],
  ] as const
) {
  Deno.test(`openPkcs11Signer() signs with the ${kind} ${size} token key; openssl verifies (SHA-256)`, async () => {
    const signer = await openPkcs11Signer(uri(`token=test;object=${label}`));
    try {
      assert.equal(signer.hash, "sha256");
      assert.equal(signer.publicKey.kind, kind);
      assert.equal(signer.publicKey.curve ?? signer.publicKey.bits, size);
      assert.deepEqual(signer.publicKey.spki, await referenceSpki(id, signer.publicKey.curve));
      const sig = await signer.sign(bytesReader(message));
      if (kind === "ecdsa") assert.equal(sig[0], 0x30, "ECDSA signatures are DER");
      else assert.equal(sig.length, 256);
      assert.ok(await opensslVerify(marshalPublicKeyPem(signer.publicKey), sig));
      // A second signature with the same session.
      assert.ok(
        await opensslVerify(
          marshalPublicKeyPem(signer.publicKey),
          await signer.sign(bytesReader(message)),
        ),
      );
      assert.equal(signer.certificate, undefined);
    } finally {
      signer.close();
    }
  });

  Deno.test(`loadPkcs11PublicKey() reads the ${kind} ${size} public key without a PIN`, async () => {
    const key = await loadPkcs11PublicKey(uri(`token=test;id=%${id}`, ""));
    assert.deepEqual(key.spki, await referenceSpki(id, key.curve));
  });
}

Deno.test("openPkcs11Signer() selects by slot-id and by id; the id wins over the object label", async () => {
  for (
    const path of [
      `slot-id=${token.slot};object=r1`,
      `token=test;id=%03`,
      `token=test;id=%03;object=k1`,
      `token=wrong;slot-id=${token.slot};id=%03`,
    ]
  ) {
    const s = await openPkcs11Signer(uri(path));
    s.close();
    assert.equal(s.publicKey.kind, "rsa", path);
  }
});

Deno.test("openPkcs11Signer() takes the PIN from pin-value, COSIGN_PKCS11_PIN, pin-source, or the prompt", async () => {
  const pinFile = join(token.dir, "pin.txt");
  await Deno.writeTextFile(pinFile, "1234\n");
  const prompts: string[] = [];
  const cases = [
    { u: uri("token=test;object=k1"), options: { pin: "0000" } },
    { u: uri("token=test;object=k1", ""), options: { pin: "1234" } },
    { u: uri("token=test;object=k1", `&pin-source=file:${pinFile}`), options: {} },
    { u: uri("token=test;object=k1", `&pin-source=${pinFile}`), options: {} },
    {
      u: uri("token=test;object=k1", ""),
      options: { promptPin: (p: string) => (prompts.push(p), Promise.resolve("1234")) },
    },
  ];
  for (const { u, options } of cases) (await openPkcs11Signer(u, options)).close();
  assert.deepEqual(prompts, ["Enter PIN for key 'k1' in PKCS11 token 'test': "]);
});

Deno.test("openPkcs11Signer() and loadPkcs11PublicKey() fail with one coded line each", async () => {
  const cases: [() => Promise<unknown>, string, string][] = [
    [
      () => openPkcs11Signer(uri("token=test;object=k1", "&pin-value=9999")),
      "TOKEN_LOGIN_FAILED",
      "Cannot log in to PKCS#11 token 'test': CKR_PIN_INCORRECT",
    ],
    [
      () => openPkcs11Signer(uri("token=test;object=k1", "")),
      "TOKEN_LOGIN_FAILED",
      "Cannot log in to PKCS#11 token 'test': no PIN given (pin-value in the URI or COSIGN_PKCS11_PIN)",
    ],
    [
      () => openPkcs11Signer(uri("token=test;object=nope")),
      "KEY_NOT_FOUND",
      "Cannot find key in PKCS#11 token 'test': no private key with label 'nope'",
    ],
    [
      () => openPkcs11Signer(uri("token=test;id=%7f")),
      "KEY_NOT_FOUND",
      "Cannot find key in PKCS#11 token 'test': no private key with id=%7f",
    ],
    [
      () => loadPkcs11PublicKey(uri("token=test;object=nope", "")),
      "KEY_NOT_FOUND",
      "Cannot find key in PKCS#11 token 'test': no public key or certificate with label 'nope'",
    ],
    [
      () => openPkcs11Signer(uri("token=other;object=k1")),
      "TOKEN_NOT_PRESENT",
      "Cannot open PKCS#11 token: could not find a slot for the token 'other'",
    ],
    [
      () => openPkcs11Signer(uri("slot-id=7;object=k1")),
      "TOKEN_NOT_PRESENT",
      `Cannot open PKCS#11 token: no token in slot 7 of module ${SOFTHSM_MODULE}`,
    ],
    [
      () =>
        openPkcs11Signer(
          parsePkcs11Uri("pkcs11:token=test;object=k1?module-path=/nonexistent/libp11.so"),
        ),
      "TOKEN_MODULE_UNAVAILABLE",
      "Cannot load PKCS#11 module /nonexistent/libp11.so: no such file",
    ],
    [
      () =>
        loadPkcs11PublicKey(
          parsePkcs11Uri("pkcs11:token=test;object=k1?module-path=libsofthsm2.so"),
        ),
      "TOKEN_MODULE_UNAVAILABLE",
      "Cannot load PKCS#11 module libsofthsm2.so: not an absolute path",
    ],
    [
      () =>
        openPkcs11Signer(parsePkcs11Uri(`pkcs11:token=test;object=k1?module-path=${token.conf}`)),
      "TOKEN_MODULE_UNAVAILABLE",
      `Cannot load PKCS#11 module ${token.conf}: ${token.conf}: invalid ELF header`,
    ],
    [
      () =>
        openPkcs11Signer(parsePkcs11Uri(`pkcs11:token=test;object=k1?module-path=${token.dir}`)),
      "TOKEN_MODULE_UNAVAILABLE",
      `Cannot load PKCS#11 module ${token.dir}: not a regular file`,
    ],
  ];
  for (const [fn, code, message] of cases) {
    await assert.rejects(fn, { name: "KeyError", code, message }, message);
  }
});

async function writeCertificate(
  id: string,
  label: string,
  publicKeyDer: Uint8Array,
): Promise<Uint8Array> {
  // A certificate for the token's public key, issued by a throw-away CA (openssl -force_pubkey).
  const dir = await Deno.makeTempDir({ dir: token.dir });
  await Deno.writeFile(join(dir, "pub.der"), publicKeyDer);
  for (
    const args of [
      ["pkey", "-pubin", "-inform", "DER", "-in", "pub.der", "-out", "pub.pem"],
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-subj",
        "/CN=ca",
        "-out",
        "ca.pem",
      ],
      ["req", "-new", "-key", "ca.key", "-subj", "/CN=token key", "-out", "leaf.csr"],
      [
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-force_pubkey",
        "pub.pem",
        "-outform",
        "DER",
        "-out",
        "leaf.der",
      ],
    ]
  ) {
    const out = await new Deno.Command("openssl", { args, cwd: dir, stderr: "piped" }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
  }
  await pkcs11Tool(token, [
    "--write-object",
    join(dir, "leaf.der"),
    "--type",
    "cert",
    "--id",
    id,
    "--label",
    label,
  ]);
  return await Deno.readFile(join(dir, "leaf.der"));
}

Deno.test("openPkcs11Signer() returns the key's certificate, refuses one of another key, and skips it on request", async () => {
  const k1 = await readPublicKeyWithPkcs11Tool(token, "01");
  const cert = await writeCertificate("01", "k1", k1);
  const signer = await openPkcs11Signer(uri("token=test;id=%01"));
  signer.close();
  assert.deepEqual(signer.certificate, cert);

  // id 02 gets a certificate of k1's key: cosign's "pkcs11 key and certificate do not match".
  await writeCertificate("02", "k384", k1);
  await assert.rejects(() => openPkcs11Signer(uri("token=test;id=%02")), {
    name: "KeyError",
    code: "KEY_INVALID",
    message: "Cannot use PKCS#11 key: pkcs11 key and certificate do not match",
  });
  const ignoring = await openPkcs11Signer(uri("token=test;id=%02"), { ignoreCertificate: true });
  ignoring.close();
  assert.equal(ignoring.certificate, undefined);
  assert.equal(ignoring.publicKey.curve, "P-384");
});

Deno.test("listPkcs11Tokens() lists the SoftHSM2 tokens as cosign's GetTokens does", async () => {
  const tokens = await listPkcs11Tokens(SOFTHSM_MODULE);
  // The initialised token, then SoftHSM2's free slot 1 with an uninitialised token.
  assert.equal(tokens.length, 2);
  assert.deepEqual(
    { slot: tokens[1].slot, label: tokens[1].info.label, serial: tokens[1].info.serialNumber },
    { slot: 1, label: "", serial: "" },
  );
  assert.equal(tokens[0].slot, token.slot);
  assert.equal(tokens[0].info.label, "test");
  assert.equal(tokens[0].info.manufacturerId, "SoftHSM project");
  assert.equal(tokens[0].info.model, "SoftHSM v2");
  assert.match(tokens[0].info.serialNumber, /^[0-9a-f]{16}$/);
  assert.equal(tokens[0].info.loginRequired, true);
});

Deno.test("listPkcs11KeyUris() lists each private key with a URI that opens it", async () => {
  const keys = await listPkcs11KeyUris(SOFTHSM_MODULE, token.slot, { pin: "1234" });
  const byLabel = new Map(keys.map((k) => [new TextDecoder().decode(k.label), k]));
  assert.deepEqual([...byLabel.keys()].sort(), ["k1", "k384", "r1"]);
  const k1 = byLabel.get("k1")!;
  assert.deepEqual(k1.id, Uint8Array.of(1));
  assert.equal(
    k1.uri,
    `pkcs11:token=test;slot-id=${token.slot};id=%01;object=k1?module-path=${SOFTHSM_MODULE}&pin-value=1234`,
  );
  const signer = await openPkcs11Signer(parsePkcs11Uri(k1.uri));
  signer.close();
  assert.equal(signer.publicKey.curve, "P-256");
  await assert.rejects(() => listPkcs11KeyUris(SOFTHSM_MODULE, token.slot, { pin: "0000" }), {
    code: "TOKEN_LOGIN_FAILED",
    message: "Cannot log in to PKCS#11 token 'test': CKR_PIN_INCORRECT",
  });
  await assert.rejects(() => listPkcs11KeyUris(SOFTHSM_MODULE, 7, { pin: "1234" }), {
    code: "TOKEN_NOT_PRESENT",
    message: "Cannot get token info: CKR_SLOT_ID_INVALID",
  });
});
