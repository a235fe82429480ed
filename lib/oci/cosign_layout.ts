/**
 * The OCI image layout `cosign save` writes and `cosign load` / `cosign verify --local-image`
 * read: the image (or image index) with every blob it references, plus its signature image and
 * attestation image, each an entry of `index.json` marked by the annotation `kind`.
 *
 * Matches cosign v2.6.4 pkg/oci/layout (write.go, index.go) over go-containerregistry v0.20.7
 * pkg/v1/layout (write.go), byte for byte for the same input (checked against `cosign save`):
 * - `oci-layout` is `{\n    "imageLayoutVersion": "1.0.0"\n}` (ggcr's `layoutFile`);
 * - `index.json` is `json.MarshalIndent(index, "", "   ")` (three spaces, no final newline) of
 *   `{schemaVersion: 2, mediaType: OCI index, manifests}`, the entries in the order image (or
 *   index), signatures, attestations; each entry is ggcr's `partial.Descriptor`: `mediaType`,
 *   `size`, `digest`, `annotations: {kind}`, and `artifactType` = the config's media type when an
 *   image's config is neither an OCI nor a Docker config;
 * - a missing signature or attestation image (404) is left out; a save replaces `index.json`
 *   (earlier entries go, blobs stay);
 * - blobs live in `blobs/sha256/<hex>`: for an image its layers, config and manifest; for an index,
 *   recursively every child image or index, and other children as plain blobs.
 *
 * Unlike ggcr, every file is written to a temporary file and renamed into place, and blobs are
 * checked against their digest first; `index.json` is written last, so an interrupted save leaves
 * the previous layout readable. Files are mode 0644 (ggcr makes `index.json` and `oci-layout`
 * 0777 &^ umask, and layers 0600).
 *
 * @module
 */
import { writeFileAtomic } from "../atomic_file.ts";
import { IoError, SigstoreError } from "../errors.ts";
import { lazyStream } from "../stream.ts";
import { cosignAttachmentLocation, type CosignTagOptions } from "./cosign_tags.ts";
import { isNotFound } from "../registry/is_not_found.ts";
import { LayoutRegistry } from "../registry/layout.ts";
import {
  DOCKER_CONFIG,
  DOCKER_MANIFEST,
  isIndexMediaType,
  OCI_CONFIG,
  OCI_INDEX,
  OCI_MANIFEST,
} from "../registry/media_types.ts";
import type {
  BlobSource,
  Descriptor,
  FetchedManifest,
  ImageIndex,
  ImageManifest,
  Reference,
  Registry,
  Repository,
} from "../registry/types.ts";

/** The annotation cosign marks its `index.json` entries with. */
export const KIND_ANNOTATION = "kind";

/** The values of {@link KIND_ANNOTATION} (cosign pkg/oci/layout/index.go). */
export const COSIGN_LAYOUT_KIND = {
  image: "dev.cosignproject.cosign/image",
  imageIndex: "dev.cosignproject.cosign/imageIndex",
  signatures: "dev.cosignproject.cosign/sigs",
  attestations: "dev.cosignproject.cosign/atts",
} as const;

/** ggcr pkg/v1/layout/write.go `layoutFile`. */
const OCI_LAYOUT_FILE = '{\n    "imageLayoutVersion": "1.0.0"\n}';

/** How deep image indexes may nest. */
const MAX_DEPTH = 8;
/** The most manifests one save or load copies (as lib/oci/copy.ts): nesting alone allows 1000^8. */
const MAX_MANIFESTS = 10_000;
/** Blobs copied at once. */
const CONCURRENCY = 4;

/** What a cosign layout holds: the `index.json` entries cosign looks for. */
export interface CosignLayout {
  /** The folder. */
  dir: string;
  /** The layout as a registry (its `repo` arguments are ignored). */
  layout: LayoutRegistry;
  /** The first entry marked as an image. */
  image?: Descriptor;
  /** The first entry marked as an image index. */
  imageIndex?: Descriptor;
  /** The first entry marked as signatures. */
  signatures?: Descriptor;
  /** The first entry marked as attestations. */
  attestations?: Descriptor;
}

/** What {@link saveCosignLayout} saved. */
export interface SaveCosignLayoutResult {
  /** The digest of the saved image or index. */
  digest: string;
  mediaType: string;
  /** Whether a signature image was saved. */
  signatures: boolean;
  /** Whether an attestation image was saved. */
  attestations: boolean;
}

/** Options for {@link saveCosignLayout}. */
export interface SaveCosignLayoutOptions extends CosignTagOptions {
  registry: Registry;
  /** The image or index; a tag is resolved once. */
  ref: Reference;
  /** The layout folder (created if missing). */
  dir: string;
}

