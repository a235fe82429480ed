/**
 * The size limit cosign puts on attachments it reads (`COSIGN_MAX_ATTACHMENT_SIZE`,
 * internal/pkg/cosign/payload/size), and the human-readable sizes it accepts there
 * (go-humanize v1.0.1 `ParseBytes`).
 *
 * @module
 */

/** cosign's default limit: 128 MiB. */
export const DEFAULT_MAX_ATTACHMENT_SIZE = 134_217_728;

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  ki: 2 ** 10,
  kib: 2 ** 10,
  m: 1e6,
  mb: 1e6,
  mi: 2 ** 20,
  mib: 2 ** 20,
  g: 1e9,
  gb: 1e9,
  gi: 2 ** 30,
  gib: 2 ** 30,
  t: 1e12,
  tb: 1e12,
  ti: 2 ** 40,
  tib: 2 ** 40,
  p: 1e15,
  pb: 1e15,
  pi: 2 ** 50,
  pib: 2 ** 50,
  e: 1e18,
  eb: 1e18,
  ei: 2 ** 60,
  eib: 2 ** 60,
};

/**
 * Parses a size like go-humanize's `ParseBytes`: a decimal number (commas ignored, fractions
 * allowed), optional spaces, then an optional unit — SI (`K`, `MB` = 1000², …) or IEC (`Ki`,
 * `MiB` = 1024², …), case-insensitive: "5120", "20K", "3M", "45MiB", "1GB".
 *
 * @param text the size text
 * @returns the number of bytes (fractions truncated)
 * @throws {SyntaxError} for a missing number or an unknown unit
 * @throws {RangeError} for a size of 2^64 bytes or more
 */
export function parseHumanBytes(text: string): number {
  const m = /^[0-9.,]*/.exec(text)![0];
  const num = m.replaceAll(",", "");
  if (!/^(\d+\.?\d*|\.\d+)$/.test(num)) {
    throw new SyntaxError(`Cannot parse size "${text}": no number`);
  }
  const unit = text.slice(m.length).trim().toLowerCase();
  if (!Object.hasOwn(UNITS, unit)) {
    throw new SyntaxError(`Cannot parse size "${text}": unhandled size name: ${unit}`);
  }
  const bytes = Number(num) * UNITS[unit];
  if (bytes >= 2 ** 64) throw new RangeError(`Cannot parse size "${text}": too large`);
  return Math.trunc(bytes);
}

/**
 * The attachment size limit for a `COSIGN_MAX_ATTACHMENT_SIZE` value: cosign falls back to
 * 128 MiB, silently, when the variable is unset or does not parse.
 *
 * @param value the variable's value, or undefined when unset
 * @returns the limit in bytes
 */
export function maxAttachmentSize(value: string | undefined): number {
  if (value === undefined) return DEFAULT_MAX_ATTACHMENT_SIZE;
  try {
    return parseHumanBytes(value);
  } catch {
    return DEFAULT_MAX_ATTACHMENT_SIZE;
  }
}
