/**
 * `cosign verify-blob --bundle F --trusted-root R` for a Sigstore bundle (the new bundle format),
 * key-based: the bundle and the streamed blob become a signed entity checked by
 * {@link verifyEntity} — the message signature over the blob with the key, the bundle's log
 * entries against the trusted root (lib/bundle verifyBundleTlog), and the bundle's message digest
 * is the blob's — as cosign's VerifyNewBundle with sigstore-go does it.
 *
 * @module
 */
import { VerificationError } from "../errors.ts";
import { parseBundle, type SigstoreBundle } from "../bundle/bundle.ts";
import { checkBundleContent } from "../bundle/check_bundle_content.ts";
import type { ByteReader } from "../stream.ts";
import type { VerificationPolicy } from "./verification_policy.ts";
import { verifyEntity } from "./verify_entity.ts";
import { bundleMaterial } from "./_bundle_material.ts";

/** Options for {@link verifyBlobBundle}. */
export interface VerifyBlobBundleOptions {
  /** The bundle file's bytes. */
  bundle: Uint8Array;
  /** Who signed; the log's entries are checked against `policy.tlog.trustedRoot`. */
  policy: VerificationPolicy;
  /** The blob. */
  input: ByteReader;
}

const ALGORITHMS: Record<string, "sha256" | "sha384" | "sha512"> = {
  SHA2_256: "sha256",
  SHA2_384: "sha384",
  SHA2_512: "sha512",
};

/**
 * Verifies a blob against a Sigstore bundle.
 *
 * @returns the parsed bundle
 * @throws {TypeError | SyntaxError} when the bundle is malformed or of an unsupported version
 * @throws {VerificationError} `SIGNATURE_INVALID` when the signature or message digest does not
 *   match the blob; the `TLOG_*` code of the failed log check; `UNSUPPORTED` for DSSE content,
 *   for bundles that carry a certificate (keyless) and for a key bundle without a key policy
 */
export async function verifyBlobBundle(options: VerifyBlobBundleOptions): Promise<SigstoreBundle> {
  const bundle = parseBundle(options.bundle);
  checkBundleContent(bundle);
  const ms = bundle.messageSignature;
  if (!ms) {
    throw new VerificationError(
      "UNSUPPORTED",
      "Cannot verify the bundle: verify-blob of DSSE envelopes (attestations) is not supported yet",
    );
  }
  const named = ms.messageDigest;
  const algorithm = named ? ALGORITHMS[named.algorithm] : "sha256";
  if (!algorithm) {
    throw new VerificationError(
      "SIGNATURE_INVALID",
      `Cannot verify the bundle: unsupported message digest algorithm ${named!.algorithm}`,
    );
  }
  await verifyEntity(options.policy, {
    content: {
      kind: "blob",
      reader: options.input,
      signature: ms.signature,
      digestAlgorithm: algorithm,
      claimedDigest: named?.digest,
    },
    material: bundleMaterial(bundle),
    tlog: { kind: "bundle", bundle },
    timestamps: bundle.verificationMaterial.rfc3161Timestamps,
    subject: "signature",
  });
  return bundle;
}
