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
  let keyObject: KeyObject;
  switch (block.type) {
    case "RSA PRIVATE KEY": {
      let k: KeyObject;
      try {
        k = parsePkcs1(block.bytes);
      } catch (e) {
        throw fail("KEY_INVALID", `error parsing rsa private key: ${(e as Error).message}`, e);
      }
      keyObject = validated(k, "rsa");
      break;
    }
    case "EC PRIVATE KEY": {
      let k: KeyObject;
      try {
        k = parseSec1(block.bytes);
      } catch (e) {
        throw fail("KEY_INVALID", "error parsing ecdsa private key", e);
      }
      keyObject = validated(k, "ecdsa");
      break;
    }
    case "PRIVATE KEY": {
      let k: KeyObject;
      try {
        k = parsePkcs8(block.bytes);
      } catch (e) {
        throw fail("KEY_INVALID", "error parsing pkcs #8 private key", e);
      }
      const kind = k.asymmetricKeyType === "ec" ? "ecdsa" : k.asymmetricKeyType!;
      keyObject = validated(k, kind);
      break;
    }
    default:
      throw fail("KEY_UNSUPPORTED", "unsupported private key");
  }
  return await encryptKeyPair(keyObject, password, PREFIX);
}
