/**
 * Attesting container images the way `cosign attest --key` does (cmd/cosign/cli/attest/attest.go,
 * v2.6.4): resolve the image digest, build the in-toto statement about it (subject name: the
 * repository, `registry/repository`; digest: the image's sha256), sign it into a DSSE envelope and
 * store the envelope as a layer of the attestation image under `sha256-<hex>.att`
 * (lib/oci/cosign_attestations.ts), appending or, with `replace`, replacing the attestations of
 * the same predicate type.
 *
 * @module
 */

import { BUNDLE_V03_MEDIA_TYPE } from "../bundle/bundle.ts";
import { SigstoreError } from "../errors.ts";
import { attestationLayerDescriptor, publishAttestationLayer } from "../oci/cosign_attestations.ts";
import { cosignAttachmentLocation, type CosignTagOptions } from "../oci/cosign_tags.ts";
import { isManifestMediaType } from "../registry/media_types.ts";
import type { Descriptor, Reference, Registry, Repository } from "../registry/types.ts";
import { INTOTO_PAYLOAD_TYPE, signDsse } from "../payload/dsse.ts";
import { generateStatement, PredicateError, validateStatement } from "../payload/intoto.ts";
import { parsePredicateType } from "../payload/predicate_types.ts";
import type { Signer } from "../signature/signer.ts";
import { isCertifiedSigner } from "./_uploaded_verifier.ts";
import { keyDsseBundle, marshalBundle } from "../bundle/marshal_bundle.ts";
import type { RekorEntry } from "../rekor/verify_entry.ts";
import { writeBundleReferrer } from "./_write_bundle_referrer.ts";
import { dsseSignatureBytes, type Timestamper } from "./timestamp_signature.ts";

/** What {@link attestImage} attests and where it stores the attestation. */
export interface AttestImageOptions extends CosignTagOptions {
  registry: Registry;
  /** The image; a tag is resolved to its digest first (cosign warns about tags). */
  ref: Reference;
  /**
   * Signs the envelope (cosign signs Ed25519 keys with Ed25519ph here); a function is called once
   * the statement is built (cosign asks for the key's password then).
   */
  signer: Signer | (() => Promise<Signer>);
  /**
   * `--predicate`: the predicate file's bytes, or a function reading them, called after the
   * digest was resolved (cosign opens the file then).
   */
  predicate?: Uint8Array | (() => Promise<Uint8Array>);
  /** Names the predicate in errors. */
  predicateName?: string;
  /**
   * A complete statement to sign as is, instead of a predicate. cosign's `attest` command does not
   * use its `--statement` flag; this is for library callers.
   */
  statement?: Uint8Array;
  /** `--type`: a short name (default `custom`) or a predicate type URI. */
  type?: string;
  /** `--replace`: replace the existing attestations of the same predicate type. */
  replace?: boolean;
  /** `COSIGN_DOCKER_MEDIA_TYPES`. */
  dockerMediaTypes?: boolean;
  /** `--no-upload`: sign only; the envelope is returned and nothing is written. */
  upload?: boolean;
  /** `--record-creation-timestamp` (not applied with `replace`, as in cosign). */
  recordCreationTimestamp?: boolean;
  /** `COSIGN_MAX_ATTACHMENT_SIZE`: bounds the downloads `replace` makes. */
  maxAttachmentSize?: number;
  /** The clock (`--type custom`'s Timestamp, `--record-creation-timestamp`). */
  now?: () => Date;
  /** Receives cosign's stderr lines about replaced attestations. */
  log?: (line: string) => void | Promise<void>;
  /** Concurrent-writer retries. */
  retry?: { attempts?: number; baseDelayMs?: number };
  /**
   * Logs the signed envelope before anything is written (cosign's Rekor upload) and returns the
   * bundle JSON for the layer's `dev.sigstore.cosign/bundle` annotation, and/or timestamps it
   * (`--timestamp-server-url`: cosign timestamps the whole envelope JSON here) and returns the
   * `dev.sigstore.cosign/rfc3161timestamp` annotation. Not called with `upload: false`; when it
   * throws, nothing is written.
   */
  witness?: (envelope: Uint8Array) => Promise<{ bundle?: string; rfc3161Timestamp?: string }>;
  /**
   * `--new-bundle-format` (cosign v2.6.4 attest.go, `c.KeyOpts.NewBundleFormat`): instead of the
   * `.att` tag, the envelope goes into a v0.3 Sigstore bundle (cosign's `MakeNewBundle`) pushed as
   * an OCI 1.1 referrer of the image, annotated with the predicate type; `replace`,
   * `recordCreationTimestamp`, `dockerMediaTypes` and `COSIGN_REPOSITORY` are not used, as in
   * cosign. `timestamper` (`--timestamp-server-url`) timestamps the envelope's signature first
   * (cosign: `GetDSSESigBytes`, what bundle verifiers check), then `upload` logs the envelope
   * (absent with `--tlog-upload=false`); the token goes into the bundle.
   */
  newBundle?: {
    upload?: (envelope: Uint8Array) => Promise<RekorEntry>;
    timestamper?: Timestamper;
  };
}

/** The result of {@link attestImage}. */
export interface AttestImageResult {
  /** The attested manifest's digest. */
  digest: string;
  /** True when `ref` had no digest and a tag was resolved. */
  resolvedFromTag: boolean;
  /** The signed statement. */
  statement: Uint8Array;
  /** The DSSE envelope (the layer's content; no trailing newline). */
  envelope: Uint8Array;
  /** The layer's descriptor. */
  layer: Descriptor;
  /** Where the attestation image is. */
  location: { repo: Repository; tag: string };
  /** Whether the registry was written to. */
  uploaded: boolean;
  /** The layers `replace` removed. */
  replaced: Descriptor[];
  /** With `newBundle`: the bundle JSON and the digest of its referring artifact manifest. */
  referrer?: { bundle: string; manifestDigest: string };
}

