/**
 * The OCI distribution client: {@link Registry} over HTTP(S) (distribution spec v1.1), with
 * Docker's token authentication, retries, digest verification and size limits.
 *
 * Transport decisions (they follow go-containerregistry, which cosign uses):
 * - Each registry is pinged once (`GET /v2/`) to learn its scheme and auth challenge. HTTPS is
 *   tried first; plain HTTP is tried next only for loopback, `*.local`, RFC 1918 hosts
 *   (ggcr `name.Registry.Scheme()`), or when `allowHttp` is set (cosign
 *   `--allow-http-registry`, ggcr `name.Insecure`). `allowInsecure` (cosign
 *   `--allow-insecure-registry`) does not allow HTTP: in cosign it only skips TLS verification.
 * - Deno cannot skip TLS verification per connection, so with `allowInsecure` an untrusted
 *   certificate fails with a message saying so and naming `--registry-cacert` and Deno's
 *   `--unsafely-ignore-certificate-errors=<host>`.
 * - Redirects are followed by hand; `Authorization` is dropped when a redirect leaves the
 *   registry's origin (blob downloads redirected to storage).
 * - Every fetched manifest is hashed and checked against the digest asked for and the
 *   registry's `Docker-Content-Digest`; every blob stream is hashed as it flows.
 *
 * @module
 */
import { IoError, RegistryError } from "../errors.ts";
import type { ErrorCode } from "../errors.ts";
import {
  createTlsClient,
  type HttpOptions,
  httpRequestSafeRedirects,
  isRetryableStatus,
  isTlsError,
  readBodyBounded,
  type RetryOptions,
} from "../http.ts";
import { nodeCrypto } from "../_node_crypto.ts";
import { sleep as timerSleep } from "../timers.ts";
import {
  algorithmOf,
  collect,
  declaredSize,
  digestOf,
  verifyingStream,
} from "./verifying_stream.ts";
import {
  type Challenge,
  type CredentialResolver,
  type Credentials,
  parseWwwAuthenticate,
  pickChallenge,
  RegistryAuth,
  repositoryScope,
} from "./auth.ts";
import { isManifestMediaType, MANIFEST_ACCEPT, OCI_INDEX, OCI_MANIFEST } from "./media_types.ts";
import { allowsHttpByDefault, isDigest, isLoopback } from "./reference.ts";
import type {
  BlobReadOptions,
  BlobSource,
  Descriptor,
  FetchedManifest,
  ImageIndex,
  ImageManifest,
  Registry,
  Repository,
} from "./types.ts";

/** Manifests larger than this are refused (the limit distribution and ggcr use). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Manifests with more layers (or index entries) are refused before any blob is fetched. */
export const MAX_LAYERS = 1000;
/** Streams larger than this are uploaded in chunks of this size; smaller ones in one PUT. */
export const UPLOAD_CHUNK_SIZE = 16 * 1024 * 1024;
/** Error bodies, tag lists and referrer indexes are read up to this size. */
const SMALL_BODY_LIMIT = 4 * 1024 * 1024;
/** The most pages followed for tag lists and referrers. */
const MAX_PAGES = 10_000;
/**
 * The most bytes read over all pages of one tag list or referrers listing: pages are bounded one
 * by one, and this bounds what a registry that keeps sending `Link: rel="next"` can make us hold.
 */
export const MAX_LISTING_BYTES = 32 * 1024 * 1024;

/**
 * Options of {@link createRegistry}. Cosign's registry flags map onto them:
 * `--registry-username`/`--registry-password`/`--registry-token` → `credentials`;
 * the docker config → `keychain`; `--allow-http-registry` → `allowHttp`;
 * `--allow-insecure-registry` → `allowInsecure`; `--registry-cacert` → `caCerts`;
 * `--registry-client-cert`/`--registry-client-key` → `clientCert`/`clientKey`.
 */
