/**
 * The PKCS#11 (Cryptoki) C API through Deno FFI: `Deno.dlopen` of a module, `C_GetFunctionList`,
 * then calls through the `CK_FUNCTION_LIST` table, as PKCS#11 Base Specification v2.40 §5 defines
 * it. Private to `lib/pkcs11/`; {@link Cryptoki} is wrapped by `pkcs11_module.ts`.
 *
 * Layout on LP64 Unix (x86-64 and arm64 Linux, macOS), where Cryptoki structures use the platform's
 * natural alignment (pkcs11.h packs them only on Windows): `CK_ULONG` and pointers are 8 bytes,
 * `CK_FUNCTION_LIST` is a `CK_VERSION` (2 bytes, padded to 8) followed by one function pointer per
 * entry in the order of pkcs11f.h, so function *i* sits at offset `8 + 8*i`; `CK_ATTRIBUTE` and
 * `CK_MECHANISM` are 24 bytes (type, pointer, length).
 *
 * @module
 */

/** PKCS#11 return values (pkcs11t.h `CKR_*`) by value, for messages. */
export const CKR_NAMES: Readonly<Record<number, string>> = {
  0x0: "CKR_OK",
  0x1: "CKR_CANCEL",
  0x2: "CKR_HOST_MEMORY",
  0x3: "CKR_SLOT_ID_INVALID",
  0x5: "CKR_GENERAL_ERROR",
  0x6: "CKR_FUNCTION_FAILED",
  0x7: "CKR_ARGUMENTS_BAD",
  0x11: "CKR_ATTRIBUTE_SENSITIVE",
  0x12: "CKR_ATTRIBUTE_TYPE_INVALID",
  0x13: "CKR_ATTRIBUTE_VALUE_INVALID",
  0x20: "CKR_DATA_INVALID",
  0x21: "CKR_DATA_LEN_RANGE",
  0x30: "CKR_DEVICE_ERROR",
  0x31: "CKR_DEVICE_MEMORY",
  0x32: "CKR_DEVICE_REMOVED",
  0x50: "CKR_FUNCTION_CANCELED",
  0x54: "CKR_FUNCTION_NOT_SUPPORTED",
  0x60: "CKR_KEY_HANDLE_INVALID",
  0x62: "CKR_KEY_SIZE_RANGE",
  0x63: "CKR_KEY_TYPE_INCONSISTENT",
  0x68: "CKR_KEY_FUNCTION_NOT_PERMITTED",
  0x70: "CKR_MECHANISM_INVALID",
  0x71: "CKR_MECHANISM_PARAM_INVALID",
  0x82: "CKR_OBJECT_HANDLE_INVALID",
  0x90: "CKR_OPERATION_ACTIVE",
  0x91: "CKR_OPERATION_NOT_INITIALIZED",
  0xa0: "CKR_PIN_INCORRECT",
  0xa1: "CKR_PIN_INVALID",
  0xa2: "CKR_PIN_LEN_RANGE",
  0xa3: "CKR_PIN_EXPIRED",
  0xa4: "CKR_PIN_LOCKED",
  0xb0: "CKR_SESSION_CLOSED",
  0xb1: "CKR_SESSION_COUNT",
  0xb3: "CKR_SESSION_HANDLE_INVALID",
  0xb5: "CKR_SESSION_READ_ONLY",
  0xb6: "CKR_SESSION_EXISTS",
  0xb7: "CKR_SESSION_READ_ONLY_EXISTS",
  0xb8: "CKR_SESSION_READ_WRITE_SO_EXISTS",
  0xc0: "CKR_SIGNATURE_INVALID",
  0xc1: "CKR_SIGNATURE_LEN_RANGE",
  0xd0: "CKR_TEMPLATE_INCOMPLETE",
  0xd1: "CKR_TEMPLATE_INCONSISTENT",
  0xe0: "CKR_TOKEN_NOT_PRESENT",
  0xe1: "CKR_TOKEN_NOT_RECOGNIZED",
  0xe2: "CKR_TOKEN_WRITE_PROTECTED",
  0x100: "CKR_USER_ALREADY_LOGGED_IN",
  0x101: "CKR_USER_NOT_LOGGED_IN",
  0x102: "CKR_USER_PIN_NOT_INITIALIZED",
  0x103: "CKR_USER_TYPE_INVALID",
  0x104: "CKR_USER_ANOTHER_ALREADY_LOGGED_IN",
  0x105: "CKR_USER_TOO_MANY_TYPES",
  0x150: "CKR_BUFFER_TOO_SMALL",
  0x190: "CKR_CRYPTOKI_NOT_INITIALIZED",
  0x191: "CKR_CRYPTOKI_ALREADY_INITIALIZED",
};

