/**
 * `cosign upload blob` and `cosign upload wasm`: files pushed as single-layer OCI images, and
 * several files (each with a platform) as an index of them.
 *
 * Matches cosign pkg/cosign/remote/index.go `UploadFiles` and pkg/oci/static/file.go `NewFile`:
 * ggcr's `empty.Image` with the OCI manifest media type, the config media type
 * `application/vnd.oci.image.config.v1+json` (wasm: `application/vnd.wasm.config.v1+json`), one
 * uncompressed layer (its media type given, or Go's `http.DetectContentType` of the content up to
 * the ";"; wasm: `application/vnd.wasm.content.layer.v1+wasm`), and the annotations on the
 * manifest. The config is ggcr's re-marshalled `v1.ConfigFile` with one diff ID and one empty
 * history entry, so the digests equal cosign's for the same file. Every image is written under the
 * reference; with several files the index (`application/vnd.oci.image.index.v1+json`, each entry
 * with its platform, the annotations on the index) is written last, over them.
 *
 * Unlike cosign, files are never read into memory whole: each is hashed in a first streaming pass
 * and uploaded in a second one (chunked for large files).
 *
 * @module
 */

import { IoError } from "../errors.ts";
import { nodeCrypto } from "../_node_crypto.ts";
import { goJsonString, marshalGoJson } from "../payload/go_json.ts";
import { marshalDescriptor } from "../registry/marshal_manifest.ts";
import { OCI_INDEX } from "../registry/media_types.ts";
import { pushStaticImage } from "./_static_image.ts";
import { detectContentType, SNIFF_LENGTH } from "./sniff.ts";
import { repositoryName } from "./signed_entity.ts";
import type { Descriptor, Platform, Reference, Registry } from "../registry/types.ts";

/** cosign pkg/types `WasmLayerMediaType`. */
export const WASM_LAYER_MEDIA_TYPE = "application/vnd.wasm.content.layer.v1+wasm";
/** cosign pkg/types `WasmConfigMediaType`. */
export const WASM_CONFIG_MEDIA_TYPE = "application/vnd.wasm.config.v1+json";

/** A file to upload: `-f path[:os[/arch]]`. */
export interface UploadFile {
  path: string;
  platform?: Platform;
}

/**
 * Parses `-f` values as cosign's `FileFromFlag`: `path`, `path:os`, `path:os/arch` (the text
 * after a second ":" or "/" is ignored).
 *
 * @param flag the flag value
 * @returns the file and its platform
 */
export function fileFromFlag(flag: string): UploadFile {
  const split = flag.split(":");
  const file: UploadFile = { path: split[0] };
  if (split.length > 1) {
    const p = split[1].split("/");
    file.platform = { os: p[0], architecture: p.length > 1 ? p[1] : "" };
  }
  return file;
}

/** Progress messages (cosign prints them on stderr). */
export type UploadEvent =
  | { kind: "uploading"; path: string; refName: string; mediaType: string }
  | { kind: "available"; path: string; blobUrl: string };

/** What {@link uploadFiles} uploads. */
export interface UploadFilesOptions {
  registry: Registry;
  ref: Reference;
  files: UploadFile[];
  /** `-a k=v`: on each manifest, and on the index. */
  annotations?: Record<string, string>;
  /** `--ct`: the layer media type instead of sniffing. */
  contentType?: string;
  /** The config media type (default OCI's). */
  configMediaType?: string;
  onEvent?: (e: UploadEvent) => Promise<void> | void;
}

/** The hash, size and sniffed content type of a file, read once as a stream. */
async function scanFile(
  path: string,
): Promise<{ digest: string; size: number; sniff: Uint8Array }> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (e) {
    throw new IoError(
      e instanceof Deno.errors.NotFound ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE",
      `open ${path}: ${
        e instanceof Deno.errors.NotFound ? "no such file or directory" : (e as Error).message
      }`,
      { cause: e },
    );
  }
  const hash = nodeCrypto().createHash("sha256");
  const head = new Uint8Array(SNIFF_LENGTH);
  let headLen = 0;
  let size = 0;
  try {
    for await (const chunk of file.readable) {
      hash.update(chunk);
      if (headLen < SNIFF_LENGTH) {
        const n = Math.min(SNIFF_LENGTH - headLen, chunk.length);
        head.set(chunk.subarray(0, n), headLen);
        headLen += n;
      }
      size += chunk.length;
    }
  } catch (e) {
    throw new IoError("INPUT_UNREADABLE", `read ${path}: ${(e as Error).message}`, { cause: e });
  }
  return { digest: `sha256:${hash.digest("hex")}`, size, sniff: head.subarray(0, headLen) };
}