export interface RegistryClientOptions {
  /** Explicit credentials, used for every registry this client talks to. */
  credentials?: Credentials;
  /** Where to look up credentials when `credentials` is not set (e.g. the docker config). */
  keychain?: CredentialResolver;
  /** Allow plain HTTP for any registry (cosign `--allow-http-registry`). */
  allowHttp?: boolean;
  /**
   * cosign `--allow-insecure-registry`: skip TLS verification. Deno cannot do that per connection,
   * so it only changes the message of a certificate failure (see the module comment).
   */
  allowInsecure?: boolean;
  /** Extra trusted CA certificates, PEM (cosign `--registry-cacert`). */
  caCerts?: string[];
  /** Client certificate chain, PEM, for mutual TLS (`--registry-client-cert`). */
  clientCert?: string;
  /** Client private key, PEM (`--registry-client-key`). */
  clientKey?: string;
  /** The `fetch` to use (tests). */
  fetch?: typeof fetch;
  retry?: RetryOptions;
  /** Idle timeout per request, ms (default 60 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  userAgent?: string;
  /** Manifest size limit (default {@link MAX_MANIFEST_BYTES}). */
  maxManifestBytes?: number;
  /** Layer / index entry count limit (default {@link MAX_LAYERS}). */
  maxLayers?: number;
  /** Upload chunk size (default {@link UPLOAD_CHUNK_SIZE}). */
  chunkSize?: number;
  /** Replaces sleeping between retries (tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

interface Host {
  base: string;
  auth: RegistryAuth;
}

interface Call {
  method?: string;
  /** A path under `/v2/<repository>/`, or an absolute URL (upload locations, pagination). */
  path?: string;
  url?: URL;
  headers?: Record<string, string>;
  body?: Uint8Array | (() => BodyInit);
  scopes: string[];
  retry?: boolean;
}

/**
 * Creates a registry client.
 *
 * @param options auth, TLS, retries and limits
 * @returns a {@link RegistryClient}; call `close()` when done to release its HTTP client
 * @throws {TypeError} when only one of `clientCert`/`clientKey` is set
 * @example
 * const reg = createRegistry({ keychain: dockerKeychain({ configPath }) });
 * const m = await reg.getManifest({ registry: "ghcr.io", repository: "org/app" }, "v1");
 */
export function createRegistry(options: RegistryClientOptions = {}): RegistryClient {
  return new RegistryClient(options);
}

/** The HTTP implementation of {@link Registry}. */
export class RegistryClient implements Registry {
  readonly #options: RegistryClientOptions;
  readonly #http: HttpOptions;
  readonly #tls: Deno.HttpClient | undefined;
  readonly #hosts = new Map<string, Promise<Host>>();
  readonly #maxManifest: number;
  readonly #maxLayers: number;
  readonly #chunk: number;