/** The `CKR_*` values the code reacts to. */
export const CKR = {
  OK: 0x0,
  SLOT_ID_INVALID: 0x3,
  ATTRIBUTE_SENSITIVE: 0x11,
  ATTRIBUTE_TYPE_INVALID: 0x12,
  FUNCTION_NOT_SUPPORTED: 0x54,
  PIN_INCORRECT: 0xa0,
  PIN_INVALID: 0xa1,
  PIN_LEN_RANGE: 0xa2,
  PIN_EXPIRED: 0xa3,
  PIN_LOCKED: 0xa4,
  TOKEN_NOT_PRESENT: 0xe0,
  TOKEN_NOT_RECOGNIZED: 0xe1,
  USER_ALREADY_LOGGED_IN: 0x100,
  BUFFER_TOO_SMALL: 0x150,
  CRYPTOKI_ALREADY_INITIALIZED: 0x191,
} as const;

/** Object classes (`CKO_*`). */
export const CKO = { CERTIFICATE: 1, PUBLIC_KEY: 2, PRIVATE_KEY: 3 } as const;

/** Key types (`CKK_*`). */
export const CKK = { RSA: 0, EC: 3 } as const;

/** Attribute types (`CKA_*`). */
export const CKA = {
  CLASS: 0x0,
  TOKEN: 0x1,
  PRIVATE: 0x2,
  LABEL: 0x3,
  VALUE: 0x11,
  CERTIFICATE_TYPE: 0x80,
  KEY_TYPE: 0x100,
  ID: 0x102,
  SENSITIVE: 0x103,
  SIGN: 0x108,
  VERIFY: 0x10a,
  MODULUS: 0x120,
  MODULUS_BITS: 0x121,
  PUBLIC_EXPONENT: 0x122,
  EXTRACTABLE: 0x162,
  EC_PARAMS: 0x180,
  EC_POINT: 0x181,
  ALWAYS_AUTHENTICATE: 0x202,
} as const;

/** Mechanisms (`CKM_*`). */
export const CKM = {
  RSA_PKCS_KEY_PAIR_GEN: 0x0,
  RSA_PKCS: 0x1,
  EC_KEY_PAIR_GEN: 0x1040,
  ECDSA: 0x1041,
} as const;

/** User types (`CKU_*`). */
export const CKU = { SO: 0, USER: 1, CONTEXT_SPECIFIC: 2 } as const;

/** Flags of sessions, slots and tokens (`CKF_*`). */
export const CKF = {
  TOKEN_PRESENT: 0x1,
  RW_SESSION: 0x2,
  SERIAL_SESSION: 0x4,
  LOGIN_REQUIRED: 0x4,
  OS_LOCKING_OK: 0x2,
  USER_PIN_INITIALIZED: 0x8,
  TOKEN_INITIALIZED: 0x400,
} as const;

/** `CK_UNAVAILABLE_INFORMATION`, the length of an attribute that cannot be read. */
export const CK_UNAVAILABLE_INFORMATION = 0xffff_ffff_ffff_ffffn;

