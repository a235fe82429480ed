/**
 * An OCI image layout on disk (image-spec `image-layout.md`: `oci-layout`, `index.json`,
 * `blobs/<alg>/<hex>`) behind the same {@link Registry} interface as a remote registry, so that
 * `cosign save`, `cosign load` and `verify --local-image` reuse the code that talks to
 * registries. A layout holds one repository: the `repo` argument of every method is ignored.
 *
 * Tags are index entries annotated `org.opencontainers.image.ref.name`. Every file is written
 * to a temporary file and renamed into place; blobs are verified against their digest before
 * they are renamed, so a reader never sees a torn or wrong blob.
 *
 * A layout is untrusted input (`verify --local-image` reads folders from anywhere), so every file is
 * opened only when it is a regular file inside the layout (a symbolic link may point elsewhere in
 * the layout, never out of it, never at a FIFO or a device: `/dev/zero` as `index.json` or a FIFO
 * as a blob would otherwise be read forever or block), and read up to a cap: `oci-layout` 64 KiB,
 * `index.json` 16 MiB, manifests 4 MiB, blobs exactly the size their descriptor declares.
 *
 * @module
 */
import { AtomicFile, describeFsError, writeFileAtomic } from "../atomic_file.ts";
import { IoError, RegistryError } from "../errors.ts";
import { nodeCrypto } from "../_node_crypto.ts";
import { readAllBounded } from "../stream.ts";
import {
  algorithmOf,
  collect,
  declaredSize,
  digestOf,
  verifyingStream,
} from "./verifying_stream.ts";
import { MAX_LAYERS, MAX_MANIFEST_BYTES } from "./client.ts";
import { OCI_INDEX, OCI_MANIFEST } from "./media_types.ts";
import { isDigest } from "./reference.ts";
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

/** The annotation naming an index entry (the layout's "tag"). */
export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";

/** The largest `index.json` read (ggcr reads it without limit). */
export const MAX_LAYOUT_INDEX_BYTES = 16 * 1024 * 1024;
/** The largest `oci-layout` marker read (it is about 30 bytes). */
const MARKER_LIMIT = 64 * 1024;

/**
 * Resolves a file of the layout for reading: its real path must lie inside the layout's real
 * path and be a regular file. Checked before opening, because opening a FIFO blocks until a
 * writer comes.
 *
 * @throws {Deno.errors.NotFound} when it (or a link's target) does not exist
 * @throws {IoError} `INPUT_UNREADABLE` for a link out of the layout or a non-regular file
 */
async function regularFile(
  root: string,
  path: string,
  what: string,
): Promise<{ real: string; stat: Deno.FileInfo }> {
  const [realRoot, real] = await Promise.all([Deno.realPath(root), Deno.realPath(path)]);
  if (!real.startsWith(realRoot.endsWith("/") ? realRoot : `${realRoot}/`)) {
    throw new IoError(
      "INPUT_UNREADABLE",
      `${what}: it is a symbolic link to ${real}, outside the layout`,
    );
  }
  const stat = await Deno.stat(real);
  if (!stat.isFile) {
    throw new IoError(
      "INPUT_UNREADABLE",
      `${what}: not a regular file${real === path ? "" : ` (a symbolic link to ${real})`}`,
    );
  }
  return { real, stat };
}

/**
 * Opens a file of the layout: {@link regularFile}, then the opened file is checked again (it
 * must still be that regular file: a swap in between is refused).
 */
async function openRegular(root: string, path: string, what: string): Promise<{
  file: Deno.FsFile;
  size: number;
}> {
  const { real, stat } = await regularFile(root, path, what);
  const file = await Deno.open(real, { read: true });
  try {
    const opened = await file.stat();
    const same = stat.ino === null || (opened.ino === stat.ino && opened.dev === stat.dev);
    if (!opened.isFile || !same) {
      throw new IoError("INPUT_UNREADABLE", `${what}: the file changed while it was opened`);
    }
    return { file, size: opened.size };
  } catch (e) {
    file.close();
    throw e;
  }
}

/**
 * Reads a small file of the layout, up to `limit` bytes.
 *
 * @throws {IoError} `TOO_LARGE` beyond `limit`; see {@link openRegular}
 */
