/**
 * `cosign verify --new-bundle-format --trusted-root R --key K IMAGE` (cosign v2.6.4
 * `verifyImageAttestationsSigstoreBundle` / `GetBundles`): the image's digest is resolved, every
 * referrer of it is read, and those whose manifest has exactly one layer of a
 * `application/vnd.dev.sigstore.bundle*` media type holding a bundle of v0.3 or later are verified
 * as sigstore-go does (log entries against the trusted root, the DSSE signature with the key, a
 * statement subject with the image's digest). Referrers that are not bundles are skipped, as in
 * cosign; a bundle that does not verify is reported only when none verifies.
 *
 * @module
 */
import { parseBundle } from "../bundle/bundle.ts";
import { RegistryError, VerificationError } from "../errors.ts";
import { MAX_SIGSTORE_BUNDLE_BYTES } from "../bundle/bundle.ts";
import type { ImageManifest, Reference, Registry, Repository } from "../registry/types.ts";
import { readBlob } from "../registry/read_blob.ts";
import type { InTotoStatement } from "../payload/intoto.ts";
import { goJsonString } from "../payload/go_json.ts";
import { marshalSimpleSigning } from "../payload/simple_signing.ts";
import { verifyBlobAttestationBundle } from "./verify_blob_attestation_bundle.ts";
import { MAX_SIGNATURES } from "./verify_image.ts";
import type { VerificationPolicy } from "./verification_policy.ts";

/** What {@link verifyImageBundles} checks. */
export interface VerifyImageBundlesOptions {
  registry: Registry;
  ref: Reference;
  /** The image as cosign names it (`ref.Name()`), for the `docker-reference` of the output. */
  name: string;
  /**
   * Who signed; log entries are checked against `policy.tlog.trustedRoot`. The statement's
   * subject must name the image; its predicate type is not checked (as cosign).
   */
  policy: VerificationPolicy;
  /** The bundles {@link findImageBundles} found already (the auto-detection looked first). */
  found?: ImageBundles;
}

/** One verified bundle. */
export interface VerifiedImageBundle {
  /** The referrer holding it. */
  manifestDigest: string;
  statement: InTotoStatement;
  /** The statement as signed (the DSSE payload): what policies are evaluated against. */
  statementBytes: Uint8Array;
  /** cosign's `transformOutput`: a `SimpleContainerImage` naming the statement's first subject. */
  payload: Uint8Array;
  /**
   * The bundle's DSSE envelope as Go's encoding/json marshals the protobuf message, which
   * `verify-attestation --new-bundle-format` prints: `{"payload":…,"payloadType":…,
   * "signatures":[{"sig":…,"keyid":…}]}`, empty members left out.
   */
  envelope: Uint8Array;
}

/** The Sigstore bundles found as referrers of an image (cosign's `GetBundles`). */
export interface ImageBundles {
  /** The image's digest (a tag resolved). */
  digest: string;
  /** Each bundle with the artifact manifest holding it. */
  bundles: { manifestDigest: string; bytes: Uint8Array }[];
}

/**
 * Finds the Sigstore bundles attached to an image as referrers (cosign's `GetBundles`): the
 * referrers API, or the `sha256-<hex>` index tag on registries without it; referrers that are not
 * v0.3+ bundles in a one-layer manifest are skipped.
 *
 * @param registry the registry
 * @param ref the image
 * @returns the digest and the bundles (at least one)
 * @throws {RegistryError} `MANIFEST_UNKNOWN` "image tag not found: …" when the tag does not exist
 * @throws {VerificationError} `NO_MATCHING_ATTESTATIONS` "no valid bundles exist in registry"
 */