  constructor(options: RegistryClientOptions) {
    this.#options = options;
    this.#tls = createTlsClient({
      caCerts: options.caCerts,
      clientCert: options.clientCert,
      clientKey: options.clientKey,
    });
    this.#http = {
      fetch: options.fetch,
      client: this.#tls,
      retry: options.retry,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      userAgent: options.userAgent ?? "cosign-deno",
      sleep: options.sleep,
    };
    this.#maxManifest = options.maxManifestBytes ?? MAX_MANIFEST_BYTES;
    this.#maxLayers = options.maxLayers ?? MAX_LAYERS;
    this.#chunk = options.chunkSize ?? UPLOAD_CHUNK_SIZE;
  }

  /** Releases the TLS client (if one was created). */
  close(): void {
    this.#tls?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // ---------------------------------------------------------------- manifests

  async getManifest(repo: Repository, tagOrDigest: string): Promise<FetchedManifest> {
    const what = `Cannot fetch manifest ${name(repo, tagOrDigest)}`;
    const res = await this.#call(repo, {
      path: `manifests/${tagOrDigest}`,
      headers: { accept: MANIFEST_ACCEPT },
      scopes: [pullScope(repo)],
    }, what);
    if (!res.ok) throw await errorFrom(res, what, "MANIFEST_UNKNOWN");
    const bytes = await this.#readBounded(res, this.#maxManifest, what);
    const digest = await digestOf(
      bytes,
      isDigest(tagOrDigest) ? algorithmOf(tagOrDigest) : "sha256",
    );
    if (isDigest(tagOrDigest) && digest !== tagOrDigest) {
      throw new RegistryError(
        "DIGEST_MISMATCH",
        `${what}: digest mismatch: got ${digest}`,
        { status: res.status },
      );
    }
    const header = res.headers.get("docker-content-digest");
    if (header && header.startsWith("sha256:") && !isDigest(tagOrDigest) && header !== digest) {
      throw new RegistryError(
        "DIGEST_MISMATCH",
        `${what}: digest mismatch: the registry says ${header}, the content is ${digest}`,
        { status: res.status },
      );
    }
    const manifest = this.parseManifest(bytes, what);
    const contentType = mediaTypeOf(res);
    const mediaType = isManifestMediaType(contentType)
      ? contentType!
      : manifest.mediaType ?? ("manifests" in manifest ? OCI_INDEX : OCI_MANIFEST);
    return { mediaType, digest, bytes, manifest };
  }

  /**
   * Parses and checks a manifest: JSON object, schemaVersion 2, layers or manifests array, and
   * at most `maxLayers` entries (checked before anything else is fetched).
   *
   * @param bytes the manifest bytes
   * @param what the message prefix
   * @returns the manifest or index
   * @throws {RegistryError} `REGISTRY` for malformed manifests, `TOO_MANY` beyond the limit
   */
  parseManifest(bytes: Uint8Array, what: string): ImageManifest | ImageIndex {
    let m: ImageManifest | ImageIndex;
    try {
      m = JSON.parse(new TextDecoder().decode(bytes));
    } catch (cause) {
      throw new RegistryError("REGISTRY", `${what}: the manifest is not valid JSON`, { cause });
    }
    if (typeof m !== "object" || m === null || Array.isArray(m)) {
      throw new RegistryError("REGISTRY", `${what}: the manifest is not a JSON object`);
    }
    if (m.schemaVersion !== 2) {
      throw new RegistryError(
        "UNSUPPORTED",
        `${what}: unsupported manifest schemaVersion ${JSON.stringify(m.schemaVersion)}`,
      );
    }
    const list = "manifests" in m ? m.manifests : (m as ImageManifest).layers;
    if (!Array.isArray(list)) {
      throw new RegistryError("REGISTRY", `${what}: the manifest has no layers or manifests array`);
    }
    if (list.length > this.#maxLayers) {
      throw new RegistryError(
        "TOO_MANY",
        `${what}: ${list.length} ${
          "manifests" in m ? "manifests" : "layers"
        } exceed the limit of ${this.#maxLayers}`,
      );
    }
    return m;
  }

  async headManifest(
    repo: Repository,
    tagOrDigest: string,
  ): Promise<{ digest: string; mediaType: string; size: number } | undefined> {
    const what = `Cannot fetch manifest ${name(repo, tagOrDigest)}`;
    const res = await this.#call(repo, {
      method: "HEAD",
      path: `manifests/${tagOrDigest}`,
      headers: { accept: MANIFEST_ACCEPT },
      scopes: [pullScope(repo)],
    }, what);
    await res.body?.cancel().catch(() => {});
    if (res.status === 404) return undefined;
    if (!res.ok) throw await errorFrom(res, what, "MANIFEST_UNKNOWN");
    const digest = res.headers.get("docker-content-digest");
    const size = Number(res.headers.get("content-length") ?? NaN);
    const mediaType = mediaTypeOf(res);
    if (!digest || !Number.isFinite(size) || !mediaType) {
      // Some registries leave headers out of HEAD: fall back to a GET.
      try {
        const m = await this.getManifest(repo, tagOrDigest);
        return { digest: m.digest, mediaType: m.mediaType, size: m.bytes.length };
      } catch (e) {
        if (e instanceof RegistryError && e.status === 404) return undefined;
        throw e;
      }
    }
    return { digest, mediaType, size };
  }

  async putManifest(
    repo: Repository,
    tagOrDigest: string,
    bytes: Uint8Array,
    mediaType: string,
  ): Promise<string> {
    const what = `Cannot upload manifest ${name(repo, tagOrDigest)}`;
    if (bytes.length > this.#maxManifest) {
      throw new RegistryError(
        "TOO_LARGE",
        `${what}: ${bytes.length} bytes exceed the limit of ${this.#maxManifest}`,
      );
    }
    const digest = await digestOf(bytes, "sha256");
    if (isDigest(tagOrDigest) && tagOrDigest !== digest) {
      throw new RegistryError("DIGEST_MISMATCH", `${what}: the content's digest is ${digest}`);
    }
    const res = await this.#call(repo, {
      method: "PUT",
      path: `manifests/${tagOrDigest}`,
      headers: { "content-type": mediaType },
      body: bytes,
      scopes: [pushScope(repo)],
    }, what);
    if (res.status !== 201 && res.status !== 200 && res.status !== 202) {
      throw await errorFrom(res, what, "REGISTRY");
    }
    await res.body?.cancel().catch(() => {});
    const header = res.headers.get("docker-content-digest");
    if (header && header.startsWith("sha256:") && header !== digest) {
      throw new RegistryError(
        "DIGEST_MISMATCH",
        `${what}: the registry stored ${header}, the content is ${digest}`,
        { status: res.status },
      );
    }
    return digest;
  }

  async deleteManifest(repo: Repository, digest: string): Promise<void> {
    const what = `Cannot delete manifest ${name(repo, digest)}`;
    const res = await this.#call(repo, {
      method: "DELETE",
      path: `manifests/${digest}`,
      scopes: [pushScope(repo)],
    }, what);
    if (res.status === 200 || res.status === 202 || res.status === 204) {
      await res.body?.cancel().catch(() => {});
      return;
    }
    throw await errorFrom(res, what, res.status === 405 ? "UNSUPPORTED" : "MANIFEST_UNKNOWN");
  }

  // -------------------------------------------------------------------- blobs

  async hasBlob(repo: Repository, digest: string): Promise<boolean> {
    const what = `Cannot check blob ${name(repo, digest)}`;
    const res = await this.#call(repo, {
      method: "HEAD",
      path: `blobs/${digest}`,
      scopes: [pullScope(repo)],
    }, what);
    await res.body?.cancel().catch(() => {});
    if (res.ok) return true;
    if (res.status === 404) return false;
    throw await errorFrom(res, what, "BLOB_UNKNOWN");
  }

  async putBlob(
    repo: Repository,
    blob: BlobSource,
    options: { mountFrom?: Repository } = {},
  ): Promise<{ digest: string; size: number }> {
    const src = blob instanceof Uint8Array
      ? { bytes: blob, digest: await digestOf(blob, "sha256"), size: blob.length }
      : { stream: blob.stream, digest: blob.digest, size: blob.size };
    if (!Number.isSafeInteger(src.size) || src.size < 0) {
      throw new RangeError(`"size" must be a non-negative integer, got ${src.size}`);
    }
    algorithmOf(src.digest);
    const result = { digest: src.digest, size: src.size };
    if (await this.hasBlob(repo, src.digest)) return result;
    const what = `Cannot upload blob ${name(repo, src.digest)}`;
    const attempts = Math.max(1, this.#options.retry?.attempts ?? 4);
    for (let attempt = 1;; attempt++) {
      try {
        let location = await this.#startUpload(repo, src.digest, what, options.mountFrom);
        if (location === "mounted") return result;
        const source = "bytes" in src ? () => singleChunk(src.bytes!) : src.stream;
        location = await this.#upload(repo, location, source, src, what);
        return result;
      } catch (e) {
        const retryable = (e instanceof RegistryError &&
          (e.code === "NETWORK" || isRetryableStatus(e.status))) ||
          (e instanceof IoError && e.code === "NETWORK");
        if (!retryable || attempt >= attempts) throw e;
        // A lost response may hide a finished upload.
        if (await this.hasBlob(repo, src.digest).catch(() => false)) return result;
        await sleep(200 * 2 ** (attempt - 1), this.#http);
      }
    }
  }

  /** POST an upload session (or a mount); returns the upload URL, or "mounted". */
  async #startUpload(
    repo: Repository,
    digest: string,
    what: string,
    mountFrom: Repository | undefined,
  ): Promise<URL | "mounted"> {
    if (
      mountFrom && mountFrom.registry === repo.registry && mountFrom.repository !== repo.repository
    ) {
      const q = new URLSearchParams({ mount: digest, from: mountFrom.repository });
      const res = await this.#call(repo, {
        method: "POST",
        path: `blobs/uploads/?${q}`,
        scopes: [pushScope(repo), pullScope(mountFrom)],
        retry: true,
      }, what);
      await res.body?.cancel().catch(() => {});
      if (res.status === 201) return "mounted";
      if (res.status === 202) return this.#location(res, what);
      // Anything else: mounting is not possible here; upload normally.
    }
    const res = await this.#call(repo, {
      method: "POST",
      path: "blobs/uploads/",
      scopes: [pushScope(repo)],
      retry: true,
    }, what);
    if (res.status !== 202) throw await errorFrom(res, what, "REGISTRY");
    await res.body?.cancel().catch(() => {});
    return this.#location(res, what);
  }

  async #upload(
    repo: Repository,
    location: URL,
    stream: () => ReadableStream<Uint8Array>,
    src: { digest: string; size: number },
    what: string,
  ): Promise<URL> {
    const hash = nodeCrypto().createHash(algorithmOf(src.digest));
    const chunks = rechunk(stream(), this.#chunk, src.size, what);
    let offset = 0;
    let first = await chunks.next();
    if (src.size <= this.#chunk) {
      // Monolithic: POST, then PUT ?digest= with the whole content.
      const bytes = first.done ? new Uint8Array() : first.value;
      // Drain: the generator checks the stream ends at the declared size.
      if (!(await chunks.next()).done) {
        throw new RegistryError("DIGEST_MISMATCH", `${what}: the stream is longer than declared`);
      }
      hash.update(bytes);
      checkDigest(hash, src.digest, what);
      return await this.#finish(repo, location, src.digest, bytes, what);
    }
    while (!first.done) {
      const chunk = first.value;
      hash.update(chunk);
      const res = await this.#call(repo, {
        method: "PATCH",
        url: location,
        headers: {
          "content-type": "application/octet-stream",
          "content-range": `${offset}-${offset + chunk.length - 1}`,
        },
        body: chunk,
        scopes: [pushScope(repo)],
        retry: false,
      }, what);
      if (res.status !== 202 && res.status !== 204) throw await errorFrom(res, what, "REGISTRY");
      await res.body?.cancel().catch(() => {});
      location = this.#location(res, what);
      offset += chunk.length;
      first = await chunks.next();
    }
    checkDigest(hash, src.digest, what);
    return await this.#finish(repo, location, src.digest, new Uint8Array(), what);
  }

  async #finish(
    repo: Repository,
    location: URL,
    digest: string,
    body: Uint8Array,
    what: string,
  ): Promise<URL> {
    const url = new URL(location);
    url.searchParams.set("digest", digest);
    const res = await this.#call(repo, {
      method: "PUT",
      url,
      headers: { "content-type": "application/octet-stream" },
      body,
      scopes: [pushScope(repo)],
      retry: false,
    }, what);
    if (res.status !== 201 && res.status !== 204 && res.status !== 200) {
      throw await errorFrom(res, what, "REGISTRY");
    }
    await res.body?.cancel().catch(() => {});
    return url;
  }

  #location(res: Response, what: string): URL {
    const loc = res.headers.get("location");
    if (!loc) {
      throw new RegistryError("REGISTRY", `${what}: the registry sent no upload Location`, {
        status: res.status,
      });
    }
    return new URL(loc, res.url);
  }

  async getBlob(
    repo: Repository,
    digest: string,
    options: BlobReadOptions = {},
  ): Promise<ReadableStream<Uint8Array>> {
    const what = `Cannot fetch blob ${name(repo, digest)}`;
    algorithmOf(digest);
    const maxSize = options.maxSize ?? Infinity;
    // The declared size is checked before any request: a descriptor claiming 200 MiB against a
    // 4 MiB cap costs nothing.
    const size = options.size === undefined ? undefined : declaredSize(options.size, maxSize, what);
    const res = await this.#call(
      repo,
      { path: `blobs/${digest}`, scopes: [pullScope(repo)] },
      what,
    );
    if (!res.ok) throw await errorFrom(res, what, "BLOB_UNKNOWN");
    const header = res.headers.get("content-length");
    // A Content-Length only counts the blob's bytes when the body is not content-encoded (Go's
    // transport sets ContentLength to -1 after it decompresses; fetch decompresses too).
    const encoded = !/^(identity)?$/i.test(res.headers.get("content-encoding")?.trim() ?? "");
    const length = header === null || encoded ? NaN : Number(header);
    if (size !== undefined && Number.isFinite(length) && length !== size) {
      // ggcr fetcher.fetchBlob: "Content-Length header N does not match expected size M".
      await res.body?.cancel().catch(() => {});
      throw new RegistryError(
        length > size ? "TOO_LARGE" : "DIGEST_MISMATCH",
        `${what}: Content-Length ${length} does not match the declared size ${size}`,
        { status: res.status },
      );
    }
    if (length > maxSize) {
      await res.body?.cancel().catch(() => {});
      throw new RegistryError(
        "TOO_LARGE",
        `${what}: ${length} bytes exceed the limit of ${maxSize}`,
        { status: res.status },
      );
    }
    return verifyingStream(
      res.body ?? singleChunk(new Uint8Array()),
      digest,
      { size, maxSize },
      what,
      res.status,
    );
  }

  async getBlobBytes(repo: Repository, digest: string, maxSize: number): Promise<Uint8Array> {
    const stream = await this.getBlob(repo, digest, { maxSize });
    return await collect(stream);
  }

  // ------------------------------------------------------------ tags, referrers

  async listTags(repo: Repository): Promise<string[]> {
    const what = `Cannot list tags of ${repo.registry}/${repo.repository}`;
    const tags: string[] = [];
    let call: Call = { path: "tags/list?n=1000", scopes: [pullScope(repo)] };
    const seen = new Set<string>();
    let budget = MAX_LISTING_BYTES;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.#call(repo, call, what);
      if (!res.ok) throw await errorFrom(res, what, "NAME_UNKNOWN");
      const bytes = await this.#readListing(res, budget, what);
      budget -= bytes.length;
      const body = parseJson<{ tags?: string[] | null }>(bytes, res, what);
      for (const t of body.tags ?? []) if (typeof t === "string") tags.push(t);
      const next = nextLink(res);
      if (!next || seen.has(next.href)) return tags;
      seen.add(next.href);
      call = { url: next, scopes: call.scopes };
    }
    throw new RegistryError("TOO_MANY", `${what}: more than ${MAX_PAGES} pages`);
  }

  async referrers(repo: Repository, digest: string, artifactType?: string): Promise<Descriptor[]> {
    const what = `Cannot list referrers of ${name(repo, digest)}`;
    algorithmOf(digest);
    const q = artifactType ? `?${new URLSearchParams({ artifactType })}` : "";
    let call: Call = {
      path: `referrers/${digest}${q}`,
      headers: { accept: OCI_INDEX },
      scopes: [pullScope(repo)],
    };
    const out: Descriptor[] = [];
    const seen = new Set<string>();
    let budget = MAX_LISTING_BYTES;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.#call(repo, call, what);
      const contentType = mediaTypeOf(res);
      if (
        page === 0 &&
        (res.status === 404 || res.status === 400 || (res.ok && contentType !== OCI_INDEX))
      ) {
        // No referrers API (distribution 2.8/3.x): the tag schema fallback (OCI distribution
        // spec v1.1 "Referrers Tag Schema").
        await res.body?.cancel().catch(() => {});
        return await this.#referrersByTag(repo, digest, artifactType);
      }
      if (!res.ok) throw await errorFrom(res, what, "MANIFEST_UNKNOWN");
      const bytes = await this.#readListing(res, budget, what);
      budget -= bytes.length;
      const index = this.parseManifest(bytes, what);
      out.push(...("manifests" in index ? index.manifests : []));
      const next = nextLink(res);
      if (!next || seen.has(next.href)) break;
      seen.add(next.href);
      call = { url: next, headers: call.headers, scopes: call.scopes };
    }
    // Registries may ignore the filter (OCI-Filters-Applied tells); filtering again is harmless.
    return artifactType ? out.filter((d) => d.artifactType === artifactType) : out;
  }

  async referrersApi(repo: Repository, digest: string): Promise<boolean> {
    const what = `Cannot list referrers of ${name(repo, digest)}`;
    algorithmOf(digest);
    const res = await this.#call(repo, {
      path: `referrers/${digest}`,
      headers: { accept: OCI_INDEX },
      scopes: [pullScope(repo)],
    }, what);
    if (res.status !== 200 && res.status !== 404 && res.status !== 400) {
      throw await errorFrom(res, what, "REGISTRY");
    }
    await res.body?.cancel().catch(() => {});
    return res.status === 200;
  }

  async #referrersByTag(
    repo: Repository,
    digest: string,
    artifactType: string | undefined,
  ): Promise<Descriptor[]> {
    const tag = digest.replace(":", "-");
    let fetched: FetchedManifest;
    try {
      fetched = await this.getManifest(repo, tag);
    } catch (e) {
      if (
        e instanceof RegistryError && (e.code === "MANIFEST_UNKNOWN" || e.code === "NAME_UNKNOWN")
      ) {
        return [];
      }
      throw e;
    }
    if (!("manifests" in fetched.manifest)) return [];
    const all = fetched.manifest.manifests;
    return artifactType ? all.filter((d) => d.artifactType === artifactType) : all;
  }

  // ------------------------------------------------------------------ plumbing

  async #readBounded(res: Response, limit: number, what: string): Promise<Uint8Array> {
    try {
      return await readBodyBounded(res, limit, "body");
    } catch (e) {
      if (e instanceof RangeError) {
        throw new RegistryError("TOO_LARGE", `${what}: larger than ${limit} bytes`, {
          status: res.status,
          cause: e,
        });
      }
      throw wrapNetwork(e, what);
    }
  }

  /** One page of a listing: at most 4 MiB, and at most what is left of the listing's budget. */
  async #readListing(res: Response, budget: number, what: string): Promise<Uint8Array> {
    if (budget < SMALL_BODY_LIMIT) {
      try {
        return await readBodyBounded(res, budget, "body");
      } catch (e) {
        if (!(e instanceof RangeError)) throw wrapNetwork(e, what);
        throw new RegistryError(
          "TOO_LARGE",
          `${what}: the pages are larger than ${MAX_LISTING_BYTES} bytes together`,
          { status: res.status, cause: e },
        );
      }
    }
    return await this.#readBounded(res, SMALL_BODY_LIMIT, what);
  }

  /** Resolves (once) the scheme and auth challenge of a registry. */
  #host(registry: string): Promise<Host> {
    let host = this.#hosts.get(registry);
    if (!host) {
      host = this.#ping(registry);
      this.#hosts.set(registry, host);
      host.catch(() => this.#hosts.delete(registry));
    }
    return host;
  }

  async #ping(registry: string): Promise<Host> {
    const o = this.#options;
    const schemes = ["https"];
    if (o.allowHttp || allowsHttpByDefault(registry)) schemes.push("http");
    // A loopback registry is almost always plain HTTP; trying it first skips the TLS client's
    // first-use set-up (root certificates: 50-100 ms in a fresh process) on every command.
    // HTTPS remains the fallback, so a loopback registry that speaks TLS still works.
    if (isLoopback(registry)) schemes.reverse();
    const failures: unknown[] = [];
    for (const [i, scheme] of schemes.entries()) {
      const base = `${scheme}://${registry}`;
      let res: Response;
      try {
        res = await httpRequestSafeRedirects({
          url: `${base}/v2/`,
          // With a fallback left, fail over fast instead of retrying.
          retry: i === schemes.length - 1 ? undefined : false,
        }, this.#http);
      } catch (e) {
        if (e instanceof DOMException && e.name === "AbortError") throw e;
        failures.push(e);
        continue;
      }
      await res.body?.cancel().catch(() => {});
      let challenge: Challenge | undefined;
      if (res.status === 401) {
        const header = res.headers.get("www-authenticate");
        challenge = header ? pickChallenge(parseWwwAuthenticate(header)) : undefined;
        challenge ??= { scheme: "basic", params: {} };
      } else if (!res.ok && res.status !== 404) {
        // 404: some registries do not serve /v2/ itself; carry on anonymously.
        const err = await errorFrom(res, `Cannot reach ${base}/v2/`, "REGISTRY");
        // An HTTP error (e.g. 400 "HTTP request to an HTTPS server") next to an HTTPS failure says
        // less than the HTTPS failure: try the other scheme, then report both.
        if (!failures.length && i === schemes.length - 1) throw err;
        failures.push(err);
        continue;
      }
      const resolver: CredentialResolver | undefined = o.credentials
        ? () => Promise.resolve(o.credentials)
        : o.keychain;
      const auth = new RegistryAuth(registry, resolver, this.#http, scheme === "http");
      auth.setChallenge(challenge);
      return { base, auth };
    }
    const reasons = failures.map((e, i) =>
      `${schemes[i]}: ${
        (e instanceof Error ? e.message : String(e))
          .replace(/^Cannot reach [^ ]*: /, "")
          .replace(/^error sending request for url \([^)]*\): /, "")
      }`
    );
    let hint = "";
    if (failures.some(isTlsError)) {
      hint = o.allowInsecure
        ? "; --allow-insecure-registry cannot switch TLS verification off per registry in Deno: pass --registry-cacert with the registry's CA, or run deno with --unsafely-ignore-certificate-errors=" +
          registry.replace(/:\d+$/, "")
        : "; if the registry uses a private CA, pass it with --registry-cacert";
    }
    throw new RegistryError(
      "NETWORK",
      `Cannot reach registry ${registry}: ${reasons.join("; ")}${hint}`,
      { cause: failures.length === 1 ? failures[0] : new AggregateError(failures) },
    );
  }

  /** Sends one API call with auth (one re-authentication on 401). */
  async #call(repo: Repository, call: Call, what: string): Promise<Response> {
    let host: Host;
    try {
      host = await this.#host(repo.registry);
    } catch (e) {
      if (!(e instanceof RegistryError)) throw e;
      throw new RegistryError(e.code, `${what}: ${e.message}`, {
        cause: e.cause,
        status: e.status,
        ociCode: e.ociCode,
      });
    }
    const url = call.url ??
      new URL(`${host.base}/v2/${repo.repository}/${call.path}`);
    const sameOrigin = url.origin === new URL(host.base).origin;
    let scopes = call.scopes;
    for (let round = 0;; round++) {
      const headers = new Headers(call.headers);
      if (sameOrigin) {
        let authz: string | undefined;
        try {
          authz = await host.auth.authorization(scopes);
        } catch (e) {
          if (e instanceof RegistryError) {
            throw new RegistryError(e.code, `${what}: ${e.message}`, {
              cause: e,
              status: e.status,
              ociCode: e.ociCode,
            });
          }
          throw wrapNetwork(e, what);
        }
        if (authz) headers.set("authorization", authz);
      }
      let res: Response;
      try {
        res = await httpRequestSafeRedirects({
          url,
          method: call.method,
          headers,
          body: call.body,
          retry: call.retry,
        }, this.#http);
      } catch (e) {
        throw wrapNetwork(e, what);
      }
      if (res.status !== 401 || round > 0 || !sameOrigin) return res;
      const next = host.auth.unauthorized(res, scopes);
      if (!next) return res;
      await res.body?.cancel().catch(() => {});
      scopes = next;
    }
  }
}