/**
 * Pushes one file as a single-layer image under the reference.
 *
 * @returns the manifest's descriptor
 */
async function pushFileImage(
  opts: UploadFilesOptions & { layerMediaType?: string },
  file: UploadFile,
): Promise<{ descriptor: Descriptor; layerDigest: string }> {
  const { registry, ref } = opts;
  const repo = { registry: ref.registry, repository: ref.repository };
  const scanned = await scanFile(file.path);
  const mediaType = opts.layerMediaType ?? opts.contentType ??
    detectContentType(scanned.sniff).split(";")[0];
  await opts.onEvent?.({
    kind: "uploading",
    path: file.path,
    refName: ref.digest
      ? `${repositoryName(ref)}@${ref.digest}`
      : `${repositoryName(ref)}:${ref.tag ?? "latest"}`,
    mediaType,
  });
  await registry.putBlob(repo, {
    stream: () => {
      // A second pass: the client hashes what it sends and refuses a file that changed.
      const { readable } = Deno.openSync(file.path);
      return readable;
    },
    digest: scanned.digest,
    size: scanned.size,
  });
  const descriptor = await pushStaticImage(
    registry,
    repo,
    ref.digest ?? ref.tag ?? "latest",
    { digest: scanned.digest, size: scanned.size, mediaType },
    { configMediaType: opts.configMediaType, annotations: opts.annotations },
  );
  await opts.onEvent?.({
    kind: "available",
    path: file.path,
    blobUrl: `${ref.registry}/v2/${ref.repository}/blobs/${scanned.digest}`,
  });
  return { descriptor, layerDigest: scanned.digest };
}

/**
 * Uploads files as cosign's `UploadFiles` does.
 *
 * @param opts the reference, files and annotations
 * @returns the digest of the last image, or of the index with several files
 * @throws {IoError} when a file cannot be read
 * @throws {RegistryError} when the registry refuses a write
 */
export async function uploadFiles(opts: UploadFilesOptions): Promise<string> {
  const { registry, ref } = opts;
  let last = "";
  const entries: Descriptor[] = [];
  for (const file of opts.files) {
    const { descriptor } = await pushFileImage(opts, file);
    last = descriptor.digest;
    if (file.platform) entries.push({ ...descriptor, platform: file.platform });
  }
  if (opts.files.length > 1) {
    const ann = opts.annotations && Object.keys(opts.annotations).length > 0
      ? `,"annotations":${marshalGoJson(opts.annotations)}`
      : "";
    const index = `{"schemaVersion":2,"mediaType":${goJsonString(OCI_INDEX)},"manifests":[${
      entries.map(marshalDescriptor).join(",")
    }]${ann}}`;
    last = await registry.putManifest(
      { registry: ref.registry, repository: ref.repository },
      ref.digest ?? ref.tag ?? "latest",
      new TextEncoder().encode(index),
      OCI_INDEX,
    );
  }
  return last;
}

/**
 * Uploads a wasm module as cosign's `upload wasm` does (one image, wasm media types).
 *
 * @param opts the registry, reference and file
 * @returns the manifest digest
 */
export async function uploadWasm(
  opts: { registry: Registry; ref: Reference; path: string },
): Promise<string> {
  const { descriptor } = await pushFileImage({
    registry: opts.registry,
    ref: opts.ref,
    files: [],
    layerMediaType: WASM_LAYER_MEDIA_TYPE,
    configMediaType: WASM_CONFIG_MEDIA_TYPE,
  }, { path: opts.path });
  return descriptor.digest;
}
