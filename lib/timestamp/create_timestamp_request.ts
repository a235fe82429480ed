/**
 * RFC 3161 §2.4.1 time-stamp requests, as cosign builds them (internal/pkg/cosign/tsa/signer.go:
 * `timestamp.CreateRequest` over the raw signature with SHA-256, a random nonce and certReq).
 *
 * @module
 */
import { DER_NULL, derBool, derOctets, derOidEncode, derSequence, derUint } from "../asn1/der.ts";
import { hashBytes } from "./_cms.ts";
import type { StrongHash } from "./parse_timestamp_token.ts";

/** The OIDs of the imprint hashes a request may use. */
const HASH_OID: Record<StrongHash, string> = {
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
};

/** What to timestamp and how. */
export interface CreateTimestampRequestOptions {
  /** The bytes to timestamp: cosign sends the raw signature. */
  signature: Uint8Array;
  /** The imprint hash (default SHA-256, as cosign). */
  hash?: StrongHash;
  /** The nonce (default: 159 random bits, like sigstore's `cryptoutils.GenerateSerialNumber`). */
  nonce?: bigint;
  /** Ask the TSA to embed its certificate (default true, as cosign). */
  certReq?: boolean;
  /** A TSA policy (dotted OID), when one is wanted (cosign sends none). */
  policy?: string;
}

/** A request and what its answer must echo. */
export interface TimestampRequest {
  /** The DER TimeStampReq, for `Content-Type: application/timestamp-query`. */
  der: Uint8Array;
  /** The nonce the answer must echo. */
  nonce: bigint;
  /** The imprint's hash. */
  hash: StrongHash;
  /** The imprint: the hash of the signature. */
  hashedMessage: Uint8Array;
}

/** A random positive nonce below 2^159 (what cosign's request nonce is drawn from). */
function randomNonce(): bigint {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  bytes[0] &= 0x7f;
  return BigInt("0x" + bytes.toHex());
}

/**
 * Builds a DER `TimeStampReq`: version 1, the message imprint (hash of the signature with NULL
 * parameters, as Go's digitorus/timestamp writes it), an optional policy, the nonce and certReq.
 *
 * @param opts the signature and request options
 * @returns the request, its nonce and imprint
 * @throws {RangeError} for a negative nonce
 * @example
 * ```ts
 * const req = createTimestampRequest({ signature: rawSignature });
 * ```
 */
export function createTimestampRequest(opts: CreateTimestampRequestOptions): TimestampRequest {
  const hash = opts.hash ?? "sha256";
  const nonce = opts.nonce ?? randomNonce();
  if (nonce < 0n) throw new RangeError("Cannot create timestamp request: negative nonce");
  const hashedMessage = hashBytes(hash, opts.signature);
  const der = derSequence(
    derUint(1n),
    derSequence(derSequence(derOidEncode(HASH_OID[hash]), DER_NULL), derOctets(hashedMessage)),
    ...(opts.policy ? [derOidEncode(opts.policy)] : []),
    derUint(nonce),
    // certReq BOOLEAN DEFAULT FALSE: DER leaves a default value out.
    ...((opts.certReq ?? true) ? [derBool(true)] : []),
  );
  return { der, nonce, hash, hashedMessage };
}
