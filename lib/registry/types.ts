/**
 * The contract between the OCI registry client (`lib/oci/`) and everything built on it (cosign's
 * signature storage, sget, copy, tree …). Types only: the client implements {@link Registry}; an
 * in-memory registry used for fault injection implements it too.
 *
 * Media types and manifest shapes follow the OCI image and distribution specs (v1.1) and Docker
 * schema 2.
 *
 * @module
 */

/** A parsed image reference: `registry/repository[:tag][@digest]`. */
export interface Reference {
  /** Host and optional port as written, after defaulting (`index.docker.io` for Docker Hub). */
  registry: string;
  /** Repository path, with `library/` added for single-name Docker Hub repositories. */
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>` (or another registered algorithm). */
  digest?: string;
}

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
  platform?: Platform;
  urls?: string[];
  data?: string;
}

/** A platform in an image index. */
export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  "os.version"?: string;
  "os.features"?: string[];
}

/** An image manifest (OCI or Docker schema 2). */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An image index / manifest list. */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** A manifest as fetched: the exact bytes (whose digest is the manifest's digest) and its parse. */
export interface FetchedManifest {
  /** The Content-Type the registry answered with (or the body's `mediaType`). */
  mediaType: string;
  /** `sha256:` of `bytes`, checked against the registry's Docker-Content-Digest and any digest asked for. */
  digest: string;
  bytes: Uint8Array;
  manifest: ImageManifest | ImageIndex;
}

/** A repository on a registry: where blobs and manifests live. */
export interface Repository {
  registry: string;
  repository: string;
}

/** Blob content to upload: bytes in memory, or a stream with known digest and size. */
export type BlobSource =
  | Uint8Array
  | { stream: () => ReadableStream<Uint8Array>; digest: string; size: number };

/** Bounds of a blob read ({@link Registry.getBlob}). */
export interface BlobReadOptions {
  /** The size the blob's descriptor declares: the read must end exactly there. */
  size?: number;
  /** The cap: the declared size must not exceed it; without `size`, the most bytes read. */
  maxSize?: number;
}

/** A registry client bound to its options (auth, TLS, retries, limits). */
export interface Registry {
  /**
   * Fetches a manifest by tag or digest.
   * @throws {RegistryError} `MANIFEST_UNKNOWN` (404) / `NAME_UNKNOWN` / `UNAUTHORIZED` / `DENIED`,
   *   `TOO_LARGE` beyond 4 MiB, `DIGEST_MISMATCH`
   */
  getManifest(repo: Repository, tagOrDigest: string): Promise<FetchedManifest>;
  /** HEAD a manifest; `undefined` when it does not exist. */
  headManifest(
    repo: Repository,
    tagOrDigest: string,
  ): Promise<{ digest: string; mediaType: string; size: number } | undefined>;
  /** Uploads a manifest under a tag or its digest; returns its digest. */
  putManifest(
    repo: Repository,
    tagOrDigest: string,
    bytes: Uint8Array,
    mediaType: string,
  ): Promise<string>;
  /** Deletes a manifest by digest. */
  deleteManifest(repo: Repository, digest: string): Promise<void>;
  /** Whether a blob exists. */
  hasBlob(repo: Repository, digest: string): Promise<boolean>;
  /**
   * Uploads a blob unless it already exists (POST then PUT; chunked PATCH for large streams;
   * `mountFrom` tries a cross-repository mount first).
   * @returns the blob's descriptor fields (digest, size)
   */
  putBlob(
    repo: Repository,
    blob: BlobSource,
    options?: { mountFrom?: Repository },
  ): Promise<{ digest: string; size: number }>;
  /**
   * Streams a blob. The stream errors with `DIGEST_MISMATCH` at its end if the bytes do not hash to
   * `digest`. With `size` (what the descriptor declares; pass it whenever there is a descriptor)
   * the read is exact: `size` is checked against `maxSize` before anything is fetched, a
   * `Content-Length` that differs is refused before the body is read, the stream errors with
   * `TOO_LARGE` as soon as byte `size + 1` arrives and with `DIGEST_MISMATCH` when it ends short.
   * With only `maxSize` it errors with `TOO_LARGE` as soon as more than `maxSize` bytes arrive
   * (see `verifyingStream`, the one mechanism behind every implementation).
   * @throws {RegistryError} `TOO_LARGE` / `REGISTRY` for a declared size above `maxSize` or invalid
   */
  getBlob(
    repo: Repository,
    digest: string,
    options?: BlobReadOptions,
  ): Promise<ReadableStream<Uint8Array>>;
  /**
   * Reads a whole (small) blob of unknown size into memory, digest-checked and bounded by
   * `maxSize`. With a descriptor at hand, use `readBlob` (exact size) instead.
   */
  getBlobBytes(repo: Repository, digest: string, maxSize: number): Promise<Uint8Array>;
  /** Lists every tag (following pagination). */
  listTags(repo: Repository): Promise<string[]>;
  /**
   * Referrers of a manifest: the OCI 1.1 referrers API, falling back to the `sha256-<hex>` tag
   * schema when the registry does not implement it.
   */
  referrers(repo: Repository, digest: string, artifactType?: string): Promise<Descriptor[]>;
  /**
   * Whether the registry answers the referrers API for `digest` (go-containerregistry's check
   * after writing a manifest with a subject: 200 yes, 404/400 no). Absent: the registry keeps its
   * referrers itself.
   */
  referrersApi?(repo: Repository, digest: string): Promise<boolean>;
}
