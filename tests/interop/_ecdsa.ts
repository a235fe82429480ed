/**
 * Small helpers that rewrite ECDSA signatures for the interop tests: the other valid S value
 * (high-S ↔ low-S) and a corrupted signature.
 *
 * @module
 */

/** The order of the P-256 group (SEC 2, secp256r1 n). */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function readLength(der: Uint8Array, at: number): [length: number, next: number] {
  const first = der[at];
  if (first < 0x80) return [first, at + 1];
  const count = first & 0x7f;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + der[at + 1 + i];
  return [length, at + 1 + count];
}

function readInteger(der: Uint8Array, at: number): [value: bigint, next: number] {
  if (der[at] !== 0x02) throw new SyntaxError(`"signature" expected an INTEGER at byte ${at}`);
  const [length, start] = readLength(der, at + 1);
  let value = 0n;
  for (const byte of der.subarray(start, start + length)) value = value * 256n + BigInt(byte);
  return [value, start + length];
}

function encodeLength(length: number): number[] {
  return length < 0x80 ? [length] : [0x81, length];
}

function encodeInteger(value: bigint): number[] {
  const bytes: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
  if (bytes.length === 0 || bytes[0] & 0x80) bytes.unshift(0);
  return [0x02, ...encodeLength(bytes.length), ...bytes];
}

/**
 * Splits a DER ECDSA-Sig-Value into r and s.
 *
 * @param der `SEQUENCE { r INTEGER, s INTEGER }`
 * @returns r and s
 * @throws {SyntaxError} when it is not such a SEQUENCE
 */
export function parseEcdsaSignature(der: Uint8Array): { r: bigint; s: bigint } {
  if (der[0] !== 0x30) throw new SyntaxError(`"signature" expected a DER SEQUENCE`);
  const [, body] = readLength(der, 1);
  const [r, next] = readInteger(der, body);
  const [s] = readInteger(der, next);
  return { r, s };
}

/**
 * Encodes r and s as a DER ECDSA-Sig-Value.
 *
 * @param r the r value
 * @param s the s value
 * @returns the DER bytes
 */
export function encodeEcdsaSignature(r: bigint, s: bigint): Uint8Array<ArrayBuffer> {
  const body = [...encodeInteger(r), ...encodeInteger(s)];
  return new Uint8Array([0x30, ...encodeLength(body.length), ...body]);
}

/**
 * The other valid P-256 signature for the same message and key: (r, n − s). Exactly one of the
 * two is "high-S"; Go, OpenSSL and cosign accept both, so a verifier must too.
 *
 * @param der a DER P-256 ECDSA signature
 * @returns the signature with s replaced by n − s, and whether the result is high-S
 */
export function otherS(der: Uint8Array): { der: Uint8Array<ArrayBuffer>; highS: boolean } {
  const { r, s } = parseEcdsaSignature(der);
  const flipped = P256_N - s;
  return { der: encodeEcdsaSignature(r, flipped), highS: flipped > P256_N / 2n };
}

/**
 * A copy of `bytes` with the last byte inverted: for a DER ECDSA signature this changes s and
 * keeps the encoding valid, so verification (not parsing) must fail.
 *
 * @param bytes the signature bytes
 * @returns the corrupted copy
 */
export function flipLastByte(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(bytes);
  copy[copy.length - 1] ^= 0xff;
  return copy;
}
