/**
 * `cosign copy`: copies an image (every manifest of an index) with what cosign attached to it —
 * signatures, attestations, SBOMs — to another repository, possibly on another registry.
 *
 * Matches cosign cmd/cosign/cli/copy/copy.go: each manifest reached from the source (the root,
 * then depth first through indexes, cosign's `walk.SignedEntity`) has its `sha256-<hex>.sig`,
 * `.att` and `.sbom` images copied under the same tags (read from `COSIGN_REPOSITORY` when set,
 * with the tag prefix), and itself copied under the tag `[prefix]sha256-<hex>` — also with `--only`,
 * so that the image can be pulled from the destination by digest; a missing source is skipped
 * silently; an existing destination with another digest is refused unless `force`; last, unless
 * only attachments were asked for, the root is copied to the destination reference (its tag).
 * Blobs are mounted from the source repository when both are on one registry, else streamed.
 * `--platform` picks one image of an index. Copies run one after another (cosign runs them in
 * parallel, so its "Copying …" lines come in any order).
 *
 * @module
 */

import { SigstoreError } from "../errors.ts";
import { lazyStream } from "../stream.ts";
import { isNotFound } from "../registry/is_not_found.ts";
import { type CosignAttachment, cosignTag, type CosignTagOptions } from "./cosign_tags.ts";
import { isIndexMediaType } from "../registry/media_types.ts";
import { selectPlatform } from "./select_platform.ts";
import { getSignedEntity, repositoryName } from "./signed_entity.ts";
import type {
  Descriptor,
  FetchedManifest,
  ImageIndex,
  ImageManifest,
  Reference,
  Registry,
  Repository,
} from "../registry/types.ts";

/** What {@link copyImage} copies. */
export interface CopyImageOptions extends CosignTagOptions {
  registry: Registry;
  src: Reference;
  dst: Reference;
  /** The destination as the user wrote it (printed as cosign prints `dstRef`). */
  dstText: string;
  /**
   * `--only`: copy just these attachments, plus each manifest itself under its `sha256-<hex>` tag,
   * but not the destination tag; undefined copies everything.
   */
  only?: CosignAttachment[];
  /** `--force`: overwrite destinations with other content. */
  force?: boolean;
  /** `--platform`: `os/arch[/variant][:osversion]`. */
  platform?: string;
  /** Told before each copy (`Copying <src> to <dst>...`). */
  onCopy?: (src: string, dst: string) => Promise<void> | void;
}

/** How deep indexes may nest, and how many manifests one copy visits. */
const MAX_DEPTH = 8;
const MAX_ENTITIES = 10_000;

/**
 * Copies an image and its attachments.
 *
 * @param opts source, destination and what to copy
 * @throws {RegistryError} `MANIFEST_UNKNOWN` "entity not found in registry, error: …" for a missing
 *   source
 * @throws {SigstoreError} `OUTPUT_EXISTS` "image \"…\" already exists. Use `-f` to overwrite"
 */