async function readSmall(root: string, path: string, limit: number, what: string) {
  const { file, size } = await openRegular(root, path, what);
  try {
    if (size > limit) throw new RangeError();
    return await readAllBounded(file, limit, path);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new IoError("TOO_LARGE", `${what}: larger than ${limit} bytes`, { cause: e });
  } finally {
    file.close();
  }
}

/**
 * Opens (or creates) an OCI layout.
 *
 * @param path the layout folder
 * @param options `create`: make the folder, `oci-layout` and an empty `index.json` if missing
 * @returns the layout as a {@link Registry}
 * @throws {IoError} `INPUT_NOT_FOUND` when it is not a layout and `create` is false
 */
export async function openLayout(
  path: string,
  options: { create?: boolean } = {},
): Promise<LayoutRegistry> {
  const root = path.replace(/\/+$/, "") || "/";
  try {
    const bytes = await readSmall(
      root,
      `${root}/oci-layout`,
      MARKER_LIMIT,
      `Cannot open OCI layout ${root}: oci-layout`,
    );
    const marker = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof marker?.imageLayoutVersion !== "string") throw new SyntaxError("no version");
  } catch (e) {
    if (e instanceof IoError) throw e;
    if (!options.create || !(e instanceof Deno.errors.NotFound)) {
      throw new IoError(
        e instanceof Deno.errors.NotFound ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE",
        `Cannot open OCI layout ${root}: ${
          e instanceof Deno.errors.NotFound ? "no oci-layout file" : describeFsError(e)
        }`,
        { cause: e },
      );
    }
    await Deno.mkdir(`${root}/blobs/sha256`, { recursive: true });
    await writeFileAtomic(`${root}/oci-layout`, '{"imageLayoutVersion":"1.0.0"}');
    try {
      await Deno.stat(`${root}/index.json`);
    } catch {
      await writeFileAtomic(
        `${root}/index.json`,
        JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }),
      );
    }
  }
  return new LayoutRegistry(root);
}

/** A {@link Registry} stored in an OCI layout folder. */
export class LayoutRegistry implements Registry {
  #lock: Promise<unknown> = Promise.resolve();

  constructor(readonly root: string) {}

