/**
 * `cosign attach signature`: adds a signature made elsewhere (payload + base64 signature, with an
 * optional certificate and chain, RFC 3161 timestamp and Rekor bundle) as a layer of the image's
 * signature image, as `cosign sign` would have stored it.
 *
 * Matches cosign cmd/cosign/cli/attach/sig.go: the signature text is used as is (no trimming;
 * empty is refused), the payload defaults to the simple signing payload of the digest (with
 * cosign's "obsolete implied payload" warning, given by the caller), the entity must exist, and
 * the layer's annotations are those of pkg/oci/mutate `Signature` — certificate and chain only as
 * given (no empty chain annotation), the bundle and timestamp re-marshalled as Go does. The
 * layer is appended with the merge-retry writer `cosign sign` uses here, so a concurrent writer
 * never loses a signature. Unlike cosign, attaching a layer identical (payload and signature) to
 * one already there does not add a second copy.
 *
 * @module
 */

import { publishSignatureLayer } from "./publish_signature_layer.ts";
import { simpleSigningPayload } from "../payload/simple_signing.ts";
import {
  BUNDLE_ANNOTATION,
  CERTIFICATE_ANNOTATION,
  CHAIN_ANNOTATION,
  RFC3161_TIMESTAMP_ANNOTATION,
  SIGNATURE_ANNOTATION,
  SIMPLE_SIGNING_MEDIA_TYPE,
} from "./cosign_signatures.ts";
import { cosignAttachmentLocation, type CosignTagOptions } from "./cosign_tags.ts";
import { getSignedEntity, repositoryName } from "./signed_entity.ts";
import { sha256Digest } from "../registry/sha256_digest.ts";
import type { Descriptor, Reference, Registry, Repository } from "../registry/types.ts";
import { certificateSpki } from "../x509/certificate.ts";
import { decodeGoTyped, type GoType, marshalGoJson, parseGoJson } from "../payload/go_json.ts";
import { remarshalRekorBundle } from "./download_signatures.ts";

/** What {@link attachSignature} attaches. */
export interface AttachSignatureOptions extends CosignTagOptions {
  registry: Registry;
  ref: Reference;
  /** The signature exactly as given (cosign stores the text of the file as the annotation). */
  base64Signature: string;
  /** The signed payload; undefined uses the simple signing payload of the digest. */
  payload?: Uint8Array;
  /** Certificate PEM (`--certificate`). */
  certificate?: string;
  /** Chain PEM (`--certificate-chain`), written only with a certificate. */
  chain?: string;
  /** The DER timestamp response (`--tsr`). */
  timestampResponse?: Uint8Array;
  /** The Rekor bundle JSON as Go marshals `bundle.RekorBundle` (from `--rekor-response`). */
  bundleJson?: string;
  /** `COSIGN_DOCKER_MEDIA_TYPES` for a new signature image. */
  dockerMediaTypes?: boolean;
  /** Called with the digested reference before the implied payload is used. */
  onImpliedPayload?: (digestedRef: string) => Promise<void> | void;
}

/** The result of {@link attachSignature}. */
export interface AttachSignatureResult {
  digest: string;
  layer: Descriptor;
  location: { repo: Repository; tag: string };
}

/**
 * Attaches a signature to an image.
 *
 * @param opts the image, signature and extras
 * @returns where the signature went
 * @throws {RegistryError} `MANIFEST_UNKNOWN` "entity not found in registry, error: …"
 */
