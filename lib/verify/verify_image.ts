/**
 * Verifying container image signatures the way `cosign verify --key` does (pkg/cosign/verify.go
 * `VerifyImageSignatures` → `verifySignatures` → `verifyInternal`), and printing the result as
 * cmd/cosign/cli/verify/verify.go `PrintVerificationHeader` / `PrintVerification` do.
 *
 * Steps, in cosign's order: resolve the digest (a missing tag → `TAG_NOT_FOUND`, exit 11); read
 * the signature image (none, or no layers → `NO_SIGNATURES`, exit 10); then for every layer: size
 * limit, payload download, signature annotation, and the layer as a signed entity through
 * {@link verifyEntity} (transparency log, signature, and with the policy's claims check the
 * payload's digest and annotations). When no layer passes, the per-layer reasons are joined as
 * cosign joins them (`NO_MATCHING_SIGNATURE`, exit 12).
 *
 * @module
 */

import { settleInOrder } from "../concurrency.ts";
import { decodeStdBase64 } from "../base64.ts";
import { SigstoreError, VerificationError } from "../errors.ts";
import {
  BUNDLE_ANNOTATION,
  CERTIFICATE_ANNOTATION,
  CHAIN_ANNOTATION,
  fetchSignaturePayload,
  readSignatureImage,
  RFC3161_TIMESTAMP_ANNOTATION,
  SIGNATURE_ANNOTATION,
} from "../oci/cosign_signatures.ts";
import { isNotFound } from "../registry/is_not_found.ts";
import { cosignAttachmentLocation, type CosignTagOptions } from "../oci/cosign_tags.ts";
import { findSignatureReferrer } from "../oci/signature_referrer.ts";
import type { Descriptor, Reference, Registry, Repository } from "../registry/types.ts";
import { DEFAULT_MAX_ATTACHMENT_SIZE } from "../payload/attachment_size.ts";
import { goJsonString, marshalGoJson, parseJsonBounded } from "../payload/go_json.ts";
import {
  checkSimpleSigningClaims,
  marshalSimpleSigning,
  parseSimpleSigningPayload,
  type SimpleSigningPayload,
} from "../payload/simple_signing.ts";
import type { VerificationPolicy } from "./verification_policy.ts";
import { verifyEntity } from "./verify_entity.ts";
import { annotationMaterial, annotationTimestamps, pemBlocks } from "./_cosign_material.ts";
import { type Certificate, parseCertificate } from "../x509/certificate.ts";
import { cosignCertificateFields } from "../x509/fulcio_extensions.ts";

/** At most this many signatures are processed (cosign pkg/cosign/fetch.go `maxAllowedSigsOrAtts`). */
export const MAX_SIGNATURES = 100;
/** Signature layers fetched and verified at once (16 measured best against distribution 2.8 on loopback). */
const CONCURRENCY = 16;

/** A signature layer as stored, with its payload. */
export interface SignatureLayer {
  /** The layer's descriptor in the signature manifest. */
  descriptor: Descriptor;
  payload: Uint8Array;
  base64Signature: string;
  certificate?: string;
  chain?: string;
  bundle?: string;
  rfc3161Timestamp?: string;
}

/** What {@link verifyImage} checks. */
export interface VerifyImageOptions extends CosignTagOptions {
  registry: Registry;
  /** The image; a tag is resolved to its digest. */
  ref: Reference;
  /**
   * Who signed, how the log is checked, and the claims (`check`, default true: the payload names
   * the image digest and carries `annotations`).
   */
  policy: VerificationPolicy;
  /** `COSIGN_MAX_ATTACHMENT_SIZE` in bytes. */
  maxAttachmentSize?: number;
  /** The most signature layers processed; more is an error (default {@link MAX_SIGNATURES}). */
  maxSignatures?: number;
  /**
   * `verify --experimental-oci11`: read the signatures from the image's OCI 1.1 signature referrer
   * (lib/oci/signature_referrer.ts) instead of the `.sig` tag; the layers are verified the same
   * way (pkg/cosign/verify.go `verifyImageSignaturesExperimentalOCI` → `verifySignatures`).
   */
  oci11Referrer?: boolean;
  /** With `oci11Referrer`: told how many signature referrers were listed, once they are. */
  onReferrers?: (count: number) => void;
}

/** A signature that passed every check. */
export interface VerifiedSignature extends SignatureLayer {
  /** Whether the transparency-log step verified a bundle offline. */
  bundleVerified: boolean;
}

