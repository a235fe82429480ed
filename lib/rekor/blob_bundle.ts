/**
 * cosign's legacy blob bundle (`sign-blob --bundle`, pkg/cosign/fetch.go LocalSignedPayload with
 * pkg/cosign/bundle RekorBundle), and a reader that hashes what passes through it.
 *
 * @module
 */
import { SigstoreError } from "../errors.ts";
import { goJsonString } from "../payload/go_json.ts";
import { parseRekorEntry, type RekorEntry } from "./verify_entry.ts";

/** A parsed LocalSignedPayload. */
export interface LocalBundle {
  base64Signature: string;
  cert: string;
  /** The rekorBundle as a log entry (SET in `verification`), when present. */
  entry?: RekorEntry;
}

/** Most bytes of a bundle file. */
export const MAX_BUNDLE_BYTES = 1024 * 1024;

/**
 * Marshals a LocalSignedPayload exactly as Go's encoding/json does: `cert` omitted when empty,
 * `SignedEntryTimestamp` as base64 of its bytes, Payload fields in declaration order.
 *
 * @returns the JSON text (no trailing newline)
 */
export function marshalLocalBundle(
  b: { base64Signature: string; cert?: string; entry?: RekorEntry },
): string {
  let out = `{"base64Signature":${goJsonString(b.base64Signature)}`;
  if (b.cert) out += `,"cert":${goJsonString(b.cert)}`;
  if (b.entry) out += `,"rekorBundle":${marshalRekorBundle(b.entry)}`;
  return out + "}";
}

/**
 * cosign's `bundle.RekorBundle` JSON (the `dev.sigstore.cosign/bundle` annotation on image
 * signatures, and `rekorBundle` in blob bundles), as Go marshals it.
 */
export function marshalRekorBundle(e: RekorEntry): string {
  const set = e.verification?.signedEntryTimestamp ?? "";
  return `{"SignedEntryTimestamp":${goJsonString(set)},"Payload":{` +
    `"body":${goJsonString(e.body)},"integratedTime":${e.integratedTime},` +
    `"logIndex":${e.logIndex},"logID":${goJsonString(e.logID)}}}`;
}

/**
 * Parses a `bundle.RekorBundle` (an image signature's bundle annotation) into a log entry.
 *
 * @throws {SigstoreError} `TLOG_ENTRY_INVALID` when malformed
 */
export function parseRekorBundle(text: string): RekorEntry {
  const bad = (d: string) => new SigstoreError("TLOG_ENTRY_INVALID", `Cannot read bundle: ${d}`);
  if (text.length > MAX_BUNDLE_BYTES) throw bad("larger than 1 MiB");
  // deno-lint-ignore no-explicit-any
  let rb: any;
  try {
    rb = JSON.parse(text);
  } catch {
    throw bad("not JSON");
  }
  if (typeof rb?.SignedEntryTimestamp !== "string" || typeof rb?.Payload !== "object") {
    throw bad("invalid rekorBundle");
  }
  return parseRekorEntry({
    ...rb.Payload,
    verification: { signedEntryTimestamp: rb.SignedEntryTimestamp },
  });
}

/**
 * Parses a LocalSignedPayload bundle file.
 *
 * @throws {SigstoreError} `TLOG_ENTRY_INVALID` for malformed JSON or fields
 */
export function parseLocalBundle(bytes: Uint8Array): LocalBundle {
  const bad = (d: string) => new SigstoreError("TLOG_ENTRY_INVALID", `Cannot read bundle: ${d}`);
  if (bytes.length > MAX_BUNDLE_BYTES) throw bad("larger than 1 MiB");
  // deno-lint-ignore no-explicit-any
  let v: any;
  try {
    v = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw bad("not JSON");
  }
  if (typeof v !== "object" || v === null) throw bad("not an object");
  const sig = v.base64Signature ?? "";
  const cert = v.cert ?? "";
  if (typeof sig !== "string" || typeof cert !== "string") throw bad("invalid field types");
  const out: LocalBundle = { base64Signature: sig, cert };
  if (v.rekorBundle != null) out.entry = parseRekorBundle(JSON.stringify(v.rekorBundle));
  return out;
}

export { hashingReader } from "../incremental_digest.ts";
