/**
 * Rekor checkpoints: signed notes (C2SP signed-note, Rekor pkg/util/signed_note.go and
 * checkpoint.go) carrying a tree head.
 *
 * ```
 * rekor.sigstore.dev - 1193050959916656506      origin
 * 151165654                                     tree size
 * mQzjnEcka/8RktFYpvWYHha4kQcfzNVgTAMmg4OghL8=  base64 root hash
 *                                               (optional extra lines, then a blank line)
 * — rekor.sigstore.dev wNI9ajBFAiEA…            one line per signature: b64(4-byte key hint ‖ sig)
 * ```
 *
 * @module
 */
import { sha256 } from "../digest.ts";
import { VerificationError } from "../errors.ts";
import type { PublicKey } from "../keys/public_key.ts";
import { verifySignature } from "../signature/verify_signature.ts";
import { bytesReader } from "../stream.ts";

/** Most signature lines accepted (sigstore-java rejects more than 20 as excessive). */
export const MAX_CHECKPOINT_SIGNATURES = 20;
/** Most bytes of checkpoint text accepted. */
export const MAX_CHECKPOINT_BYTES = 64 * 1024;

/** One signature line of a signed note. */
export interface NoteSignature {
  name: string;
  /** The first 4 bytes of the signature blob: the signer's key hint. */
  keyHint: Uint8Array;
  /** The signature itself (ASN.1 DER for ECDSA logs, 64 bytes for Ed25519 logs). */
  signature: Uint8Array;
}

/** A parsed checkpoint. */
export interface Checkpoint {
  origin: string;
  size: bigint;
  rootHash: Uint8Array;
  /** Lines after the root hash and before the blank line. */
  otherContent: string[];
  /** The signed text: everything up to and including the newline before the blank line. */
  note: string;
  signatures: NoteSignature[];
}

function malformed(detail: string): VerificationError {
  return new VerificationError("TLOG_CHECKPOINT_INVALID", `Cannot parse checkpoint: ${detail}`);
}

function b64(text: string, what: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw malformed(`${what} is not base64`);
  }
  return Uint8Array.fromBase64(text);
}

/**
 * Parses a checkpoint.
 *
 * @param text the signed note
 * @returns the checkpoint
 * @throws {VerificationError} `TLOG_CHECKPOINT_INVALID` for a malformed note, no signature, or
 *   more than {@link MAX_CHECKPOINT_SIGNATURES} signatures
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (text.length > MAX_CHECKPOINT_BYTES) throw malformed("too large");
  const split = text.lastIndexOf("\n\n");
  if (split < 0) throw malformed("no blank line before the signatures");
  const note = text.slice(0, split + 1);
  const sigBlock = text.slice(split + 2);
  if (sigBlock === "" || !sigBlock.endsWith("\n")) throw malformed("malformed signature block");
  const signatures: NoteSignature[] = [];
  for (const line of sigBlock.slice(0, -1).split("\n")) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) throw malformed("malformed signature line");
    const blob = b64(m[2], "a signature");
    if (blob.length < 5) throw malformed("a signature is too small");
    signatures.push({ name: m[1], keyHint: blob.slice(0, 4), signature: blob.slice(4) });
    if (signatures.length > MAX_CHECKPOINT_SIGNATURES) {
      throw malformed("too many signatures");
    }
  }
  const lines = note.slice(0, -1).split("\n");
  if (lines.length < 3) throw malformed("fewer than 3 lines");
  const [origin, sizeText, rootText, ...otherContent] = lines;
  if (origin === "") throw malformed("empty origin");
  if (!/^(0|[1-9][0-9]{0,19})$/.test(sizeText)) throw malformed("invalid tree size");
  const rootHash = b64(rootText, "the root hash");
  if (rootHash.length !== 32) throw malformed("the root hash is not 32 bytes");
  return { origin, size: BigInt(sizeText), rootHash, otherContent, note, signatures };
}

/**
 * The key hint of a Rekor v1 (ECDSA) log key: the first 4 bytes of SHA-256(SPKI DER), which are
 * also the first 4 bytes of its log ID.
 *
 * @returns 4 bytes
 */
export function v1KeyHint(key: PublicKey): Uint8Array {
  return sha256(key.spki).slice(0, 4);
}

/**
 * Parses a checkpoint and verifies it was signed by the log key. Signatures by other keys
 * (witness cosignatures) are ignored; one valid signature by the log key is required.
 *
 * @param text the signed note
 * @param logKey the log's public key
 * @param keyHint the key hint to look for (default {@link v1KeyHint} of `logKey`)
 * @returns the checkpoint
 * @throws {VerificationError} `TLOG_CHECKPOINT_INVALID` when it is malformed or no signature by
 *   the log key verifies
 */
export async function verifyCheckpoint(
  text: string,
  logKey: PublicKey,
  keyHint: Uint8Array = v1KeyHint(logKey),
): Promise<Checkpoint> {
  const cp = parseCheckpoint(text);
  const message = new TextEncoder().encode(cp.note);
  for (const sig of cp.signatures) {
    if (!sig.keyHint.every((b, i) => b === keyHint[i])) continue;
    try {
      await verifySignature({
        publicKey: logKey,
        hash: "sha256",
        signature: sig.signature,
        reader: bytesReader(message),
      });
      return cp;
    } catch { /* try the next line with this hint */ }
  }
  throw new VerificationError(
    "TLOG_CHECKPOINT_INVALID",
    "Cannot verify checkpoint: no signature by the log key verifies",
  );
}
