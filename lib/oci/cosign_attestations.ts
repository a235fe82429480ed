/**
 * Cosign's attestation image: the manifest stored under `sha256-<hex>.att` whose layers are DSSE
 * envelopes (in-toto statements), stored exactly like signatures (lib/oci/cosign_signatures.ts:
 * same empty base image, same config and manifest bytes), with their own layer media type and
 * annotations.
 *
 * What cosign v2.6.4 writes (checked against `cosign attest` on a distribution registry):
 * - the layer is the envelope as signed (`dsse.WrapSigner`), media type
 *   `application/vnd.dsse.envelope.v1+json` (pkg/types `DssePayloadType`), annotations
 *   `{"dev.cosignproject.cosign/signature":"","predicateType":"<uri>"}` — `static.NewAttestation`
 *   stores an empty signature annotation, `attest` adds the predicate type;
 *   `attach attestation` writes the re-marshalled envelope with the empty signature annotation only;
 * - without `--replace` the layer is appended (pkg/oci/mutate `AppendSignatures`), as for
 *   signatures; cosign's dupe detector never matches an attestation (its signature annotation is
 *   empty), so every `attest` adds a layer;
 * - with `--replace` (pkg/cosign/remote `ReplaceOp`, pkg/oci/mutate `ReplaceSignatures`) every
 *   existing layer is downloaded, its envelope's statement read (`payload`, standard base64,
 *   `predicateType`), and the image rebuilt from cosign's *empty* image (media types from
 *   `COSIGN_DOCKER_MEDIA_TYPES`, `created` left at the zero time) with the new layer first, then
 *   every layer of another predicate type, in order. cosign prints "Replacing attestation
 *   predicate: <uri>" or "Not replacing attestation predicate: <type>" per existing layer.
 *
 * Reading follows pkg/cosign/fetch.go `FetchAttestations` (`cosign download attestation`).
 *
 * One deliberate difference: cosign's write is a plain read-modify-write of the tag, so concurrent
 * attesters lose attestations. Here the write goes through lib/oci/append_cosign_layer.ts, which
 * re-reads after writing and merges until every layer it wrote or saw (except the ones `--replace`
 * removed on its first read) is there.
 *
 * @module
 */

import { decodeStdBase64 } from "../base64.ts";
import { SigstoreError } from "../errors.ts";
import { INTOTO_PAYLOAD_TYPE, marshalEnvelope, parseEnvelope } from "../payload/dsse.ts";
import { GoJsonObject, GoJsonSyntaxError, parseGoJson } from "../payload/go_json.ts";
import { parseStatement } from "../payload/intoto.ts";
import { sha256Digest } from "../registry/sha256_digest.ts";
import { appendCosignLayer } from "./append_cosign_layer.ts";
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
import { selectPlatform } from "./select_platform.ts";
import type { Descriptor, ImageIndex, Reference, Registry, Repository } from "../registry/types.ts";

/** The media type of an attestation layer (cosign pkg/types `DssePayloadType`). */
export const DSSE_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json";
/** The layer annotation `cosign attest` writes with the predicate type URI. */
export const PREDICATE_TYPE_ANNOTATION = "predicateType";
/** cosign's `maxAllowedSigsOrAtts` (pkg/cosign/fetch.go). */
export const MAX_ATTESTATIONS = 100;
/** Payload downloads running at once. */
const CONCURRENCY = 8;

/**
 * The manifest descriptor of an attestation layer.
 *
 * @param envelope the DSSE envelope bytes (the layer's content)
 * @param predicateType the predicate type URI for the `predicateType` annotation; omitted by
 *   `attach attestation`
 * @param bundle the Rekor bundle JSON (cosign's `bundle.RekorBundle`) for the
 *   `dev.sigstore.cosign/bundle` annotation, when the envelope was logged
 * @param certificate the signing certificate and chain (PEM) for the
 *   `dev.sigstore.cosign/certificate` and `dev.sigstore.cosign/chain` annotations (keyless), as
 *   cosign's attest writes them
 * @param rfc3161Timestamp cosign's `{"SignedRFC3161Timestamp":…}` JSON for the
 *   `dev.sigstore.cosign/rfc3161timestamp` annotation (`attest --timestamp-server-url`)
 * @returns `{mediaType, size, digest, annotations}`
 */
