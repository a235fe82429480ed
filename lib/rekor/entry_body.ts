/**
 * Reading what a transparency log entry body says about the signature it records, for the kinds
 * Sigstore bundles carry: hashedrekord 0.0.1 (Rekor v1), hashedrekord 0.0.2 (Rekor v2,
 * rekor-tiles protobuf JSON), dsse 0.0.1 and intoto 0.0.2 (sigstore-go pkg/tlog entry.go
 * Signature/PublicKey; Rekor pkg/types).
 *
 * @module
 */
import { VerificationError } from "../errors.ts";
import { decodePem } from "../keys/pem.ts";

/** A digest named by an entry, with the algorithm normalised (`sha256`, `sha384`, `sha512`). */
export interface EntryDigest {
  algorithm: string;
  value: Uint8Array;
}

/** One signature an entry records, with its verifier (DER of a public key or certificate). */
export interface EntrySignature {
  signature: Uint8Array;
  verifier: Uint8Array;
}

/** What an entry body records. */
export interface EntryBody {
  kind: string;
  apiVersion: string;
  signatures: EntrySignature[];
  /** hashedrekord: the artifact digest (for DSSE content in v0.0.2: of the PAE). */
  digest?: EntryDigest;
  /** dsse, intoto: the digest of the envelope payload. */
  payloadHash?: EntryDigest;
  /** intoto: the envelope's payload type. */
  payloadType?: string;
}

function bad(detail: string): VerificationError {
  return new VerificationError(
    "TLOG_ENTRY_INVALID",
    `Cannot read transparency log entry: ${detail}`,
  );
}

function b64(v: unknown, what: string): Uint8Array {
  if (typeof v !== "string" || v.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
    throw bad(`${what} is not base64`);
  }
  return Uint8Array.fromBase64(v);
}

function hex(v: unknown, what: string): Uint8Array {
  if (typeof v !== "string" || !/^([0-9a-fA-F]{2})+$/.test(v)) throw bad(`${what} is not hex`);
  return Uint8Array.fromHex(v.toLowerCase());
}

/** The DER inside a base64 PEM (hashedrekord 0.0.1, dsse, intoto verifiers). */
function pemDer(v: unknown, what: string): Uint8Array {
  const pem = decodePem(b64(v, what));
  if (!pem) throw bad(`${what} is not PEM`);
  return pem.bytes;
}

const ALGORITHMS: Record<string, string> = {
  sha256: "sha256",
  sha384: "sha384",
  sha512: "sha512",
  SHA2_256: "sha256",
  SHA2_384: "sha384",
  SHA2_512: "sha512",
};

function digestOf(algorithm: unknown, value: Uint8Array): EntryDigest {
  return { algorithm: ALGORITHMS[String(algorithm)] ?? String(algorithm), value };
}

/**
 * Decodes an entry body.
 *
 * @param body the canonicalized body (base64-decoded)
 * @returns the signatures, verifiers and digests it records
 * @throws {VerificationError} `TLOG_ENTRY_INVALID` for a malformed body or another kind
 */
export function parseEntryBody(body: Uint8Array): EntryBody {
  // deno-lint-ignore no-explicit-any
  let v: any;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    throw bad("the body is not JSON");
  }
  const kind = v?.kind, apiVersion = v?.apiVersion, spec = v?.spec;
  if (typeof spec !== "object" || spec === null) throw bad("the body has no spec");
  try {
    if (kind === "hashedrekord" && apiVersion === "0.0.1") {
      return {
        kind,
        apiVersion,
        signatures: [{
          signature: b64(spec.signature?.content, "spec.signature.content"),
          verifier: pemDer(spec.signature?.publicKey?.content, "spec.signature.publicKey"),
        }],
        digest: digestOf(spec.data?.hash?.algorithm, hex(spec.data?.hash?.value, "spec.data.hash")),
      };
    }
    if (kind === "hashedrekord" && apiVersion === "0.0.2") {
      const h = spec.hashedRekordV002;
      const verifier = h?.signature?.verifier;
      const raw = verifier?.publicKey?.rawBytes ?? verifier?.x509Certificate?.rawBytes;
      return {
        kind,
        apiVersion,
        signatures: [{
          signature: b64(h?.signature?.content, "signature.content"),
          verifier: b64(raw, "signature.verifier"),
        }],
        digest: digestOf(h?.data?.algorithm, b64(h?.data?.digest, "data.digest")),
      };
    }
    if (kind === "dsse" && apiVersion === "0.0.1") {
      const sigs = spec.signatures;
      if (!Array.isArray(sigs) || sigs.length === 0 || sigs.length > 16) {
        throw bad("spec.signatures is missing");
      }
      return {
        kind,
        apiVersion,
        // deno-lint-ignore no-explicit-any
        signatures: sigs.map((s: any, i: number) => ({
          signature: b64(s?.signature, `spec.signatures[${i}].signature`),
          verifier: pemDer(s?.verifier, `spec.signatures[${i}].verifier`),
        })),
        payloadHash: digestOf(
          spec.payloadHash?.algorithm,
          hex(spec.payloadHash?.value, "payloadHash"),
        ),
      };
    }
    if (kind === "intoto" && apiVersion === "0.0.2") {
      const env = spec.content?.envelope;
      const sigs = env?.signatures;
      if (!Array.isArray(sigs) || sigs.length === 0 || sigs.length > 16) {
        throw bad("spec.content.envelope.signatures is missing");
      }
      return {
        kind,
        apiVersion,
        // The intoto type stores each signature base64-encoded twice (strfmt.Base64 of the text).
        // deno-lint-ignore no-explicit-any
        signatures: sigs.map((s: any, i: number) => ({
          signature: b64(new TextDecoder().decode(b64(s?.sig, `signatures[${i}].sig`)), "sig"),
          verifier: pemDer(s?.publicKey, `signatures[${i}].publicKey`),
        })),
        payloadHash: digestOf(
          spec.content?.payloadHash?.algorithm,
          hex(spec.content?.payloadHash?.value, "payloadHash"),
        ),
        payloadType: typeof env.payloadType === "string" ? env.payloadType : undefined,
      };
    }
  } catch (e) {
    if (e instanceof VerificationError) throw e;
    throw bad(`malformed ${kind} ${apiVersion} body`);
  }
  throw bad(`unsupported entry kind ${String(kind)} ${String(apiVersion)}`);
}
