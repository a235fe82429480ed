/**
 * Cosign's "simple signing" payload: the JSON document a container image signature signs.
 *
 * Matches sigstore/sigstore pkg/signature/payload/payload.go (v1.10.3, used by cosign v2.6.4):
 * `SimpleContainerImage{Critical{Identity{docker-reference}, Image{docker-manifest-digest}, Type},
 * Optional map[string]interface{}}` marshalled with `json.Marshal` — struct fields in that order,
 * no other fields, `"optional":null` without annotations, map keys sorted, HTML-escaped strings and
 * no trailing newline. Verified byte for byte against payloads `cosign sign` v2.6.4 pushed
 * (tests/fixtures/cosign-oci/).
 *
 * @module
 */

import { goJsonString, marshalGoJson, parseJsonBounded } from "./go_json.ts";

/** The `critical.type` of every cosign image signature payload (`payload.CosignSignatureType`). */
export const COSIGN_SIGNATURE_TYPE = "cosign container image signature";

/** A parsed simple signing payload (`payload.SimpleContainerImage`). */
export interface SimpleSigningPayload {
  critical: {
    identity: { "docker-reference": string };
    image: { "docker-manifest-digest": string };
    type: string;
  };
  /** The signed annotations (`cosign sign -a k=v`), or null when there were none. */
  optional: Record<string, unknown> | null;
}

/** What {@link simpleSigningPayload} signs. */
export interface SimpleSigningPayloadOptions {
  /** `registry/repository` of the signed image, as ggcr's `Repository.Name()` prints it. */
  dockerReference: string;
  /** The signed manifest's digest, `sha256:<hex>`. */
  digest: string;
  /** `--sign-container-identity`: replaces `dockerReference` in the payload when set. */
  claimedIdentity?: string;
  /** The annotations (`optional`); undefined or null writes `"optional":null`. */
  annotations?: Record<string, unknown> | null;
}

/**
 * Builds the simple signing payload bytes cosign signs for an image (`payload.Cosign.MarshalJSON`).
 *
 * @param opts the image and annotations
 * @returns the payload bytes
 * @example
 * ```ts
 * simpleSigningPayload({ dockerReference: "ghcr.io/a/b", digest: "sha256:…" });
 * // {"critical":{"identity":{"docker-reference":"ghcr.io/a/b"},"image":{"docker-manifest-digest":
 * // "sha256:…"},"type":"cosign container image signature"},"optional":null}
 * ```
 */
export function simpleSigningPayload(opts: SimpleSigningPayloadOptions): Uint8Array {
  return new TextEncoder().encode(marshalSimpleSigning({
    critical: {
      identity: { "docker-reference": opts.claimedIdentity || opts.dockerReference },
      image: { "docker-manifest-digest": opts.digest },
      type: COSIGN_SIGNATURE_TYPE,
    },
    optional: opts.annotations ?? null,
  }));
}

/**
 * Marshals a parsed payload the way Go re-marshals a `SimpleContainerImage` (what `cosign verify`
 * prints): only the known fields, in struct order.
 *
 * @param p the payload
 * @returns the JSON text
 */
export function marshalSimpleSigning(p: SimpleSigningPayload): string {
  const c = p.critical;
  return `{"critical":{"identity":{"docker-reference":${
    goJsonString(c.identity["docker-reference"])
  }},"image":{"docker-manifest-digest":${goJsonString(c.image["docker-manifest-digest"])}},"type":${
    goJsonString(c.type)
  }},"optional":${p.optional === null ? "null" : marshalGoJson(p.optional)}}`;
}

/** The largest payload {@link parseSimpleSigningPayload} accepts by default. */
export const MAX_SIMPLE_SIGNING_PAYLOAD = 128 * 1024 * 1024;

/**
 * Parses a payload as Go's `json.Unmarshal` into `SimpleContainerImage` does: tolerant of missing
 * and extra fields (missing strings become ""), strict about types of the fields it knows.
 *
 * @param bytes the payload
 * @param maxBytes the largest payload accepted
 * @returns the payload's known fields
 * @throws {RangeError} when the payload exceeds `maxBytes`
 * @throws {SyntaxError} when it is not JSON, too deeply nested, or a field has the wrong type
 */
export function parseSimpleSigningPayload(
  bytes: Uint8Array,
  maxBytes = MAX_SIMPLE_SIGNING_PAYLOAD,
): SimpleSigningPayload {
  if (bytes.length > maxBytes) {
    throw new RangeError(`Cannot parse payload: larger than ${maxBytes} bytes`);
  }
  const doc = parseJsonBounded(bytes, "payload");
  const root = objectOrNull(doc, "payload");
  const critical = objectOrNull(root?.critical, "critical");
  const identity = objectOrNull(critical?.identity, "critical.identity");
  const image = objectOrNull(critical?.image, "critical.image");
  const optional = objectOrNull(root?.optional, "optional");
  return {
    critical: {
      identity: {
        "docker-reference": stringField(identity, "docker-reference", "critical.identity"),
      },
      image: {
        "docker-manifest-digest": stringField(image, "docker-manifest-digest", "critical.image"),
      },
      type: stringField(critical, "type", "critical"),
    },
    optional,
  };
}

function objectOrNull(v: unknown, what: string): Record<string, unknown> | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== "object" || Array.isArray(v)) {
    throw new SyntaxError(`Cannot parse payload: ${what} is not an object`);
  }
  return v as Record<string, unknown>;
}

function stringField(o: Record<string, unknown> | null, key: string, what: string): string {
  const v = o?.[key];
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") {
    throw new SyntaxError(`Cannot parse payload: ${what}.${key} is not a string`);
  }
  return v;
}

/**
 * Cosign's `--check-claims` step (pkg/cosign/verifiers.go `SimpleClaimVerifier`): the payload's
 * `docker-manifest-digest` must equal the image digest, and every wanted annotation must be present
 * in `optional` with an equal (string) value. `docker-reference` is not checked, as in cosign.
 *
 * @param payload the parsed payload
 * @param digest the verified image's digest
 * @param annotations the wanted annotations, or undefined to skip that check
 * @returns undefined when the claims hold, else cosign's reason ("invalid or missing digest in
 *   claim: …", "missing or incorrect annotation")
 */
export function checkSimpleSigningClaims(
  payload: SimpleSigningPayload,
  digest: string,
  annotations?: Record<string, string>,
): string | undefined {
  const found = payload.critical.image["docker-manifest-digest"];
  if (found !== digest) return `invalid or missing digest in claim: ${found}`;
  if (annotations) {
    for (const [k, v] of Object.entries(annotations)) {
      if (payload.optional?.[k] !== v) return "missing or incorrect annotation";
    }
  }
  return undefined;
}
