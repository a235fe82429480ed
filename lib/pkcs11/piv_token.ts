/**
 * A PIV token (a YubiKey) through Yubico's PKCS#11 module `libykcs11` — what cosign does with
 * piv-go for `--sk`/`--slot` and `cosign piv-tool`, here on top of the same PKCS#11 layer as
 * `pkcs11:` keys.
 *
 * ykcs11's conventions (yubico-piv-tool doc/YKCS11, ykcs11/token.c): PIV slots 9a, 9c, 9d, 9e are
 * objects with `CKA_ID` 1, 2, 3, 4 and the attestation key f9 is 25; the user logs in with the PIN,
 * the security officer with the management key in hex; `C_SetPIN` changes the PIN, or with
 * `puk:` prefixes the PUK or unblocks the PIN, or as SO the management key; `C_InitToken` with the
 * management key resets the PIV application; key attestation certificates are session objects
 * (`CKA_TOKEN` false) with the key's id.
 *
 * @module
 */
import { KeyError } from "../errors.ts";
import type { PublicKey } from "../keys/public_key.ts";
import { derOidEncode, OID } from "../asn1/der.ts";
import { type Attribute, CKA, CKM, CKO, ulong } from "./_ffi.ts";
import { loadPkcs11PublicKey, openPkcs11Signer, type Pkcs11Signer } from "./pkcs11_key.ts";
import { Pkcs11Module, type Pkcs11Session, type TokenInfo } from "./pkcs11_module.ts";

/** Where Debian's `ykcs11` package installs the module. */
export const YKCS11_MODULE = "/usr/lib/x86_64-linux-gnu/libykcs11.so";

/** The PIV slots cosign names (pkg/cosign/pivkey/util.go `SlotForName`). */
export type PivSlot = "authentication" | "signature" | "card-authentication" | "key-management";

/** ykcs11's `CKA_ID` of each slot's key, certificate and attestation (9a, 9c, 9d, 9e). */
export const PIV_KEY_ID: Readonly<Record<PivSlot, number>> = {
  authentication: 1,
  signature: 2,
  "key-management": 3,
  "card-authentication": 4,
};

/** ykcs11's `CKA_ID` of the attestation key's slot (f9), whose certificate is the device's. */
const ATTESTATION_KEY_ID = 25;

/** The default PIV management key (3DES, 24 bytes), PIN and PUK. */
export const PIV_DEFAULTS = {
  managementKey: "010203040506070801020304050607080102030405060708",
  pin: "123456",
  puk: "12345678",
} as const;

/** PIN and touch policies (`YKPIV_PINPOLICY_*`, `YKPIV_TOUCHPOLICY_*` in ykcs11's pkcs11y.h). */
export const PIV_PIN_POLICY = { default: 0, never: 1, once: 2, always: 3 } as const;
export const PIV_TOUCH_POLICY = { default: 0, never: 1, always: 2, cached: 3 } as const;

/** Vendor attributes `CKA_YUBICO_TOUCH_POLICY` and `CKA_YUBICO_PIN_POLICY`. */
const CKA_YUBICO_TOUCH_POLICY = 0x8000_0000 + 0x5955_4200 + 1;
const CKA_YUBICO_PIN_POLICY = 0x8000_0000 + 0x5955_4200 + 2;

/**
 * cosign's slot names; "" is the signature slot.
 *
 * @param name `--slot`
 * @returns the slot
 * @throws {TypeError} for another name
 */
export function pivSlot(name: string): PivSlot {
  if (name === "") return "signature";
  if (name in PIV_KEY_ID) return name as PivSlot;
  throw new TypeError(
    `Cannot use PIV slot "${name}": expected authentication, signature, card-authentication or key-management`,
  );
}

/** Yubico's default PIN policy per slot (pkg/cosign/pivkey/util.go). */
export const DEFAULT_PIN_POLICY: Readonly<Record<PivSlot, keyof typeof PIV_PIN_POLICY>> = {
  authentication: "once",
  signature: "always",
  "key-management": "once",
  "card-authentication": "never",
};

/** Yubico's default touch policy per slot. */
export const DEFAULT_TOUCH_POLICY: Readonly<Record<PivSlot, keyof typeof PIV_TOUCH_POLICY>> = {
  authentication: "cached",
  signature: "always",
  "key-management": "cached",
  "card-authentication": "never",
};

/** The PIN, from the caller or asked for. */
export interface PivPinOptions {
  pin?: string;
  /** Asked when `pin` is not given ("Enter PIN for security key: "). */
  promptPin?: (prompt: string) => Promise<string>;
}

