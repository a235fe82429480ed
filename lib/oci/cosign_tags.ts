/**
 * Where cosign stores what it attaches to an image: the tag `<prefix><alg>-<hex>.<suffix>` in the
 * image's repository, or in the repository named by `COSIGN_REPOSITORY`.
 *
 * Matches cosign pkg/oci/remote/remote.go `normalize` / `SignatureTag` / `AttestationTag` /
 * `SBOMTag` and options.go (`sig`, `att`, `sbom`; `--attachment-tag-prefix` → `WithPrefix`;
 * `COSIGN_REPOSITORY` → `WithTargetRepository`). For example
 * `sha256-3f1c…9a.sig`, or `pfx-sha256-3f1c…9a.sig` with the prefix `pfx-` (captured from cosign
 * v2.6.4 in tests/fixtures/cosign-oci/tag-prefix).
 *
 * @module
 */

import type { Repository } from "../registry/types.ts";

/** What is attached: signatures (`.sig`), attestations (`.att`) or an SBOM (`.sbom`). */
export type CosignAttachment = "sig" | "att" | "sbom";

/** Where attachments are stored. */
export interface CosignTagOptions {
  /** `COSIGN_REPOSITORY`: the repository attachments are read from and written to. */
  targetRepository?: Repository;
  /** `--attachment-tag-prefix`, prepended to the tag. */
  tagPrefix?: string;
}

const DIGEST = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

/**
 * The tag cosign uses for an attachment of the manifest `digest`.
 *
 * @param digest the subject's digest, `sha256:<hex>`
 * @param suffix `sig`, `att`, `sbom`, or "" for none
 * @param tagPrefix `--attachment-tag-prefix`
 * @returns e.g. `sha256-<hex>.sig`
 * @throws {TypeError} when `digest` is not `<algorithm>:<hex>`
 */
export function cosignTag(digest: string, suffix: CosignAttachment | "", tagPrefix = ""): string {
  const m = DIGEST.exec(digest);
  if (!m) throw new TypeError(`"digest" is not <algorithm>:<hex>: ${digest}`);
  return `${tagPrefix}${m[1]}-${m[2]}${suffix ? `.${suffix}` : ""}`;
}

/**
 * The repository and tag of an image's attachment.
 *
 * @param image the repository of the image
 * @param digest the image's digest
 * @param kind the attachment
 * @param opts `COSIGN_REPOSITORY` and tag prefix
 * @returns where the attachment lives
 */
export function cosignAttachmentLocation(
  image: Repository,
  digest: string,
  kind: CosignAttachment,
  opts: CosignTagOptions = {},
): { repo: Repository; tag: string } {
  const t = opts.targetRepository ?? image;
  return {
    repo: { registry: t.registry, repository: t.repository },
    tag: cosignTag(digest, kind, opts.tagPrefix),
  };
}