function parseJson<T>(bytes: Uint8Array, res: Response, what: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (cause) {
    throw new RegistryError("REGISTRY", `${what}: the response is not valid JSON`, {
      cause,
      status: res.status,
    });
  }
}

function wrapNetwork(e: unknown, what: string): unknown {
  if (e instanceof IoError && e.code === "NETWORK") {
    return new RegistryError("NETWORK", `${what}: ${e.message}`, { cause: e });
  }
  return e;
}

function name(repo: Repository, tagOrDigest: string): string {
  const sep = isDigest(tagOrDigest) ? "@" : ":";
  return `${repo.registry}/${repo.repository}${sep}${tagOrDigest}`;
}

function pullScope(repo: Repository): string {
  return repositoryScope(repo.repository, ["pull"]);
}

function pushScope(repo: Repository): string {
  return repositoryScope(repo.repository, ["push", "pull"]);
}

function mediaTypeOf(res: Response): string | undefined {
  return res.headers.get("content-type")?.split(";")[0].trim() || undefined;
}

function checkDigest(hash: { digest(enc: "hex"): string }, digest: string, what: string): void {
  const got = `${digest.split(":")[0]}:${hash.digest("hex")}`;
  if (got !== digest) {
    throw new RegistryError("DIGEST_MISMATCH", `${what}: the content's digest is ${got}`);
  }
}