export async function attestationLayerDescriptor(
  envelope: Uint8Array,
  predicateType?: string,
  bundle?: string,
  certificate?: { certificate: string; chain?: string },
  rfc3161Timestamp?: string,
): Promise<Descriptor> {
  // In the order the manifest is written and read back in (Go's sorted map keys).
  const annotations: Record<string, string> = { [SIGNATURE_ANNOTATION]: "" };
  if (bundle !== undefined) annotations[BUNDLE_ANNOTATION] = bundle;
  if (certificate !== undefined) {
    annotations[CERTIFICATE_ANNOTATION] = certificate.certificate;
    annotations[CHAIN_ANNOTATION] = certificate.chain ?? "";
  }
  if (rfc3161Timestamp !== undefined) annotations[RFC3161_TIMESTAMP_ANNOTATION] = rfc3161Timestamp;
  if (predicateType !== undefined) annotations[PREDICATE_TYPE_ANNOTATION] = predicateType;
  return {
    mediaType: DSSE_MEDIA_TYPE,
    size: envelope.length,
    digest: await sha256Digest(envelope),
    annotations,
  };
}

/**
 * The predicate type of a stored envelope, read as cosign's `ReplaceOp` reads it: the envelope as
 * a JSON map, its `payload` as standard base64, the statement as a JSON map, its `predicateType`.
 *
 * @param envelope the layer's bytes
 * @returns the `predicateType` value (any JSON value; a string for well-formed statements)
 * @throws {SigstoreError} `SIGNATURE_INVALID` with cosign's wording ("could not find 'payload' in
 *   payload data", "could not find 'predicateType' in payload data", "unmarshal payload data: …")
 */
export function envelopePredicateType(envelope: Uint8Array): unknown {
  const fail = (m: string, cause?: unknown) => new SigstoreError("SIGNATURE_INVALID", m, { cause });
  let outer;
  try {
    outer = parseGoJson(envelope);
  } catch (e) {
    throw fail(`unmarshal payload data: ${(e as Error).message}`, e);
  }
  const payload = outer instanceof GoJsonObject ? outer.get("payload") : undefined;
  if (payload === undefined) throw fail("could not find 'payload' in payload data");
  if (typeof payload !== "string") throw fail("could not decode 'payload': not a string");
  const body = decodeStdBase64Go(payload);
  if (!body) throw fail("could not decode 'payload': illegal base64 data");
  let inner;
  try {
    inner = parseGoJson(body);
  } catch (e) {
    throw fail(`unmarshal payloadData: ${(e as Error).message}`, e);
  }
  const type = inner instanceof GoJsonObject ? inner.get("predicateType") : undefined;
  if (type === undefined) throw fail("could not find 'predicateType' in payload data");
  return type instanceof GoJsonObject || Array.isArray(type) ? "[object]" : type;
}

/** Go's `base64.StdEncoding.DecodeString` (cosign decodes the payload with it), or undefined. */
function decodeStdBase64Go(text: string): Uint8Array | undefined {
  try {
    return decodeStdBase64(text);
  } catch {
    return undefined;
  }
}

/** What {@link publishAttestationLayer} needs. */
export interface PublishAttestationOptions {
  registry: Registry;
  /** `COSIGN_DOCKER_MEDIA_TYPES`: Docker schema 2 types for a new (or rebuilt) image. */
  dockerMediaTypes?: boolean;
  /** `--record-creation-timestamp` (ignored by `--replace`, as in cosign). */
  recordCreationTimestamp?: boolean;
  now?: () => Date;
  /** `--replace`: remove the existing layers whose statement has this predicate type URI. */
  replacePredicateType?: string;
  /** `COSIGN_MAX_ATTACHMENT_SIZE`, for the downloads `--replace` makes. */
  maxAttachmentSize?: number;
  /** Receives cosign's "Replacing attestation predicate: …" lines (stderr in cosign). */
  log?: (line: string) => void | Promise<void>;
  /** Concurrent-writer retries: attempts (default 20) and base delay in ms (default 25). */
  retry?: { attempts?: number; baseDelayMs?: number };
}