/**
 * Saves an image or image index, its signatures and attestations into an OCI layout, as
 * `cosign save --dir DIR IMAGE` does.
 *
 * @param opts the registry, image and folder; `targetRepository`/`tagPrefix` say where
 *   signatures and attestations are read (COSIGN_REPOSITORY, --attachment-tag-prefix)
 * @returns the saved digest and which attachments were found
 * @throws {SigstoreError} `UNSUPPORTED` for an unknown manifest type or nesting deeper than 8;
 *   {@link RegistryError} from the registry (`MANIFEST_UNKNOWN` for a missing image,
 *   `DIGEST_MISMATCH` …); {@link IoError} `OUTPUT_FAILED` when the folder cannot be written
 * @example
 * ```ts
 * await saveCosignLayout({ registry, ref: parseReference("reg.example/app:v1"), dir: "saved" });
 * ```
 */
export async function saveCosignLayout(
  opts: SaveCosignLayoutOptions,
): Promise<SaveCosignLayoutResult> {
  const { registry, ref } = opts;
  const repo: Repository = { registry: ref.registry, repository: ref.repository };
  const top = await registry.getManifest(repo, ref.digest ?? ref.tag ?? "latest");
  const kind = isIndexMediaType(top.mediaType) || "manifests" in top.manifest
    ? COSIGN_LAYOUT_KIND.imageIndex
    : isImageMediaType(top.mediaType)
    ? COSIGN_LAYOUT_KIND.image
    : undefined;
  if (!kind) {
    throw new SigstoreError(
      "UNSUPPORTED",
      `Cannot save ${ref.registry}/${ref.repository}: unknown signed entity (${top.mediaType})`,
    );
  }
  const dir = opts.dir.replace(/\/+$/, "") || "/";
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new IoError("OUTPUT_FAILED", `Cannot write ${dir}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  await writeFileAtomic(`${dir}/oci-layout`, OCI_LAYOUT_FILE);
  const layout = new LayoutRegistry(dir);
  const toLayout: TreeSink = {
    blob: (d, source) => layout.putBlob(repo, source(d)).then(() => {}),
    manifest: (m) => layout.putBlob(repo, m.bytes).then(() => {}),
  };
  const entries: Descriptor[] = [];

  await copyTree(registry, repo, top, toLayout);
  await toLayout.manifest(top);
  entries.push(layoutDescriptor(top, kind));

  const attachments = [
    ["sig", COSIGN_LAYOUT_KIND.signatures],
    ["att", COSIGN_LAYOUT_KIND.attestations],
  ] as const;
  const found = { sig: false, att: false };
  for (const [suffix, attachmentKind] of attachments) {
    const at = cosignAttachmentLocation(repo, top.digest, suffix, opts);
    let image: FetchedManifest;
    try {
      image = await registry.getManifest(at.repo, at.tag);
    } catch (e) {
      if (isNotFound(e)) continue;
      throw e;
    }
    await copyTree(registry, at.repo, image, toLayout);
    await toLayout.manifest(image);
    entries.push(layoutDescriptor(image, attachmentKind));
    found[suffix] = true;
  }
  await writeFileAtomic(`${dir}/index.json`, marshalIndexJson(entries));
  return {
    digest: top.digest,
    mediaType: top.mediaType,
    signatures: found.sig,
    attestations: found.att,
  };
}

/**
 * Opens a layout written by `cosign save` and finds its marked entries.
 *
 * @param dir the layout folder
 * @returns the layout and the first entry of each kind
 * @throws {IoError} `INPUT_NOT_FOUND`/`INPUT_UNREADABLE` when it is not an OCI layout
 */
export async function readCosignLayout(dir: string): Promise<CosignLayout> {
  const { openLayout } = await import("../registry/layout.ts");
  const layout = await openLayout(dir);
  const { manifests } = await layout.readIndex();
  const first = (kind: string) => manifests.find((d) => d?.annotations?.[KIND_ANNOTATION] === kind);
  const out: CosignLayout = { dir: layout.root, layout };
  const image = first(COSIGN_LAYOUT_KIND.image);
  const imageIndex = first(COSIGN_LAYOUT_KIND.imageIndex);
  const signatures = first(COSIGN_LAYOUT_KIND.signatures);
  const attestations = first(COSIGN_LAYOUT_KIND.attestations);
  if (image) out.image = image;
  if (imageIndex) out.imageIndex = imageIndex;
  if (signatures) out.signatures = signatures;
  if (attestations) out.attestations = attestations;
  return out;
}

/** Options for {@link loadCosignLayout}. */
export interface LoadCosignLayoutOptions extends CosignTagOptions {
  registry: Registry;
  /** Where the image goes: a tag, or the image's digest. */
  ref: Reference;
  /** The layout folder. */
  dir: string;
}

/**
 * Pushes what `cosign save` wrote to a registry, as `cosign load --dir DIR IMAGE` does: the image
 * index (with every child) and/or the image under `ref`, then the signature and attestation
 * images under `sha256-<hex>.sig` / `.att` of the pushed digest (in `targetRepository` when set).
 *
 * @param opts the registry, destination and folder
 * @returns the digest pushed under `ref`
 * @throws {SigstoreError} `INPUT_NOT_FOUND` when the layout holds neither an image nor an index
 *   (cosign then silently does nothing); {@link IoError} for an unreadable layout;
 *   {@link RegistryError} from the registry
 */
export async function loadCosignLayout(opts: LoadCosignLayoutOptions): Promise<{ digest: string }> {
  const { registry, ref } = opts;
  const saved = await readCosignLayout(opts.dir);
  const { layout } = saved;
  const repo: Repository = { registry: ref.registry, repository: ref.repository };
  const target = ref.digest ?? ref.tag ?? "latest";
  const toRegistry = (dest: Repository): TreeSink => ({
    blob: (d, source) => registry.putBlob(dest, source(d)).then(() => {}),
    manifest: (m) => registry.putManifest(dest, m.digest, m.bytes, m.mediaType).then(() => {}),
  });
  let digest: string | undefined;
  // cosign: the index first, then the image, both under `ref`.
  for (const entry of [saved.imageIndex, saved.image]) {
    if (!entry) continue;
    const m = await layoutManifest(layout, entry);
    await copyTree(layout, repo, m, toRegistry(repo));
    await registry.putManifest(repo, target, m.bytes, m.mediaType);
    digest = m.digest;
  }
  if (!digest) {
    throw new SigstoreError(
      "INPUT_NOT_FOUND",
      `Cannot load ${saved.dir}: it holds no image or image index saved by cosign save`,
    );
  }
  const attachments = [["sig", saved.signatures], ["att", saved.attestations]] as const;
  for (const [suffix, entry] of attachments) {
    if (!entry) continue;
    const at = cosignAttachmentLocation(repo, digest, suffix, opts);
    const m = await layoutManifest(layout, entry);
    await copyTree(layout, at.repo, m, toRegistry(at.repo));
    await registry.putManifest(at.repo, at.tag, m.bytes, m.mediaType);
  }
  return { digest };
}

/**
 * The image a layout holds and a registry view of the layout in which cosign's signature and
 * attestation tags of that image resolve to the marked entries, so that `verifyImage` verifies
 * a saved image exactly as a remote one (`cosign verify --local-image`).
 *
 * @param saved an opened layout
 * @returns the registry view and the reference (pinned to the digest) to verify
 * @throws {SigstoreError} `INPUT_NOT_FOUND` "must verify either an image index or image", or
 *   "no signatures associated with the image saved in DIR" when there is no signature entry
 *   (cosign pkg/cosign/verify.go `VerifyLocalImageSignatures`; both exit 1)
 */
export function localImageView(saved: CosignLayout): { registry: Registry; ref: Reference } {
  const subject = saved.imageIndex ?? saved.image;
  if (!subject) {
    throw new SigstoreError("INPUT_NOT_FOUND", "must verify either an image index or image");
  }
  if (!saved.signatures) {
    throw new SigstoreError(
      "INPUT_NOT_FOUND",
      `no signatures associated with the image saved in ${saved.dir}`,
    );
  }
  const ref: Reference = { registry: "oci-layout", repository: "local", digest: subject.digest };
  const tags = new Map<string, Descriptor>();
  tags.set(cosignAttachmentLocation(ref, subject.digest, "sig").tag, saved.signatures);
  if (saved.attestations) {
    tags.set(cosignAttachmentLocation(ref, subject.digest, "att").tag, saved.attestations);
  }
  const layout = saved.layout;
  const resolve = (tagOrDigest: string) => tags.get(tagOrDigest)?.digest ?? tagOrDigest;
  const registry: Registry = {
    getManifest: (repo, t) => layout.getManifest(repo, resolve(t)),
    headManifest: (repo, t) => layout.headManifest(repo, resolve(t)),
    putManifest: () => Promise.reject(readOnly()),
    deleteManifest: () => Promise.reject(readOnly()),
    hasBlob: (repo, d) => layout.hasBlob(repo, d),
    putBlob: () => Promise.reject(readOnly()),
    getBlob: (repo, d, o) => layout.getBlob(repo, d, o),
    getBlobBytes: (repo, d, max) => layout.getBlobBytes(repo, d, max),
    listTags: () => Promise.resolve([...tags.keys()]),
    referrers: (repo, d, t) => layout.referrers(repo, d, t),
  };
  return { registry, ref };
}

function readOnly(): SigstoreError {
  return new SigstoreError("UNSUPPORTED", "Cannot write to a local image: it is read-only");
}

/** Where {@link copyTree} puts what it walks. */
interface TreeSink {
  /** Stores a blob; `source` opens it from the origin. */
  blob(d: Descriptor, source: (d: Descriptor) => BlobSource): Promise<void>;
  /** Stores a (child) manifest by digest. */
  manifest(m: FetchedManifest): Promise<void>;
}

/**
 * Copies everything a manifest references (not the manifest itself) from `src` to `sink`: an
 * image's layers and config; an index's children, recursively, and other children as blobs.
 */
async function copyTree(
  src: Registry,
  repo: Repository,
  top: FetchedManifest,
  sink: TreeSink,
  depth = 0,
  copied: Set<string> = new Set(),
): Promise<void> {
  if (depth > MAX_DEPTH) {
    throw new SigstoreError(
      "UNSUPPORTED",
      `Cannot copy ${top.digest}: image indexes nest deeper than ${MAX_DEPTH}`,
    );
  }
  const source = (d: Descriptor): BlobSource => ({
    // No read-ahead: the source opens on the first read.
    stream: () => lazyStream(() => src.getBlob(repo, d.digest, { size: d.size }), 0),
    digest: d.digest,
    size: d.size,
  });
  const m = top.manifest;
  if ("manifests" in m) {
    for (const child of (m as ImageIndex).manifests ?? []) {
      if (isIndexMediaType(child.mediaType) || isImageMediaType(child.mediaType)) {
        // A child met before is already copied (an index may name one child many times).
        if (copied.has(child.digest)) continue;
        copied.add(child.digest);
        if (copied.size > MAX_MANIFESTS) {
          throw new SigstoreError(
            "TOO_MANY",
            `Cannot copy ${top.digest}: more than ${MAX_MANIFESTS} manifests`,
          );
        }
        const fetched = await src.getManifest(repo, child.digest);
        fetched.mediaType = child.mediaType;
        await copyTree(src, repo, fetched, sink, depth + 1, copied);
        await sink.manifest(fetched);
      } else {
        await sink.blob(child, source);
      }
    }
    return;
  }
  const image = m as ImageManifest;
  const blobs = [...(image.layers ?? []), ...(image.config ? [image.config] : [])];
  const seen = new Set<string>();
  const unique = blobs.filter((d) => !seen.has(d.digest) && seen.add(d.digest));
  // Each worker takes the next blob before it awaits, so no blob is copied twice.
  let next = 0;
  const workers = Array.from({ length: Math.min(CONCURRENCY, unique.length) }, async () => {
    for (let i = next++; i < unique.length; i = next++) await sink.blob(unique[i], source);
  });
  await Promise.all(workers);
}

/** Reads an `index.json` entry's manifest, keeping the entry's media type. */
async function layoutManifest(layout: LayoutRegistry, entry: Descriptor): Promise<FetchedManifest> {
  const m = await layout.getManifest({ registry: "", repository: "" }, entry.digest);
  if (entry.mediaType) m.mediaType = entry.mediaType;
  return m;
}

function isImageMediaType(mediaType: string | undefined): boolean {
  return mediaType === OCI_MANIFEST || mediaType === DOCKER_MANIFEST;
}

/** ggcr `partial.Descriptor` of a fetched manifest, plus the `kind` annotation. */
function layoutDescriptor(m: FetchedManifest, kind: string): Descriptor {
  const d: Descriptor = {
    mediaType: m.mediaType,
    size: m.bytes.length,
    digest: m.digest,
    annotations: { [KIND_ANNOTATION]: kind },
  };
  if (isImageMediaType(m.mediaType) && "config" in m.manifest) {
    const configType = (m.manifest as ImageManifest).config?.mediaType;
    // ggcr: `!mf.Config.MediaType.IsConfig()` (an absent media type is "", which omitempty drops).
    if (configType && configType !== OCI_CONFIG && configType !== DOCKER_CONFIG) {
      d.artifactType = configType;
    }
  }
  return d;
}

/**
 * `index.json` as ggcr writes it: Go's `json.MarshalIndent(index, "", "   ")` of a v1.IndexManifest
 * (field order schemaVersion, mediaType, manifests; each descriptor mediaType, size, digest,
 * annotations, artifactType), with Go's HTML-safe escaping.
 */
export function marshalIndexJson(manifests: Descriptor[]): string {
  const ordered = manifests.map((d) => {
    const o: Record<string, unknown> = { mediaType: d.mediaType, size: d.size, digest: d.digest };
    if (d.annotations && Object.keys(d.annotations).length) {
      o.annotations = Object.fromEntries(
        Object.entries(d.annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    }
    if (d.artifactType) o.artifactType = d.artifactType;
    return o;
  });
  const json = JSON.stringify(
    { schemaVersion: 2, mediaType: OCI_INDEX, manifests: ordered },
    null,
    3,
  );
  // These characters only occur inside JSON strings, where Go escapes them.
  return json.replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