/** Parses an RFC 5988 `Link: <url>; rel="next"` header against the response URL. */
function nextLink(res: Response): URL | undefined {
  const link = res.headers.get("link");
  if (!link) return undefined;
  for (const part of link.split(",")) {
    const m = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    if (m && /rel="?next"?/i.test(m[2])) return new URL(m[1], res.url);
  }
  return undefined;
}

/**
 * Maps an error response to a {@link RegistryError}:
 * `<what>: <OCI code>: <message> (HTTP <status>)`.
 */
async function errorFrom(res: Response, what: string, fallback: ErrorCode): Promise<RegistryError> {
  let ociCode: string | undefined;
  let message: string | undefined;
  try {
    const body = await readBodyBounded(res, 64 * 1024, "error body");
    const j = JSON.parse(new TextDecoder().decode(body));
    const e = j?.errors?.[0];
    if (typeof e?.code === "string") {
      ociCode = e.code;
      message = typeof e.message === "string" ? e.message : undefined;
    }
  } catch {
    await res.body?.cancel().catch(() => {});
  }
  const code = codeFor(res.status, ociCode, fallback);
  const detail = ociCode ? `${ociCode}: ${message ?? ""}`.replace(/: $/, "") : res.statusText ||
    "request failed";
  let hint = "";
  if (res.status === 401) hint = "; check the registry credentials (cosign login)";
  return new RegistryError(code, `${what}: ${detail} (HTTP ${res.status})${hint}`, {
    status: res.status,
    ociCode,
  });
}

