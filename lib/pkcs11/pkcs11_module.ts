/**
 * A PKCS#11 module loaded through Deno FFI, with the few Cryptoki calls cosign makes (slots,
 * token information, sessions, login, object search, attributes, signing) and those `piv-tool`
 * needs (key generation, PINs, objects). Needs `--allow-ffi`.
 *
 * A module is loaded and `C_Initialize`d once per process and path; {@link Pkcs11Module.close}
 * counts down, and the last one calls `C_Finalize` and unloads the library, so modules that read
 * their configuration at initialisation (SoftHSM2's `SOFTHSM2_CONF`) see it afresh next time.
 *
 * @module
 */
import { KeyError } from "../errors.ts";
import {
  type Attribute,
  CKF,
  CKR,
  ckrName,
  CKU,
  Cryptoki,
  mechanism,
  paddedString,
  readUlong,
  rv,
  template,
} from "./_ffi.ts";

export type { Attribute } from "./_ffi.ts";
export { CKA, CKK, CKM, CKO, CKU } from "./_ffi.ts";

/** A token's description (`CK_TOKEN_INFO`), blank padding trimmed. */
export interface TokenInfo {
  label: string;
  manufacturerId: string;
  model: string;
  serialNumber: string;
  /** `CKF_*` token flags. */
  flags: number;
  /** `CKF_LOGIN_REQUIRED`: private objects need a user login. */
  loginRequired: boolean;
  minPinLength: number;
  maxPinLength: number;
}

/** Which user logs in (`CKU_*`). */
export type UserType = "user" | "so" | "context-specific";

const USER_TYPES: Record<UserType, number> = {
  user: CKU.USER,
  so: CKU.SO,
  "context-specific": CKU.CONTEXT_SPECIFIC,
};

/**
 * The error for a failed Cryptoki call: login failures are `TOKEN_LOGIN_FAILED`, a missing token
 * or slot `TOKEN_NOT_PRESENT`, anything else `TOKEN_FAILED`.
 *
 * @param step what failed, e.g. "log in to PKCS#11 token 'test'"
 * @param value the `CK_RV`
 * @returns the error, message "Cannot <step>: CKR_…"
 */
export function pkcs11Error(step: string, value: number): KeyError {
  const name = ckrName(value);
  const code = value >= CKR.PIN_INCORRECT && value <= CKR.PIN_LOCKED
    ? "TOKEN_LOGIN_FAILED"
    : value === CKR.TOKEN_NOT_PRESENT || value === CKR.TOKEN_NOT_RECOGNIZED ||
        value === CKR.SLOT_ID_INVALID
    ? "TOKEN_NOT_PRESENT"
    : "TOKEN_FAILED";
  return new KeyError(code, `Cannot ${step}: ${name}`, {
    cause: new Error(`pkcs11: 0x${value.toString(16).toUpperCase()}: ${name}`),
  });
}

function check(step: string, result: number | bigint): void {
  const value = rv(result);
  if (value !== CKR.OK) throw pkcs11Error(step, value);
}

interface Loaded {
  cryptoki: Cryptoki;
  refs: number;
  /** False when someone else in this process had initialised the module already. */
  finalize: boolean;
}

const loaded = new Map<string, Loaded>();

const encoder = new TextEncoder();

/** A PKCS#11 module, open until {@link Pkcs11Module.close}. */
export class Pkcs11Module {
  /** The module's path, as given. */
  readonly path: string;
  #loaded: Loaded | undefined;

  private constructor(path: string, l: Loaded) {
    this.path = path;
    this.#loaded = l;
  }

