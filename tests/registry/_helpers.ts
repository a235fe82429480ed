/**
 * Shared helpers for the registry integration tests.
 *
 * @module
 */
import {
  OCI_CONFIG,
  OCI_EMPTY,
  OCI_LAYER_GZIP,
  OCI_MANIFEST,
} from "../../lib/registry/media_types.ts";
import type { Registry, Repository } from "../../lib/registry/types.ts";

/** `sha256:<hex>` of bytes. */
export async function sha256(bytes: Uint8Array): Promise<string> {
  return `sha256:${
    new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>))
      .toHex()
  }`;
}

/** UTF-8 bytes. */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/**
 * Pushes a small image (config + one layer) and its manifest under `tag`.
 *
 * @returns the manifest digest and bytes
 */
export async function pushImage(
  reg: Registry,
  repo: Repository,
  tag: string,
  options: {
    mediaType?: string;
    configType?: string;
    layerType?: string;
    content?: string;
    subject?: { mediaType: string; digest: string; size: number };
    artifactType?: string;
  } = {},
): Promise<{ digest: string; bytes: Uint8Array }> {
  const config = utf8(options.subject ? "{}" : `{"architecture":"amd64","os":"linux"}`);
  const layer = utf8(options.content ?? `layer of ${tag} ${crypto.randomUUID()}`);
  const c = await reg.putBlob(repo, config);
  const l = await reg.putBlob(repo, layer);
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: options.mediaType ?? OCI_MANIFEST,
    config: {
      mediaType: options.configType ?? (options.subject ? OCI_EMPTY : OCI_CONFIG),
      digest: c.digest,
      size: c.size,
    },
    layers: [{ mediaType: options.layerType ?? OCI_LAYER_GZIP, digest: l.digest, size: l.size }],
  };
  if (options.artifactType) manifest.artifactType = options.artifactType;
  if (options.subject) manifest.subject = options.subject;
  const bytes = utf8(JSON.stringify(manifest));
  const digest = await reg.putManifest(repo, tag, bytes, options.mediaType ?? OCI_MANIFEST);
  return { digest, bytes };
}

/** Reads a stream fully. */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
