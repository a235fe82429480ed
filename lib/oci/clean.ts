/**
 * `cosign clean`: deletes the signature, attestation and SBOM images attached to an image.
 *
 * Matches cosign cmd/cosign/cli/clean.go: the tags are `sha256-<hex>.sig|.att|.sbom` in the
 * image's own repository — cosign's clean passes neither `COSIGN_REPOSITORY` nor
 * `--attachment-tag-prefix` on, so neither applies here. A tag is resolved to its digest and the
 * manifest deleted by digest (distribution refuses deletes by tag); a tag that does not exist is
 * skipped silently. A deletion that fails is reported and the others still run; unlike cosign
 * (which exits 0 regardless), the caller is told so it can fail.
 *
 * @module
 */

import { isNotFound } from "../registry/is_not_found.ts";
import { type CosignAttachment, cosignTag } from "./cosign_tags.ts";
import { repositoryName, resolveDigest } from "./signed_entity.ts";
import type { Reference, Registry } from "../registry/types.ts";

/** `--type` of `cosign clean`. */
export type CleanType = "signature" | "attestation" | "sbom" | "all";

/** What happened to one tag. */
export type CleanEvent =
  | { kind: "removed"; tag: string }
  | { kind: "failed"; tag: string; error: Error };

/**
 * Deletes the attachments of an image.
 *
 * @param registry the registry client
 * @param ref the image
 * @param type which attachments
 * @param onEvent called for each removed tag and each failure, in order
 * @returns the number of failed deletions
 * @throws {RegistryError} when the image itself cannot be resolved
 */
export async function cleanAttachments(
  registry: Registry,
  ref: Reference,
  type: CleanType,
  onEvent: (e: CleanEvent) => Promise<void> | void,
): Promise<number> {
  const digest = await resolveDigest(registry, ref);
  const repo = { registry: ref.registry, repository: ref.repository };
  const kinds: CosignAttachment[] = type === "signature"
    ? ["sig"]
    : type === "sbom"
    ? ["sbom"]
    : type === "attestation"
    ? ["att"]
    : ["sig", "att", "sbom"];
  let failed = 0;
  for (const kind of kinds) {
    const tag = cosignTag(digest, kind);
    const name = `${repositoryName(repo)}:${tag}`;
    try {
      const head = await registry.headManifest(repo, tag);
      if (!head) continue;
      await registry.deleteManifest(repo, head.digest);
      await onEvent({ kind: "removed", tag: name });
    } catch (e) {
      if (isNotFound(e)) continue;
      failed++;
      await onEvent({ kind: "failed", tag: name, error: e as Error });
    }
  }
  return failed;
}
