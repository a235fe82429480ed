/**
 * SBOM attachments (`cosign attach sbom`, `cosign download sbom`): an SBOM file stored, unsigned,
 * as a one-layer image under the tag `sha256-<hex>.sbom` beside the image (or in
 * `COSIGN_REPOSITORY`). Deprecated in cosign in favour of SBOM attestations, but still used.
 *
 * Matches cosign cmd/cosign/cli/attach/sbom.go (`SBOMCmd`: `static.NewFile` with the SBOM's media
 * type, written over the tag), cmd/cosign/cli/options/attach.go (`AttachSBOMOptions.MediaType`)
 * and cmd/cosign/cli/download/sbom.go (`SBOMCmd`: exactly one layer, size-checked, returned as
 * stored). Only the tag layout is read and written: cosign's experimental OCI 1.1 referrers mode
 * (`--registry-referrers-mode=oci-1-1`, which needs `COSIGN_EXPERIMENTAL=1`) is not supported.
 *
 * @module
 */
import { SigstoreError } from "../errors.ts";
import { pushStaticImage } from "./_static_image.ts";
import { fetchSignaturePayload } from "./cosign_signatures.ts";
import { cosignAttachmentLocation, type CosignTagOptions } from "./cosign_tags.ts";
import { indexPlatforms, selectPlatform } from "./select_platform.ts";
import { isNotFound } from "../registry/is_not_found.ts";
import { isIndexMediaType } from "../registry/media_types.ts";
import { getSignedEntity, referenceName, repositoryName, resolveDigest } from "./signed_entity.ts";
import type {
  FetchedManifest,
  ImageIndex,
  ImageManifest,
  Reference,
  Registry,
  Repository,
} from "../registry/types.ts";

/** cosign pkg/types: the SBOM media types. */
export const SBOM_MEDIA_TYPES = {
  spdx: "text/spdx",
  spdxJson: "text/spdx+json",
  cyclonedxXml: "application/vnd.cyclonedx+xml",
  cyclonedxJson: "application/vnd.cyclonedx+json",
  syft: "application/vnd.syft+json",
} as const;

/**
 * The media type of an SBOM, as cosign's `AttachSBOMOptions.MediaType`: by `--type`
 * (spdx|cyclonedx|syft), `--input-format` (json|xml|text) and whether the path ends in `.json`.
 *
 * @param type `--type`
 * @param inputFormat `--input-format` ("" when not given)
 * @param path `--sbom`, only for its `.json` ending
 * @returns the media type
 * @throws {TypeError} cosign's messages: `invalid SBOM input format: "x", expected (json|xml)`,
 *   `unknown SBOM type: "x", expected (spdx|cyclonedx|syft)`
 */
export function sbomMediaType(type: string, inputFormat: string, path: string): string {
  const json = path.endsWith(".json");
  const invalid = (expected: string) =>
    new TypeError(`invalid SBOM input format: ${goQuote(inputFormat)}, expected (${expected})`);
  switch (type) {
    case "cyclonedx":
      if (inputFormat !== "" && inputFormat !== "xml" && inputFormat !== "json") {
        throw invalid("json|xml");
      }
      return inputFormat === "json" || json
        ? SBOM_MEDIA_TYPES.cyclonedxJson
        : SBOM_MEDIA_TYPES.cyclonedxXml;
    case "spdx":
      if (inputFormat !== "" && inputFormat !== "text" && inputFormat !== "json") {
        throw invalid("json|text");
      }
      return inputFormat === "json" || json ? SBOM_MEDIA_TYPES.spdxJson : SBOM_MEDIA_TYPES.spdx;
    case "syft":
      if (inputFormat !== "" && inputFormat !== "json") throw invalid("json");
      return SBOM_MEDIA_TYPES.syft;
    default:
      throw new TypeError(`unknown SBOM type: ${goQuote(type)}, expected (spdx|cyclonedx|syft)`);
  }
}

/** Go's `%q` for the printable ASCII that flag values usually are; JSON escapes otherwise. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** What {@link attachSbom} attaches. */
export interface AttachSbomOptions extends CosignTagOptions {
  registry: Registry;
  /** The image the SBOM describes (a tag is resolved to its digest first). */
  ref: Reference;
  /** The SBOM, stored as is. */
  sbom: Uint8Array;
  /** Its media type ({@link sbomMediaType}). */
  mediaType: string;
  /**
   * Told before the upload, with cosign's names: the image as given (ggcr `Name()`), the SBOM's
   * tag reference, the media type.
   */
  onUpload?: (image: string, destination: string, mediaType: string) => Promise<void> | void;
}

/**
 * Attaches an SBOM to an image: replaces the image under `sha256-<hex>.sbom` with a one-layer
 * image holding the SBOM (cosign `static.NewFile` + `remote.Write`: same bytes, same digests).
 *
 * @param opts the image, the SBOM and where attachments live
 * @returns the digest of the SBOM image
 * @throws {RegistryError} when the image's tag cannot be resolved or a write is refused
 */