/** The result of {@link verifyImage}. */
export interface VerifyImageResult {
  /** The verified image digest. */
  digest: string;
  /** Where the signatures were read: a tag, or with `oci11Referrer` the referrer's digest. */
  location: { repo: Repository; tag: string };
  /** With `oci11Referrer`: the referrer read, and how many signature referrers were listed. */
  referrer?: { digest: string; count: number };
  /** The signatures that passed, in layer order. */
  signatures: VerifiedSignature[];
  /** Whether any signature's bundle was verified offline. */
  bundleVerified: boolean;
}

/**
 * Verifies the signatures of an image.
 *
 * @param opts the image, key(s) and checks
 * @returns the verified signatures
 * @throws {VerificationError} `TAG_NOT_FOUND` "image tag not found: …" (exit 11);
 *   `NO_SIGNATURES` "no signatures found" (exit 10), or with `oci11Referrer` "unable to locate
 *   reference with artifactType …"; `NO_MATCHING_SIGNATURE` "no matching
 *   signatures: <reason>\n <reason>…" (exit 12)
 * @throws {SigstoreError} `TOO_MANY` "maximum number of signatures on an image is 100, found N",
 *   or "number of layers (N) exceeded the limit (1000)"
 * @throws {RegistryError} for other registry failures
 */
export async function verifyImage(opts: VerifyImageOptions): Promise<VerifyImageResult> {
  const { registry, ref } = opts;
  const repo: Repository = { registry: ref.registry, repository: ref.repository };
  let digest = ref.digest;
  if (!digest) {
    try {
      digest = (await registry.getManifest(repo, ref.tag ?? "latest")).digest;
    } catch (e) {
      if (isNotFound(e)) {
        throw new VerificationError(
          "TAG_NOT_FOUND",
          `image tag not found: ${(e as Error).message}`,
          {
            cause: e,
          },
        );
      }
      throw e;
    }
  }
  let location = cosignAttachmentLocation(repo, digest, "sig", opts);
  let referrer: VerifyImageResult["referrer"];
  if (opts.oci11Referrer) {
    // cosign reads the referrer from the image's repository, whatever COSIGN_REPOSITORY says.
    const found = await findSignatureReferrer(registry, repo, digest);
    referrer = { digest: found.descriptor.digest, count: found.count };
    opts.onReferrers?.(found.count);
    location = { repo, tag: found.descriptor.digest };
  }
  const image = await readSignatureImage(registry, location.repo, location.tag);
  const layers = image?.manifest.layers ?? [];
  if (layers.length === 0) throw new VerificationError("NO_SIGNATURES", "no signatures found");
  const max = opts.maxSignatures ?? MAX_SIGNATURES;
  if (layers.length > max) {
    throw new SigstoreError(
      "TOO_MANY",
      `maximum number of signatures on an image is ${max}, found ${layers.length}`,
    );
  }
  const results = await settleInOrder(
    layers,
    CONCURRENCY,
    (layer) => verifyLayer(opts, location.repo, layer, digest),
  );
  const signatures = results.filter((r): r is VerifiedSignature => !(r instanceof Error));
  if (signatures.length === 0) {
    const errors = results as Error[];
    throw new VerificationError(
      "NO_MATCHING_SIGNATURE",
      `no matching signatures: ${errors.map(reason).join("\n ")}`,
      { cause: new AggregateError(errors, "every signature failed") },
    );
  }
  return {
    digest,
    location,
    ...(referrer ? { referrer } : {}),
    signatures,
    bundleVerified: signatures.some((s) => s.bundleVerified),
  };
}

/** The reason cosign prints for a failed layer: sigstore's message without our step prefix. */
function reason(e: Error): string {
  return e.message.replace(/^Cannot verify signature: /, "");
}

