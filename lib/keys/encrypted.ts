/**
 * The password-encrypted envelope of cosign private keys: go-securesystemslib `encrypted`
 * (scrypt key derivation + NaCl secretbox, JSON with base64 fields).
 *
 * @module
 */

import { randomBytes, scrypt } from "node:crypto";
import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { KeyError } from "../errors.ts";
import { decodeStdBase64 } from "../base64.ts";

/** go-securesystemslib's "standard" parameters, the ones cosign writes (N = 2^16). */
const STANDARD = { N: 65536, r: 8, p: 1 } as const;
const SALT_SIZE = 32;
const NONCE_SIZE = 24;
/** Largest envelope accepted: an RSA-4096 key needs about 3.5 KiB. */
const MAX_ENVELOPE = 64 * 1024;
/** Largest scrypt working memory (128·N·r) accepted from a key file. */
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

function deriveKey(password: Uint8Array, salt: Uint8Array, N: number, r: number, p: number) {
  return new Promise<Uint8Array>((resolve, reject) =>
    scrypt(
      password,
      salt,
      32,
      { N, r, p, maxmem: 128 * N * r + 2 * 1024 * 1024 },
      (err, key) => err ? reject(err) : resolve(key),
    )
  );
}

/**
 * Encrypts key bytes into the JSON envelope go-securesystemslib's `encrypted.Encrypt` writes, with
 * its standard scrypt parameters (N=65536, r=8, p=1), a random 32-byte salt and 24-byte nonce.
 *
 * @param plaintext the bytes to protect (a PKCS#8 DER private key)
 * @param password the password; may be empty
 * @returns the JSON document, byte for byte in Go's field order and encoding
 */
export async function encryptKeyBytes(
  plaintext: Uint8Array,
  password: Uint8Array,
): Promise<Uint8Array> {
  const salt = new Uint8Array(randomBytes(SALT_SIZE));
  const nonce = new Uint8Array(randomBytes(NONCE_SIZE));
  const key = await deriveKey(password, salt, STANDARD.N, STANDARD.r, STANDARD.p);
  try {
    const ciphertext = xsalsa20poly1305(key, nonce).encrypt(plaintext);
    const json =
      `{"kdf":{"name":"scrypt","params":{"N":${STANDARD.N},"r":${STANDARD.r},"p":${STANDARD.p}},` +
      `"salt":"${salt.toBase64()}"},"cipher":{"name":"nacl/secretbox","nonce":"${nonce.toBase64()}"},` +
      `"ciphertext":"${ciphertext.toBase64()}"}`;
    return new TextEncoder().encode(json);
  } finally {
    key.fill(0);
  }
}

function invalid(detail: string, cause?: unknown): KeyError {
  return new KeyError("KEY_INVALID", `Cannot decrypt private key: ${detail}`, { cause });
}

function field(obj: unknown, name: string): unknown {
  return typeof obj === "object" && obj !== null && !Array.isArray(obj)
    ? (obj as Record<string, unknown>)[name]
    : undefined;
}

function b64Field(obj: unknown, name: string): Uint8Array {
  const v = field(obj, name);
  if (typeof v !== "string") throw invalid(`envelope field "${name}" is not a base64 string`);
  try {
    return decodeStdBase64(v);
  } catch (e) {
    throw invalid(`envelope field "${name}" is not valid base64`, e);
  }
}

function intParam(params: unknown, name: string): number {
  const v = field(params, name);
  if (typeof v !== "number" || !Number.isSafeInteger(v)) {
    throw invalid(`scrypt parameter "${name}" is not an integer`);
  }
  return v;
}

/**
 * Decrypts a go-securesystemslib JSON envelope (`encrypted.Decrypt`), taking the scrypt parameters
 * from the envelope. Accepted: N a power of two ≥ 2^10, r in 1..32, p in 1..16 and 128·N·r ≤
 * 256 MiB (cosign keys use N = 32768 or 65536, securesystemslib's strongest level 131072).
 * The derived key is zeroed after use; the password is the caller's to zero.
 *
 * @param envelope the JSON bytes (the body of an ENCRYPTED COSIGN/SIGSTORE PRIVATE KEY block)
 * @param password the password; may be empty
 * @returns the plaintext
 * @throws {KeyError} `KEY_INVALID` for a malformed envelope, `KEY_UNSUPPORTED` for an unknown kdf,
 *   cipher or out-of-range scrypt parameters, `KEY_DECRYPT_FAILED` for a wrong password or a
 *   corrupt ciphertext
 */
export async function decryptKeyBytes(
  envelope: Uint8Array,
  password: Uint8Array,
): Promise<Uint8Array> {
  if (envelope.length > MAX_ENVELOPE) throw invalid(`envelope larger than ${MAX_ENVELOPE} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(envelope));
  } catch (e) {
    throw invalid("envelope is not valid JSON", e);
  }
  const kdf = field(doc, "kdf");
  const cipher = field(doc, "cipher");
  const kdfName = field(kdf, "name") ?? "";
  const cipherName = field(cipher, "name") ?? "";
  if (kdfName !== "scrypt") {
    throw new KeyError(
      "KEY_UNSUPPORTED",
      `Cannot decrypt private key: encrypted: unknown kdf name ${JSON.stringify(kdfName)}`,
    );
  }
  if (cipherName !== "nacl/secretbox") {
    throw new KeyError(
      "KEY_UNSUPPORTED",
      `Cannot decrypt private key: encrypted: unknown cipher name ${JSON.stringify(cipherName)}`,
    );
  }
  const params = field(kdf, "params");
  const N = intParam(params, "N");
  const r = intParam(params, "r");
  const p = intParam(params, "p");
  if (
    N < 1024 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16 ||
    128 * N * r > MAX_SCRYPT_MEMORY
  ) {
    throw new KeyError(
      "KEY_UNSUPPORTED",
      `Cannot decrypt private key: unsupported scrypt parameters N=${N} r=${r} p=${p}`,
    );
  }
  const salt = b64Field(kdf, "salt");
  const nonce = b64Field(cipher, "nonce");
  const ciphertext = b64Field(doc, "ciphertext");
  if (nonce.length !== NONCE_SIZE) throw invalid("encrypted: incorrect nonce size");

  const key = await deriveKey(password, salt, N, r, p);
  try {
    return xsalsa20poly1305(key, nonce).decrypt(ciphertext);
  } catch (e) {
    throw new KeyError(
      "KEY_DECRYPT_FAILED",
      "Cannot decrypt private key: wrong password or corrupt key",
      { cause: e },
    );
  } finally {
    key.fill(0);
  }
}
