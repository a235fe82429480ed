/**
 * PEM decoding and encoding with the exact behaviour of Go's `encoding/pem` (RFC 7468 framing),
 * which every cosign key file goes through.
 *
 * @module
 */

import { decodeStdBase64 } from "../base64.ts";

/** One decoded PEM block. */
export interface PemBlock {
  /** The label, e.g. "PUBLIC KEY". */
  type: string;
  /** The decoded body. */
  bytes: Uint8Array;
  /** RFC 1421 headers ("Proc-Type: ..."), rarely present. */
  headers: Record<string, string>;
}

const BEGIN = "\n-----BEGIN ";
const END = "\n-----END ";
const DASHES = "-----";

/** Splits off one line like Go's pem.getLine: trailing spaces, tabs and `\r` are trimmed. */
function getLine(s: string): [string, string] {
  const i = s.indexOf("\n");
  const line = i < 0 ? s : s.slice(0, i);
  const rest = i < 0 ? "" : s.slice(i + 1);
  return [line.replace(/[ \t\r]+$/, ""), rest];
}

/**
 * Finds and decodes the first PEM block, like Go's `pem.Decode`: text before it is skipped, the
 * BEGIN line must start a line, the END line must repeat the type, and a block whose body is not
 * valid base64 is skipped in favour of a later one.
 *
 * @param input the PEM text (bytes are read as Latin-1, so any byte sequence is accepted)
 * @returns the first block, or `null` when there is none
 */
export function decodePem(input: string | Uint8Array): PemBlock | null {
  let rest = typeof input === "string" ? input : latin1(input);
  for (;;) {
    if (rest.startsWith(BEGIN.slice(1))) rest = rest.slice(BEGIN.length - 1);
    else {
      const i = rest.indexOf(BEGIN);
      if (i < 0) return null;
      rest = rest.slice(i + BEGIN.length);
    }
    let typeLine: string;
    [typeLine, rest] = getLine(rest);
    if (!typeLine.endsWith(DASHES)) continue;
    const type = typeLine.slice(0, -DASHES.length);

    const headers: Record<string, string> = {};
    for (;;) {
      if (rest.length === 0) return null;
      const [line, next] = getLine(rest);
      const colon = line.indexOf(":");
      if (colon < 0) break;
      headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
      rest = next;
    }

    let endIndex: number;
    let trailerIndex: number;
    if (Object.keys(headers).length === 0 && rest.startsWith(END.slice(1))) {
      endIndex = 0;
      trailerIndex = END.length - 1;
    } else {
      endIndex = rest.indexOf(END);
      trailerIndex = endIndex + END.length;
    }
    if (endIndex < 0) continue;
    const trailer = rest.slice(trailerIndex, trailerIndex + type.length + DASHES.length);
    if (trailer !== type + DASHES) continue;
    if (getLine(rest.slice(trailerIndex + trailer.length))[0].length !== 0) continue;
    let bytes: Uint8Array;
    try {
      bytes = decodeStdBase64(rest.slice(0, endIndex).replace(/[ \t]/g, ""));
    } catch {
      continue;
    }
    return { type, bytes, headers };
  }
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

/**
 * Encodes one PEM block exactly like Go's `pem.EncodeToMemory` without headers.
 *
 * @param type the label, e.g. "PUBLIC KEY"
 * @param bytes the body
 * @returns `-----BEGIN <type>-----\n`, base64 in 64-character lines, `-----END <type>-----\n`
 */
export function encodePem(type: string, bytes: Uint8Array): string {
  const b64 = bytes.toBase64();
  let body = "";
  for (let i = 0; i < b64.length; i += 64) body += b64.slice(i, i + 64) + "\n";
  return `-----BEGIN ${type}-----\n${body}-----END ${type}-----\n`;
}