  #blobPath(digest: string): string {
    algorithmOf(digest);
    const [alg, hex] = digest.split(":");
    return `${this.root}/blobs/${alg}/${hex}`;
  }

  /**
   * Reads `index.json` (a regular file inside the layout, at most
   * {@link MAX_LAYOUT_INDEX_BYTES}).
   *
   * @returns the index
   * @throws {IoError} `INPUT_UNREADABLE` when it is missing, not a regular file or not an index;
   *   `TOO_LARGE` beyond the limit
   */
  async readIndex(): Promise<ImageIndex> {
    const path = `${this.root}/index.json`;
    let bytes: Uint8Array;
    try {
      bytes = await readSmall(this.root, path, MAX_LAYOUT_INDEX_BYTES, `Cannot read ${path}`);
    } catch (e) {
      if (e instanceof IoError) throw e;
      throw new IoError("INPUT_UNREADABLE", `Cannot read ${path}: ${describeFsError(e)}`, {
        cause: e,
      });
    }
    try {
      const index = JSON.parse(new TextDecoder().decode(bytes));
      if (!Array.isArray(index?.manifests)) throw new SyntaxError("no manifests array");
      return index;
    } catch (e) {
      throw new IoError(
        "INPUT_UNREADABLE",
        `Cannot read ${path}: ${e instanceof Error ? e.message : e}`,
        { cause: e },
      );
    }
  }

  /** Serialises read-modify-write cycles of `index.json` within this process. */
  #updateIndex(fn: (index: ImageIndex) => void): Promise<void> {
    const next = this.#lock.then(async () => {
      const index = await this.readIndex();
      fn(index);
      await writeFileAtomic(`${this.root}/index.json`, JSON.stringify(index));
    });
    this.#lock = next.catch(() => {});
    return next;
  }

  async #find(tagOrDigest: string): Promise<Descriptor | undefined> {
    const { manifests } = await this.readIndex();
    const hit = isDigest(tagOrDigest)
      ? manifests.find((d) => d.digest === tagOrDigest)
      : manifests.findLast((d) => d.annotations?.[REF_NAME_ANNOTATION] === tagOrDigest);
    return hit;
  }

  async getManifest(repo: Repository, tagOrDigest: string): Promise<FetchedManifest> {
    const what = `Cannot fetch manifest ${this.root}:${tagOrDigest}`;
    const desc = await this.#find(tagOrDigest);
    const digest = desc?.digest ?? (isDigest(tagOrDigest) ? tagOrDigest : undefined);
    if (!digest) {
      throw new RegistryError("MANIFEST_UNKNOWN", `${what}: MANIFEST_UNKNOWN: no such tag`, {
        status: 404,
      });
    }
    let bytes: Uint8Array;
    try {
      // Bounded by the index entry's size when there is one, by the file's size otherwise; both
      // capped at the manifest limit.
      bytes = desc
        ? await collect(
          await this.getBlob(repo, digest, { size: desc.size, maxSize: MAX_MANIFEST_BYTES }),
        )
        : await this.getBlobBytes(repo, digest, MAX_MANIFEST_BYTES);
    } catch (e) {
      if (e instanceof RegistryError && e.code === "BLOB_UNKNOWN") {
        throw new RegistryError("MANIFEST_UNKNOWN", `${what}: MANIFEST_UNKNOWN: not in layout`, {
          status: 404,
        });
      }
      throw e;
    }
    let manifest: ImageManifest | ImageIndex;
    try {
      manifest = JSON.parse(new TextDecoder().decode(bytes));
    } catch (cause) {
      throw new RegistryError("REGISTRY", `${what}: the manifest is not valid JSON`, { cause });
    }
    const list = "manifests" in manifest ? manifest.manifests : manifest.layers;
    if (!Array.isArray(list)) {
      throw new RegistryError("REGISTRY", `${what}: the manifest has no layers or manifests array`);
    }
    if (list.length > MAX_LAYERS) {
      throw new RegistryError(
        "TOO_MANY",
        `${what}: ${list.length} entries exceed the limit of ${MAX_LAYERS}`,
      );
    }
    const mediaType = desc?.mediaType ?? manifest.mediaType ??
      ("manifests" in manifest ? OCI_INDEX : OCI_MANIFEST);
    return { mediaType, digest, bytes, manifest };
  }

  async headManifest(
    repo: Repository,
    tagOrDigest: string,
  ): Promise<{ digest: string; mediaType: string; size: number } | undefined> {
    const desc = await this.#find(tagOrDigest);
    if (desc) return { digest: desc.digest, mediaType: desc.mediaType, size: desc.size };
    if (!isDigest(tagOrDigest) || !(await this.hasBlob(repo, tagOrDigest))) return undefined;
    const m = await this.getManifest(repo, tagOrDigest);
    return { digest: m.digest, mediaType: m.mediaType, size: m.bytes.length };
  }

  async putManifest(
    repo: Repository,
    tagOrDigest: string,
    bytes: Uint8Array,
    mediaType: string,
  ): Promise<string> {
    const { digest } = await this.putBlob(repo, bytes);
    if (isDigest(tagOrDigest) && tagOrDigest !== digest) {
      throw new RegistryError(
        "DIGEST_MISMATCH",
        `Cannot write manifest ${this.root}@${tagOrDigest}: the content's digest is ${digest}`,
      );
    }
    await this.#updateIndex((index) => {
      const entry: Descriptor = { mediaType, digest, size: bytes.length };
      if (isDigest(tagOrDigest)) {
        if (!index.manifests.some((d) => d.digest === digest)) index.manifests.push(entry);
        return;
      }
      index.manifests = index.manifests.filter((d) =>
        d.annotations?.[REF_NAME_ANNOTATION] !== tagOrDigest
      );
      index.manifests.push({ ...entry, annotations: { [REF_NAME_ANNOTATION]: tagOrDigest } });
    });
    return digest;
  }

  async deleteManifest(_repo: Repository, digest: string): Promise<void> {
    let found = false;
    await this.#updateIndex((index) => {
      const before = index.manifests.length;
      index.manifests = index.manifests.filter((d) => d.digest !== digest);
      found = index.manifests.length !== before;
    });
    if (!found) {
      throw new RegistryError(
        "MANIFEST_UNKNOWN",
        `Cannot delete manifest ${this.root}@${digest}: MANIFEST_UNKNOWN: not in index.json`,
        { status: 404 },
      );
    }
  }

  /**
   * Whether the layout holds a blob: a regular file inside the layout. Anything else there (a
   * link out of the layout, a FIFO) counts as absent, so that `putBlob` replaces it with the
   * real content (the rename replaces the link itself, not its target).
   */
  async hasBlob(_repo: Repository, digest: string): Promise<boolean> {
    const path = this.#blobPath(digest);
    try {
      await regularFile(this.root, path, `Cannot read blob ${this.root}@${digest}`);
      return true;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof IoError) return false;
      throw e;
    }
  }

  async putBlob(
    repo: Repository,
    blob: BlobSource,
  ): Promise<{ digest: string; size: number }> {
    const src = blob instanceof Uint8Array
      ? {
        stream: () => new Blob([blob as Uint8Array<ArrayBuffer>]).stream(),
        digest: await digestOf(blob),
        size: blob.length,
      }
      : blob;
    const path = this.#blobPath(src.digest);
    if (await this.hasBlob(repo, src.digest)) return { digest: src.digest, size: src.size };
    const what = `Cannot write blob ${this.root}@${src.digest}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    const file = await AtomicFile.create(path, { mode: 0o644 });
    try {
      const hash = nodeCrypto().createHash(algorithmOf(src.digest));
      let total = 0;
      for await (const chunk of src.stream()) {
        total += chunk.length;
        if (total > src.size) {
          throw new RegistryError("DIGEST_MISMATCH", `${what}: longer than ${src.size} bytes`);
        }
        hash.update(chunk);
        await file.write(chunk);
      }
      const got = `${src.digest.split(":")[0]}:${hash.digest("hex")}`;
      if (total !== src.size || got !== src.digest) {
        throw new RegistryError(
          "DIGEST_MISMATCH",
          `${what}: the content is ${got} (${total} bytes)`,
        );
      }
      await file.commit();
    } catch (e) {
      await file.abort();
      throw e;
    }
    return { digest: src.digest, size: src.size };
  }

  async getBlob(
    _repo: Repository,
    digest: string,
    options: BlobReadOptions = {},
  ): Promise<ReadableStream<Uint8Array>> {
    const what = `Cannot read blob ${this.root}@${digest}`;
    const maxSize = options.maxSize ?? Infinity;
    const declared = options.size === undefined
      ? undefined
      : declaredSize(options.size, maxSize, what);
    let opened: { file: Deno.FsFile; size: number };
    try {
      opened = await openRegular(this.root, this.#blobPath(digest), what);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new RegistryError("BLOB_UNKNOWN", `${what}: BLOB_UNKNOWN: not in layout`, {
          status: 404,
        });
      }
      throw e;
    }
    const { file, size } = opened;
    if (declared !== undefined && size !== declared) {
      file.close();
      throw new RegistryError(
        size > declared ? "TOO_LARGE" : "DIGEST_MISMATCH",
        `${what}: the file has ${size} bytes, its descriptor declares ${declared}`,
      );
    }
    if (size > maxSize) {
      file.close();
      throw new RegistryError("TOO_LARGE", `${what}: ${size} bytes exceed the limit of ${maxSize}`);
    }
    // Exact: a regular file's size is known (one that grows while it is read is refused).
    return verifyingStream(file.readable, digest, { size }, what);
  }

  async getBlobBytes(repo: Repository, digest: string, maxSize: number): Promise<Uint8Array> {
    return await collect(await this.getBlob(repo, digest, { maxSize }));
  }

  async listTags(_repo: Repository): Promise<string[]> {
    const { manifests } = await this.readIndex();
    const tags = manifests.map((d) => d.annotations?.[REF_NAME_ANNOTATION]).filter((t) =>
      typeof t === "string"
    ) as string[];
    return [...new Set(tags)];
  }

  async referrers(repo: Repository, digest: string, artifactType?: string): Promise<Descriptor[]> {
    const { manifests } = await this.readIndex();
    const out: Descriptor[] = [];
    const seen = new Set<string>();
    for (const d of manifests) {
      if (seen.has(d.digest)) continue;
      seen.add(d.digest);
      let m: FetchedManifest;
      try {
        m = await this.getManifest(repo, d.digest);
      } catch {
        continue;
      }
      if (m.manifest.subject?.digest !== digest) continue;
      const type = m.manifest.artifactType ??
        ("config" in m.manifest ? m.manifest.config.mediaType : undefined);
      if (artifactType && type !== artifactType) continue;
      const desc: Descriptor = { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
      if (type) desc.artifactType = type;
      if (m.manifest.annotations) desc.annotations = m.manifest.annotations;
      out.push(desc);
    }
    return out;
  }
}