/** The two certificates of a key attestation (DER). */
export interface PivAttestationCertificates {
  /** The device's attestation certificate (slot f9), issued by Yubico. */
  deviceCertificate: Uint8Array;
  /** The key's attestation certificate, issued by the device certificate's key. */
  keyCertificate: Uint8Array;
}

function noCard(module: string, detail?: string): KeyError {
  return new KeyError(
    "TOKEN_NOT_PRESENT",
    `Cannot open PIV token: no cards found${detail ? ` (${detail})` : ""}`,
    { cause: new Error(`no token in ${module}`) },
  );
}

/** A PIV token: the one card present in the module's slots. */
export class PivToken {
  readonly module: Pkcs11Module;
  /** The PKCS#11 slot the card is in. */
  readonly slot: number;
  readonly info: TokenInfo;

  private constructor(module: Pkcs11Module, slot: number, info: TokenInfo) {
    this.module = module;
    this.slot = slot;
    this.info = info;
  }

  /**
   * Opens the module and finds the one card in it, as cosign's `pivkey.GetKey` does.
   *
   * @param modulePath the PIV PKCS#11 module
   * @returns the token; close it when done
   * @throws {KeyError} `TOKEN_MODULE_UNAVAILABLE` (module missing), `TOKEN_NOT_PRESENT` "Cannot open
   *   PIV token: no cards found" (no reader, no card, or pcscd not running) or "found N cards, please
   *   attach only one"
   */
  static async open(modulePath: string = YKCS11_MODULE): Promise<PivToken> {
    const module = await Pkcs11Module.open(modulePath);
    try {
      let slots: number[];
      try {
        slots = module.slotList(true);
      } catch (e) {
        // ykcs11 answers CKR_DEVICE_ERROR when PC/SC lists no reader (or pcscd is not running).
        throw noCard(
          modulePath,
          `C_GetSlotList: ${(e as Error).message.replace(/^Cannot [^:]*: /, "")}`,
        );
      }
      const cards: { slot: number; info: TokenInfo }[] = [];
      for (const slot of slots) {
        try {
          const info = module.tokenInfo(slot);
          // CKF_TOKEN_INITIALIZED: SoftHSM2's spare slot holds an uninitialised token.
          if (info.flags & 0x400) cards.push({ slot, info });
        } catch { /* a card removed meanwhile */ }
      }
      if (cards.length === 0) throw noCard(modulePath);
      if (cards.length > 1) {
        throw new KeyError(
          "TOKEN_NOT_PRESENT",
          `Cannot open PIV token: found ${cards.length} cards, please attach only one`,
        );
      }
      return new PivToken(module, cards[0].slot, cards[0].info);
    } catch (e) {
      module.close();
      throw e;
    }
  }

  /**
   * A signer for the key in a PIV slot (cosign `--sk --slot`): SHA-256, then a raw signature by
   * the card; the slot's certificate, if any, comes along as `certificate`.
   *
   * @param slot the PIV slot
   * @param options the PIN, or a prompt for it (cosign always asks: "Enter PIN for security key: ")
   * @returns the signer; close it when done
   * @throws {KeyError} `TOKEN_LOGIN_FAILED`, `KEY_NOT_FOUND` (no key in the slot), `TOKEN_FAILED`
   */
  signer(slot: PivSlot, options: PivPinOptions = {}): Promise<Pkcs11Signer> {
    return openPkcs11Signer(
      { modulePath: this.module.path, slotId: this.slot, keyId: Uint8Array.of(PIV_KEY_ID[slot]) },
      { pin: options.pin, promptPin: options.promptPin, pinPrompt: "Enter PIN for security key: " },
    );
  }

  /**
   * The public key of a slot's key (cosign `verify --sk`), read without the PIN.
   *
   * @throws {KeyError} `KEY_NOT_FOUND` when the slot holds no key
   */
  publicKey(slot: PivSlot): Promise<PublicKey> {
    return loadPkcs11PublicKey({
      modulePath: this.module.path,
      slotId: this.slot,
      keyId: Uint8Array.of(PIV_KEY_ID[slot]),
    });
  }

