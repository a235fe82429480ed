/**
 * `cosign tree`: what is attached to an image — signatures, attestations and SBOMs under cosign's
 * tags, and (with OCI 1.1 referrers asked for) the referrers grouped by artifact type.
 *
 * Matches cosign cmd/cosign/cli/tree.go. Cosign prints the groups in Go map order (random from
 * run to run); here they come in a fixed order: signatures, attestations, SBOMs, then referrers
 * in the registry's order.
 *
 * @module
 */

import { readSignatureImage } from "./cosign_signatures.ts";
import { isNotFound } from "../registry/is_not_found.ts";
import {
  type CosignAttachment,
  cosignAttachmentLocation,
  type CosignTagOptions,
} from "./cosign_tags.ts";
import { isIndexMediaType } from "../registry/media_types.ts";
import { getSignedEntity, repositoryName } from "./signed_entity.ts";
import type { ImageManifest, Reference, Registry } from "../registry/types.ts";

/** One group of the tree. */
export interface TreeGroup {
  kind: "signatures" | "attestations" | "sboms" | "referrer";
  /** The tag reference (`registry/repo:sha256-<hex>.sig`) or, for a referrer, its digest reference. */
  ref: string;
  /** The referrer's artifact type. */
  artifactType?: string;
  /** The layer digests. */
  layers: string[];
}

/** What {@link imageTree} reads. */
export interface ImageTreeOptions extends CosignTagOptions {
  registry: Registry;
  ref: Reference;
  /** `--experimental-oci11` or `--registry-referrers-mode=oci-1-1`. */
  referrers?: boolean;
  /** Told about referrers that cannot be read (cosign prints and skips them). */
  onReferrerError?: (ref: string, e: Error) => Promise<void> | void;
}

async function layersUnder(
  registry: Registry,
  repo: { registry: string; repository: string },
  tag: string,
  kind: CosignAttachment,
): Promise<string[]> {
  if (kind !== "sbom") {
    const image = await readSignatureImage(registry, repo, tag);
    return (image?.manifest.layers ?? []).map((l) => l.digest);
  }
  // SBOMs are file images (ociremote Attachment): a missing tag or an index means none.
  try {
    const m = await registry.getManifest(repo, tag);
    if (isIndexMediaType(m.mediaType) || !("layers" in m.manifest)) return [];
    return ((m.manifest as ImageManifest).layers ?? []).map((l) => l.digest);
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
}

/**
 * Collects the tree of an image.
 *
 * @param opts the image and where attachments are
 * @returns the non-empty groups
 * @throws {RegistryError} `MANIFEST_UNKNOWN` "entity not found in registry, error: …"
 */
export async function imageTree(opts: ImageTreeOptions): Promise<TreeGroup[]> {
  const { registry, ref } = opts;
  const entity = await getSignedEntity(registry, ref);
  const repo = { registry: ref.registry, repository: ref.repository };
  const groups: TreeGroup[] = [];
  const kinds: Array<[CosignAttachment, TreeGroup["kind"]]> = [
    ["sig", "signatures"],
    ["att", "attestations"],
    ["sbom", "sboms"],
  ];
  for (const [kind, name] of kinds) {
    const loc = cosignAttachmentLocation(repo, entity.digest, kind, opts);
    const layers = await layersUnder(registry, loc.repo, loc.tag, kind);
    if (layers.length > 0) {
      groups.push({ kind: name, ref: `${repositoryName(loc.repo)}:${loc.tag}`, layers });
    }
  }
  if (opts.referrers) {
    const byKey = new Map<string, TreeGroup>();
    for (const d of await registry.referrers(repo, entity.digest)) {
      if (!d.artifactType) continue;
      const artifactRef = `${repositoryName(repo)}@${d.digest}`;
      let layers: string[];
      try {
        const m = await registry.getManifest(repo, d.digest);
        layers = ((m.manifest as ImageManifest).layers ?? []).map((l) => l.digest);
      } catch (e) {
        await opts.onReferrerError?.(artifactRef, e as Error);
        continue;
      }
      const key = `${d.artifactType} ${artifactRef}`;
      const g = byKey.get(key);
      if (g) g.layers.push(...layers);
      else {
        const group: TreeGroup = {
          kind: "referrer",
          ref: artifactRef,
          artifactType: d.artifactType,
          layers,
        };
        byKey.set(key, group);
        groups.push(group);
      }
    }
  }
  return groups;
}

const HEADINGS: Record<Exclude<TreeGroup["kind"], "referrer">, string> = {
  signatures: "└── 🔐 Signatures for an image tag: ",
  attestations: "└── 💾 Attestations for an image tag: ",
  sboms: "└── 📦 SBOMs for an image tag: ",
};

/**
 * Renders the groups as cosign prints them (after the "📦 Supply Chain…" header line).
 *
 * @param groups the tree
 * @param refText the image reference as the user wrote it
 * @returns the text
 */
export function renderTree(groups: TreeGroup[], refText: string): string {
  if (groups.length === 0) {
    return `No Supply Chain Security Related Artifacts found for image ${refText},\n start creating one with simply running$ cosign sign <img>`;
  }
  let out = "";
  for (const g of groups) {
    out += g.kind === "referrer"
      ? `└── 🔗 ${g.artifactType} artifacts via OCI referrer: ${g.ref}\n`
      : `${HEADINGS[g.kind]}${g.ref}\n`;
    g.layers.forEach((d, i) => {
      out += `${i === g.layers.length - 1 ? "   └──" : "   ├──"} 🍒 ${d}\n`;
    });
  }
  return out;
}
