/**
 * An in-memory OCI registry implementing the {@link Registry} contract: tags, manifests by digest,
 * content-addressed blobs, the referrers API (manifests with a `subject`), with the checks a
 * distribution registry makes (digests, referenced blobs present, manifest size). Used by unit
 * tests, and for fault injection through {@link MemoryRegistryOptions.hook}.
 *
 * Every operation yields to the event loop before it touches state, so concurrent callers
 * interleave the way they would against a real registry (read-modify-write races included).
 *
 * @module
 */

import { RegistryError } from "../errors.ts";
import { sha256Digest } from "./sha256_digest.ts";
import { isIndexMediaType, isManifestMediaType } from "./media_types.ts";
import { collect, declaredSize, verifyingStream } from "./verifying_stream.ts";
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
import { MAX_MANIFEST_BYTES } from "./client.ts";

/** The name of a registry operation, as passed to {@link MemoryRegistryOptions.hook}. */
export type MemoryRegistryOp =
  | "getManifest"
  | "headManifest"
  | "putManifest"
  | "deleteManifest"
  | "hasBlob"
  | "putBlob"
  | "getBlob"
  | "listTags"
  | "referrers";

/** Options of {@link MemoryRegistry}. */
export interface MemoryRegistryOptions {
  /**
   * Called before every operation (after the yield); it may delay, count, or throw to inject a
   * fault. `target` is the tag or digest when the operation has one.
   */
  hook?: (op: MemoryRegistryOp, repo: Repository, target?: string) => void | Promise<void>;
}

interface StoredManifest {
  bytes: Uint8Array;
  mediaType: string;
  parsed: ImageManifest | ImageIndex;
}

interface StoredRepo {
  manifests: Map<string, StoredManifest>;
  tags: Map<string, string>;
  blobs: Map<string, Uint8Array>;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

function notFound(code: "MANIFEST_UNKNOWN" | "BLOB_UNKNOWN" | "NAME_UNKNOWN", what: string) {
  const text = code === "NAME_UNKNOWN"
    ? "repository name not known to registry"
    : code === "BLOB_UNKNOWN"
    ? "blob unknown to registry"
    : "manifest unknown";
  return new RegistryError(code, `Cannot fetch ${what}: ${text}`, { status: 404, ociCode: code });
}

/** An in-memory {@link Registry}. */
export class MemoryRegistry implements Registry {
  readonly #repos = new Map<string, StoredRepo>();
  readonly #hook?: MemoryRegistryOptions["hook"];

  /** @param options fault-injection hook */
  constructor(options: MemoryRegistryOptions = {}) {
    this.#hook = options.hook;
  }

  async #enter(op: MemoryRegistryOp, repo: Repository, target?: string): Promise<void> {
    await new Promise((r) => setTimeout(r, 0));
    await this.#hook?.(op, repo, target);
  }

