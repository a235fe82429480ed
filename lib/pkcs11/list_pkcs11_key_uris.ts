/**
 * What `cosign pkcs11-tool list-keys-uris` reads from a token (cosign
 * cmd/cosign/cli/pkcs11cli/commands.go `GetKeysInfo`).
 *
 * @module
 */
import { CKA, CKO, ulong } from "./_ffi.ts";
import { Pkcs11Module } from "./pkcs11_module.ts";
import { formatPkcs11Uri } from "./pkcs11_uri.ts";

/** A private key on a token, with the URI that names it. */
export interface Pkcs11KeyInfo {
  label?: Uint8Array;
  id?: Uint8Array;
  /** cosign's URI for it: token, slot-id, id, object, module-path and the PIN used. */
  uri: string;
}

/** Options of {@link listPkcs11KeyUris}. */
export interface ListPkcs11KeyUrisOptions {
  /** `--pin`, else `COSIGN_PKCS11_PIN` (the caller picks). */
  pin?: string;
  /** Asks for the PIN when none was given and the token requires login ("Enter PIN for PKCS11 token 'test': "). */
  promptPin?: (prompt: string) => Promise<string>;
}

/**
 * Lists the private keys of the token in a slot, logged in as the user, and the `pkcs11:` URI of
 * each (keys with neither an id nor a label are skipped).
 *
 * @param modulePath the absolute path of the module
 * @param slot the slot ID
 * @param options the PIN, or a prompt for it
 * @returns the keys; their URIs carry the PIN used, as cosign's do
 * @throws {KeyError} `TOKEN_MODULE_UNAVAILABLE`, `TOKEN_NOT_PRESENT` (no token in the slot),
 *   `TOKEN_LOGIN_FAILED` (wrong PIN), `TOKEN_FAILED`
 */
export async function listPkcs11KeyUris(
  modulePath: string,
  slot: number,
  options: ListPkcs11KeyUrisOptions = {},
): Promise<Pkcs11KeyInfo[]> {
  using module = await Pkcs11Module.open(modulePath);
  const info = module.tokenInfo(slot);
  let pin = options.pin ?? "";
  if (pin === "" && info.loginRequired && options.promptPin) {
    pin = await options.promptPin(`Enter PIN for PKCS11 token '${info.label}': `);
  }
  using session = module.openSession(slot);
  await session.login(pin, "user", `PKCS#11 token '${info.label}'`);
  try {
    const keys: Pkcs11KeyInfo[] = [];
    for (
      const handle of session.findObjects([{ type: CKA.CLASS, value: ulong(CKO.PRIVATE_KEY) }])
    ) {
      const [id, label] = session.getAttributes(handle, [CKA.ID, CKA.LABEL]);
      if (!id?.length && !label?.length) continue;
      const key: Pkcs11KeyInfo = {
        uri: formatPkcs11Uri({
          modulePath,
          slotId: slot,
          tokenLabel: info.label,
          keyLabel: label,
          keyId: id,
          pin,
        }),
      };
      if (label?.length) key.label = label;
      if (id?.length) key.id = id;
      keys.push(key);
    }
    return keys;
  } finally {
    session.logout();
  }
}