  #session<T>(fn: (s: Pkcs11Session) => Promise<T>): Promise<T> {
    const s = this.module.openSession(this.slot, true);
    return fn(s).finally(() => s.close());
  }

  /**
   * Changes the PIN (`C_SetPIN`).
   *
   * @throws {KeyError} `TOKEN_LOGIN_FAILED` for a wrong old PIN (or a blocked one), else `TOKEN_FAILED`
   */
  setPin(oldPin: string, newPin: string): Promise<void> {
    return this.#session((s) => s.setPin(oldPin, newPin));
  }

  /**
   * Changes the PUK (ykcs11: `C_SetPIN` with `puk:` prefixes).
   *
   * @throws {KeyError} `TOKEN_LOGIN_FAILED` for a wrong old PUK, else `TOKEN_FAILED`
   */
  setPuk(oldPuk: string, newPuk: string): Promise<void> {
    return this.#session((s) => s.setPin(`puk:${oldPuk}`, `puk:${newPuk}`));
  }

  /**
   * Sets a new PIN with the PUK (ykcs11: `C_SetPIN("puk:…", "pin:…")`).
   *
   * @throws {KeyError} `TOKEN_LOGIN_FAILED` for a wrong PUK, else `TOKEN_FAILED`
   */
  unblock(puk: string, newPin: string): Promise<void> {
    return this.#session((s) => s.setPin(`puk:${puk}`, `pin:${newPin}`));
  }

  /**
   * Changes the management key: log in as SO with the old one, `C_SetPIN` the new one.
   *
   * @param oldKey the old key in hex
   * @param newKey the new key in hex
   * @throws {KeyError} `TOKEN_LOGIN_FAILED` for a wrong old key, else `TOKEN_FAILED`
   */
  setManagementKey(oldKey: string, newKey: string): Promise<void> {
    return this.#session(async (s) => {
      await s.login(oldKey, "so", "PIV token as security officer (management key)");
      try {
        await s.setPin(oldKey, newKey);
      } finally {
        s.logout();
      }
    });
  }

  /**
   * Generates an ECDSA P-256 key in a slot (cosign `piv-tool generate-key`), with its PIN and touch
   * policies; ykcs11 stores the public key in a certificate on the card.
   *
   * @param managementKey the management key in hex
   * @returns the new public key
   * @throws {KeyError} `TOKEN_LOGIN_FAILED` for a wrong management key, else `TOKEN_FAILED`
   */
  generateKey(
    managementKey: string,
    slot: PivSlot,
    pinPolicy: keyof typeof PIV_PIN_POLICY,
    touchPolicy: keyof typeof PIV_TOUCH_POLICY,
  ): Promise<PublicKey> {
    return this.#session(async (s) => {
      await s.login(managementKey, "so", "PIV token as security officer (management key)");
      try {
        const id: Attribute = { type: CKA.ID, value: Uint8Array.of(PIV_KEY_ID[slot]) };
        await s.generateKeyPair(
          CKM.EC_KEY_PAIR_GEN,
          [
            id,
            { type: CKA.EC_PARAMS, value: derOidEncode(OID.p256) },
            { type: CKA_YUBICO_PIN_POLICY, value: Uint8Array.of(PIV_PIN_POLICY[pinPolicy]) },
            { type: CKA_YUBICO_TOUCH_POLICY, value: Uint8Array.of(PIV_TOUCH_POLICY[touchPolicy]) },
          ],
          [id],
        );
        return await this.publicKey(slot);
      } finally {
        s.logout();
      }
    });
  }

  /**
   * Resets the PIV application to factory defaults (ykcs11: `C_InitToken` with the management
   * key, which blocks PIN and PUK, resets, and sets that management key again).
   *
   * @param managementKey the current management key in hex
   * @throws {KeyError} `TOKEN_LOGIN_FAILED` when the management key is wrong, else `TOKEN_FAILED`
   */
  async reset(managementKey: string): Promise<void> {
    await this.module.initToken(this.slot, managementKey, "");
  }

  /**
   * Reads a slot's key attestation: the device certificate (f9) and the key's attestation
   * certificate, which ykcs11 makes when it is read.
   *
   * @throws {KeyError} `KEY_NOT_FOUND` when the slot has no key (nothing to attest)
   */
  attestation(slot: PivSlot): Promise<PivAttestationCertificates> {
    return this.#session((s) => {
      const cert = (attrs: Attribute[], what: string) => {
        const [h] = s.findObjects(
          [{ type: CKA.CLASS, value: ulong(CKO.CERTIFICATE) }, ...attrs],
          1,
        );
        const value = h === undefined ? undefined : s.getAttributes(h, [CKA.VALUE])[0];
        if (!value) throw new KeyError("KEY_NOT_FOUND", `Cannot read PIV attestation: no ${what}`);
        return value;
      };
      return Promise.resolve({
        deviceCertificate: cert(
          [{ type: CKA.ID, value: Uint8Array.of(ATTESTATION_KEY_ID) }],
          "device attestation certificate (slot f9)",
        ),
        keyCertificate: cert(
          [
            { type: CKA.ID, value: Uint8Array.of(PIV_KEY_ID[slot]) },
            { type: CKA.TOKEN, value: Uint8Array.of(0) },
          ],
          `key attestation certificate for the ${slot} slot`,
        ),
      });
    });
  }

  /** Releases the module. */
  close(): void {
    this.module.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
