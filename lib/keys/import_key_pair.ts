/**
 * `cosign import-key-pair` (matches cosign pkg/cosign/keys.go `ImportKeyPair`).
 *
 * @module
 */

import type { KeyObject } from "node:crypto";
import { KeyError } from "../errors.ts";
import type { KeyPairPem } from "./generate_key_pair.ts";
import { decodePem } from "./pem.ts";
import { goodKeyProblem } from "./validate_key.ts";
import { encryptKeyPair } from "./_encrypt_key_pair.ts";
import { parsePkcs1, parsePkcs8, parseSec1 } from "./_private_der.ts";

const PREFIX = "Cannot import key pair";

function fail(code: "KEY_INVALID" | "KEY_UNSUPPORTED", detail: string, cause?: unknown): KeyError {
  return new KeyError(code, `${PREFIX}: ${detail}`, { cause });
}

function validated(key: KeyObject, kind: string): KeyObject {
  const problem = goodKeyProblem(key);
  if (problem) throw fail("KEY_UNSUPPORTED", `error validating ${kind} key: ${problem}`);
  return key;
}

/** The PEM types cosign imports, their parsers and its messages (pkg/cosign/keys.go). */
const PARSERS = new Map<
  string,
  { parse: (der: Uint8Array) => KeyObject; error: (e: Error) => string; kind?: string }
>([
  ["RSA PRIVATE KEY", {
    parse: parsePkcs1,
    error: (e) => `error parsing rsa private key: ${e.message}`,
    kind: "rsa",
  }],
  ["EC PRIVATE KEY", {
    parse: parseSec1,
    error: () => "error parsing ecdsa private key",
    kind: "ecdsa",
  }],
  // The kind of a PKCS #8 key is its algorithm's.
  ["PRIVATE KEY", { parse: parsePkcs8, error: () => "error parsing pkcs #8 private key" }],
]);

/**
 * Re-encrypts an unencrypted private key for cosign: "RSA PRIVATE KEY" (PKCS#1), "EC PRIVATE KEY"
 * (SEC1) or "PRIVATE KEY" (PKCS#8 RSA, ECDSA or Ed25519), checked against sigstore's goodkey policy.
 * The output is labelled "ENCRYPTED SIGSTORE PRIVATE KEY" (cosign keeps "ENCRYPTED COSIGN PRIVATE
 * KEY" only for input of that type, which it never accepts here).
 *
 * @param pemBytes the unencrypted key file contents
 * @param password the password for the new key (may be empty); not zeroed here
 * @returns the private and public PEM texts
 * @throws {KeyError} `KEY_INVALID` or `KEY_UNSUPPORTED` with cosign's messages after
 *   "Cannot import key pair: ", e.g. "invalid pem block", "unsupported private key",
 *   "error parsing ecdsa private key", "error parsing pkcs #8 private key",
 *   "error parsing rsa private key: x509: ...", "error validating rsa key: key size not supported:
 *   1024", "error validating ecdsa key: ECDSA curve P-224 not allowed"
 */
export async function importKeyPair(
  pemBytes: Uint8Array,
  password: Uint8Array,
): Promise<KeyPairPem> {
  const block = decodePem(pemBytes);
  if (!block) throw fail("KEY_INVALID", "invalid pem block");
  const parser = PARSERS.get(block.type);
  if (!parser) throw fail("KEY_UNSUPPORTED", "unsupported private key");
  let k: KeyObject;
  try {
    k = parser.parse(block.bytes);
  } catch (e) {
    throw fail("KEY_INVALID", parser.error(e as Error), e);
  }
  const kind = parser.kind ?? (k.asymmetricKeyType === "ec" ? "ecdsa" : k.asymmetricKeyType!);
  const keyObject = validated(k, kind);
  return await encryptKeyPair(keyObject, password, PREFIX);
}