/** The `CK_FUNCTION_LIST` indexes used (pkcs11f.h order). */
const FN = {
  C_Initialize: 0,
  C_Finalize: 1,
  C_GetSlotList: 4,
  C_GetTokenInfo: 6,
  C_InitToken: 9,
  C_InitPIN: 10,
  C_SetPIN: 11,
  C_OpenSession: 12,
  C_CloseSession: 13,
  C_Login: 18,
  C_Logout: 19,
  C_CreateObject: 20,
  C_DestroyObject: 22,
  C_GetAttributeValue: 24,
  C_FindObjectsInit: 26,
  C_FindObjects: 27,
  C_FindObjectsFinal: 28,
  C_SignInit: 42,
  C_Sign: 43,
  C_GenerateKeyPair: 59,
} as const;

/** The highest index used, to check the table is long enough (v2.x lists have 68 entries). */
const FN_COUNT = 68;

const U = "u64" as const;
const B = "buffer" as const;

/** FFI signatures; every function returns a `CK_RV`. Slow token operations run off-thread. */
const SIGNATURES = {
  C_Initialize: { parameters: [B], result: U },
  C_Finalize: { parameters: ["pointer"], result: U },
  C_GetSlotList: { parameters: ["u8", B, B], result: U },
  C_GetTokenInfo: { parameters: [U, B], result: U },
  C_InitToken: { parameters: [U, B, U, B], result: U, nonblocking: true },
  C_InitPIN: { parameters: [U, B, U], result: U, nonblocking: true },
  C_SetPIN: { parameters: [U, B, U, B, U], result: U, nonblocking: true },
  C_OpenSession: { parameters: [U, U, "pointer", "pointer", B], result: U },
  C_CloseSession: { parameters: [U], result: U },
  C_Login: { parameters: [U, U, B, U], result: U, nonblocking: true },
  C_Logout: { parameters: [U], result: U },
  C_CreateObject: { parameters: [U, B, U, B], result: U },
  C_DestroyObject: { parameters: [U, U], result: U },
  C_GetAttributeValue: { parameters: [U, U, B, U], result: U },
  C_FindObjectsInit: { parameters: [U, B, U], result: U },
  C_FindObjects: { parameters: [U, B, U, B], result: U },
  C_FindObjectsFinal: { parameters: [U], result: U },
  C_SignInit: { parameters: [U, B, U], result: U },
  C_Sign: { parameters: [U, B, U, B, B], result: U, nonblocking: true },
  C_GenerateKeyPair: { parameters: [U, B, B, U, B, U, B, B], result: U, nonblocking: true },
} as const satisfies Record<keyof typeof FN, Deno.ForeignFunction>;

type Fns = { [K in keyof typeof SIGNATURES]: Deno.UnsafeFnPointer<(typeof SIGNATURES)[K]> };

/** One attribute of a template: its type and value (`undefined` asks for the value). */
export interface Attribute {
  type: number;
  value?: Uint8Array;
}

/** A `CK_ULONG` value as 8 little-endian bytes (attribute values of class, key type …). */
export function ulong(value: number | bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(value), true);
  return b;
}

/** A `CK_BBOOL`. */
export function bool(value: boolean): Uint8Array {
  return Uint8Array.of(value ? 1 : 0);
}

/** Reads a `CK_ULONG` attribute value. */
export function readUlong(bytes: Uint8Array): bigint {
  if (bytes.length !== 8) throw new RangeError(`CK_ULONG attribute has ${bytes.length} bytes`);
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
}

function pointerValue(bytes: Uint8Array | undefined): bigint {
  if (!bytes || bytes.length === 0) return 0n;
  return Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes as Uint8Array<ArrayBuffer>));
}

/**
 * Lays out a `CK_ATTRIBUTE` array. The returned `keep` array holds the value buffers, which must
 * stay reachable until the call that uses the template returns.
 */
export function template(attrs: readonly Attribute[]): { bytes: Uint8Array; keep: Uint8Array[] } {
  const bytes = new Uint8Array(Math.max(attrs.length, 1) * 24);
  const view = new DataView(bytes.buffer);
  const keep: Uint8Array[] = [];
  attrs.forEach((a, i) => {
    view.setBigUint64(i * 24, BigInt(a.type), true);
    if (a.value) keep.push(a.value);
    view.setBigUint64(i * 24 + 8, pointerValue(a.value), true);
    view.setBigUint64(i * 24 + 16, BigInt(a.value?.length ?? 0), true);
  });
  return { bytes, keep };
}