/**
 * Attests an image and stores the attestation.
 *
 * @param opts the image, predicate, signer and storage options
 * @returns the statement, envelope and where it was stored
 * @throws {TypeError} `invalid predicate type: …` (checked before anything else, as in cosign)
 * @throws {PredicateError} for a predicate the type cannot use ("provenance predicate: not valid
 *   JSON: …", "invalid statement: …")
 * @throws {RegistryError} when the tag cannot be resolved or the registry refuses a write
 * @throws {SigstoreError} `UNSUPPORTED` for a manifest that is neither image nor index; `REGISTRY`
 *   when concurrent writers kept replacing the tag; `SIGNATURE_INVALID` when `replace` meets an
 *   existing layer it cannot read
 */
export async function attestImage(opts: AttestImageOptions): Promise<AttestImageResult> {
  const { registry, ref } = opts;
  const type = opts.type ?? "custom";
  const predicateUri = parsePredicateType(type);
  const repo: Repository = { registry: ref.registry, repository: ref.repository };
  let digest = ref.digest;
  if (!digest) {
    const top = await registry.getManifest(repo, ref.tag ?? "latest");
    if (!isManifestMediaType(top.mediaType)) {
      throw new SigstoreError("UNSUPPORTED", `unknown mime type: ${top.mediaType}`);
    }
    digest = top.digest;
  }
  let statement: Uint8Array;
  if (opts.statement) {
    statement = opts.statement;
    validateStatement(statement);
  } else {
    if (!opts.predicate) throw new TypeError('"predicate" or "statement" is required');
    const predicate = typeof opts.predicate === "function"
      ? await opts.predicate()
      : opts.predicate;
    try {
      statement = generateStatement({
        predicate,
        type,
        digest: digest.slice(digest.indexOf(":") + 1),
        name: `${repo.registry}/${repo.repository}`,
        now: opts.now,
      });
    } catch (e) {
      if (!(e instanceof PredicateError) || opts.predicateName === undefined) throw e;
      throw new PredicateError(`Cannot read predicate ${opts.predicateName}: ${e.message}`, {
        cause: e,
      });
    }
  }
  const signer = typeof opts.signer === "function" ? await opts.signer() : opts.signer;
  const envelope = await signDsse(statement, INTOTO_PAYLOAD_TYPE, signer);
  if (opts.newBundle) {
    return await attachBundle(opts, opts.newBundle, signer, repo, digest, predicateUri, {
      statement,
      envelope,
    });
  }
  const witnessed = opts.upload !== false && opts.witness ? await opts.witness(envelope) : {};
  // A keyless signer's certificate and chain travel in the layer's annotations, as cosign's.
  const layer = await attestationLayerDescriptor(
    envelope,
    predicateUri,
    witnessed.bundle,
    isCertifiedSigner(signer)
      ? { certificate: signer.certificatePem, chain: signer.chainPem }
      : undefined,
    witnessed.rfc3161Timestamp,
  );
  const location = cosignAttachmentLocation(repo, digest, "att", opts);
  const result: AttestImageResult = {
    digest,
    resolvedFromTag: !ref.digest,
    statement,
    envelope,
    layer,
    location,
    uploaded: false,
    replaced: [],
  };
  if (opts.upload === false) return result;
  const { replaced } = await publishAttestationLayer(
    {
      registry,
      dockerMediaTypes: opts.dockerMediaTypes,
      recordCreationTimestamp: opts.recordCreationTimestamp,
      now: opts.now,
      replacePredicateType: opts.replace ? predicateUri : undefined,
      maxAttachmentSize: opts.maxAttachmentSize,
      log: opts.log,
      retry: opts.retry,
    },
    envelope,
    layer,
    location,
  );
  result.uploaded = true;
  result.replaced = replaced;
  return result;
}

/** The `--new-bundle-format` tail of {@link attestImage}: log, bundle, push as a referrer. */
async function attachBundle(
  opts: AttestImageOptions,
  newBundle: NonNullable<AttestImageOptions["newBundle"]>,
  signer: Signer,
  repo: Repository,
  digest: string,
  predicateUri: string,
  signed: { statement: Uint8Array; envelope: Uint8Array },
): Promise<AttestImageResult> {
  const { envelope } = signed;
  const result: AttestImageResult = {
    digest,
    resolvedFromTag: !opts.ref.digest,
    ...signed,
    layer: { mediaType: BUNDLE_V03_MEDIA_TYPE, digest: "", size: 0 },
    location: { repo, tag: "" },
    uploaded: false,
    replaced: [],
  };
  // cosign: `--no-upload` prints the envelope before anything is logged or written.
  if (opts.upload === false) return result;
  const timestamp = newBundle.timestamper
    ? await newBundle.timestamper(dsseSignatureBytes(envelope))
    : undefined;
  const entry = newBundle.upload ? await newBundle.upload(envelope) : undefined;
  const bundle = marshalBundle(
    await keyDsseBundle({
      spki: signer.publicKey.spki,
      // Keyless: the bundle carries the certificate instead of the key hint (MakeNewBundle).
      certificate: isCertifiedSigner(signer) ? signer.certificateDer : undefined,
      envelope,
      entry,
      timestamps: timestamp ? [timestamp] : [],
    }),
  );
  const now = (opts.now ?? (() => new Date()))();
  const manifestDigest = await writeBundleReferrer(
    opts.registry,
    repo,
    digest,
    bundle,
    predicateUri,
    now,
  );
  return { ...result, uploaded: true, referrer: { bundle, manifestDigest } };
}
