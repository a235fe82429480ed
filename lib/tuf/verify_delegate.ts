/**
 * Threshold signature checks of TUF metadata (TUF 1.0 §4.2 "KEYS", §5.3.4-5.3.5): a role's
 * metadata is trusted when at least `threshold` distinct keys of the role, as the delegating
 * metadata lists them, made a valid signature over the OLPC canonical form of `signed`.
 *
 * Key types and schemes (TUF 1.0 §4.2, go-tuf v2 `metadata/keys.go`):
 * - `ecdsa` or `ecdsa-sha2-nistp256` with scheme `ecdsa-sha2-nistp256` (SHA-256) or
 *   `ecdsa-sha2-nistp384` (SHA-384): PEM SubjectPublicKeyInfo, hex DER (ASN.1) signatures
 * - `ed25519` with scheme `ed25519`: hex raw 32-byte key, hex 64-byte signatures
 * - `rsa` with scheme `rsassa-pss-sha256`: PEM key, RSASSA-PSS with SHA-256 and MGF1-SHA-256, salt
 *   length detected (securesystemslib and go-tuf verify with "auto")
 *
 * A key of an unknown type, or one that does not parse, does not count toward the threshold
 * (python-tuf skips it the same way; go-tuf errors): it can only make verification fail.
 * Key IDs are taken as the metadata states them; they are not recomputed. The signature check
 * itself is `signature/verifySignature`, the one verifier every other signature goes through.
 *
 * @module
 */
import { VerificationError } from "../errors.ts";
import { ed25519PublicKeyFromRaw, parsePublicKeyPem } from "../keys/public_key.ts";
import { verifySignature, type VerifySignatureOptions } from "../signature/verify_signature.ts";
import { bytesReader } from "../stream.ts";
import type { Metadata, RoleKeys, TufKey } from "./metadata.ts";
import { olpcCanonicalJson } from "./olpc_canonical_json.ts";

/** How to verify with a key: everything {@link verifySignature} needs but the signature and message. */
type KeyParams = Omit<VerifySignatureOptions, "signature" | "reader">;

const params = new WeakMap<TufKey, KeyParams | undefined>();

const ECDSA_HASH: Record<string, "sha256" | "sha384"> = {
  "ecdsa-sha2-nistp256": "sha256",
  "ecdsa-sha2-nistp384": "sha384",
};

/** The verifier parameters of a key type and scheme TUF 1.0 §4.2 names, else undefined. */
function keyParams(key: TufKey): KeyParams | undefined {
  const { keytype, scheme } = key;
  if ((keytype === "ecdsa" || keytype === "ecdsa-sha2-nistp256") && ECDSA_HASH[scheme]) {
    const publicKey = parsePublicKeyPem(key.public);
    if (publicKey.kind !== "ecdsa") return undefined;
    return { publicKey, hash: ECDSA_HASH[scheme] };
  }
  if (keytype === "ed25519" && scheme === "ed25519") {
    if (!/^[0-9a-fA-F]{64}$/.test(key.public)) return undefined;
    // The hash is ignored for Ed25519 (pure Ed25519 over the message).
    return { publicKey: ed25519PublicKeyFromRaw(Uint8Array.fromHex(key.public)), hash: "sha512" };
  }
  if (keytype === "rsa" && scheme === "rsassa-pss-sha256") {
    const publicKey = parsePublicKeyPem(key.public);
    if (publicKey.kind !== "rsa") return undefined;
    // RSASSA-PSS with MGF1-SHA-256 and the salt length detected, as securesystemslib and go-tuf do.
    return { publicKey, hash: "sha256", rsaPss: true };
  }
  return undefined;
}

function paramsFor(key: TufKey): KeyParams | undefined {
  if (params.has(key)) return params.get(key);
  let p: KeyParams | undefined;
  try {
    p = keyParams(key);
  } catch {
    p = undefined;
  }
  params.set(key, p);
  return p;
}

/**
 * Whether `key` made `sigHex` over `message`.
 *
 * @param key a key as metadata states it
 * @param sigHex the signature, hex
 * @param message the signed bytes
 * @returns true for a valid signature; false for an invalid one, a malformed signature, or a key
 *   of an unsupported type
 */
export async function verifyKeySignature(
  key: TufKey,
  sigHex: string,
  message: Uint8Array,
): Promise<boolean> {
  if (!/^([0-9a-fA-F]{2})+$/.test(sigHex)) return false;
  const p = paramsFor(key);
  if (!p) return false;
  try {
    await verifySignature({
      ...p,
      signature: Uint8Array.fromHex(sigHex),
      reader: bytesReader(message),
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks that `metadata` is signed by at least `role.threshold` of the keys `role.keyids` names
 * (go-tuf `VerifyDelegate`, TUF 1.0 §5.3.4).
 *
 * @param keys the delegating metadata's keys by ID (root `keys` or targets `delegations.keys`)
 * @param role the delegated role's key IDs and threshold
 * @param roleName the role's name, for messages
 * @param metadata the metadata to check
 * @returns the IDs of the keys whose signatures verified
 * @throws {VerificationError} `TUF_UNSIGNED` "Cannot verify <role> metadata: not enough
 *   signatures, got N, want T"
 */
export async function verifyDelegate(
  keys: Record<string, TufKey>,
  role: RoleKeys,
  roleName: string,
  metadata: Metadata,
): Promise<string[]> {
  const message = olpcCanonicalJson(metadata.signedJson);
  const sigs = new Map(metadata.signatures.map((s) => [s.keyid, s.sig]));
  const verified: string[] = [];
  // A key listed twice counts once (parseMetadata refuses duplicate key IDs in a role already).
  for (const keyid of new Set(role.keyids)) {
    const key = keys[keyid];
    const sig = sigs.get(keyid);
    if (!key || sig === undefined) continue;
    if (await verifyKeySignature(key, sig, message)) verified.push(keyid);
  }
  if (verified.length < role.threshold) {
    throw new VerificationError(
      "TUF_UNSIGNED",
      `Cannot verify ${roleName} metadata: not enough signatures, got ${verified.length}, want ${role.threshold}`,
    );
  }
  return verified;
}
