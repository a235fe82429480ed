/**
 * What `cosign pkcs11-tool list-tokens` reads from a module (cosign
 * cmd/cosign/cli/pkcs11cli/commands.go `GetTokens`).
 *
 * @module
 */
import { Pkcs11Module, type TokenInfo } from "./pkcs11_module.ts";

/** A token and the slot it is in. */
export interface Pkcs11Token {
  slot: number;
  info: TokenInfo;
}

/**
 * Lists the tokens of a module: every slot with a token present; slots whose token information
 * cannot be read are skipped, as cosign does.
 *
 * @param modulePath the absolute path of the module
 * @returns the tokens, in the module's slot order
 * @throws {KeyError} `TOKEN_MODULE_UNAVAILABLE`, `TOKEN_FAILED` (the slot list cannot be read)
 */
export async function listPkcs11Tokens(modulePath: string): Promise<Pkcs11Token[]> {
  using module = await Pkcs11Module.open(modulePath);
  const tokens: Pkcs11Token[] = [];
  for (const slot of module.slotList(true)) {
    try {
      tokens.push({ slot, info: module.tokenInfo(slot) });
    } catch {
      // cosign: `continue` when GetTokenInfo fails
    }
  }
  return tokens;
}