async function verifyLayer(
  opts: VerifyImageOptions,
  repo: Repository,
  descriptor: Descriptor,
  digest: string,
): Promise<VerifiedSignature> {
  // static.Copy: payload (size-checked) first, then the signature annotation.
  const payload = await fetchSignaturePayload(
    opts.registry,
    repo,
    descriptor,
    opts.maxAttachmentSize ?? DEFAULT_MAX_ATTACHMENT_SIZE,
  );
  const ann = descriptor.annotations ?? {};
  const base64Signature = ann[SIGNATURE_ANNOTATION];
  if (base64Signature === undefined) {
    throw new VerificationError(
      "SIGNATURE_INVALID",
      `signature layer ${descriptor.digest} is missing "${SIGNATURE_ANNOTATION}" annotation`,
    );
  }
  const layer: SignatureLayer = { descriptor, payload, base64Signature };
  if (ann[CERTIFICATE_ANNOTATION]) layer.certificate = ann[CERTIFICATE_ANNOTATION];
  if (ann[CHAIN_ANNOTATION]) layer.chain = ann[CHAIN_ANNOTATION];
  if (ann[BUNDLE_ANNOTATION]) layer.bundle = ann[BUNDLE_ANNOTATION];
  if (ann[RFC3161_TIMESTAMP_ANNOTATION]) {
    layer.rfc3161Timestamp = ann[RFC3161_TIMESTAMP_ANNOTATION];
  }
  const claims = opts.policy.claims;
  const facts = await verifyEntity(opts.policy, {
    content: { kind: "payload", payload, signature: decodeStdBase64(base64Signature) },
    material: annotationMaterial(ann),
    tlog: layer.bundle ? { kind: "rekor", entry: layer.bundle } : { kind: "none" },
    timestamps: annotationTimestamps(ann),
    subject: "signature",
    // cosign's SimpleClaimVerifier: the payload names this image, with the wanted annotations.
    checkClaims: (claims?.check ?? true)
      ? () => {
        const problem = checkSimpleSigningClaims(
          parseSimpleSigningPayload(payload),
          digest,
          claims?.annotations,
        );
        if (problem) throw new VerificationError("SIGNATURE_INVALID", problem);
      }
      : undefined,
  });
  return { ...layer, bundleVerified: facts.tlogVerified };
}

/** What {@link renderVerificationHeader} describes. */
export interface VerificationHeaderOptions {
  /** The image as cosign names it (`ref.Name()`: `registry/repo:tag` or `registry/repo@digest`). */
  ref: string;
  checkClaims: boolean;
  /** Whether annotations were given (`-a`). */
  annotations: boolean;
  bundleVerified: boolean;
  /** Whether an online Rekor client was configured (tlog not ignored). */
  rekorOnline?: boolean;
  /** Whether a public key was given (`--key`). */
  publicKey: boolean;
  /** Whether a certificate was verified against Fulcio roots. */
  fulcioVerified?: boolean;
}

/**
 * The stderr lines `cosign verify` prints after a successful verification
 * (cmd/cosign/cli/verify/verify.go `PrintVerificationHeader`; each `ui.Infof` ends in "\n").
 *
 * @param o what was checked
 * @returns the text, starting with an empty line
 */
export function renderVerificationHeader(o: VerificationHeaderOptions): string {
  const lines = [
    `\nVerification for ${o.ref} --`,
    "The following checks were performed on each of these signatures:",
  ];
  if (o.checkClaims) {
    if (o.annotations) lines.push("  - The specified annotations were verified.");
    lines.push("  - The cosign claims were validated");
  }
  if (o.bundleVerified) {
    lines.push("  - Existence of the claims in the transparency log was verified offline");
  } else if (o.rekorOnline) {
    lines.push("  - The claims were present in the transparency log");
    lines.push(
      "  - The signatures were integrated into the transparency log when the certificate was valid",
    );
  }
  if (o.publicKey) lines.push("  - The signatures were verified against the specified public key");
  if (o.fulcioVerified) {
    lines.push(
      "  - The code-signing certificate was verified using trusted certificate authority certificates",
    );
  }
  return lines.map((l) => `${l}\n`).join("");
}

/**
 * What `cosign verify` prints to stdout (`PrintVerification`): with `text`, each payload as stored
 * followed by "\n"; otherwise (`json`, the default) "\n", a JSON array of the payloads re-marshalled
 * as Go's `SimpleContainerImage` (unknown fields dropped, `optional` keys sorted; a Rekor bundle or
 * RFC 3161 timestamp added to `optional` as `Bundle` / `RFC3161Timestamp`), and "\n".
 *
 * @param signatures the verified signatures
 * @param output `json` or `text`
 * @param extraOptional per-signature fields to add to `optional` (certificate subject, issuer … —
 *   computed by the caller for keyless signatures)
 * @returns the stdout text
 */
