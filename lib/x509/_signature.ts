/**
 * Signature checks shared by certificate path validation and SCTs: the algorithms Go's
 * `x509.CheckSignature` accepts (ECDSA with SHA-256/384/512, RSA PKCS#1 v1.5 and PSS with
 * SHA-256/384/512, Ed25519; never SHA-1 or MD5).
 *
 * @module
 */
import { derChildren, derInteger, type DerNode, derOid, parseDer, TAG } from "../asn1/der.ts";
import { parsePublicKeyDer, type PublicKey } from "../keys/public_key.ts";
import { bytesReader } from "../stream.ts";
import { verifySignature } from "../signature/verify_signature.ts";

/** A signature scheme with its digest. */
export interface SignatureScheme {
  kind: "ecdsa" | "rsa" | "rsa-pss" | "ed25519";
  hash: "sha256" | "sha384" | "sha512";
}

const ECDSA: Record<string, SignatureScheme["hash"]> = {
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
};
const RSA: Record<string, SignatureScheme["hash"]> = {
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
};
const HASHES: Record<string, SignatureScheme["hash"]> = {
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};
const HASH_BYTES = { sha256: 32, sha384: 48, sha512: 64 } as const;
const INSECURE = new Set([
  "1.2.840.113549.1.1.4", // md5WithRSAEncryption
  "1.2.840.113549.1.1.5", // sha1WithRSAEncryption
  "1.2.840.10045.4.1", // ecdsa-with-SHA1
  "1.2.840.10040.4.3", // dsa-with-sha1
]);

/**
 * The scheme of an X.509 signature AlgorithmIdentifier (RFC 5758, RFC 4055, RFC 8410).
 *
 * @returns the scheme, or a reason string when it is not one Go accepts
 */
export function signatureScheme(
  alg: { oid: string; parameters?: Uint8Array },
): SignatureScheme | string {
  if (ECDSA[alg.oid]) {
    return alg.parameters ? "ECDSA signature algorithm with parameters" : {
      kind: "ecdsa",
      hash: ECDSA[alg.oid],
    };
  }
  if (RSA[alg.oid]) {
    const p = alg.parameters;
    if (p && !(p.length === 2 && p[0] === TAG.NULL && p[1] === 0)) {
      return "RSA signature algorithm with parameters";
    }
    return { kind: "rsa", hash: RSA[alg.oid] };
  }
  if (alg.oid === "1.3.101.112") {
    return alg.parameters ? "Ed25519 signature algorithm with parameters" : {
      kind: "ed25519",
      hash: "sha512",
    };
  }
  if (alg.oid === "1.2.840.113549.1.1.10") return pssScheme(alg.parameters);
  if (INSECURE.has(alg.oid)) return `insecure signature algorithm ${alg.oid}`;
  return `unsupported signature algorithm ${alg.oid}`;
}

/**
 * RSASSA-PSS-params (RFC 4055 §3.1) in the only forms Go accepts: SHA-256/384/512, MGF1 with the
 * same hash, salt length equal to the hash length, trailer field 1.
 */
function pssScheme(params: Uint8Array | undefined): SignatureScheme | string {
  const bad = "unsupported RSASSA-PSS parameters";
  try {
    if (!params) return bad;
    const fields = derChildren(parseDer(params), TAG.SEQUENCE, "RSASSA-PSS-params");
    let hash: SignatureScheme["hash"] | undefined,
      mgfHash: string | undefined,
      salt = 20n,
      trailer = 1n;
    const hashOf = (node: DerNode) => {
      const [oid, p, ...more] = derChildren(node, TAG.SEQUENCE, "hash algorithm");
      if (more.length || (p && !(p.tag === TAG.NULL && p.value.length === 0))) return undefined;
      return HASHES[derOid(oid)];
    };
    for (const f of fields) {
      const [inner, ...more] = derChildren(f, f.tag, "RSASSA-PSS-params field");
      if (more.length || !inner) return bad;
      if (f.tag === 0xa0) hash = hashOf(inner);
      else if (f.tag === 0xa1) {
        const [mgf, mgfParams, ...rest] = derChildren(inner, TAG.SEQUENCE, "mask generation");
        if (rest.length || derOid(mgf) !== "1.2.840.113549.1.1.8" || !mgfParams) return bad;
        mgfHash = hashOf(mgfParams);
      } else if (f.tag === 0xa2) salt = derInteger(inner);
      else if (f.tag === 0xa3) trailer = derInteger(inner);
      else return bad;
    }
    if (!hash || mgfHash !== hash || salt !== BigInt(HASH_BYTES[hash]) || trailer !== 1n) {
      return bad;
    }
    return { kind: "rsa-pss", hash };
  } catch {
    return bad;
  }
}

/**
 * Verifies `signature` over `data` with `key` under `scheme`.
 *
 * @returns whether the signature is valid (false also when the key does not fit the scheme)
 */
export async function verifyScheme(
  key: PublicKey,
  scheme: SignatureScheme,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const expected = scheme.kind === "rsa-pss" ? "rsa" : scheme.kind;
  if (key.kind !== expected) return false;
  if (scheme.kind === "rsa-pss") {
    // Go's rsa.VerifyPSS with PSSSaltLengthEqualsHash: WebCrypto takes the salt length exactly.
    const name = { sha256: "SHA-256", sha384: "SHA-384", sha512: "SHA-512" }[scheme.hash];
    try {
      const k = await crypto.subtle.importKey(
        "spki",
        key.spki as Uint8Array<ArrayBuffer>,
        { name: "RSA-PSS", hash: name },
        false,
        ["verify"],
      );
      return await crypto.subtle.verify(
        { name: "RSA-PSS", saltLength: HASH_BYTES[scheme.hash] },
        k,
        signature as Uint8Array<ArrayBuffer>,
        data as Uint8Array<ArrayBuffer>,
      );
    } catch {
      return false;
    }
  }
  try {
    await verifySignature({
      publicKey: key,
      hash: scheme.hash,
      signature,
      reader: bytesReader(data),
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses an SPKI for signature checks.
 *
 * @returns the key, or undefined when Go's verifier could not use it either
 */
export function signingKey(spki: Uint8Array): PublicKey | undefined {
  try {
    return parsePublicKeyDer(spki);
  } catch {
    return undefined;
  }
}