export async function copyImage(opts: CopyImageOptions): Promise<void> {
  const { registry, src, dst } = opts;
  const srcRepo: Repository = { registry: src.registry, repository: src.repository };
  const dstRepo: Repository = { registry: dst.registry, repository: dst.repository };
  const attachRepo = opts.targetRepository ?? srcRepo;
  const prefix = opts.tagPrefix ?? "";
  let root = await getSignedEntity(registry, src);
  if (opts.platform) {
    // cosign pkg/oci/platform SignedEntityForPlatform: --platform only picks from an index.
    if (!isIndexMediaType(root.mediaType)) {
      throw new SigstoreError("UNSUPPORTED", "specified reference is not a multiarch image");
    }
    const digest = selectPlatform(root.manifest as ImageIndex, opts.platform);
    root = await registry.getManifest(srcRepo, digest);
  }
  const kinds: CosignAttachment[] = opts.only ?? ["sig", "att", "sbom"];
  const entities: string[] = [];
  const walk = async (m: FetchedManifest, depth: number) => {
    if (entities.length >= MAX_ENTITIES || depth > MAX_DEPTH) {
      throw new SigstoreError("TOO_MANY", "Cannot copy: the index is too large or too deep");
    }
    entities.push(m.digest);
    if (isIndexMediaType(m.mediaType)) {
      for (const d of (m.manifest as ImageIndex).manifests ?? []) {
        await walk(await registry.getManifest(srcRepo, d.digest), depth + 1);
      }
    }
  };
  await walk(root, 0);
  const copier = new Copier(registry, opts);
  for (const digest of entities) {
    for (const kind of kinds) {
      const tag = cosignTag(digest, kind, prefix);
      await copier.copy(
        attachRepo,
        tag,
        `${repositoryName(attachRepo)}:${tag}`,
        dstRepo,
        tag,
        `${repositoryName(dstRepo)}:${tag}`,
      );
    }
    // The entity itself, with or without --only (cosign copy.go "Copy the entity itself").
    const tag = cosignTag(digest, "", prefix);
    await copier.copy(
      srcRepo,
      digest,
      `${repositoryName(srcRepo)}@${digest}`,
      dstRepo,
      tag,
      `${repositoryName(dstRepo)}:${tag}`,
    );
  }
  if (opts.only) return;
  await copier.copy(
    srcRepo,
    root.digest,
    `${repositoryName(srcRepo)}@${root.digest}`,
    dstRepo,
    dst.digest ?? dst.tag ?? "latest",
    opts.dstText,
    dst.digest
      ? `${repositoryName(dstRepo)}@${dst.digest}`
      : `${repositoryName(dstRepo)}:${dst.tag ?? "latest"}`,
  );
}

class Copier {
  readonly #registry: Registry;
  readonly #opts: CopyImageOptions;
  constructor(registry: Registry, opts: CopyImageOptions) {
    this.#registry = registry;
    this.#opts = opts;
  }

  /** cosign's `remoteCopy`: get (404 → nothing to do), check the destination, push. */
  async copy(
    from: Repository,
    ident: string,
    fromText: string,
    to: Repository,
    toIdent: string,
    toText: string,
    toName = toText,
  ): Promise<void> {
    let got: FetchedManifest;
    try {
      got = await this.#registry.getManifest(from, ident);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (!this.#opts.force) {
      const existing = await this.#registry.headManifest(to, toIdent);
      if (existing) {
        if (existing.digest === got.digest) return;
        throw new SigstoreError(
          "OUTPUT_EXISTS",
          `image "${toName}" already exists. Use \`-f\` to overwrite`,
        );
      }
    }
    await this.#opts.onCopy?.(fromText, toText);
    await this.#push(from, got, to, toIdent, 0);
  }

  /** ggcr's `Pusher.Push`: blobs, child manifests (by digest), then the manifest. */
  async #push(
    from: Repository,
    m: FetchedManifest,
    to: Repository,
    toIdent: string,
    depth: number,
  ): Promise<void> {
    if (depth > MAX_DEPTH) {
      throw new SigstoreError("TOO_MANY", "Cannot copy: indexes nest too deep");
    }
    if (isIndexMediaType(m.mediaType)) {
      for (const d of (m.manifest as ImageIndex).manifests ?? []) {
        if (await this.#registry.headManifest(to, d.digest)) continue;
        const child = await this.#registry.getManifest(from, d.digest);
        await this.#push(from, child, to, d.digest, depth + 1);
      }
    } else {
      const im = m.manifest as ImageManifest;
      const blobs: Descriptor[] = [...(im.config ? [im.config] : []), ...(im.layers ?? [])];
      for (const b of blobs) {
        if (/nondistributable|foreign/.test(b.mediaType ?? "")) continue;
        await this.#copyBlob(from, to, b);
      }
    }
    await this.#registry.putManifest(to, toIdent, m.bytes, m.mediaType);
  }

  async #copyBlob(from: Repository, to: Repository, d: Descriptor): Promise<void> {
    const registry = this.#registry;
    if (from.registry === to.registry && from.repository === to.repository) {
      if (await registry.hasBlob(to, d.digest)) return;
    }
    const size = Number(d.size);
    await registry.putBlob(to, {
      stream: () => lazyStream(() => registry.getBlob(from, d.digest, { size })),
      digest: d.digest,
      size,
    }, from.registry === to.registry ? { mountFrom: from } : undefined);
  }
}
