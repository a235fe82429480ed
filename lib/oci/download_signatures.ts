/**
 * Reading the signatures attached to an image as `cosign download signature` prints them.
 *
 * Matches cosign pkg/cosign/fetch.go `FetchSignaturesForReference`: the signed entity is fetched
 * first (a 404 is "entity not found in registry"), then the signature image under
 * `[prefix]sha256-<hex>.sig` (in `COSIGN_REPOSITORY` when set); none is "no signatures
 * associated", more than 100 is refused; each payload is size-checked against
 * `COSIGN_MAX_ATTACHMENT_SIZE` before it is downloaded. Each signature is one line of Go's
 * `json.Marshal(SignedPayload)`: the fields `Base64Signature`, `Payload` (base64),
 * `Cert`, `Chain`, `Bundle`, `RFC3161Timestamp` in that order, without omitempty.
 *
 * @module
 */

import { SigstoreError } from "../errors.ts";
import {
  decodeGoTyped,
  goJsonString,
  type GoType,
  marshalGoTyped,
  parseGoJson,
} from "../payload/go_json.ts";
import {
  BUNDLE_ANNOTATION,
  CERTIFICATE_ANNOTATION,
  CHAIN_ANNOTATION,
  fetchSignaturePayload,
  readSignatureImage,
  RFC3161_TIMESTAMP_ANNOTATION,
  SIGNATURE_ANNOTATION,
} from "./cosign_signatures.ts";
import { cosignAttachmentLocation, type CosignTagOptions } from "./cosign_tags.ts";
import { getSignedEntity } from "./signed_entity.ts";
import type { Descriptor, Reference, Registry } from "../registry/types.ts";

/** cosign's `maxAllowedSigsOrAtts`. */
export const MAX_DOWNLOADED_SIGNATURES = 100;
/** Payload downloads running at once. */
const CONCURRENCY = 8;

/** One downloaded signature, before it is printed. */
export interface DownloadedSignature {
  base64Signature: string;
  payload: Uint8Array;
  /** The certificate annotation (PEM), when set. */
  certificate?: string;
  /** The chain annotation (PEM), when set. */
  chain?: string;
  /** The Rekor bundle, re-marshalled as Go marshals `bundle.RekorBundle`. */
  bundleJson?: string;
  /** The RFC 3161 timestamp, re-marshalled as Go marshals `bundle.RFC3161Timestamp`. */
  rfc3161TimestampJson?: string;
}

/** What {@link downloadSignatures} reads. */
export interface DownloadSignaturesOptions extends CosignTagOptions {
  registry: Registry;
  ref: Reference;
  /** The reference as the user wrote it: error messages start with it, as in cosign. */
  refText: string;
  /** `COSIGN_MAX_ATTACHMENT_SIZE` in bytes. */
  maxAttachmentSize: number;
}

/**
 * Downloads the signatures of an image, in layer order.
 *
 * @param opts the image and where its signatures are
 * @returns the signatures
 * @throws {RegistryError} `MANIFEST_UNKNOWN` "entity not found in registry, error: …"
 * @throws {SigstoreError} `NOT_SIGNED` "<ref>: no signatures associated" (exit 1, as cosign); `TOO_MANY`
 *   "<ref>: maximum number of signatures on an image is 100, found N"; `TOO_LARGE` "<ref>: size of
 *   layer (N) exceeded the limit (M)"; `SIGNATURE_INVALID` for a layer without signature
 *   annotation or with a malformed bundle or timestamp
 */
export async function downloadSignatures(
  opts: DownloadSignaturesOptions,
): Promise<DownloadedSignature[]> {
  const { registry, ref, refText } = opts;
  const entity = await getSignedEntity(registry, ref);
  const repo = { registry: ref.registry, repository: ref.repository };
  const location = cosignAttachmentLocation(repo, entity.digest, "sig", opts);
  const wrap = (e: unknown): never => {
    if (e instanceof SigstoreError) {
      throw new (e.constructor as typeof SigstoreError)(e.code, `${refText}: ${e.message}`, {
        cause: e,
      });
    }
    throw e;
  };
  let layers: Descriptor[];
  try {
    const image = await readSignatureImage(registry, location.repo, location.tag);
    layers = image?.manifest.layers ?? [];
  } catch (e) {
    return wrap(e);
  }
  if (layers.length === 0) {
    throw new SigstoreError("NOT_SIGNED", `${refText}: no signatures associated`);
  }
  if (layers.length > MAX_DOWNLOADED_SIGNATURES) {
    throw new SigstoreError(
      "TOO_MANY",
      `${refText}: maximum number of signatures on an image is ${MAX_DOWNLOADED_SIGNATURES}, found ${layers.length}`,
    );
  }
  const out: DownloadedSignature[] = new Array(layers.length);
  let next = 0;
  const worker = async () => {
    while (next < layers.length) {
      const i = next++;
      out[i] = await readLayer(opts, location.repo, layers[i]);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, layers.length) }, worker));
  } catch (e) {
    return wrap(e);
  }
  return out;
}

