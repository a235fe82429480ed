/**
 * Cosign's signature image: the manifest stored under `sha256-<hex>.sig` whose layers are simple
 * signing payloads, each carrying its signature (and certificate, chain, Rekor bundle, RFC 3161
 * timestamp) in layer annotations.
 *
 * The bytes match cosign v2.6.4 exactly (checked against images `cosign sign` pushed to a local
 * registry, tests/fixtures/cosign-oci/). What produces them:
 * - cosign pkg/oci/empty/empty.go `Signatures()`: go-containerregistry's `empty.Image` with
 *   `mutate.MediaType(OCIManifestSchema1)` and `mutate.ConfigMediaType(OCIConfigJSON)`, or plain
 *   `empty.Image` (Docker schema 2 manifest + `application/vnd.docker.container.image.v1+json`
 *   config) when `COSIGN_DOCKER_MEDIA_TYPES` is set (pkg/oci/mediatypes.go).
 * - cosign pkg/oci/mutate/signatures.go `AppendSignatures` → ggcr pkg/v1/mutate/image.go
 *   `compute()`: the base config (`v1.ConfigFile`, re-marshalled in struct order) gets one
 *   `rootfs.diff_ids` entry (the payload's sha256; layers are uncompressed) and one empty `history`
 *   entry per layer; `created` stays `0001-01-01T00:00:00Z` unless `--record-creation-timestamp`
 *   (`mutate.CreatedAt`). The base manifest (`v1.Manifest`, re-marshalled) gets the layer
 *   descriptor `{mediaType, size, digest, annotations}` appended; its `subject` is dropped.
 *   An empty image's config is
 *   `{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["sha256:…"]},"config":{}}`.
 * - cosign pkg/oci/static/signature.go + options.go: the layer's media type is
 *   `application/vnd.dev.cosign.simplesigning.v1+json`; its annotations are
 *   `dev.cosignproject.cosign/signature` (base64), plus `dev.sigstore.cosign/certificate` and
 *   `dev.sigstore.cosign/chain` (both set — chain possibly "" — when there is a certificate),
 *   `dev.sigstore.cosign/bundle`, `dev.sigstore.cosign/rfc3161timestamp` (JSON); Go writes the
 *   annotation map sorted by key.
 * - The existing signature image is read first (pkg/oci/remote/signatures.go, at most 1000 layers)
 *   and a new image written with blobs first, then the manifest under the tag (ggcr remote.Write).
 *
 * @module
 */

import { RegistryError, SigstoreError } from "../errors.ts";
import { parseJsonBounded } from "../payload/go_json.ts";
import {
  DOCKER_CONFIG,
  DOCKER_MANIFEST,
  isIndexMediaType,
  OCI_CONFIG,
  OCI_MANIFEST,
} from "../registry/media_types.ts";
import { sha256Digest } from "../registry/sha256_digest.ts";
import type { Descriptor, ImageManifest, Registry, Repository } from "../registry/types.ts";
import { isNotFound } from "../registry/is_not_found.ts";
import { readBlob } from "../registry/read_blob.ts";
import { marshalConfigFile, marshalManifest } from "../registry/marshal_manifest.ts";

/** The media type of a signature layer (cosign pkg/types/media.go `SimpleSigningMediaType`). */
export const SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
/** Layer annotation holding the base64 signature. */
export const SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
/** Layer annotation holding the signing certificate (PEM). */
export const CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate";
/** Layer annotation holding the certificate chain (PEM). */
export const CHAIN_ANNOTATION = "dev.sigstore.cosign/chain";
/** Layer annotation holding the Rekor bundle (JSON). */
export const BUNDLE_ANNOTATION = "dev.sigstore.cosign/bundle";
/** Layer annotation holding the RFC 3161 timestamp (JSON). */
export const RFC3161_TIMESTAMP_ANNOTATION = "dev.sigstore.cosign/rfc3161timestamp";

