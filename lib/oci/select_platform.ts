/**
 * `--platform` over an image index, as cosign pkg/oci/platform `SignedEntityForPlatform` picks one
 * image: `os/arch[/variant][:osversion]`, empty parts matching anything.
 *
 * @module
 */
import { SigstoreError } from "../errors.ts";
import type { ImageIndex, Platform } from "../registry/types.ts";

/** ggcr's `Platform.String()`: `os/arch/variant:osversion`, empty parts left out. */
export function platformString(
  p: { os?: string; architecture?: string; variant?: string; "os.version"?: string },
): string {
  if (!p.os) return "";
  let s = p.os;
  if (p.architecture) s += `/${p.architecture}`;
  if (p.variant) s += `/${p.variant}`;
  if (p["os.version"]) s += `:${p["os.version"]}`;
  return s;
}

/**
 * The platforms of an index's entries, as cosign's `GetIndexPlatforms(...).String()` lists them
 * ("linux/amd64, linux/arm64"); entries without a platform are left out.
 *
 * @param index the index
 * @returns the comma-separated list
 */
export function indexPlatforms(index: ImageIndex): string {
  return (index.manifests ?? []).filter((m) => m.platform).map((m) =>
    platformString(m.platform as Platform)
  ).join(", ");
}

/**
 * The digest of the one entry of `index` whose platform matches `spec`.
 *
 * @param index the index
 * @param spec `os/arch[/variant][:osversion]`
 * @returns the entry's digest
 * @throws {SigstoreError} `UNSUPPORTED` "parsing platform: too many slashes in platform spec: …"
 *   (ggcr `v1.ParsePlatform`), "unable to find an entity for …" when none matches,
 *   "platform spec matches more than one image architecture: …" when several do
 */
export function selectPlatform(index: ImageIndex, spec: string): string {
  const [main, osVersion = ""] = spec.split(":");
  const parts = main.split("/");
  if (parts.length > 3) {
    throw new SigstoreError(
      "UNSUPPORTED",
      `parsing platform: too many slashes in platform spec: ${spec}`,
    );
  }
  const [os = "", architecture = "", variant = ""] = parts;
  const matches = (index.manifests ?? []).filter((m) => {
    const p = m.platform;
    if (!p) return false;
    if (os && os !== p.os) return false;
    if (architecture && architecture !== p.architecture) return false;
    if (variant && variant !== (p.variant ?? "")) return false;
    if (osVersion && osVersion !== (p["os.version"] ?? "")) return false;
    return true;
  });
  if (matches.length === 0) {
    throw new SigstoreError(
      "UNSUPPORTED",
      `unable to find an entity for ${
        platformString({ os, architecture, variant, "os.version": osVersion })
      }`,
    );
  }
  if (matches.length > 1) {
    throw new SigstoreError(
      "UNSUPPORTED",
      `platform spec matches more than one image architecture: ${
        matches.map((m) => platformString(m.platform!)).join(", ")
      }`,
    );
  }
  return matches[0].digest;
}
