/**
 * cosign's experimental OCI 1.1 signature storage (`cosign sign --registry-referrers-mode=oci-1-1`
 * with `COSIGN_EXPERIMENTAL=1`): the signature manifest, the same layers as the `.sig` tag's, is
 * pushed as a referrer of the image whose `artifactType` (and config media type) is
 * {@link SIGNATURE_ARTIFACT_TYPE} (pkg/oci/remote/write.go `WriteSignaturesExperimentalOCI`,
 * pkg/oci/experimental `ArtifactType("sig")`).
 *
 * Reading follows pkg/cosign/verify.go `verifyImageSignaturesExperimentalOCI`: the referrers of the
 * image digest, filtered by that artifact type, in the image's own repository (not
 * `COSIGN_REPOSITORY`); none is an error; of several, the last one listed is used (cosign warns
 * and has a TODO to use the "created" annotations).
 *
 * @module
 */
import { VerificationError } from "../errors.ts";
import type { Descriptor, Registry, Repository } from "../registry/types.ts";

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