/** Identity of a layer for merging: digest and annotations. */
function layerKey(d: Descriptor): string {
  return `${d.digest} ${JSON.stringify(d.annotations ?? {})}`;
}

/**
 * Writes an attestation layer under the `.att` tag and makes sure it (and every layer seen there,
 * but those `--replace` removed) stays ({@link appendCosignLayer}, layers merged by digest and
 * annotations).
 *
 * @param opts registry, media types, replace and retry options
 * @param envelope the layer's content
 * @param layer the layer's descriptor
 * @param location where the attestation image is
 * @returns the descriptors of the layers `--replace` removed
 * @throws {SigstoreError} `REGISTRY` when concurrent writers kept replacing the tag;
 *   `SIGNATURE_INVALID` when `--replace` meets a layer it cannot read; `TOO_LARGE` for a layer
 *   above the size limit
 */
export async function publishAttestationLayer(
  opts: PublishAttestationOptions,
  envelope: Uint8Array,
  layer: Descriptor,
  location: { repo: Repository; tag: string },
): Promise<{ replaced: Descriptor[] }> {
  const { registry } = opts;
  const replace = opts.replacePredicateType;
  const { replaced } = await appendCosignLayer(
    registry,
    location,
    { descriptor: layer, payload: envelope },
    {
      kind: "attestation",
      layerKey,
      replace: replace === undefined ? undefined : async (layers) => {
        const remove: Descriptor[] = [];
        for (const l of layers) {
          const bytes = await fetchSignaturePayload(
            registry,
            location.repo,
            l,
            opts.maxAttachmentSize ?? Number.MAX_SAFE_INTEGER,
          );
          const type = envelopePredicateType(bytes);
          if (type === replace) {
            await opts.log?.(`Replacing attestation predicate: ${replace}`);
            remove.push(l);
          } else {
            await opts.log?.(`Not replacing attestation predicate: ${String(type)}`);
          }
        }
        return remove;
      },
      dockerMediaTypes: opts.dockerMediaTypes,
      recordCreationTimestamp: opts.recordCreationTimestamp,
      now: opts.now,
      retry: opts.retry,
    },
  );
  return { replaced };
}

/** What {@link attachAttestation} needs (`cosign attach attestation`). */
export interface AttachAttestationOptions extends CosignTagOptions {
  registry: Registry;
  /** The image; a tag is resolved to its digest first. */
  ref: Reference;
  /** `COSIGN_DOCKER_MEDIA_TYPES`. */
  dockerMediaTypes?: boolean;
  /** `--replace`-like behaviour is not part of cosign's `attach attestation`; see attestImage. */
  retry?: { attempts?: number; baseDelayMs?: number };
}

/**
 * Attaches signed envelopes to an image as `cosign attach attestation --attestation FILE` does
 * (cmd/cosign/cli/attach/attach.go): the file is a stream of JSON envelopes (one or more, e.g.
 * JSON lines); each is read as go-securesystemslib's `dsse.Envelope`, must have in-toto's payload
 * type and at least one signature, and is stored re-marshalled (Go field order, unknown fields
 * dropped), appended to the `.att` image with only the empty signature annotation.
 *
 * @param opts the image and storage options
 * @param file the attestation file's bytes
 * @returns the stored layers, with where they were written
 * @throws {SyntaxError} for a file that is not a stream of JSON objects (Go's message)
 * @throws {SigstoreError} `UNSUPPORTED` "invalid payloadType X on envelope. Expected
 *   application/vnd.in-toto+json"; `SIGNATURE_INVALID` "could not attach attestation without
 *   having signatures"; registry errors (a missing tag, an entity that does not exist)
 */