  /**
   * Loads and initialises a PKCS#11 module (or shares the one already loaded from `path`).
   *
   * @param path the absolute path of the module, as cosign requires
   * @returns the open module
   * @throws {KeyError} `TOKEN_MODULE_UNAVAILABLE` "Cannot load PKCS#11 module <path>: …" when the path
   *   is relative, missing or no regular file, FFI is not permitted, the library does not load or
   *   is no PKCS#11 module, or `C_Initialize` fails
   */
  static async open(path: string): Promise<Pkcs11Module> {
    const fail = (detail: string, cause?: unknown) =>
      new KeyError("TOKEN_MODULE_UNAVAILABLE", `Cannot load PKCS#11 module ${path}: ${detail}`, {
        cause,
      });
    if (!path.startsWith("/")) throw fail("not an absolute path");
    const existing = loaded.get(path);
    if (existing) {
      existing.refs++;
      return new Pkcs11Module(path, existing);
    }
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) throw fail("no such file", e);
      throw fail((e as Error).message, e);
    }
    if (!info.isFile) throw fail("not a regular file");
    let cryptoki: Cryptoki;
    try {
      cryptoki = Cryptoki.open(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
        throw fail("FFI is not permitted (run deno with --allow-ffi)", e);
      }
      const detail = (e as Error).message.split("\n")[0].replaceAll("Could not open library: ", "");
      throw fail(detail, e);
    }
    // CK_C_INITIALIZE_ARGS: no mutex callbacks, CKF_OS_LOCKING_OK, because slow calls (login,
    // signing) run on another thread than the rest.
    const args = new Uint8Array(48);
    new DataView(args.buffer).setBigUint64(32, BigInt(CKF.OS_LOCKING_OK), true);
    const r = rv(cryptoki.fns.C_Initialize.call(args));
    if (r !== CKR.OK && r !== CKR.CRYPTOKI_ALREADY_INITIALIZED) {
      cryptoki.close();
      throw fail(`C_Initialize returned ${ckrName(r)}`);
    }
    const l: Loaded = { cryptoki, refs: 1, finalize: r === CKR.OK };
    loaded.set(path, l);
    return new Pkcs11Module(path, l);
  }

  get #fns() {
    if (!this.#loaded) throw new TypeError(`PKCS#11 module ${this.path} is closed`);
    return this.#loaded.cryptoki.fns;
  }

  /**
   * Lists slot IDs (`C_GetSlotList`).
   *
   * @param tokenPresent only slots with a token in them
   * @returns the slot IDs
   * @throws {KeyError} `TOKEN_FAILED`
   */
  slotList(tokenPresent = true): number[] {
    const count = new BigUint64Array(1);
    const countBytes = new Uint8Array(count.buffer);
    for (let attempt = 0; attempt < 4; attempt++) {
      check("get slot list", this.#fns.C_GetSlotList.call(tokenPresent ? 1 : 0, null, countBytes));
      if (count[0] > 4096n) throw new RangeError(`PKCS#11 module reports ${count[0]} slots`);
      const slots = new BigUint64Array(Math.max(Number(count[0]), 1));
      const r = rv(
        this.#fns.C_GetSlotList.call(
          tokenPresent ? 1 : 0,
          new Uint8Array(slots.buffer),
          countBytes,
        ),
      );
      if (r === CKR.BUFFER_TOO_SMALL) continue; // a token arrived between the two calls
      check("get slot list", r);
      return [...slots.subarray(0, Number(count[0]))].map(Number);
    }
    throw pkcs11Error("get slot list", CKR.BUFFER_TOO_SMALL);
  }

  /**
   * Describes the token in a slot (`C_GetTokenInfo`).
   *
   * @param slot the slot ID
   * @returns the token information
   * @throws {KeyError} `TOKEN_NOT_PRESENT` for an unknown slot or an empty one, else `TOKEN_FAILED`
   */
  tokenInfo(slot: number): TokenInfo {
    // CK_TOKEN_INFO: four text fields (96 bytes), eleven CK_ULONGs, two CK_VERSIONs, 16 bytes of
    // time: 208 bytes with padding on LP64.
    const b = new Uint8Array(256);
    check("get token info", this.#fns.C_GetTokenInfo.call(BigInt(slot), b));
    const v = new DataView(b.buffer);
    const flags = Number(v.getBigUint64(96, true));
    return {
      label: paddedString(b.subarray(0, 32)),
      manufacturerId: paddedString(b.subarray(32, 64)),
      model: paddedString(b.subarray(64, 80)),
      serialNumber: paddedString(b.subarray(80, 96)),
      flags,
      loginRequired: (flags & CKF.LOGIN_REQUIRED) !== 0,
      maxPinLength: Number(v.getBigUint64(96 + 8 * 5, true)),
      minPinLength: Number(v.getBigUint64(96 + 8 * 6, true)),
    };
  }

  /**
   * Initialises (erases) the token in a slot (`C_InitToken`).
   *
   * @param slot the slot ID
   * @param soPin the security officer PIN
   * @param label the new token label (at most 32 bytes)
   * @throws {KeyError} `TOKEN_LOGIN_FAILED` for a wrong SO PIN, else `TOKEN_FAILED`
   */
  async initToken(slot: number, soPin: string, label: string): Promise<void> {
    const l = new Uint8Array(32).fill(0x20);
    const bytes = encoder.encode(label);
    if (bytes.length > 32) {
      throw new RangeError("Cannot initialise token: label longer than 32 bytes");
    }
    l.set(bytes);
    const pin = encoder.encode(soPin);
    try {
      check(
        "initialise token",
        await this.#fns.C_InitToken.call(BigInt(slot), pin, BigInt(pin.length), l),
      );
    } finally {
      pin.fill(0);
    }
  }

  /**
   * Opens a session with the token in a slot (`C_OpenSession`).
   *
   * @param slot the slot ID
   * @param readWrite a read/write session (to create or change objects)
   * @returns the session
   * @throws {KeyError} `TOKEN_NOT_PRESENT` or `TOKEN_FAILED`
   */
  openSession(slot: number, readWrite = false): Pkcs11Session {
    const handle = new BigUint64Array(1);
    const flags = CKF.SERIAL_SESSION | (readWrite ? CKF.RW_SESSION : 0);
    check(
      "open session",
      this.#fns.C_OpenSession.call(
        BigInt(slot),
        BigInt(flags),
        null,
        null,
        new Uint8Array(handle.buffer),
      ),
    );
    return new Pkcs11Session(this.#loaded!.cryptoki, handle[0]);
  }

  /** Releases this handle; the last one finalises and unloads the module. */
  close(): void {
    const l = this.#loaded;
    if (!l) return;
    this.#loaded = undefined;
    if (--l.refs > 0) return;
    loaded.delete(this.path);
    if (l.finalize) l.cryptoki.fns.C_Finalize.call(null);
    l.cryptoki.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** The largest number of objects one search returns (bounds untrusted module output). */
export const MAX_OBJECTS = 1024;

/** The largest attribute value read (certificates, RSA moduli). */
export const MAX_ATTRIBUTE_BYTES = 64 * 1024;

/** A session with a token, open until {@link Pkcs11Session.close}. */
export class Pkcs11Session {
  readonly #cryptoki: Cryptoki;
  readonly #handle: bigint;
  #open = true;

  /** @internal created by {@link Pkcs11Module.openSession} */
  constructor(cryptoki: Cryptoki, handle: bigint) {
    this.#cryptoki = cryptoki;
    this.#handle = handle;
  }

  get #fns() {
    if (!this.#open) throw new TypeError("PKCS#11 session is closed");
    return this.#cryptoki.fns;
  }

  /**
   * Logs in (`C_Login`). "Already logged in" counts as success.
   *
   * @param pin the PIN
   * @param user which user
   * @param what names the token in the error message
   * @throws {KeyError} `TOKEN_LOGIN_FAILED` "Cannot log in to <what>: CKR_PIN_INCORRECT" (or
   *   `CKR_PIN_LOCKED` …), else `TOKEN_FAILED`
   */
  async login(pin: string, user: UserType = "user", what = "PKCS#11 token"): Promise<void> {
    const bytes = encoder.encode(pin);
    try {
      const r = rv(
        await this.#fns.C_Login.call(
          this.#handle,
          BigInt(USER_TYPES[user]),
          bytes,
          BigInt(bytes.length),
        ),
      );
      if (r !== CKR.USER_ALREADY_LOGGED_IN) check(`log in to ${what}`, r);
    } finally {
      bytes.fill(0);
    }
  }

  /** Logs out (`C_Logout`), ignoring failures. */
  logout(): void {
    this.#fns.C_Logout.call(this.#handle);
  }

  /**
   * Finds objects matching a template (`C_FindObjectsInit`, `C_FindObjects`, `C_FindObjectsFinal`).
   *
   * @param attrs the attributes to match
   * @param max stop after this many (at most {@link MAX_OBJECTS})
   * @returns the object handles
   * @throws {KeyError} `TOKEN_FAILED`
   */
  findObjects(attrs: readonly Attribute[], max = MAX_OBJECTS): bigint[] {
    const t = template(attrs);
    check(
      "find objects",
      this.#fns.C_FindObjectsInit.call(this.#handle, t.bytes, BigInt(attrs.length)),
    );
    const found: bigint[] = [];
    try {
      const batch = new BigUint64Array(32);
      const count = new BigUint64Array(1);
      while (found.length < Math.min(max, MAX_OBJECTS)) {
        check(
          "find objects",
          this.#fns.C_FindObjects.call(
            this.#handle,
            new Uint8Array(batch.buffer),
            BigInt(batch.length),
            new Uint8Array(count.buffer),
          ),
        );
        const n = Math.min(Number(count[0]), batch.length);
        if (n === 0) break;
        found.push(...batch.subarray(0, n));
      }
    } finally {
      this.#fns.C_FindObjectsFinal.call(this.#handle);
    }
    return found.slice(0, max);
  }

  /**
   * Reads attributes of an object (`C_GetAttributeValue`, twice: lengths, then values).
   *
   * @param object the object handle
   * @param types the attribute types
   * @returns each value, `undefined` where the attribute is absent or sensitive
   * @throws {KeyError} `TOKEN_FAILED`; {@link RangeError} for a value over 64 KiB
   */
  getAttributes(object: bigint, types: readonly number[]): (Uint8Array | undefined)[] {
    const ask = template(types.map((type) => ({ type })));
    const tolerated = (r: number) =>
      r === CKR.OK || r === CKR.ATTRIBUTE_SENSITIVE || r === CKR.ATTRIBUTE_TYPE_INVALID;
    let r = rv(
      this.#fns.C_GetAttributeValue.call(this.#handle, object, ask.bytes, BigInt(types.length)),
    );
    if (!tolerated(r)) check("read object attributes", r);
    const view = new DataView(ask.bytes.buffer);
    const lengths = types.map((_, i) => view.getBigUint64(i * 24 + 16, true));
    const values = lengths.map((len) => {
      if (len === 0xffff_ffff_ffff_ffffn) return undefined;
      if (len > BigInt(MAX_ATTRIBUTE_BYTES)) {
        throw new RangeError(`PKCS#11 attribute is larger than ${MAX_ATTRIBUTE_BYTES} bytes`);
      }
      return new Uint8Array(Number(len));
    });
    const read = template(types.map((type, i) => ({ type, value: values[i] })));
    // Zero-length values are passed with a NULL pointer, which asks for the length again: fine.
    r = rv(
      this.#fns.C_GetAttributeValue.call(this.#handle, object, read.bytes, BigInt(types.length)),
    );
    if (!tolerated(r)) check("read object attributes", r);
    const back = new DataView(read.bytes.buffer);
    return values.map((v, i) => {
      const len = back.getBigUint64(i * 24 + 16, true);
      if (!v || len === 0xffff_ffff_ffff_ffffn) return undefined;
      return v.subarray(0, Number(len));
    });
  }

  /**
   * Reads one `CK_ULONG` attribute.
   *
   * @returns the value, or undefined when absent
   */
  getUlong(object: bigint, type: number): bigint | undefined {
    const [v] = this.getAttributes(object, [type]);
    return v && v.length === 8 ? readUlong(v) : undefined;
  }

  /**
   * Signs `data` in one part (`C_SignInit`, then `C_Sign`). When `contextPin` is given, logs in
   * as `CKU_CONTEXT_SPECIFIC` between the two, for keys with `CKA_ALWAYS_AUTHENTICATE` (PIV's
   * signature slot).
   *
   * @param mechanismType the `CKM_*` mechanism (without parameters)
   * @param key the private key handle
   * @param data the bytes to sign (a digest for `CKM_ECDSA`, a DigestInfo for `CKM_RSA_PKCS`)
   * @param contextPin the PIN for a context-specific login
   * @returns the signature as the token wrote it
   * @throws {KeyError} `TOKEN_FAILED` (e.g. `CKR_MECHANISM_INVALID`), `TOKEN_LOGIN_FAILED`
   */
  async sign(
    mechanismType: number,
    key: bigint,
    data: Uint8Array,
    contextPin?: string,
  ): Promise<Uint8Array> {
    check("start signing", this.#fns.C_SignInit.call(this.#handle, mechanism(mechanismType), key));
    if (contextPin !== undefined) await this.login(contextPin, "context-specific", "the key");
    let out = new Uint8Array(1024);
    const len = new BigUint64Array(1);
    for (let attempt = 0; attempt < 2; attempt++) {
      len[0] = BigInt(out.length);
      const r = rv(
        await this.#fns.C_Sign.call(
          this.#handle,
          data,
          BigInt(data.length),
          out,
          new Uint8Array(len.buffer),
        ),
      );
      if (r === CKR.BUFFER_TOO_SMALL && attempt === 0 && len[0] <= 65536n) {
        out = new Uint8Array(Number(len[0]));
        continue;
      }
      check("sign", r);
      return out.slice(0, Number(len[0]));
    }
    throw pkcs11Error("sign", CKR.BUFFER_TOO_SMALL);
  }

  /**
   * Generates a key pair on the token (`C_GenerateKeyPair`).
   *
   * @param mechanismType `CKM_EC_KEY_PAIR_GEN` or `CKM_RSA_PKCS_KEY_PAIR_GEN`
   * @param publicAttrs the public key template
   * @param privateAttrs the private key template
   * @returns the two object handles
   * @throws {KeyError} `TOKEN_FAILED`
   */
  async generateKeyPair(
    mechanismType: number,
    publicAttrs: readonly Attribute[],
    privateAttrs: readonly Attribute[],
  ): Promise<{ publicKey: bigint; privateKey: bigint }> {
    const pub = template(publicAttrs);
    const priv = template(privateAttrs);
    const handles = new BigUint64Array(2);
    check(
      "generate key pair",
      await this.#fns.C_GenerateKeyPair.call(
        this.#handle,
        mechanism(mechanismType),
        pub.bytes,
        BigInt(publicAttrs.length),
        priv.bytes,
        BigInt(privateAttrs.length),
        new Uint8Array(handles.buffer, 0, 8),
        new Uint8Array(handles.buffer, 8, 8),
      ),
    );
    return { publicKey: handles[0], privateKey: handles[1] };
  }

  /**
   * Creates an object (`C_CreateObject`), e.g. a certificate.
   *
   * @returns the new object's handle
   * @throws {KeyError} `TOKEN_FAILED`
   */
  createObject(attrs: readonly Attribute[]): bigint {
    const t = template(attrs);
    const handle = new BigUint64Array(1);
    check(
      "create object",
      this.#fns.C_CreateObject.call(
        this.#handle,
        t.bytes,
        BigInt(attrs.length),
        new Uint8Array(handle.buffer),
      ),
    );
    return handle[0];
  }

  /**
   * Destroys an object (`C_DestroyObject`).
   *
   * @throws {KeyError} `TOKEN_FAILED`
   */
  destroyObject(object: bigint): void {
    check("destroy object", this.#fns.C_DestroyObject.call(this.#handle, object));
  }

  /**
   * Changes the PIN of the logged-in user, or of the public user when none is (`C_SetPIN`).
   *
   * @throws {KeyError} `TOKEN_LOGIN_FAILED` for a wrong old PIN, else `TOKEN_FAILED`
   */
  async setPin(oldPin: string, newPin: string): Promise<void> {
    const o = encoder.encode(oldPin);
    const n = encoder.encode(newPin);
    try {
      check(
        "change PIN",
        await this.#fns.C_SetPIN.call(this.#handle, o, BigInt(o.length), n, BigInt(n.length)),
      );
    } finally {
      o.fill(0);
      n.fill(0);
    }
  }

  /**
   * Sets the user PIN as the logged-in security officer (`C_InitPIN`).
   *
   * @throws {KeyError} `TOKEN_FAILED`
   */
  async initPin(pin: string): Promise<void> {
    const p = encoder.encode(pin);
    try {
      check(
        "initialise user PIN",
        await this.#fns.C_InitPIN.call(this.#handle, p, BigInt(p.length)),
      );
    } finally {
      p.fill(0);
    }
  }

  /** Closes the session (`C_CloseSession`); later calls throw `TypeError`. */
  close(): void {
    if (!this.#open) return;
    this.#cryptoki.fns.C_CloseSession.call(this.#handle);
    this.#open = false;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
