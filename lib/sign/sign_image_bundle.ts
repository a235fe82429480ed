/**
 * `cosign sign --new-bundle-format` with a key (cosign v2.6.4 sign.go `signDigestBundle`, then
 * pkg/oci/remote/write.go `WriteAttestationNewBundleFormat` / `WriteReferrer`): an in-toto
 * statement with predicate type `https://sigstore.dev/cosign/sign/v1` whose only subject is the
 * image digest is signed as a DSSE envelope, optionally logged in Rekor as a `dsse` entry, packed
 * into a v0.3 Sigstore bundle and pushed next to the image as an OCI 1.1 artifact manifest whose
 * `subject` is the image (found with the referrers API).
 *
 * The artifact manifest is written by ./_write_bundle_referrer.ts (shared with
 * `attest --new-bundle-format`).
 *
 * @module
 */
import { keyDsseBundle, marshalBundle } from "../bundle/marshal_bundle.ts";
import { isCertifiedSigner } from "./_uploaded_verifier.ts";
import { writeBundleReferrer } from "./_write_bundle_referrer.ts";
import type { Reference, Registry, Repository } from "../registry/types.ts";
import { INTOTO_PAYLOAD_TYPE, signDsse } from "../payload/dsse.ts";
import type { RekorEntry } from "../rekor/verify_entry.ts";
import type { Signer } from "../signature/signer.ts";
import { imagesToSign } from "./_images_to_sign.ts";
import { dsseSignatureBytes, type Timestamper } from "./timestamp_signature.ts";

/** cosign's `types.CosignSignPredicateType`. */
export const COSIGN_SIGN_PREDICATE_TYPE = "https://sigstore.dev/cosign/sign/v1";
/** The in-toto statement v1 type. */
export const INTOTO_STATEMENT_V1 = "https://in-toto.io/Statement/v1";

/** What {@link signImageBundle} needs. */
export interface SignImageBundleOptions {
  registry: Registry;
  /** The image; a tag is resolved to a digest first. */
  ref: Reference;
  signer: Signer;
  /** Also sign every manifest of an index (`--recursive`). */
  recursive?: boolean;
  /** Logs the envelope (cosign's `TLogUploadDSSEEnvelope`); absent with `--tlog-upload=false`. */
  upload?: (envelope: Uint8Array) => Promise<RekorEntry>;
  /**
   * Timestamps the envelope's signature (cosign `GetDSSESigBytes`, `--timestamp-server-url`)
   * before the log upload; the answer goes into the bundle's `timestampVerificationData`.
   */
  timestamper?: Timestamper;
  /** The clock for `org.opencontainers.image.created`. */
  now?: () => Date;
}

/** One signed manifest. */
export interface ImageBundleSignature {
  /** The signed image manifest. */
  digest: string;
  /** The bundle JSON as stored in the layer. */
  bundle: string;
  /** The digest of the referring artifact manifest. */
  manifestDigest: string;
}

/**
 * The statement cosign signs for an image (protojson of an in-toto v1 `Statement`).
 *
 * @param digest `alg:hex` of the image manifest
 * @returns the statement JSON bytes
 * @throws {TypeError} for a digest without exactly one ":"
 */
export function imageSignStatement(digest: string): Uint8Array {
  const parts = digest.split(":");
  if (parts.length !== 2) throw new TypeError(`unable to parse digest ${digest}`);
  return new TextEncoder().encode(JSON.stringify({
    _type: INTOTO_STATEMENT_V1,
    subject: [{ digest: { [parts[0]]: parts[1] } }],
    predicateType: COSIGN_SIGN_PREDICATE_TYPE,
  }));
}

/**
 * Signs images into Sigstore bundles stored as referrers.
 *
 * @param opts the registry, image, signer, log upload and clock
 * @returns one entry per signed manifest, in cosign's order
 * @throws {RegistryError} when the image cannot be found or the registry refuses a write
 * @throws {SigstoreError} `UNSUPPORTED` "unknown mime type: …"; whatever `upload` and
 *   `timestamper` throw (nothing of that manifest is written then)
 */
export async function signImageBundle(
  opts: SignImageBundleOptions,
): Promise<ImageBundleSignature[]> {
  const { registry, ref } = opts;
  const repo: Repository = { registry: ref.registry, repository: ref.repository };
  const { digests } = await imagesToSign(registry, ref, opts.recursive);
  const out: ImageBundleSignature[] = [];
  for (const digest of digests) out.push(await signOne(opts, repo, digest));
  return out;
}

async function signOne(
  opts: SignImageBundleOptions,
  repo: Repository,
  digest: string,
): Promise<ImageBundleSignature> {
  const { registry, signer } = opts;
  const statement = imageSignStatement(digest);
  const envelope = await signDsse(statement, INTOTO_PAYLOAD_TYPE, signer);
  const timestamp = opts.timestamper
    ? await opts.timestamper(dsseSignatureBytes(envelope))
    : undefined;
  const entry = opts.upload ? await opts.upload(envelope) : undefined;
  const bundle = marshalBundle(
    await keyDsseBundle({
      spki: signer.publicKey.spki,
      // Keyless: the bundle carries the certificate instead of the key hint.
      certificate: isCertifiedSigner(signer) ? signer.certificateDer : undefined,
      envelope,
      entry,
      timestamps: timestamp ? [timestamp] : [],
    }),
  );
  const manifestDigest = await writeBundleReferrer(
    registry,
    repo,
    digest,
    bundle,
    COSIGN_SIGN_PREDICATE_TYPE,
    (opts.now ?? (() => new Date()))(),
  );
  return { digest, bundle, manifestDigest };
}
