/**
 * Hardware tokens through PKCS#11 (Deno FFI, `--allow-ffi`): `pkcs11:` URIs as cosign reads and
 * writes them, signers and public keys for token keys, and the listings of
 * `cosign pkcs11-tool`.
 *
 * @module
 */
export { listPkcs11KeyUris } from "./list_pkcs11_key_uris.ts";
export type { ListPkcs11KeyUrisOptions, Pkcs11KeyInfo } from "./list_pkcs11_key_uris.ts";
export { listPkcs11Tokens } from "./list_pkcs11_tokens.ts";
export type { Pkcs11Token } from "./list_pkcs11_tokens.ts";
export { loadPkcs11PublicKey, openPkcs11Signer } from "./pkcs11_key.ts";
export type { Pkcs11KeyOptions, Pkcs11Signer } from "./pkcs11_key.ts";
export { pkcs11Error, Pkcs11Module, Pkcs11Session } from "./pkcs11_module.ts";
export type { Attribute, TokenInfo, UserType } from "./pkcs11_module.ts";
export { formatPkcs11Uri, parsePkcs11Uri, PKCS11_SCHEME } from "./pkcs11_uri.ts";
export type { Pkcs11Uri } from "./pkcs11_uri.ts";
export { verifyPivAttestation } from "./piv_attestation.ts";
export type { PivAttestation } from "./piv_attestation.ts";
export {
  DEFAULT_PIN_POLICY,
  DEFAULT_TOUCH_POLICY,
  PIV_DEFAULTS,
  PIV_KEY_ID,
  PIV_PIN_POLICY,
  PIV_TOUCH_POLICY,
  pivSlot,
  PivToken,
  YKCS11_MODULE,
} from "./piv_token.ts";
export type { PivAttestationCertificates, PivPinOptions, PivSlot } from "./piv_token.ts";
