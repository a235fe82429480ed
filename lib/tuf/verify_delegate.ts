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
 * Key IDs are taken as the metadata states them; they are not recomputed.
 *
 * @module
 */
import { nodeCrypto } from "../_node_crypto.ts";
import { derChildren, derInteger, parseDer, TAG } from "../asn1/der.ts";
import { VerificationError } from "../errors.ts";
import { CURVE_BYTES, parsePublicKeyPem, type PublicKey } from "../keys/public_key.ts";
import type { Metadata, RoleKeys, TufKey } from "./metadata.ts";
import { olpcCanonicalJson } from "./olpc_canonical_json.ts";

type Verifier = (message: Uint8Array, sig: Uint8Array) => Promise<boolean>;

const verifiers = new WeakMap<TufKey, Promise<Verifier | undefined>>();

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

const ECDSA_HASH: Record<string, string> = {
  "ecdsa-sha2-nistp256": "SHA-256",
  "ecdsa-sha2-nistp384": "SHA-384",
};

async function makeVerifier(key: TufKey): Promise<Verifier | undefined> {
  const { keytype, scheme } = key;
  if ((keytype === "ecdsa" || keytype === "ecdsa-sha2-nistp256") && ECDSA_HASH[scheme]) {
    const pub: PublicKey = parsePublicKeyPem(key.public);
    if (pub.kind !== "ecdsa" || !pub.curve) return undefined;
    const size = CURVE_BYTES[pub.curve];
    const ck = await crypto.subtle.importKey(
      "spki",
      pub.spki as Uint8Array<ArrayBuffer>,
      { name: "ECDSA", namedCurve: pub.curve },
      false,
      ["verify"],
    );
    return async (message, sig) => {
      const raw = derToP1363(sig, size);
      if (!raw) return false;
      return await crypto.subtle.verify(
        { name: "ECDSA", hash: ECDSA_HASH[scheme] },
        ck,
        raw as Uint8Array<ArrayBuffer>,
        message as Uint8Array<ArrayBuffer>,
      );
    };
  }
  if (keytype === "ed25519" && scheme === "ed25519") {
    if (!/^[0-9a-fA-F]{64}$/.test(key.public)) return undefined;
    const ck = await crypto.subtle.importKey(
      "raw",
      Uint8Array.fromHex(key.public) as Uint8Array<ArrayBuffer>,
      { name: "Ed25519" },
      false,
      ["verify"],
    );
    return async (message, sig) =>
      sig.length === 64 &&
      await crypto.subtle.verify(
        "Ed25519",
        ck,
        sig as Uint8Array<ArrayBuffer>,
        message as Uint8Array<ArrayBuffer>,
      );
  }
  if (keytype === "rsa" && scheme === "rsassa-pss-sha256") {
    const pub = parsePublicKeyPem(key.public);
    if (pub.kind !== "rsa") return undefined;
    const { constants, verify } = nodeCrypto();
    return (message, sig) =>
      Promise.resolve(verify("sha256", message, {
        key: pub.keyObject,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_AUTO,
      }, sig));
  }
  return undefined;
}

function verifierFor(key: TufKey): Promise<Verifier | undefined> {
  let v = verifiers.get(key);
  if (!v) {
    v = makeVerifier(key).catch(() => undefined);
    verifiers.set(key, v);
  }
  return v;
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
  const verifier = await verifierFor(key);
  if (!verifier) return false;
  try {
    return await verifier(message, Uint8Array.fromHex(sigHex));
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
