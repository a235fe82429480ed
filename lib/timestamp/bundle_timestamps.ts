/**
 * The RFC 3161 timestamps of a Sigstore bundle (protobuf-specs `dev.sigstore.bundle.v1.Bundle`):
 * `verificationMaterial.timestampVerificationData.rfc3161Timestamps[].signedTimestamp`, each a
 * base64 DER TimeStampResp.
 *
 * @module
 */
import { decodeProtojsonBytes } from "../base64.ts";

/** Most timestamps a bundle may carry (sigstore-go internal/limits MaxAllowedTimestamps). */
export const MAX_BUNDLE_TIMESTAMPS = 32;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function bad(detail: string): SyntaxError {
  return new SyntaxError(`Cannot read bundle timestamps: ${detail}`);
}

/** A field by its protobuf JSON name or its original (snake_case) name, as protojson accepts. */
function field(o: Obj, json: string, proto: string): unknown {
  return o[json] ?? o[proto];
}

/** Protobuf JSON `bytes`: standard or URL-safe base64, padding optional. */
function bytes(v: unknown, what: string): Uint8Array {
  if (typeof v !== "string") throw bad(`${what} is not base64`);
  try {
    return decodeProtojsonBytes(v);
  } catch (e) {
    throw new SyntaxError(`Cannot read bundle timestamps: ${what} is not base64`, { cause: e });
  }
}

/**
 * Reads the signed timestamps of a parsed bundle.
 *
 * @param bundle the bundle JSON, parsed
 * @returns the DER TimeStampResps, in order (empty when the bundle has none)
 * @throws {SyntaxError} "Cannot read bundle timestamps: …" for a malformed list, an entry without
 *   `signedTimestamp`, bad base64, or more than {@link MAX_BUNDLE_TIMESTAMPS} entries
 * @example
 * ```ts
 * const timestamps = bundleRfc3161Timestamps(JSON.parse(await Deno.readTextFile("b.sigstore.json")));
 * ```
 */
export function bundleRfc3161Timestamps(bundle: unknown): Uint8Array[] {
  if (!isObj(bundle)) throw bad("the bundle is not a JSON object");
  const vm = field(bundle, "verificationMaterial", "verification_material");
  if (vm === undefined || vm === null) return [];
  if (!isObj(vm)) throw bad("verificationMaterial is not an object");
  const tvd = field(vm, "timestampVerificationData", "timestamp_verification_data");
  if (tvd === undefined || tvd === null) return [];
  if (!isObj(tvd)) throw bad("timestampVerificationData is not an object");
  const list = field(tvd, "rfc3161Timestamps", "rfc3161_timestamps");
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw bad("rfc3161Timestamps is not a list");
  if (list.length > MAX_BUNDLE_TIMESTAMPS) {
    throw bad(`too many signed timestamps: ${list.length} > ${MAX_BUNDLE_TIMESTAMPS}`);
  }
  return list.map((t, i) => {
    if (!isObj(t)) throw bad(`rfc3161Timestamps[${i}] is not an object`);
    const v = field(t, "signedTimestamp", "signed_timestamp");
    if (v === undefined || v === null) throw bad(`rfc3161Timestamps[${i}] has no signedTimestamp`);
    return bytes(v, `rfc3161Timestamps[${i}].signedTimestamp`);
  });
}