function codeFor(status: number, ociCode: string | undefined, fallback: ErrorCode): ErrorCode {
  switch (ociCode) {
    case "MANIFEST_UNKNOWN":
    case "NAME_UNKNOWN":
    case "BLOB_UNKNOWN":
    case "UNAUTHORIZED":
    case "DENIED":
    case "UNSUPPORTED":
      return ociCode;
    case "DIGEST_INVALID":
      return "DIGEST_MISMATCH";
    case "SIZE_INVALID":
    case "MANIFEST_INVALID":
    case "MANIFEST_BLOB_UNKNOWN":
      return "REGISTRY";
    case "TOOMANYREQUESTS":
      return "REGISTRY";
  }
  if (status === 401) return "UNAUTHORIZED";
  if (status === 403) return "DENIED";
  if (status === 404) return fallback;
  if (status === 413) return "TOO_LARGE";
  if (status === 405 || status === 501) return "UNSUPPORTED";
  return fallback === "MANIFEST_UNKNOWN" || fallback === "BLOB_UNKNOWN" ||
      fallback === "NAME_UNKNOWN"
    ? "REGISTRY"
    : fallback;
}

/**
 * Re-chunks a stream into pieces of `size` bytes (the last may be shorter), checking that it
 * has exactly `expected` bytes. Each yielded chunk is a fresh buffer.
 */