  #key(repo: Repository): string {
    return `${repo.registry}/${repo.repository}`;
  }

  #repo(repo: Repository, create = false): StoredRepo | undefined {
    const key = this.#key(repo);
    let r = this.#repos.get(key);
    if (!r && create) {
      r = { manifests: new Map(), tags: new Map(), blobs: new Map() };
      this.#repos.set(key, r);
    }
    return r;
  }

  #lookup(repo: Repository, tagOrDigest: string): [StoredRepo, string, StoredManifest] {
    const r = this.#repo(repo);
    const what = `${this.#key(repo)}:${tagOrDigest}`;
    if (!r) throw notFound("NAME_UNKNOWN", what);
    const digest = tagOrDigest.includes(":") ? tagOrDigest : r.tags.get(tagOrDigest);
    const m = digest ? r.manifests.get(digest) : undefined;
    if (!digest || !m) throw notFound("MANIFEST_UNKNOWN", what);
    return [r, digest, m];
  }

  async getManifest(repo: Repository, tagOrDigest: string): Promise<FetchedManifest> {
    await this.#enter("getManifest", repo, tagOrDigest);
    const [, digest, m] = this.#lookup(repo, tagOrDigest);
    return {
      mediaType: m.mediaType,
      digest,
      bytes: m.bytes.slice(),
      manifest: structuredClone(m.parsed),
    };
  }

  async headManifest(
    repo: Repository,
    tagOrDigest: string,
  ): Promise<{ digest: string; mediaType: string; size: number } | undefined> {
    await this.#enter("headManifest", repo, tagOrDigest);
    try {
      const [, digest, m] = this.#lookup(repo, tagOrDigest);
      return { digest, mediaType: m.mediaType, size: m.bytes.length };
    } catch (e) {
      if (e instanceof RegistryError && e.status === 404) return undefined;
      throw e;
    }
  }

  async putManifest(
    repo: Repository,
    tagOrDigest: string,
    bytes: Uint8Array,
    mediaType: string,
  ): Promise<string> {
    await this.#enter("putManifest", repo, tagOrDigest);
    const invalid = (why: string) =>
      new RegistryError("REGISTRY", `Cannot push manifest: ${why}`, {
        status: 400,
        ociCode: "MANIFEST_INVALID",
      });
    if (bytes.length > MAX_MANIFEST_BYTES) {
      throw new RegistryError("TOO_LARGE", "Cannot push manifest: larger than 4 MiB", {
        status: 413,
      });
    }
    if (!isManifestMediaType(mediaType)) throw invalid(`unsupported media type ${mediaType}`);
    let parsed: ImageManifest | ImageIndex;
    try {
      parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch {
      throw invalid("not JSON");
    }
    if (parsed?.schemaVersion !== 2) throw invalid("schemaVersion is not 2");
    if (parsed.mediaType !== undefined && parsed.mediaType !== mediaType) {
      throw invalid("mediaType does not match Content-Type");
    }
    const digest = await sha256Digest(bytes);
    if (tagOrDigest.includes(":") && tagOrDigest !== digest) {
      throw new RegistryError("DIGEST_MISMATCH", "Cannot push manifest: digest mismatch", {
        status: 400,
        ociCode: "DIGEST_INVALID",
      });
    }
    const r = this.#repo(repo, true)!;
    const referenced: Descriptor[] = isIndexMediaType(mediaType)
      ? [] // children of an index are checked below
      : [(parsed as ImageManifest).config, ...((parsed as ImageManifest).layers ?? [])];
    if (!isIndexMediaType(mediaType) && !(parsed as ImageManifest).config) {
      throw invalid("missing config");
    }
    for (const d of referenced) {
      if (!d?.digest || !r.blobs.has(d.digest)) {
        throw new RegistryError("BLOB_UNKNOWN", `Cannot push manifest: blob ${d?.digest} unknown`, {
          status: 400,
          ociCode: "MANIFEST_BLOB_UNKNOWN",
        });
      }
    }
    if (isIndexMediaType(mediaType)) {
      for (const d of (parsed as ImageIndex).manifests ?? []) {
        if (!r.manifests.has(d.digest)) {
          throw new RegistryError(
            "MANIFEST_UNKNOWN",
            `Cannot push manifest: manifest ${d.digest} unknown`,
            { status: 400, ociCode: "MANIFEST_BLOB_UNKNOWN" },
          );
        }
      }
    }
    r.manifests.set(digest, { bytes: bytes.slice(), mediaType, parsed });
    if (!tagOrDigest.includes(":")) r.tags.set(tagOrDigest, digest);
    return digest;
  }

  async deleteManifest(repo: Repository, digest: string): Promise<void> {
    await this.#enter("deleteManifest", repo, digest);
    const [r] = this.#lookup(repo, digest);
    r.manifests.delete(digest);
    for (const [tag, d] of r.tags) if (d === digest) r.tags.delete(tag);
  }

  async hasBlob(repo: Repository, digest: string): Promise<boolean> {
    await this.#enter("hasBlob", repo, digest);
    return this.#repo(repo)?.blobs.has(digest) ?? false;
  }

  async putBlob(
    repo: Repository,
    blob: BlobSource,
    options?: { mountFrom?: Repository },
  ): Promise<{ digest: string; size: number }> {
    await this.#enter("putBlob", repo);
    const r = this.#repo(repo, true)!;
    if (!(blob instanceof Uint8Array)) {
      if (!DIGEST.test(blob.digest)) throw new TypeError(`"blob.digest" is not a sha256 digest`);
      const from = options?.mountFrom && this.#repo(options.mountFrom)?.blobs.get(blob.digest);
      if (from) {
        r.blobs.set(blob.digest, from);
        return { digest: blob.digest, size: from.length };
      }
      if (r.blobs.has(blob.digest)) return { digest: blob.digest, size: blob.size };
    }
    let bytes: Uint8Array;
    if (blob instanceof Uint8Array) bytes = blob.slice();
    else {
      // Read no more than the declared size (+1 byte to notice a longer stream).
      const what = "Cannot push blob";
      const size = declaredSize(blob.size, Infinity, what);
      try {
        bytes = await collect(verifyingStream(blob.stream(), blob.digest, { size }, what), size);
      } catch (e) {
        // The source's own errors pass through; our checks become the registry's DIGEST_INVALID.
        if (!(e instanceof RegistryError) || !e.message.startsWith(what)) throw e;
        throw new RegistryError("DIGEST_MISMATCH", "Cannot push blob: digest mismatch", {
          status: 400,
          ociCode: "DIGEST_INVALID",
          cause: e,
        });
      }
    }
    const digest = await sha256Digest(bytes);
    if (!(blob instanceof Uint8Array) && (digest !== blob.digest || bytes.length !== blob.size)) {
      throw new RegistryError("DIGEST_MISMATCH", "Cannot push blob: digest mismatch", {
        status: 400,
        ociCode: "DIGEST_INVALID",
      });
    }
    if (!r.blobs.has(digest)) r.blobs.set(digest, bytes);
    return { digest, size: bytes.length };
  }

  #blob(repo: Repository, digest: string): Uint8Array {
    const b = this.#repo(repo)?.blobs.get(digest);
    if (!b) throw notFound("BLOB_UNKNOWN", `${this.#key(repo)}@${digest}`);
    return b;
  }

  async getBlob(
    repo: Repository,
    digest: string,
    options: BlobReadOptions = {},
  ): Promise<ReadableStream<Uint8Array>> {
    const what = `Cannot fetch blob ${this.#key(repo)}@${digest}`;
    const maxSize = options.maxSize ?? Infinity;
    // As the HTTP client: the declared size is checked before the "request".
    const size = options.size === undefined ? undefined : declaredSize(options.size, maxSize, what);
    await this.#enter("getBlob", repo, digest);
    const b = this.#blob(repo, digest).slice();
    // The same checks as over HTTP (verifyingStream), so a blob stored with setBlobUnchecked is
    // refused as a lying registry's would be. 64 KiB chunks, like a network body.
    let off = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(c) {
        if (off >= b.length) return c.close();
        c.enqueue(b.subarray(off, off + 65536));
        off += 65536;
      },
    }, { highWaterMark: 0 });
    return verifyingStream(source, digest, { size, maxSize }, what);
  }

  async getBlobBytes(repo: Repository, digest: string, maxSize: number): Promise<Uint8Array> {
    return await collect(await this.getBlob(repo, digest, { maxSize }));
  }

  async listTags(repo: Repository): Promise<string[]> {
    await this.#enter("listTags", repo);
    const r = this.#repo(repo);
    if (!r) throw notFound("NAME_UNKNOWN", this.#key(repo));
    return [...r.tags.keys()].sort();
  }

  async referrers(repo: Repository, digest: string, artifactType?: string): Promise<Descriptor[]> {
    await this.#enter("referrers", repo, digest);
    const out: Descriptor[] = [];
    for (const [d, m] of this.#repo(repo)?.manifests ?? []) {
      const p = m.parsed;
      if (p.subject?.digest !== digest) continue;
      const type = p.artifactType ??
        (isIndexMediaType(m.mediaType) ? undefined : (p as ImageManifest).config?.mediaType);
      if (artifactType && type !== artifactType) continue;
      const desc: Descriptor = { mediaType: m.mediaType, digest: d, size: m.bytes.length };
      if (type) desc.artifactType = type;
      if (p.annotations) desc.annotations = p.annotations;
      out.push(desc);
    }
    return out;
  }

  /** Test helper: the tags of a repository without going through the hook. */
  tags(repo: Repository): string[] {
    return [...(this.#repo(repo)?.tags.keys() ?? [])].sort();
  }

  /** Test helper: stores a blob directly (e.g. one that does not match its descriptor). */
  setBlobUnchecked(repo: Repository, digest: string, bytes: Uint8Array): void {
    this.#repo(repo, true)!.blobs.set(digest, bytes);
  }
}