export async function findImageBundles(registry: Registry, ref: Reference): Promise<ImageBundles> {
  const repo: Repository = { registry: ref.registry, repository: ref.repository };
  let digest = ref.digest;
  if (!digest) {
    const head = await registry.headManifest(repo, ref.tag ?? "latest");
    if (!head) {
      throw new RegistryError(
        "MANIFEST_UNKNOWN",
        `image tag not found: ${ref.registry}/${ref.repository}:${ref.tag ?? "latest"}`,
        { status: 404 },
      );
    }
    digest = head.digest;
  }
  const referrers = (await registry.referrers(repo, digest)).slice(0, MAX_SIGNATURES);
  const bundles: { manifestDigest: string; bytes: Uint8Array }[] = [];
  for (const d of referrers) {
    try {
      const m = (await registry.getManifest(repo, d.digest)).manifest as ImageManifest;
      if (!Array.isArray(m.layers) || m.layers.length !== 1) continue;
      if (!m.layers[0].mediaType?.startsWith("application/vnd.dev.sigstore.bundle")) continue;
      // Bounded by the declared size, checked first against the cap: a layer declaring more is
      // skipped without a download (cosign skips every referrer it cannot read).
      const bytes = await readBlob(registry, repo, m.layers[0], MAX_SIGSTORE_BUNDLE_BYTES);
      const b = parseBundle(bytes);
      if (b.version !== "0.3") continue;
      bundles.push({ manifestDigest: d.digest, bytes });
    } catch (e) {
      // cosign skips referrers it cannot read as bundles (there may be other artifacts).
      if (e instanceof TypeError || e instanceof SyntaxError || e instanceof RegistryError) {
        continue;
      }
      throw e;
    }
  }
  if (bundles.length === 0) {
    throw new VerificationError("NO_MATCHING_ATTESTATIONS", "no valid bundles exist in registry");
  }
  return { digest, bundles };
}

/**
 * Verifies the Sigstore bundles attached to an image as referrers.
 *
 * @returns the image digest and the verified bundles (at least one)
 * @throws {RegistryError} `MANIFEST_UNKNOWN` when the image does not exist
 * @throws {VerificationError} `NO_MATCHING_ATTESTATIONS` "no valid bundles exist in registry" when
 *   no referrer is a bundle, or "no matching attestations: …" with each bundle's failure
 */
export async function verifyImageBundles(
  o: VerifyImageBundlesOptions,
): Promise<{ digest: string; verified: VerifiedImageBundle[] }> {
  const { digest, bundles } = o.found ?? await findImageBundles(o.registry, o.ref);
  const [algorithm, hex] = digest.split(":");
  const verified: VerifiedImageBundle[] = [];
  const errors: string[] = [];
  for (const b of bundles) {
    try {
      const statement = await verifyBlobAttestationBundle({
        bundle: b.bytes,
        policy: { ...o.policy, claims: { ...o.policy.claims, type: undefined } },
        artifactDigest: { algorithm, value: Uint8Array.fromHex(hex) },
      });
      const first = statement.subject[0]?.digest;
      const entries = first ? [...first.entries()] : [];
      const payload = entries.length
        ? new TextEncoder().encode(marshalSimpleSigning({
          critical: {
            identity: { "docker-reference": o.name },
            image: { "docker-manifest-digest": `${entries.at(-1)![0]}:${entries.at(-1)![1]}` },
            type: statement.predicateType,
          },
          optional: null,
        }))
        : new Uint8Array();
      verified.push({
        manifestDigest: b.manifestDigest,
        statement,
        payload,
        envelope: marshalProtoEnvelope(parseBundle(b.bytes)),
        statementBytes: parseBundle(b.bytes).dsseEnvelope!.payload,
      });
    } catch (e) {
      if (!(e instanceof Error) || e instanceof RangeError) throw e;
      errors.push(e.message);
    }
  }
  if (verified.length === 0) {
    throw new VerificationError(
      "NO_MATCHING_ATTESTATIONS",
      `no matching attestations: ${errors.join("\n")}`,
    );
  }
  return { digest, verified };
}

/** The protobuf `Envelope` of a bundle through Go's encoding/json (omitempty fields). */
function marshalProtoEnvelope(bundle: ReturnType<typeof parseBundle>): Uint8Array {
  const env = bundle.dsseEnvelope!;
  const parts: string[] = [];
  if (env.payload.length) parts.push(`"payload":${goJsonString(env.payload.toBase64())}`);
  if (env.payloadType) parts.push(`"payloadType":${goJsonString(env.payloadType)}`);
  if (env.signatures.length) {
    const sigs = env.signatures.map((s) => {
      const fields: string[] = [];
      if (s.sig.length) fields.push(`"sig":${goJsonString(s.sig.toBase64())}`);
      if (s.keyid) fields.push(`"keyid":${goJsonString(s.keyid)}`);
      return `{${fields.join(",")}}`;
    });
    parts.push(`"signatures":[${sigs.join(",")}]`);
  }
  return new TextEncoder().encode(`{${parts.join(",")}}`);
}