async function* rechunk(
  stream: ReadableStream<Uint8Array>,
  size: number,
  expected: number,
  what: string,
): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let emitted = 0;
  let buf = new Uint8Array(Math.max(1, Math.min(size, expected)));
  let filled = 0;
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > expected) {
        throw new RegistryError(
          "DIGEST_MISMATCH",
          `${what}: the stream is longer than its declared size ${expected}`,
        );
      }
      let off = 0;
      while (off < value.length) {
        const n = Math.min(buf.length - filled, value.length - off);
        buf.set(value.subarray(off, off + n), filled);
        filled += n;
        off += n;
        if (filled === buf.length) {
          yield buf;
          emitted += filled;
          buf = new Uint8Array(Math.max(1, Math.min(size, expected - emitted)));
          filled = 0;
        }
      }
    }
    if (total !== expected) {
      throw new RegistryError(
        "DIGEST_MISMATCH",
        `${what}: the stream has ${total} bytes, not its declared size ${expected}`,
      );
    }
    if (filled > 0 || emitted === 0) yield buf.subarray(0, filled);
  } finally {
    reader.releaseLock();
    await stream.cancel().catch(() => {});
  }
}

function singleChunk(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });
}

function sleep(ms: number, http: HttpOptions): Promise<void> {
  if (http.sleep) return http.sleep(ms, http.signal);
  return timerSleep(ms); // lib/timers.ts: setTimeout would load Deno's Node layer
}
