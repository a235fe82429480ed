/**
 * A small certificate path validator for the timestamp tests, standing in for lib/x509's
 * `verifyCertificateChain` until that lands (then the tests should inject the real one).
 *
 * It walks from the leaf to a trusted root by issuer name, checking each signature with the
 * issuer's key, each validity period at `at`, and that every issuer is a CA. No name
 * constraints, path lengths or policies: enough to tell a chain of the right TSA from a wrong one.
 *
 * @module
 */
import { parsePublicKeyDer } from "../../lib/keys/public_key.ts";
import { bytesReader } from "../../lib/stream.ts";
import type { CertificateChainToVerify } from "../../lib/timestamp/verify_timestamp.ts";
import {
  bytesEqual,
  parseCertificateDer,
  type TsaCertificate,
} from "../../lib/timestamp/_certificate.ts";
import { type VerifyHash, verifySignature } from "../../lib/signature/verify_signature.ts";

const ALGS: Record<string, { kind: string; hash: VerifyHash }> = {
  "1.2.840.10045.4.3.2": { kind: "ecdsa", hash: "sha256" },
  "1.2.840.10045.4.3.3": { kind: "ecdsa", hash: "sha384" },
  "1.2.840.10045.4.3.4": { kind: "ecdsa", hash: "sha512" },
  "1.2.840.113549.1.1.11": { kind: "rsa", hash: "sha256" },
  "1.2.840.113549.1.1.12": { kind: "rsa", hash: "sha384" },
  "1.2.840.113549.1.1.13": { kind: "rsa", hash: "sha512" },
  "1.3.101.112": { kind: "ed25519", hash: "sha512" },
};

async function signedBy(cert: TsaCertificate, issuer: TsaCertificate): Promise<boolean> {
  const alg = ALGS[cert.signatureAlgorithm];
  if (!alg) return false;
  const key = parsePublicKeyDer(issuer.spki);
  if (key.kind !== alg.kind) return false;
  try {
    await verifySignature({
      publicKey: key,
      hash: alg.hash,
      signature: cert.signatureValue,
      reader: bytesReader(cert.tbs),
    });
    return true;
  } catch {
    return false;
  }
}

function valid(cert: TsaCertificate, at: number): boolean {
  return at >= cert.notBefore && at <= cert.notAfter;
}

/**
 * Validates `leaf` up to one of `roots` at time `at`.
 *
 * @param chain the leaf, candidate intermediates, roots and time
 * @throws {Error} "x509: …" when no valid path exists
 */
export async function verifyChainForTests(chain: CertificateChainToVerify): Promise<void> {
  const roots = chain.roots.map(parseCertificateDer);
  const pool = [...chain.intermediates.map(parseCertificateDer), ...roots];
  let current = parseCertificateDer(chain.leaf);
  for (let depth = 0; depth < 8; depth++) {
    if (!valid(current, chain.at)) {
      throw new Error("x509: certificate has expired or is not yet valid");
    }
    if (roots.some((r) => bytesEqual(r.der, current.der))) return;
    let next: TsaCertificate | undefined;
    for (const candidate of pool) {
      if (!bytesEqual(candidate.subject, current.issuer) || !candidate.isCA) continue;
      if (await signedBy(current, candidate)) {
        next = candidate;
        break;
      }
    }
    if (!next) throw new Error("x509: certificate signed by unknown authority");
    current = next;
  }
  throw new Error("x509: too many intermediates");
}