export async function attachSbom(opts: AttachSbomOptions): Promise<string> {
  const { registry, ref } = opts;
  const digest = await resolveDigest(registry, ref);
  const at = cosignAttachmentLocation(
    { registry: ref.registry, repository: ref.repository },
    digest,
    "sbom",
    opts,
  );
  await opts.onUpload?.(referenceName(ref), `${repositoryName(at.repo)}:${at.tag}`, opts.mediaType);
  const layer = await registry.putBlob(at.repo, opts.sbom);
  const image = await pushStaticImage(registry, at.repo, at.tag, {
    digest: layer.digest,
    size: layer.size,
    mediaType: opts.mediaType,
  });
  return image.digest;
}

/** What {@link downloadSbom} reads. */
export interface DownloadSbomOptions extends CosignTagOptions {
  /** `--platform` (`os/arch[/variant][:osversion]`): for an index, the one matching image. */
  platform?: string;
  /** `COSIGN_MAX_ATTACHMENT_SIZE` in bytes, checked before the download. */
  maxSize: number;
  /**
   * Told when an index has no SBOM of its own, with its platforms ("linux/amd64, linux/arm64"),
   * before the error, so that the user can be pointed at `--platform` (cosign prints a hint).
   */
  onIndexWithoutSbom?: (platforms: string) => Promise<void> | void;
}

/** A downloaded SBOM. */
export interface DownloadedSbom {
  /** The layer's media type (cosign prints "Found SBOM of media type: …"). */
  mediaType: string;
  /** The SBOM, as stored. */
  payload: Uint8Array;
}

/**
 * Downloads the SBOM attached to an image, as `cosign download sbom` does.
 *
 * @param registry the registry client
 * @param ref the image (a missing image named by digest is tolerated: only its SBOM is read)
 * @param opts platform, size limit and where attachments live
 * @returns the SBOM and its media type
 * @throws {SigstoreError} `MANIFEST_UNKNOWN` "no sbom attached to reference", "no SBOM found
 *   attached to image index"; `UNSUPPORTED` "getting sbom attachment: expected exactly one layer in
 *   attachment, got N" and the `--platform` errors; `TOO_LARGE` "size of layer (N) exceeded the
 *   limit (M)"
 * @throws {RegistryError} "entity not found in registry, error: …" for a missing tag
 */
export async function downloadSbom(
  registry: Registry,
  ref: Reference,
  opts: DownloadSbomOptions,
): Promise<DownloadedSbom> {
  let entity: FetchedManifest | undefined;
  let digest: string;
  try {
    entity = await getSignedEntity(registry, ref);
    digest = entity.digest;
  } catch (e) {
    if (!ref.digest || !(e instanceof SigstoreError && e.code === "MANIFEST_UNKNOWN")) throw e;
    digest = ref.digest; // cosign's SignedUnknown: the SBOM can outlive its image
  }
  if (opts.platform) {
    if (!entity || !isIndexMediaType(entity.mediaType)) {
      throw new SigstoreError("UNSUPPORTED", "specified reference is not a multiarch image");
    }
    digest = selectPlatform(entity.manifest as ImageIndex, opts.platform);
    entity = undefined; // the chosen image is not an index
  }
  const isIndex = entity !== undefined && isIndexMediaType(entity.mediaType);
  const at = cosignAttachmentLocation(
    { registry: ref.registry, repository: ref.repository },
    digest,
    "sbom",
    opts,
  );
  let image: FetchedManifest;
  try {
    image = await registry.getManifest(at.repo, at.tag);
  } catch (e) {
    if (!isNotFound(e)) {
      throw new SigstoreError(
        (e as SigstoreError).code ?? "REGISTRY",
        `getting sbom attachment: ${(e as Error).message}`,
        { cause: e },
      );
    }
    if (!isIndex) throw new SigstoreError("MANIFEST_UNKNOWN", "no sbom attached to reference");
    const platforms = indexPlatforms(entity!.manifest as ImageIndex);
    if (platforms !== "") await opts.onIndexWithoutSbom?.(platforms);
    throw new SigstoreError("MANIFEST_UNKNOWN", "no SBOM found attached to image index");
  }
  const layers = isIndexMediaType(image.mediaType)
    ? undefined
    : (image.manifest as ImageManifest).layers ?? [];
  if (layers === undefined || layers.length !== 1) {
    throw new SigstoreError(
      "UNSUPPORTED",
      `getting sbom attachment: expected exactly one layer in attachment, got ${
        layers?.length ?? 0
      }`,
    );
  }
  const layer = layers[0];
  const payload = await fetchSignaturePayload(registry, at.repo as Repository, layer, opts.maxSize);
  return { mediaType: layer.mediaType ?? "", payload };
}