export async function attachSignature(
  opts: AttachSignatureOptions,
): Promise<AttachSignatureResult> {
  const { registry, ref } = opts;
  const repo: Repository = { registry: ref.registry, repository: ref.repository };
  let digest = ref.digest;
  if (!digest) digest = (await getSignedEntity(registry, ref)).digest;
  let payload = opts.payload;
  if (payload === undefined) {
    await opts.onImpliedPayload?.(`${repositoryName(repo)}@${digest}`);
    payload = simpleSigningPayload({ dockerReference: repositoryName(repo), digest });
  }
  // cosign looks the digest up (SignedEntity) before writing: it must exist.
  if (ref.digest) await getSignedEntity(registry, { ...repo, digest });
  if (opts.certificate !== undefined) {
    checkCertificatesPem(opts.certificate);
    if (opts.chain !== undefined) checkCertificatesPem(opts.chain);
  }
  const annotations: Record<string, string> = { [SIGNATURE_ANNOTATION]: opts.base64Signature };
  if (opts.certificate !== undefined) {
    annotations[CERTIFICATE_ANNOTATION] = opts.certificate;
    if (opts.chain !== undefined) annotations[CHAIN_ANNOTATION] = opts.chain;
  }
  if (opts.bundleJson !== undefined) annotations[BUNDLE_ANNOTATION] = opts.bundleJson;
  if (opts.timestampResponse !== undefined) {
    annotations[RFC3161_TIMESTAMP_ANNOTATION] =
      `{"SignedRFC3161Timestamp":"${opts.timestampResponse.toBase64()}"}`;
  }
  const layer: Descriptor = {
    mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
    size: payload.length,
    digest: await sha256Digest(payload),
    annotations,
  };
  const location = cosignAttachmentLocation(repo, digest, "sig", opts);
  const result = { layer, location, duplicate: false, uploaded: false };
  await publishSignatureLayer(
    { registry, dockerMediaTypes: opts.dockerMediaTypes },
    payload,
    result,
  );
  return { digest, layer: result.layer, location };
}

/**
 * Checks that a text is a sequence of PEM certificates, as sigstore's
 * `cryptoutils.UnmarshalCertificatesFromPEM` requires (surrounding white space allowed).
 *
 * @param pem the PEM text
 * @throws {SyntaxError} "error during PEM decoding", or "Cannot parse certificate: …"
 */
export function checkCertificatesPem(pem: string): void {
  let rest = pem.trim();
  if (rest === "") throw new SyntaxError("error during PEM decoding");
  const block =
    /^-----BEGIN ([^\r\n]*?)-----\r?\n((?:[A-Za-z0-9+/=]*\r?\n)*?)-----END \1-----[ \t]*(?:\r?\n|$)/;
  while (rest !== "") {
    const start = rest.indexOf("-----BEGIN ");
    const m = start < 0 ? null : block.exec(rest.slice(start));
    if (!m) throw new SyntaxError("error during PEM decoding");
    let der: Uint8Array;
    try {
      der = Uint8Array.fromBase64(m[2].replace(/\s+/g, ""));
    } catch {
      throw new SyntaxError("error during PEM decoding");
    }
    certificateSpki(der);
    rest = rest.slice(start + m[0].length).trim();
  }
}

/**
 * The Rekor bundle of a `--rekor-response` file (cosign's `LocalSignedPayload`, the JSON
 * `cosign sign-blob --bundle` writes), as Go re-marshals it into the bundle annotation.
 *
 * @param bytes the file
 * @returns the annotation JSON, or undefined when the file has no `rekorBundle`
 * @throws {SyntaxError} with Go's message when the file is not such JSON
 */
export function rekorBundleFromLocalPayload(bytes: Uint8Array): string | undefined {
  const t: GoType = {
    kind: "struct",
    name: "cosign.LocalSignedPayload",
    fields: [
      { json: "base64Signature", type: { kind: "string" } },
      { json: "cert", type: { kind: "string" }, omitempty: true },
      { json: "rekorBundle", type: { kind: "any" }, omitempty: true },
    ],
  };
  let v: { rekorBundle: unknown };
  try {
    v = decodeGoTyped(parseGoJson(bytes), t) as typeof v;
  } catch (e) {
    throw new SyntaxError((e as Error).message, { cause: e });
  }
  if (v.rekorBundle === null || v.rekorBundle === undefined) return undefined;
  return remarshalRekorBundle(marshalGoJson(v.rekorBundle));
}
