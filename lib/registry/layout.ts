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
 * @module
 */
import { AtomicFile, describeFsError, writeFileAtomic } from "../atomic_file.ts";
import { IoError, RegistryError } from "../errors.ts";
import { nodeCrypto } from "../_node_crypto.ts";
import { algorithmOf, collect, digestOf, verifyingStream } from "./verifying_stream.ts";
import { MAX_LAYERS, MAX_MANIFEST_BYTES } from "./client.ts";
import { OCI_INDEX, OCI_MANIFEST } from "./media_types.ts";
import { isDigest } from "./reference.ts";
import type {
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

const INDEX_LIMIT = 16 * 1024 * 1024;

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
    const marker = JSON.parse(await Deno.readTextFile(`${root}/oci-layout`));
    if (typeof marker?.imageLayoutVersion !== "string") throw new SyntaxError("no version");
  } catch (e) {
    if (!options.create || !(e instanceof Deno.errors.NotFound)) {
      throw new IoError(
        e instanceof Deno.errors.NotFound ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE",
        `Cannot open OCI layout ${root}: ${
          e instanceof Deno.errors.NotFound
            ? "no oci-layout file"
            : e instanceof Error
            ? e.message
            : e
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

  /** Reads `index.json`. */
  async readIndex(): Promise<ImageIndex> {
    const path = `${this.root}/index.json`;
    let bytes: Uint8Array;
    try {
      const stat = await Deno.stat(path);
      if (stat.size > INDEX_LIMIT) throw new RangeError(`larger than ${INDEX_LIMIT} bytes`);
      bytes = await Deno.readFile(path);
    } catch (e) {
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
      bytes = await this.getBlobBytes(repo, digest, MAX_MANIFEST_BYTES);
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

  async hasBlob(_repo: Repository, digest: string): Promise<boolean> {
    try {
      return (await Deno.stat(this.#blobPath(digest))).isFile;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return false;
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
    options: { maxSize?: number } = {},
  ): Promise<ReadableStream<Uint8Array>> {
    const what = `Cannot read blob ${this.root}@${digest}`;
    const maxSize = options.maxSize ?? Infinity;
    let file: Deno.FsFile;
    try {
      file = await Deno.open(this.#blobPath(digest));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new RegistryError("BLOB_UNKNOWN", `${what}: BLOB_UNKNOWN: not in layout`, {
          status: 404,
        });
      }
      throw e;
    }
    const size = (await file.stat()).size;
    if (size > maxSize) {
      file.close();
      throw new RegistryError("TOO_LARGE", `${what}: ${size} bytes exceed the limit of ${maxSize}`);
    }
    return verifyingStream(file.readable, digest, maxSize, what);
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