/** Cosign's limit on layers in a signature image (pkg/oci/remote/signatures.go `maxLayers`). */
export const MAX_SIGNATURE_LAYERS = 1000;
/** The largest signature image config read when appending. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** A signature to add to a signature image. */
export interface NewSignatureLayer {
  /** The signed payload (the layer's content). */
  payload: Uint8Array;
  /** The signature, standard base64. */
  base64Signature: string;
  /** Signing certificate, PEM; when set the chain annotation is written too. */
  certificate?: string;
  /** Certificate chain, PEM. */
  chain?: string;
  /** Rekor bundle JSON, as cosign marshals `bundle.RekorBundle`. */
  bundle?: string;
  /** RFC 3161 timestamp JSON, as cosign marshals `bundle.RFC3161Timestamp`. */
  rfc3161Timestamp?: string;
  /** Defaults to {@link SIMPLE_SIGNING_MEDIA_TYPE}. */
  mediaType?: string;
}

/**
 * The manifest descriptor of a signature layer, with cosign's annotations.
 *
 * @param sig the signature
 * @returns the descriptor (`mediaType`, `size`, `digest`, `annotations`)
 */
export async function signatureLayerDescriptor(sig: NewSignatureLayer): Promise<Descriptor> {
  const annotations: Record<string, string> = { [SIGNATURE_ANNOTATION]: sig.base64Signature };
  if (sig.certificate !== undefined) {
    annotations[CERTIFICATE_ANNOTATION] = sig.certificate;
    annotations[CHAIN_ANNOTATION] = sig.chain ?? "";
  }
  if (sig.bundle !== undefined) annotations[BUNDLE_ANNOTATION] = sig.bundle;
  if (sig.rfc3161Timestamp !== undefined) {
    annotations[RFC3161_TIMESTAMP_ANNOTATION] = sig.rfc3161Timestamp;
  }
  return {
    mediaType: sig.mediaType ?? SIMPLE_SIGNING_MEDIA_TYPE,
    size: sig.payload.length,
    digest: await sha256Digest(sig.payload),
    annotations,
  };
}

/** A signature image as read from the registry. */
export interface SignatureImage {
  /** The manifest's digest. */
  digest: string;
  /** The Content-Type it was served with. */
  mediaType: string;
  manifest: ImageManifest;
}

/**
 * Reads the signature image under `tag`, or undefined when the tag does not exist (cosign treats a
 * 404 as "no signatures").
 *
 * @param registry the registry client
 * @param repo where signatures are stored
 * @param tag the signature tag
 * @returns the image, or undefined
 * @throws {SigstoreError} `TOO_MANY` "number of layers (N) exceeded the limit (1000)"; `UNSUPPORTED`
 *   when the tag holds an index; {@link RegistryError} for other registry failures
 */
