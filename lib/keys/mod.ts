/**
 * Keys: cosign's encrypted key files, PEM, public keys, key references and the goodkey policy.
 *
 * @module
 */

export { decryptKeyBytes, encryptKeyBytes } from "./encrypted.ts";
export { generateKeyPair } from "./generate_key_pair.ts";
export type { KeyPairPem } from "./generate_key_pair.ts";
export { importKeyPair } from "./import_key_pair.ts";
export { keyProvider, KMS_SCHEMES, MAX_KEY_BYTES, readFileBounded, readKeyRef } from "./key_ref.ts";
export type { KeyProvider, KeyRefDeps, Pkcs11Settings } from "./key_ref.ts";
export { decodePem, encodePem } from "./pem.ts";
export type { PemBlock } from "./pem.ts";
export { ENCRYPTED_PEM_TYPES, loadPrivateKey } from "./private_key.ts";
export type { PrivateKey } from "./private_key.ts";
export {
  ed25519PublicKeyFromRaw,
  marshalPublicKeyPem,
  parsePublicKeyDer,
  parsePublicKeyPem,
  publicKeyFromKeyObject,
} from "./public_key.ts";
export type { Curve, KeyKind, PublicKey } from "./public_key.ts";
export { goodKeyProblem, validateKey } from "./validate_key.ts";
export { keyPairExists, keyPairPaths, writeKeyPair } from "./write_key_pair.ts";
