/**
 * RFC 3161 §2.4.2 time-stamp responses (`TimeStampResp`), and the reader cosign's stored formats
 * need: cosign and sigstore bundles store the whole response, yet a bare token is also met.
 *
 * @module
 */
import { derChildren, derInteger, type DerNode, parseDer, TAG } from "../asn1/der.ts";
import {
  parseTimestampToken,
  TIMESTAMP_DER_LIMITS,
  type TimestampToken,
} from "./parse_timestamp_token.ts";

/** PKIStatus values, RFC 3161 §2.4.2. */
export const PKI_STATUS = {
  granted: 0,
  grantedWithMods: 1,
  rejection: 2,
  waiting: 3,
  revocationWarning: 4,
  revocationNotification: 5,
} as const;

/** The named bits of PKIFailureInfo, RFC 3161 §2.4.2, with the wording of Go's digitorus/timestamp. */
export const PKI_FAILURE_INFO: Readonly<Record<number, string>> = {
  0: "unrecognized or unsupported Algorithm Identifier",
  2: "transaction not permitted or supported",
  5: "the data submitted has the wrong format",
  14: "the TSA's time source is not available",
  15: "the requested TSA policy is not supported by the TSA",
  16: "the requested extension is not supported by the TSA",
  17: "the additional information requested could not be understood or is not available",
  25: "the request cannot be handled due to system failure",
};

/** A parsed time-stamp response. */
export interface TimestampResponse {
  /** The TimeStampResp DER. */
  der: Uint8Array;
  /** PKIStatus (see {@link PKI_STATUS}). */
  status: number;
  /** PKIFreeText strings. */
  statusStrings: string[];
  /** The set bits of PKIFailureInfo. */
  failInfo: number[];
  /** The token: present when the status grants it. */
  token?: TimestampToken;
}

function readStatus(node: DerNode): Omit<TimestampResponse, "der" | "token"> {
  const parts = derChildren(node, TAG.SEQUENCE, "PKIStatusInfo");
  if (parts.length < 1 || parts.length > 3) throw new SyntaxError("PKIStatusInfo: wrong elements");
  const status = derInteger(parts[0]);
  if (status < 0n || status > 1000n) throw new SyntaxError("PKIStatus out of range");
  const out = { status: Number(status), statusStrings: [] as string[], failInfo: [] as number[] };
  let i = 1;
  if (parts[i]?.tag === TAG.SEQUENCE) {
    for (const s of parts[i++].children!) {
      if (s.tag !== TAG.UTF8_STRING) throw new SyntaxError("PKIFreeText: not a UTF8String");
      out.statusStrings.push(new TextDecoder("utf-8", { fatal: true }).decode(s.value));
    }
  }
  if (parts[i]?.tag === TAG.BIT_STRING) {
    const v = parts[i++].value;
    if (v.length === 0 || v[0] > 7 || (v.length === 1 && v[0] !== 0)) {
      throw new SyntaxError("PKIFailureInfo: malformed BIT STRING");
    }
    for (let bit = 0; bit < (v.length - 1) * 8 - v[0]; bit++) {
      if (v[1 + (bit >> 3)] & (0x80 >> (bit & 7))) out.failInfo.push(bit);
    }
  }
  if (i !== parts.length) throw new SyntaxError("PKIStatusInfo: unexpected element");
  return out;
}

function wrap(e: unknown): SyntaxError {
  return new SyntaxError(`Cannot parse timestamp response: ${(e as Error).message}`, { cause: e });
}

function parseRoot(der: Uint8Array): DerNode {
  try {
    return parseDer(der, TIMESTAMP_DER_LIMITS);
  } catch (e) {
    throw wrap(e);
  }
}

function readResponse(root: DerNode, der: Uint8Array): TimestampResponse {
  let out: TimestampResponse;
  let parts: DerNode[];
  try {
    parts = derChildren(root, TAG.SEQUENCE, "TimeStampResp");
    if (parts.length < 1 || parts.length > 2) {
      throw new SyntaxError("TimeStampResp: wrong element count");
    }
    out = { der, ...readStatus(parts[0]) };
  } catch (e) {
    throw wrap(e);
  }
  // The token is parsed again from its bytes: a bounded second pass keeps one parser entry point.
  if (parts[1]) out.token = parseTimestampToken(parts[1].raw);
  return out;
}

/**
 * Parses a DER `TimeStampResp` (RFC 3161 §2.4.2): status and, when present, the token.
 *
 * @param der the response
 * @returns the status and token; nothing is verified
 * @throws {SyntaxError} "Cannot parse timestamp response: …" or "Cannot parse timestamp token: …"
 *   for anything malformed or over the bounds
 */
export function parseTimestampResponse(der: Uint8Array): TimestampResponse {
  return readResponse(parseRoot(der), der);
}

/**
 * Parses what cosign and sigstore bundles store as a "signed timestamp": normally a whole
 * `TimeStampResp`, but a bare token (ContentInfo) is accepted too and reported as granted.
 *
 * @param der a TimeStampResp or a TimeStampToken
 * @returns the response (for a bare token: status granted, the token, `der` the token)
 * @throws {SyntaxError} "Cannot parse timestamp response: …" / "Cannot parse timestamp token: …"
 */
export function parseSignedTimestamp(der: Uint8Array): TimestampResponse {
  const root = parseRoot(der);
  // A ContentInfo starts with an OID; a TimeStampResp with the PKIStatusInfo SEQUENCE.
  if (root.children?.[0]?.tag === TAG.OID) {
    const token = parseTimestampToken(der);
    return { der, status: PKI_STATUS.granted, statusStrings: [], failInfo: [], token };
  }
  return readResponse(root, der);
}