/** Lays out a `CK_MECHANISM` without parameters. */
export function mechanism(type: number): Uint8Array {
  const bytes = new Uint8Array(24);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(type), true);
  return bytes;
}

/** An FFI result (`CK_RV` as u64) as a number. */
export function rv(result: number | bigint): number {
  return Number(result);
}

type Library = Deno.DynamicLibrary<
  { C_GetFunctionList: { parameters: ["buffer"]; result: "u64" } }
>;

/**
 * A loaded module: its function table, and the library handle to close. Calls return raw
 * `CK_RV`s; callers turn them into errors.
 */
export class Cryptoki {
  readonly fns: Fns;
  readonly #lib: Library;

  private constructor(lib: Library, fns: Fns) {
    this.#lib = lib;
    this.fns = fns;
  }

  /**
   * Opens a module and reads its function list.
   *
   * @param path the shared library
   * @returns the bound module (not yet initialized)
   * @throws what `Deno.dlopen` throws (missing FFI permission, not a shared library), and `Error`
   *   when `C_GetFunctionList` is missing or fails
   */
  static open(path: string): Cryptoki {
    const lib = Deno.dlopen(
      path,
      {
        C_GetFunctionList: { parameters: ["buffer"], result: "u64" },
      } as const,
    );
    try {
      const out = new BigUint64Array(1);
      const r = rv(lib.symbols.C_GetFunctionList(new Uint8Array(out.buffer)));
      if (r !== CKR.OK || out[0] === 0n) {
        throw new Error(`C_GetFunctionList returned ${ckrName(r)}`);
      }
      const table = new Deno.UnsafePointerView(Deno.UnsafePointer.create(out[0])!);
      const major = table.getUint8(0);
      if (major !== 2 && major !== 3) {
        throw new Error(`unsupported Cryptoki version ${major}.${table.getUint8(1)}`);
      }
      const fns = {} as Record<string, Deno.UnsafeFnPointer<Deno.ForeignFunction>>;
      for (const [name, index] of Object.entries(FN)) {
        if (index >= FN_COUNT) throw new Error(`function index ${index} out of range`);
        const ptr = table.getPointer(8 + 8 * index);
        const def = SIGNATURES[name as keyof typeof SIGNATURES];
        // A NULL entry is a function the module does not provide: calling it reports
        // CKR_FUNCTION_NOT_SUPPORTED instead of crashing.
        fns[name] = ptr
          ? new Deno.UnsafeFnPointer(
            ptr as Deno.PointerObject<Deno.ForeignFunction>,
            def as Deno.ForeignFunction,
          )
          : notSupported(def as Deno.ForeignFunction);
      }
      return new Cryptoki(lib, fns as unknown as Fns);
    } catch (e) {
      lib.close();
      throw e;
    }
  }

  /** Unloads the library (after `C_Finalize`). */
  close(): void {
    this.#lib.close();
  }
}

function notSupported(
  def: Deno.ForeignFunction,
): Deno.UnsafeFnPointer<Deno.ForeignFunction> {
  const result = BigInt(CKR.FUNCTION_NOT_SUPPORTED);
  return {
    call: () => (def.nonblocking ? Promise.resolve(result) : result),
  } as unknown as Deno.UnsafeFnPointer<Deno.ForeignFunction>;
}

/**
 * The name of a `CK_RV`, e.g. "CKR_PIN_INCORRECT", or its hex value for unknown ones.
 *
 * @param value the return value
 * @returns the name
 */
export function ckrName(value: number): string {
  return CKR_NAMES[value] ?? `CKR_0x${value.toString(16).toUpperCase()}`;
}

/**
 * Decodes a fixed-size, blank-padded `CK_UTF8CHAR` field (token labels, serial numbers), trimming
 * trailing blanks only, as miekg/pkcs11 (cosign's binding) does.
 */
export function paddedString(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes).replace(/ +$/, "");
}
