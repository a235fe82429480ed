/**
 * Merkle tree inclusion proofs of RFC 6962 / RFC 9162 §2.1.3.2, as Rekor (Trillian) builds them.
 *
 * @module
 */
import { sha256 } from "../digest.ts";
import { VerificationError } from "../errors.ts";

/**
 * The RFC 6962 leaf hash: SHA-256(0x00 ‖ leaf).
 *
 * @param leaf the leaf data (a Rekor entry body, base64-decoded)
 * @returns the 32-byte hash
 */
export function hashLeaf(leaf: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(0), leaf);
}

/**
 * The RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right).
 *
 * @returns the 32-byte hash
 */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(1), left, right);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function fail(detail: string): VerificationError {
  return new VerificationError(
    "TLOG_INCLUSION_INVALID",
    `Cannot verify inclusion proof: ${detail}`,
  );
}

/**
 * Computes the root a proof leads to (RFC 9162 §2.1.3.2).
 *
 * @param index the leaf's index within the tree (Rekor: the shard-local index)
 * @param size the tree size the proof is for
 * @param leafHash the leaf's hash
 * @param proof the audit path, leaf to root
 * @returns the computed root hash
 * @throws {VerificationError} `TLOG_INCLUSION_INVALID` for an index out of range or a proof of
 *   the wrong length
 */
export function rootFromInclusionProof(
  index: bigint,
  size: bigint,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  if (size <= 0n || index < 0n || index >= size) {
    throw fail(`index ${index} is outside a tree of size ${size}`);
  }
  let fn = index;
  let sn = size - 1n;
  let r = leafHash;
  for (const p of proof) {
    if (p.length !== 32) throw fail("a proof hash is not 32 bytes");
    if (sn === 0n) throw fail("the proof is too long");
    if ((fn & 1n) === 1n || fn === sn) {
      r = hashChildren(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw fail("the proof is too short");
  return r;
}

/**
 * Verifies that `leafHash` is at `index` of the tree of `size` leaves with root `rootHash`.
 *
 * @throws {VerificationError} `TLOG_INCLUSION_INVALID` when it is not
 */
export function verifyInclusion(
  index: bigint,
  size: bigint,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  rootHash: Uint8Array,
): void {
  const computed = rootFromInclusionProof(index, size, leafHash, proof);
  if (!equal(computed, rootHash)) {
    throw fail(
      `calculated root ${computed.toHex()} does not match expected root ${rootHash.toHex()}`,
    );
  }
}