export async function readSignatureImage(
  registry: Registry,
  repo: Repository,
  tag: string,
): Promise<SignatureImage | undefined> {
  let fetched;
  try {
    fetched = await registry.getManifest(repo, tag);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
  if (isIndexMediaType(fetched.mediaType) || !("layers" in fetched.manifest)) {
    throw new SigstoreError(
      "UNSUPPORTED",
      `Cannot read signatures: ${tag} is not an image manifest (${fetched.mediaType})`,
    );
  }
  const manifest = fetched.manifest as ImageManifest;
  if (!Array.isArray(manifest.layers)) manifest.layers = [];
  if (manifest.layers.length > MAX_SIGNATURE_LAYERS) {
    throw new SigstoreError(
      "TOO_MANY",
      `number of layers (${manifest.layers.length}) exceeded the limit (${MAX_SIGNATURE_LAYERS})`,
    );
  }
  return { digest: fetched.digest, mediaType: fetched.mediaType, manifest };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** What {@link writeSignatureImage} writes. */
export interface WriteSignatureImageOptions {
  /** The image read before (appended to), or undefined to start from cosign's empty image. */
  base?: SignatureImage;
  /** The layers to append, with the payloads to upload. */
  add: Array<{ descriptor: Descriptor; payload?: Uint8Array }>;
  /** `COSIGN_DOCKER_MEDIA_TYPES`: Docker schema 2 types for a new image (a base keeps its own). */
  dockerMediaTypes?: boolean;
  /** `--record-creation-timestamp`: the config's `created` (written in UTC). */
  created?: Date;
  /**
   * Blobs known to be in the repository (uploaded by the caller moments ago): not checked again
   * before the manifest that names them is written.
   */
  present?: ReadonlySet<string>;
  /**
   * cosign's experimental OCI 1.1 storage (pkg/oci/remote/write.go
   * `WriteSignaturesExperimentalOCI`): the manifest gets this `subject`, its config media type and
   * a trailing `artifactType` become `artifactType`, and it is pushed by digest (`tag` unused).
   */
  referrer?: { subject: Descriptor; artifactType: string };
  /**
   * Write only if, right before the manifest PUT, the tag still names the manifest with this
   * digest (`null`: the tag does not exist). One HEAD request; when the tag has moved nothing is
   * written and undefined is returned (see lib/oci/append_cosign_layer.ts).
   */
  ifTagIs?: string | null;
}

/** The manifest {@link writeSignatureImage} pushed. */
export interface WrittenSignatureImage {
  digest: string;
  bytes: Uint8Array;
  mediaType: string;
  /** With `ifTagIs`: milliseconds from sending the tag check to the manifest PUT's response. */
  checkMs?: number;
}

/**
 * Builds the next signature image (base + layers) exactly as cosign would and pushes it: payload
 * blobs, config blob, then the manifest under `tag`.
 *
 * @param registry the registry client
 * @param repo where signatures are stored
 * @param tag the signature tag
 * @param opts base image and layers
 * @returns the pushed manifest's digest and bytes, or undefined when `ifTagIs` did not hold
 */
export async function writeSignatureImage(
  registry: Registry,
  repo: Repository,
  tag: string,
  opts: WriteSignatureImageOptions & { ifTagIs: string | null },
): Promise<WrittenSignatureImage | undefined>;
export async function writeSignatureImage(
  registry: Registry,
  repo: Repository,
  tag: string,
  opts: WriteSignatureImageOptions,
): Promise<WrittenSignatureImage>;
export async function writeSignatureImage(
  registry: Registry,
  repo: Repository,
  tag: string,
  opts: WriteSignatureImageOptions,
): Promise<WrittenSignatureImage | undefined> {
  const base = opts.base;
  let config: Record<string, unknown>;
  let manifest: ImageManifest;
  let mediaType: string;
  if (base) {
    const raw = await readBlob(registry, repo, base.manifest.config, MAX_CONFIG_BYTES);
    const parsed = parseJsonBounded(raw, "signature image config");
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new SyntaxError("Cannot parse signature image config: not an object");
    }
    config = parsed as Record<string, unknown>;
    manifest = structuredClone(base.manifest);
    mediaType = manifest.mediaType ?? base.mediaType;
  } else {
    // ggcr empty.Image's config: v1.ConfigFile{RootFS: {Type: "layers"}}.
    config = { architecture: "", os: "", rootfs: { type: "layers", diff_ids: null }, config: {} };
    mediaType = opts.dockerMediaTypes ? DOCKER_MANIFEST : OCI_MANIFEST;
    manifest = {
      schemaVersion: 2,
      mediaType,
      config: {
        mediaType: opts.dockerMediaTypes ? DOCKER_CONFIG : OCI_CONFIG,
        size: 0,
        digest: "",
      },
      layers: [],
    };
  }
  const rootfs = (isObject(config.rootfs) ? config.rootfs : {}) as Record<string, unknown>;
  const diffIds = Array.isArray(rootfs.diff_ids) ? [...rootfs.diff_ids] : [];
  const history = Array.isArray(config.history) ? [...config.history] : [];
  for (const { descriptor } of opts.add) {
    diffIds.push(descriptor.digest); // uncompressed layer: diff ID = digest
    history.push({});
    manifest.layers.push(descriptor);
  }
  config.rootfs = { ...rootfs, diff_ids: diffIds };
  config.history = history;
  if (opts.created) config.created = opts.created.toISOString();
  delete manifest.subject; // mutate.Append does not carry the base's subject over

  const configBytes = new TextEncoder().encode(marshalConfigFile(config));
  for (const { descriptor, payload } of opts.add) {
    if (payload) await registry.putBlob(repo, payload);
    else if (opts.present?.has(descriptor.digest)) continue;
    else if (!(await registry.hasBlob(repo, descriptor.digest))) {
      throw new RegistryError(
        "BLOB_UNKNOWN",
        `Cannot write signatures: blob ${descriptor.digest} is missing`,
      );
    }
  }
  const configDesc = await registry.putBlob(repo, configBytes);
  manifest.config = { ...manifest.config, digest: configDesc.digest, size: configDesc.size };
  if (manifest.config.data !== undefined) manifest.config.data = configBytes.toBase64();
  if (opts.referrer) {
    // Go marshals `referrerManifest{v1.Manifest, ArtifactType}`: the manifest's fields, then
    // `artifactType`.
    const { subject, artifactType } = opts.referrer;
    manifest.config = { ...manifest.config, mediaType: artifactType };
    manifest.subject = { mediaType: subject.mediaType, size: subject.size, digest: subject.digest };
    const text = marshalManifest(manifest);
    const bytes = new TextEncoder().encode(
      `${text.slice(0, -1)},"artifactType":${JSON.stringify(artifactType)}}`,
    );
    const digest = await registry.putManifest(repo, await sha256Digest(bytes), bytes, mediaType);
    return { digest, bytes, mediaType };
  }
  const bytes = new TextEncoder().encode(marshalManifest(manifest));
  const checked = Date.now();
  if (opts.ifTagIs !== undefined) {
    const now = await registry.headManifest(repo, tag);
    if ((now?.digest ?? null) !== opts.ifTagIs) return undefined;
  }
  const digest = await registry.putManifest(repo, tag, bytes, mediaType);
  if (opts.ifTagIs === undefined) return { digest, bytes, mediaType };
  return { digest, bytes, mediaType, checkMs: Date.now() - checked };
}

/**
 * Downloads a signature layer's payload, refusing before the download when the descriptor's size
 * exceeds the limit (cosign internal/pkg/cosign/payload/size `CheckSize`), and reading no more
 * than the declared size (ggcr `verify.ReadCloser`): an endless or longer body stops at byte
 * `size + 1`, a shorter one fails at its end.
 *
 * @param registry the registry client
 * @param repo where signatures are stored
 * @param layer the layer's descriptor
 * @param maxSize `COSIGN_MAX_ATTACHMENT_SIZE` in bytes (cosign's default 128 MiB)
 * @returns the payload bytes
 * @throws {SigstoreError} `TOO_LARGE` "size of layer (N) exceeded the limit (M)"
 * @throws {RegistryError} `TOO_LARGE` "… the content is longer than its declared size N";
 *   `DIGEST_MISMATCH` for a shorter body or one that does not hash to the layer's digest
 */
export async function fetchSignaturePayload(
  registry: Registry,
  repo: Repository,
  layer: Descriptor,
  maxSize: number,
): Promise<Uint8Array> {
  const size = layer.size;
  if (!Number.isSafeInteger(size) || size < 0 || size > maxSize) {
    throw new SigstoreError(
      "TOO_LARGE",
      `size of layer (${layer.size}) exceeded the limit (${maxSize})`,
    );
  }
  return await readBlob(registry, repo, layer, maxSize);
}
