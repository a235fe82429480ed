/**
 * Verifying a signature over a streamed message with a public key, the way sigstore's
 * `signature.LoadVerifierWithOpts(...).VerifySignature` does.
 *
 * @module
 */

import { nodeCrypto } from "../_node_crypto.ts";
import { derChildren, derInteger, parseDer, TAG } from "../asn1/der.ts";
import { VerificationError } from "../errors.ts";
import { CURVE_BYTES, type PublicKey } from "../keys/public_key.ts";
import { ed25519phOverDigest, MAX_PURE_ED25519_MESSAGE } from "./ed25519ph.ts";
import { type ByteReader, bytesReader, forEachChunk, readAllBounded } from "../stream.ts";

/**
 * Messages up to this size are verified in one shot with WebCrypto, which avoids loading
 * `node:crypto` (≈30 ms of start-up); larger ones stream through `node:crypto` at flat memory.
 */
const WEBCRYPTO_LIMIT = 8 * 1024 * 1024;

/** The hash functions a verifier may be loaded with (cosign `--signature-digest-algorithm`). */
export type VerifyHash = "sha224" | "sha256" | "sha384" | "sha512";

const DIGEST_BYTES: Record<VerifyHash, number> = {
  sha224: 28,
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

/** What {@link verifySignature} checks. */
export interface VerifySignatureOptions {
  publicKey: PublicKey;
  /** The message digest for ECDSA and RSA (cosign uses it for every key type; Ed25519 ignores it). */
  hash: VerifyHash;
  /** DER (ECDSA), PKCS#1 v1.5 or PSS (RSA), or 64 raw bytes (Ed25519). */
  signature: Uint8Array;
  /** The signed message. */
  reader: ByteReader;
  /** Ed25519 keys: verify Ed25519ph (SHA-512 prehash) instead of pure Ed25519. */
  ed25519ph?: boolean;
  /** RSA keys: verify RSASSA-PSS (any salt length) instead of PKCS#1 v1.5. */
  rsaPss?: boolean;
}

function invalid(detail: string): VerificationError {
  return new VerificationError("SIGNATURE_INVALID", `Cannot verify signature: ${detail}`);
}

async function digestOf(reader: ByteReader, hash: string): Promise<Uint8Array> {
  const h = nodeCrypto().createHash(hash);
  await forEachChunk(reader, (chunk) => h.update(chunk));
  return new Uint8Array(h.digest());
}

/** WebCrypto keys already imported, per key and import parameters (`verify` of 100 signatures). */
const imported = new WeakMap<PublicKey, Map<string, Promise<CryptoKey>>>();

function importOnce(
  publicKey: PublicKey,
  params: Parameters<typeof crypto.subtle.importKey>[2],
): Promise<CryptoKey> {
  let byParams = imported.get(publicKey);
  if (!byParams) imported.set(publicKey, byParams = new Map());
  const id = JSON.stringify(params);
  let key = byParams.get(id);
  if (!key) {
    key = crypto.subtle.importKey(
      "spki",
      publicKey.spki as Uint8Array<ArrayBuffer>,
      params,
      false,
      ["verify"],
    );
    // A failed import is not kept: the next call tries again (and fails the same way).
    key.catch(() => byParams.delete(id));
    byParams.set(id, key);
  }
  return key;
}

/** Runs `fn`, treating a thrown error (malformed signature) as a failed verification. */
function attempt(fn: () => boolean): boolean {
  try {
    return fn();
  } catch {
    return false;
  }
}

/**
 * Verifies `signature` over the message read from `reader`. ECDSA accepts high-S signatures (as Go
 * does) and any of SHA-224/256/384/512 on any curve; RSA takes SHA-256/384/512.
 *
 * @param opts the key, hash, signature and message
 * @throws {VerificationError} `SIGNATURE_INVALID` with sigstore's messages: "Cannot verify signature:
 *   invalid signature when validating ASN.1 encoded signature" (ECDSA), "Cannot verify signature:
 *   crypto/rsa: verification error" (RSA), "Cannot verify signature: failed to verify signature"
 *   (Ed25519) or "Cannot verify signature: failed to verify signature: ed25519: invalid signature"
 *   (Ed25519ph)
 * @throws {TypeError} "Cannot verify signature: invalid hash function specified" for a hash the
 *   key type does not support
 * @throws {RangeError} for a pure Ed25519 message larger than 256 MiB
 */
export async function verifySignature(opts: VerifySignatureOptions): Promise<void> {
  const { publicKey, hash, signature } = opts;
  let reader = opts.reader;
  const web = webCryptoParams(opts);
  if (web) {
    const head = await readUpTo(reader, WEBCRYPTO_LIMIT + 1);
    if (head.length <= WEBCRYPTO_LIMIT) {
      const sig = publicKey.kind === "ecdsa"
        ? derToP1363(signature, CURVE_BYTES[publicKey.curve!])
        : signature;
      const key = await importOnce(publicKey, web.importParams);
      const ok = sig !== undefined &&
        await crypto.subtle.verify(
          web.verifyParams,
          key,
          sig as Uint8Array<ArrayBuffer>,
          head as Uint8Array<ArrayBuffer>,
        ).catch(() => false);
      if (!ok) throw invalid(web.failure);
      return;
    }
    reader = concatReader(head, reader);
  }
  const { constants, createVerify, verify: verifyOneShot } = nodeCrypto();
  const key = publicKey.keyObject;
  if (publicKey.kind === "ed25519") {
    if (opts.ed25519ph) {
      const digest = await digestOf(reader, "sha512");
      const raw = publicKey.spki.subarray(publicKey.spki.length - 32);
      const ph = await ed25519phOverDigest();
      if (!attempt(() => ph.verify(signature, digest, raw, { zip215: false }))) {
        throw invalid("failed to verify signature: ed25519: invalid signature");
      }
      return;
    }
    const message = await readAllBounded(reader, MAX_PURE_ED25519_MESSAGE, "message to verify");
    if (!attempt(() => verifyOneShot(null, message, key, signature))) {
      throw invalid("failed to verify signature");
    }
    return;
  }
  if (!(hash in DIGEST_BYTES) || (publicKey.kind === "rsa" && hash === "sha224")) {
    throw new TypeError("Cannot verify signature: invalid hash function specified");
  }
  if (publicKey.kind === "rsa") {
    const v = createVerify(hash);
    await forEachChunk(reader, (chunk) => v.update(chunk));
    const ok = attempt(() =>
      opts.rsaPss
        ? v.verify({
          key,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_AUTO,
        }, signature)
        : v.verify(key, signature)
    );
    if (!ok) throw invalid("crypto/rsa: verification error");
    return;
  }
  const size = CURVE_BYTES[publicKey.curve!];
  let ok: boolean;
  if (DIGEST_BYTES[hash] * 2 >= size) {
    const v = createVerify(hash);
    await forEachChunk(reader, (chunk) => v.update(chunk));
    ok = attempt(() => v.verify(key, signature));
  } else {
    // node:crypto in Deno refuses digests shorter than half the field (e.g. P-521 with SHA-256),
    // which Go accepts: verify the streamed digest with @noble/curves instead.
    const digest = await digestOf(reader, hash);
    const { p384, p521 } = await import("@noble/curves/nist.js");
    const curve = publicKey.curve === "P-384" ? p384 : p521;
    const point = publicKey.spki.subarray(publicKey.spki.length - (1 + 2 * size));
    ok = attempt(() =>
      curve.verify(signature, digest, point, { prehash: false, lowS: false, format: "der" })
    );
  }
  if (!ok) throw invalid("invalid signature when validating ASN.1 encoded signature");
}

const WEB_HASH: Record<string, string> = {
  sha256: "SHA-256",
  sha384: "SHA-384",
  sha512: "SHA-512",
};

/** WebCrypto parameters for the cases WebCrypto verifies exactly as Go does, else undefined. */
function webCryptoParams(opts: VerifySignatureOptions):
  | {
    importParams: AlgorithmIdentifier | EcKeyImportParams | RsaHashedImportParams;
    verifyParams: AlgorithmIdentifier | EcdsaParams;
    failure: string;
  }
  | undefined {
  const { publicKey, hash } = opts;
  const webHash = WEB_HASH[hash];
  if (publicKey.kind === "ed25519") {
    return opts.ed25519ph ? undefined : {
      importParams: { name: "Ed25519" },
      verifyParams: { name: "Ed25519" },
      failure: "failed to verify signature",
    };
  }
  if (!webHash) return undefined;
  if (publicKey.kind === "rsa") {
    // PSS with Go's "any salt length" has no WebCrypto equivalent.
    return opts.rsaPss ? undefined : {
      importParams: { name: "RSASSA-PKCS1-v1_5", hash: webHash },
      verifyParams: { name: "RSASSA-PKCS1-v1_5" },
      failure: "crypto/rsa: verification error",
    };
  }
  if (publicKey.curve === "P-521") return undefined;
  return {
    importParams: { name: "ECDSA", namedCurve: publicKey.curve! },
    verifyParams: { name: "ECDSA", hash: webHash },
    failure: "invalid signature when validating ASN.1 encoded signature",
  };
}

/**
 * Converts an ASN.1 DER ECDSA signature to IEEE P1363 (r‖s), with Go's `ecdsa.VerifyASN1`
 * strictness: one SEQUENCE of two minimal, positive INTEGERs and nothing after it.
 *
 * @returns the P1363 bytes, or undefined when the encoding is not acceptable
 */
function derToP1363(der: Uint8Array, size: number): Uint8Array | undefined {
  try {
    const parts = derChildren(parseDer(der), TAG.SEQUENCE, "ECDSA signature");
    if (parts.length !== 2) return undefined;
    const out = new Uint8Array(2 * size);
    for (const [i, node] of parts.entries()) {
      const v = derInteger(node);
      if (v <= 0n) return undefined;
      const hex = v.toString(16);
      if (hex.length > 2 * size) return undefined;
      out.set(Uint8Array.fromHex(hex.padStart(2 * size, "0")), i * size);
    }
    return out;
  } catch {
    return undefined;
  }
}

/** Reads up to `limit` bytes (fewer at EOF). */
async function readUpTo(reader: ByteReader, limit: number): Promise<Uint8Array> {
  const buf = new Uint8Array(Math.min(limit, 64 * 1024));
  let out = buf;
  let filled = 0;
  while (filled < limit) {
    if (filled === out.length) {
      const bigger = new Uint8Array(Math.min(limit, out.length * 4));
      bigger.set(out);
      out = bigger;
    }
    const n = await reader.read(out.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return out.subarray(0, filled);
}

/** A reader that yields `head` and then the rest of `rest`. */
function concatReader(head: Uint8Array, rest: ByteReader): ByteReader {
  const first = bytesReader(head);
  let headDone = false;
  return {
    async read(p) {
      if (!headDone) {
        const n = await first.read(p);
        if (n !== null) return n;
        headDone = true;
      }
      return rest.read(p);
    },
  };
}