export async function attachAttestation(
  opts: AttachAttestationOptions,
  file: Uint8Array,
): Promise<{ layers: Descriptor[]; location: { repo: Repository; tag: string } }> {
  const { registry, ref } = opts;
  const repo: Repository = { registry: ref.registry, repository: ref.repository };
  const out: Descriptor[] = [];
  let location: { repo: Repository; tag: string } | undefined;
  for (const doc of splitJsonStream(file)) {
    const env = parseEnvelope(doc);
    const payload = new TextEncoder().encode(marshalEnvelope(env));
    if (env.payloadType !== INTOTO_PAYLOAD_TYPE) {
      throw new SigstoreError(
        "UNSUPPORTED",
        `invalid payloadType ${env.payloadType} on envelope. Expected ${INTOTO_PAYLOAD_TYPE}`,
      );
    }
    if (env.signatures.length === 0) {
      throw new SigstoreError(
        "SIGNATURE_INVALID",
        "could not attach attestation without having signatures",
      );
    }
    // ResolveDigest, then SignedEntity: the image must exist.
    const entity = await getSignedEntity(registry, ref);
    location = cosignAttachmentLocation(repo, entity.digest, "att", opts);
    const layer = await attestationLayerDescriptor(payload);
    await publishAttestationLayer(
      { registry, dockerMediaTypes: opts.dockerMediaTypes, retry: opts.retry },
      payload,
      layer,
      location,
    );
    out.push(layer);
  }
  return {
    layers: out,
    location: location ??
      cosignAttachmentLocation(repo, ref.digest ?? "sha256:unknown", "att", opts),
  };
}

/**
 * Splits a stream of JSON values (as Go's `json.Decoder` reads them one after another: separated
 * by whitespace or nothing) into the bytes of each value.
 *
 * @param bytes the stream
 * @returns each value's bytes, in order
 * @throws {GoJsonSyntaxError} for a value that does not end, or text between values
 */
export function splitJsonStream(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const ws = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
  let i = 0;
  while (i < bytes.length) {
    if (ws(bytes[i])) {
      i++;
      continue;
    }
    const start = i;
    const c = bytes[i];
    if (c === 0x7b || c === 0x5b) {
      let depth = 0;
      let inString = false;
      for (; i < bytes.length; i++) {
        const b = bytes[i];
        if (inString) {
          if (b === 0x5c) i++;
          else if (b === 0x22) inString = false;
        } else if (b === 0x22) inString = true;
        else if (b === 0x7b || b === 0x5b) depth++;
        else if (b === 0x7d || b === 0x5d) {
          if (--depth === 0) {
            i++;
            break;
          }
        }
      }
      if (depth !== 0) throw new GoJsonSyntaxError("unexpected EOF");
    } else {
      // A scalar: up to the next whitespace or structural character; parseGoJson reports it.
      while (i < bytes.length && !ws(bytes[i]) && bytes[i] !== 0x7b && bytes[i] !== 0x5b) i++;
    }
    out.push(bytes.subarray(start, i));
  }
  return out;
}

/** An attestation as `cosign download attestation` prints it. */
export interface DownloadedAttestation {
  /** The layer's descriptor. */
  descriptor: Descriptor;
  /** The stored envelope bytes. */
  envelope: Uint8Array;
  /** The line cosign prints: Go's `json.Marshal(cosign.AttestationPayload)` (no newline). */
  line: string;
}

/** What {@link readAttestations} reads. */
export interface ReadAttestationsOptions extends CosignTagOptions {
  /** `--predicate-type`: keep only statements of this type (short names are mapped). */
  predicateType?: string;
  /** `--platform` (`os/arch[/variant][:osversion]`): for an index, the one matching image. */
  platform?: string;
  /** `COSIGN_MAX_ATTACHMENT_SIZE` in bytes, checked before each download. */
  maxSize: number;
}

