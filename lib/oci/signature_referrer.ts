/**
 * cosign's experimental OCI 1.1 signature storage (`cosign sign --registry-referrers-mode=oci-1-1`
 * with `COSIGN_EXPERIMENTAL=1`): the signature manifest, the same layers as the `.sig` tag's, is
 * pushed as a referrer of the image whose `artifactType` (and config media type) is
 * {@link SIGNATURE_ARTIFACT_TYPE} (pkg/oci/remote/write.go `WriteSignaturesExperimentalOCI`,
 * pkg/oci/experimental `ArtifactType("sig")`).
 *
 * Writing follows `WriteSignaturesExperimentalOCI`: the signature image cosign would push to the
 * `.sig` tag (that tag's layers plus the new one, unless the dupe detector found it there) is
 * pushed by digest with the image as `subject`; the tag itself is not written. Without the
 * referrers API, the referrer is listed in the `sha256-<hex>` tag index (as ggcr's `remote.Put`).
 *
 * Reading follows pkg/cosign/verify.go `verifyImageSignaturesExperimentalOCI`: the referrers of the
 * image digest, filtered by that artifact type, in the image's own repository (not
 * `COSIGN_REPOSITORY`); none is an error; of several, the last one listed is used (cosign warns
 * and has a TODO to use the "created" annotations).
 *
 * @module
 */
import { RegistryError, VerificationError } from "../errors.ts";
import { addFallbackReferrer } from "../registry/fallback_referrer.ts";
import type { Descriptor, Registry, Repository } from "../registry/types.ts";
import { readSignatureImage, writeSignatureImage } from "./cosign_signatures.ts";

/** `application/vnd.dev.cosign.artifact.sig.v1+json` (pkg/oci/experimental `ArtifactType("sig")`). */
export const SIGNATURE_ARTIFACT_TYPE = "application/vnd.dev.cosign.artifact.sig.v1+json";

/** The signature referrer cosign would read, and how many there were. */
export interface SignatureReferrer {
  /** The referrer's descriptor in the referrers listing (the last one listed). */
  descriptor: Descriptor;
  /** How many referrers have the signature artifact type (cosign warns when more than one). */
  count: number;
}

/**
 * Finds the OCI 1.1 signature referrer of an image, as cosign's experimental verification does.
 *
 * @param registry the registry client (referrers API, or the referrers tag schema without it)
 * @param repo the image's repository
 * @param digest the image manifest's digest
 * @returns the last referrer with {@link SIGNATURE_ARTIFACT_TYPE}, and their number
 * @throws {VerificationError} `NO_SIGNATURES` "unable to locate reference with artifactType …"
 * @throws {RegistryError} when the referrers cannot be listed
 */
export async function findSignatureReferrer(
  registry: Registry,
  repo: Repository,
  digest: string,
): Promise<SignatureReferrer> {
  const found = await registry.referrers(repo, digest, SIGNATURE_ARTIFACT_TYPE);
  if (found.length === 0) {
    throw new VerificationError(
      "NO_SIGNATURES",
      `unable to locate reference with artifactType ${SIGNATURE_ARTIFACT_TYPE}`,
    );
  }
  return { descriptor: found[found.length - 1], count: found.length };
}

/** What {@link writeSignatureReferrer} writes. */
export interface WriteSignatureReferrerOptions {
  /** The image's repository (where cosign also reads the `.sig` tag for this). */
  repo: Repository;
  /** The signed image manifest's digest (the `subject`). */
  digest: string;
  /** The `.sig` tag whose layers the referrer carries too. */
  tag: string;
  /** The new signature layer, or undefined when an equal one is in the tag already. */
  add?: { descriptor: Descriptor; payload: Uint8Array };
  /** `COSIGN_DOCKER_MEDIA_TYPES` (for a new signature image). */
  dockerMediaTypes?: boolean;
  /** `--record-creation-timestamp`: the config's `created`. */
  created?: Date;
}

/**
 * Pushes the signature image as an OCI 1.1 referrer of the image, as cosign's
 * `sign --registry-referrers-mode=oci-1-1` does.
 *
 * @param registry the registry client
 * @param opts the image, the tag read for existing layers, and the new layer
 * @returns the referrer manifest's digest
 * @throws {RegistryError} `MANIFEST_UNKNOWN` when the image does not exist; what the registry
 *   throws for refused writes
 */
export async function writeSignatureReferrer(
  registry: Registry,
  opts: WriteSignatureReferrerOptions,
): Promise<string> {
  const { repo, digest } = opts;
  // remoteHead: the subject must exist.
  const subject = await registry.headManifest(repo, digest);
  if (!subject) {
    throw new RegistryError(
      "MANIFEST_UNKNOWN",
      `Cannot sign ${repo.registry}/${repo.repository}@${digest}: the image does not exist`,
      { status: 404 },
    );
  }
  const base = await readSignatureImage(registry, repo, opts.tag);
  const written = await writeSignatureImage(registry, repo, opts.tag, {
    base,
    add: opts.add ? [opts.add] : [],
    dockerMediaTypes: opts.dockerMediaTypes,
    created: opts.created,
    referrer: { subject, artifactType: SIGNATURE_ARTIFACT_TYPE },
  });
  await addFallbackReferrer(registry, repo, subject.digest, {
    mediaType: written.mediaType,
    size: written.bytes.length,
    digest: written.digest,
    artifactType: SIGNATURE_ARTIFACT_TYPE,
  });
  return written.digest;
}
