/**
 * A single-layer image as cosign pkg/oci/static `NewFile` builds it (ggcr's `empty.Image` with
 * the OCI manifest media type, one uncompressed layer, optional manifest annotations), written
 * after its layer blob was uploaded. Shared by `upload blob|wasm` and `attach sbom`.
 *
 * @module
 */
import { marshalConfigFile, marshalManifest } from "../registry/marshal_manifest.ts";
import { OCI_CONFIG, OCI_MANIFEST } from "../registry/media_types.ts";
import type { Descriptor, ImageManifest, Registry, Repository } from "../registry/types.ts";

/**
 * Writes the config and manifest of a one-layer image whose layer blob is already in `repo`.
 *
 * The config is ggcr's re-marshalled `v1.ConfigFile` with one diff ID and one empty history entry
 * (what `mutate.Append` on `empty.Image` produces), so the digests equal cosign's.
 *
 * @param registry the registry client
 * @param repo the repository
 * @param ident the tag or digest to write the manifest under
 * @param layer the uploaded layer (digest, size, media type)
 * @param options the config media type (OCI's by default) and manifest annotations
 * @returns the manifest's descriptor
 * @throws {RegistryError} when the registry refuses a write
 */
export async function pushStaticImage(
  registry: Registry,
  repo: Repository,
  ident: string,
  layer: { digest: string; size: number; mediaType: string },
  options: { configMediaType?: string; annotations?: Record<string, string> } = {},
): Promise<Descriptor> {
  const config = new TextEncoder().encode(marshalConfigFile({
    architecture: "",
    os: "",
    rootfs: { type: "layers", diff_ids: [layer.digest] },
    history: [{}],
    config: {},
  }));
  const c = await registry.putBlob(repo, config);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: options.configMediaType ?? OCI_CONFIG, size: c.size, digest: c.digest },
    layers: [{ mediaType: layer.mediaType, size: layer.size, digest: layer.digest }],
  };
  if (options.annotations && Object.keys(options.annotations).length > 0) {
    manifest.annotations = options.annotations;
  }
  const bytes = new TextEncoder().encode(marshalManifest(manifest));
  const digest = await registry.putManifest(repo, ident, bytes, OCI_MANIFEST);
  return { mediaType: OCI_MANIFEST, size: bytes.length, digest };
}
