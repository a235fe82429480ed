/**
 * Loading the real timestamp fixtures (tests/fixtures/timestamp/, see its SOURCE.md) for the
 * timestamp tests.
 *
 * @module
 */
import type { TimestampAuthority } from "../../lib/timestamp/verify_timestamp.ts";

const ROOT = new URL("../fixtures/timestamp/", import.meta.url);

/** The bytes of a fixture file. */
export function fixture(path: string): Uint8Array {
  return Deno.readFileSync(new URL(path, ROOT));
}

/** A fixture's text. */
export function fixtureText(path: string): string {
  return Deno.readTextFileSync(new URL(path, ROOT));
}

/** The DER certificates of a PEM fixture, in order. */
export function pemFixture(path: string): Uint8Array[] {
  return [...fixtureText(path).matchAll(/-----BEGIN CERTIFICATE-----([^-]+)-----END/g)]
    .map((m) => Uint8Array.fromBase64(m[1].replace(/\s+/g, "")));
}

/** The timestamp authorities of a trusted root fixture. */
export function trustedRootAuthorities(path: string): TimestampAuthority[] {
  const root = JSON.parse(fixtureText(path)) as {
    timestampAuthorities: {
      uri?: string;
      certChain: { certificates: { rawBytes: string }[] };
      validFor: { start: string; end?: string };
    }[];
  };
  return root.timestampAuthorities.map((a) => ({
    uri: a.uri,
    certChain: a.certChain.certificates.map((c) => Uint8Array.fromBase64(c.rawBytes)),
    validFor: {
      start: Date.parse(a.validFor.start),
      ...(a.validFor.end ? { end: Date.parse(a.validFor.end) } : {}),
    },
  }));
}

/** A bundle fixture: its first signed timestamp and the signature bytes it covers. */
export function bundleFixture(path: string): { timestamp: Uint8Array; signature: Uint8Array } {
  const b = JSON.parse(fixtureText(path));
  const sig = b.messageSignature?.signature ?? b.dsseEnvelope.signatures[0].sig;
  return {
    timestamp: Uint8Array.fromBase64(
      b.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp,
    ),
    signature: Uint8Array.fromBase64(sig),
  };
}

/** The raw signature Go cosign made over tsa-v2.1.3/blob.txt (the bytes it timestamped). */
export function cosignBlobSignature(): Uint8Array {
  return Uint8Array.fromBase64(fixtureText("tsa-v2.1.3/blob.sig").trim());
}

/** Returns a copy of `bytes` with the byte at the start of `needle` plus `offset` flipped. */
export function tamper(bytes: Uint8Array, needle: Uint8Array, offset = 0): Uint8Array {
  const hex = bytes.toHex();
  const at = hex.indexOf(needle.toHex());
  if (at < 0 || at % 2) throw new Error("tamper: needle not found");
  const out = bytes.slice();
  out[at / 2 + offset] ^= 0x01;
  return out;
}