export function renderVerificationOutput(
  signatures: SignatureLayer[],
  output: "json" | "text" | string = "json",
  extraOptional?: (s: SignatureLayer) => Record<string, unknown> | undefined,
): string {
  const dec = new TextDecoder();
  if (output === "text") return signatures.map((s) => `${dec.decode(s.payload)}\n`).join("");
  const items: string[] = [];
  for (const s of signatures) {
    let p: SimpleSigningPayload;
    try {
      p = parseSimpleSigningPayload(s.payload);
    } catch (e) {
      return `error decoding the payload: ${(e as Error).message}\n`;
    }
    const extra: Record<string, string> = {};
    for (const [k, v] of Object.entries(extraOptional?.(s) ?? {})) extra[k] = marshalGoJson(v);
    if (s.bundle) {
      const b = rekorBundleJson(s.bundle);
      if (b) extra.Bundle = b;
    }
    if (s.rfc3161Timestamp) {
      const t = rfc3161Json(s.rfc3161Timestamp);
      if (t) extra.RFC3161Timestamp = t;
    }
    if (Object.keys(extra).length === 0) {
      items.push(marshalSimpleSigning(p));
      continue;
    }
    // Merge pre-marshalled values into `optional`, keeping Go's sorted map order.
    const merged: Record<string, string> = {};
    for (const [k, v] of Object.entries(p.optional ?? {})) merged[k] = marshalGoJson(v);
    Object.assign(merged, extra);
    const optional = `{${
      Object.keys(merged).sort().map((k) => `${goJsonString(k)}:${merged[k]}`).join(",")
    }}`;
    items.push(
      marshalSimpleSigning({ ...p, optional: null }).replace(
        /"optional":null}$/,
        `"optional":${optional}}`,
      ),
    );
  }
  return `\n[${items.join(",")}]\n`;
}

/** cosign `bundle.RekorBundle` as Go re-marshals it, or undefined when it does not parse. */
function rekorBundleJson(text: string): string | undefined {
  try {
    const b = parseJsonBounded(text, "bundle", 64) as Record<string, unknown>;
    const p = (b.Payload ?? {}) as Record<string, unknown>;
    const set = b.SignedEntryTimestamp;
    return `{"SignedEntryTimestamp":${
      typeof set === "string" ? goJsonString(set) : "null"
    },"Payload":{"body":${marshalGoJson(p.body ?? null)},"integratedTime":${
      Number(p.integratedTime ?? 0)
    },"logIndex":${Number(p.logIndex ?? 0)},"logID":${goJsonString(String(p.logID ?? ""))}}}`;
  } catch {
    return undefined;
  }
}

/** cosign `bundle.RFC3161Timestamp` as Go re-marshals it. */
function rfc3161Json(text: string): string | undefined {
  try {
    const t = parseJsonBounded(text, "timestamp", 64) as Record<string, unknown>;
    const v = t.SignedRFC3161Timestamp;
    return `{"SignedRFC3161Timestamp":${typeof v === "string" ? goJsonString(v) : "null"}}`;
  } catch {
    return undefined;
  }
}

/**
 * The certificate fields cosign's `PrintVerification` adds to each payload's `optional` in JSON
 * output (Subject, Issuer and the GitHub workflow values, by name and by OID), for a signature
 * whose certificate annotation reads as a certificate; pass it as `extraOptional` to
 * {@link renderVerificationOutput}.
 *
 * @param signature the verified signature (its `certificate` annotation)
 * @returns the fields, or undefined without a certificate
 */
export function certificateOptional(
  signature: { certificate?: string },
): Record<string, unknown> | undefined {
  const cert = annotationCertificate(signature.certificate);
  return cert ? { ...cosignCertificateFields(cert) } : undefined;
}

/**
 * The lines cosign's `PrintVerification` writes to stderr for a signature with a certificate in
 * its "text" mode (`verify -o text`, and always for `verify-attestation`): "Certificate subject:
 * …", then the issuer URL and the GitHub workflow values that are present.
 *
 * @param certificate the certificate annotation (PEM)
 * @returns the lines, each ending in "\n" ("" without a readable certificate)
 */
export function renderCertificateSummary(certificate: string | undefined): string {
  const cert = annotationCertificate(certificate);
  if (!cert) return "";
  const f = cosignCertificateFields(cert);
  const lines = [`Certificate subject: ${f.Subject}`];
  if (f.Issuer) lines.push(`Certificate issuer URL: ${f.Issuer}`);
  const named: [keyof typeof f, string][] = [
    ["githubWorkflowTrigger", "GitHub Workflow Trigger"],
    ["githubWorkflowSha", "GitHub Workflow SHA"],
    ["githubWorkflowName", "GitHub Workflow Name"],
    ["githubWorkflowRepository", "GitHub Workflow Repository"],
    ["githubWorkflowRef", "GitHub Workflow Ref"],
  ];
  for (const [key, label] of named) if (f[key]) lines.push(`${label}: ${f[key]}`);
  return lines.map((l) => `${l}\n`).join("");
}

/** The certificate of an annotation (cosign `sig.Cert()`), or undefined when it does not read. */
function annotationCertificate(pem: string | undefined): Certificate | undefined {
  const [der] = pemBlocks(pem);
  if (!der) return undefined;
  try {
    return parseCertificate(der);
  } catch {
    return undefined;
  }
}