async function readLayer(
  opts: DownloadSignaturesOptions,
  repo: { registry: string; repository: string },
  layer: Descriptor,
): Promise<DownloadedSignature> {
  const payload = await fetchSignaturePayload(opts.registry, repo, layer, opts.maxAttachmentSize);
  const ann = layer.annotations ?? {};
  const base64Signature = ann[SIGNATURE_ANNOTATION];
  if (base64Signature === undefined) {
    throw new SigstoreError(
      "SIGNATURE_INVALID",
      `signature layer ${layer.digest} is missing "${SIGNATURE_ANNOTATION}" annotation`,
    );
  }
  const sig: DownloadedSignature = { base64Signature, payload };
  if (ann[CERTIFICATE_ANNOTATION]) sig.certificate = ann[CERTIFICATE_ANNOTATION];
  if (ann[CHAIN_ANNOTATION]) sig.chain = ann[CHAIN_ANNOTATION];
  if (ann[RFC3161_TIMESTAMP_ANNOTATION]) {
    sig.rfc3161TimestampJson = remarshal(
      ann[RFC3161_TIMESTAMP_ANNOTATION],
      RFC3161_TIMESTAMP_TYPE,
      "unmarshaling RFC3161 timestamp bundle",
    );
  }
  if (ann[BUNDLE_ANNOTATION]) sig.bundleJson = remarshalRekorBundle(ann[BUNDLE_ANNOTATION]);
  return sig;
}

/** cosign pkg/cosign/bundle/tsa.go `RFC3161Timestamp`. */
const RFC3161_TIMESTAMP_TYPE: GoType = {
  kind: "struct",
  name: "bundle.RFC3161Timestamp",
  fields: [{ json: "SignedRFC3161Timestamp", type: { kind: "bytes" } }],
};

/** cosign pkg/cosign/bundle/rekor.go `RekorBundle` (the int64 fields are checked by hand). */
const REKOR_BUNDLE_TYPE: GoType = {
  kind: "struct",
  name: "bundle.RekorBundle",
  fields: [
    { json: "SignedEntryTimestamp", type: { kind: "bytes" } },
    {
      json: "Payload",
      type: {
        kind: "struct",
        name: "bundle.RekorPayload",
        fields: [
          { json: "body", type: { kind: "any" } },
          { json: "integratedTime", type: { kind: "any" } },
          { json: "logIndex", type: { kind: "any" } },
          { json: "logID", type: { kind: "string" } },
        ],
      },
    },
  ],
};

function remarshal(text: string, t: GoType, what: string): string {
  try {
    return marshalGoTyped(t, decodeGoTyped(parseGoJson(text), t));
  } catch (e) {
    throw new SigstoreError("SIGNATURE_INVALID", `${what}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Re-marshals a bundle annotation as Go's `json.Marshal(bundle.RekorBundle)`: base64 normalised,
 * `Payload` fields in struct order, `body` re-marshalled as `interface{}`.
 *
 * @param text the annotation's JSON
 * @returns the JSON text
 * @throws {SigstoreError} `SIGNATURE_INVALID` "unmarshaling bundle: …"
 */
export function remarshalRekorBundle(text: string): string {
  const what = "unmarshaling bundle";
  let v: { SignedEntryTimestamp: Uint8Array | null; Payload: Record<string, unknown> };
  try {
    v = decodeGoTyped(parseGoJson(text), REKOR_BUNDLE_TYPE) as typeof v;
  } catch (e) {
    throw new SigstoreError("SIGNATURE_INVALID", `${what}: ${(e as Error).message}`, { cause: e });
  }
  const int64 = (name: string): string => {
    const n = v.Payload[name];
    if (n === null || n === undefined) return "0";
    if (typeof n !== "number" || !Number.isInteger(n)) {
      throw new SigstoreError(
        "SIGNATURE_INVALID",
        `${what}: json: cannot unmarshal ${
          typeof n === "number" ? `number ${n}` : typeof n
        } into Go struct field RekorPayload.Payload.${name} of type int64`,
      );
    }
    return String(n);
  };
  const set = v.SignedEntryTimestamp;
  return `{"SignedEntryTimestamp":${set === null ? "null" : `"${set.toBase64()}"`},"Payload":{` +
    `"body":${marshalGoTyped({ kind: "any" }, v.Payload.body ?? null)},` +
    `"integratedTime":${int64("integratedTime")},"logIndex":${int64("logIndex")},` +
    `"logID":${goJsonString(String(v.Payload.logID ?? ""))}}}`;
}

/**
 * One line of `cosign download signature` (without the newline).
 *
 * @param sig the signature
 * @param marshalCertificate Go's JSON of an `*x509.Certificate` for the PEM text; required when
 *   the signature has a certificate or chain
 * @returns the JSON text
 */
export function marshalSignedPayload(
  sig: DownloadedSignature,
  marshalCertificate?: (pem: string) => string[],
): string {
  const certs = (pem: string | undefined) => {
    if (pem === undefined) return undefined;
    if (!marshalCertificate) {
      throw new SigstoreError(
        "UNSUPPORTED",
        "Cannot print a signature with a certificate: certificates are not supported yet",
      );
    }
    return marshalCertificate(pem);
  };
  const cert = certs(sig.certificate);
  const chain = certs(sig.chain);
  return `{"Base64Signature":${
    goJsonString(sig.base64Signature)
  },"Payload":"${sig.payload.toBase64()}",` +
    `"Cert":${cert ? cert[0] : "null"},"Chain":${chain ? `[${chain.join(",")}]` : "null"},` +
    `"Bundle":${sig.bundleJson ?? "null"},"RFC3161Timestamp":${
      sig.rfc3161TimestampJson ?? "null"
    }}`;
}