/**
 * Reads the attestations of an image as `cosign download attestation` does
 * (cmd/cosign/cli/download/attestation.go, pkg/cosign/fetch.go `FetchAttestations`): the image is
 * fetched (a missing digest-named image is tolerated), `--platform` picks one image of an index,
 * then the `.att` image is read; none is not an error (nothing is printed); more than 100 is
 * refused; each envelope is size-checked, downloaded, parsed as `AttestationPayload` and, with a
 * predicate type, kept only when its statement has that type. The result is in layer order
 * (cosign's order is that of its parallel downloads).
 *
 * @param registry the registry client
 * @param ref the image
 * @param opts filters, limits and where attestations are stored
 * @returns the attestations; print each `line` followed by "\n"
 * @throws {TypeError} `invalid predicate type: …`
 * @throws {SigstoreError} `TOO_MANY` "maximum number of attestations on an image is 100, found N";
 *   `TOO_LARGE`; `NOT_SIGNED` "no attestations with predicate type '…' found"; `SIGNATURE_INVALID`
 *   "unmarshaling payload: …", "decoding payload: …", "unmarshaling statement: …"; `UNSUPPORTED` for
 *   the platform errors ("specified reference is not a multiarch image", "unable to find an
 *   entity for …", "platform spec matches more than one image architecture: …")
 * @throws {RegistryError} "entity not found in registry, error: …" for a missing tag
 */
export async function readAttestations(
  registry: Registry,
  ref: Reference,
  opts: ReadAttestationsOptions,
): Promise<DownloadedAttestation[]> {
  const { parsePredicateType } = await import("../payload/predicate_types.ts");
  const predicateType = opts.predicateType ? parsePredicateType(opts.predicateType) : "";
  const repo: Repository = { registry: ref.registry, repository: ref.repository };
  let digest: string;
  let entity;
  try {
    entity = await getSignedEntity(registry, ref);
    digest = entity.digest;
  } catch (e) {
    if (!ref.digest || !(e instanceof SigstoreError && e.code === "MANIFEST_UNKNOWN")) throw e;
    digest = ref.digest; // SignedUnknown
  }
  if (opts.platform) {
    if (!entity || !("manifests" in entity.manifest)) {
      throw new SigstoreError("UNSUPPORTED", "specified reference is not a multiarch image");
    }
    digest = selectPlatform(entity.manifest as ImageIndex, opts.platform);
  }
  const location = cosignAttachmentLocation(repo, digest, "att", opts);
  const image = await readSignatureImage(registry, location.repo, location.tag).catch((e) => {
    throw new SigstoreError(
      (e as SigstoreError).code ?? "REGISTRY",
      `fetching attestations: ${(e as Error).message}`,
      { cause: e },
    );
  });
  const layers = image?.manifest.layers ?? [];
  if (layers.length === 0) return [];
  if (layers.length > MAX_ATTESTATIONS) {
    throw new SigstoreError(
      "TOO_MANY",
      `maximum number of attestations on an image is ${MAX_ATTESTATIONS}, found ${layers.length}`,
    );
  }
  const results: Array<DownloadedAttestation | null> = new Array(layers.length).fill(null);
  let next = 0;
  const worker = async () => {
    while (next < layers.length) {
      const i = next++;
      const descriptor = layers[i];
      const envelope = await fetchSignaturePayload(
        registry,
        location.repo,
        descriptor,
        opts.maxSize,
      ).catch((e) => {
        throw new SigstoreError(
          (e as SigstoreError).code ?? "REGISTRY",
          `fetching payload: ${(e as Error).message}`,
          { cause: e },
        );
      });
      let env;
      try {
        env = parseEnvelope(envelope);
      } catch (e) {
        throw new SigstoreError(
          "SIGNATURE_INVALID",
          `unmarshaling payload: ${(e as Error).message}`,
          { cause: e },
        );
      }
      if (predicateType !== "") {
        const body = decodeStdBase64Go(env.payload);
        if (!body) {
          throw new SigstoreError("SIGNATURE_INVALID", "decoding payload: illegal base64 data");
        }
        let statement;
        try {
          statement = parseStatement(body);
        } catch (e) {
          throw new SigstoreError(
            "SIGNATURE_INVALID",
            `unmarshaling statement: ${(e as Error).message}`,
            { cause: e },
          );
        }
        if (statement.predicateType !== predicateType) continue;
      }
      results[i] = { descriptor, envelope, line: marshalEnvelope(env) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, layers.length) }, worker));
  const out = results.filter((r): r is DownloadedAttestation => r !== null);
  if (out.length === 0 && predicateType !== "") {
    throw new SigstoreError(
      "NOT_SIGNED",
      `no attestations with predicate type '${predicateType}' found`,
    );
  }
  return out;
}
