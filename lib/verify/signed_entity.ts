/**
 * The one shape every fetched signature is normalised into before verification: a registry
 * layer, a cosign bundle file, a Sigstore bundle, or a signature file beside a blob all become a
 * {@link SignedEntity} (sigstore-go's `SignedEntity`, pkg/verify/signed_entity.go).
 *
 * @module
 */
import type { SigstoreBundle } from "../bundle/bundle.ts";
import type { PublicKey } from "../keys/public_key.ts";
import type { DsseEnvelope } from "../payload/dsse.ts";
import type { RekorEntry } from "../rekor/verify_entry.ts";
import type { ByteReader } from "../stream.ts";
import type { VerifiedCertificateMaterial } from "./verify_certificate_material.ts";

/** A signed entity: what was signed, with what, and the evidence that came with it. */
export interface SignedEntity {
  /** What was signed and the signature over it. */
  content: SignedContent;
  /** The verification material the signature carries. */
  material: VerificationMaterial;
  /** The transparency log evidence. */
  tlog: TlogEvidence;
  /** RFC 3161 timestamps the signature carries (DER), checked when the policy asks. */
  timestamps?: Uint8Array[];
  /**
   * How the failing step names the entity in errors, e.g. "Cannot verify the bundle" (the step's
   * own messages keep the wording cosign's commands have always printed).
   */
  subject: "signature" | "attestation";
  /**
   * The format's claims (the policy step): a simple-signing payload's image digest and
   * annotations, an in-toto statement's subjects and predicate type. Built by the entry point
   * from the policy's claims (ClaimsPolicy); runs last, after every proof verified.
   */
  checkClaims?: (facts: VerifiedFacts) => void | Promise<void>;
}

/** What was signed. */
export type SignedContent = PayloadContent | BlobContent | EnvelopeContent;

/** A message held in memory (an image signature's simple-signing payload). */
export interface PayloadContent {
  kind: "payload";
  payload: Uint8Array;
  signature: Uint8Array;
}

/**
 * A message read once as a stream (a blob): its digest is known only once the signature step has
 * read it, so the transparency-log step runs after the signature step for blobs.
 */
export interface BlobContent {
  kind: "blob";
  reader: ByteReader;
  signature: Uint8Array;
  /** The digest the log entry (or bundle) names the blob by, computed while reading. */
  digestAlgorithm: "sha256" | "sha384" | "sha512";
  /**
   * The digest the signature says it is over (a Sigstore bundle's `messageDigest`): checked in
   * the signature step against the blob's.
   */
  claimedDigest?: Uint8Array;
}

/** A DSSE envelope (an attestation). */
export interface EnvelopeContent {
  kind: "envelope";
  /** The envelope as stored: what cosign's old log entries are bound to (old formats only). */
  raw?: Uint8Array;
  /** Reads the envelope; its errors carry the entry point's wording. */
  envelope: () => DsseEnvelope;
  /**
   * cosign 1.3/1.4 envelopes name the predicate type as `payloadType`: accepted when the signed
   * statement names the same type (old formats only; Sigstore bundles check it as a claim).
   */
  legacyPayloadType?: boolean;
}

/** The verification material a signature carries. */
export type VerificationMaterial =
  | { kind: "none" }
  /** A key hint (a Sigstore bundle's `publicKey`): only a key policy can verify it. */
  | { kind: "key" }
  /**
   * A certificate and chain (DER). `only`: the entity can be verified with it alone (a Sigstore
   * bundle, cosign's blob bundle); otherwise a key policy ignores it, as cosign does for image
   * signatures that carry one.
   */
  | { kind: "certificate"; certificate: Uint8Array; chain: Uint8Array[]; only: boolean };

/** The transparency log evidence that came with the signature. */
export type TlogEvidence =
  /** None: the entry is looked up online (old formats). */
  | { kind: "none" }
  /** cosign's `bundle.RekorBundle` (an annotation's JSON, or a bundle file's `rekorBundle`). */
  | { kind: "rekor"; entry: RekorEntry | string }
  /** A Sigstore bundle's entries, verified against the trusted root. */
  | { kind: "bundle"; bundle: SigstoreBundle };

/** What the steps established, handed to the claims check. */
export interface VerifiedFacts {
  /** The key the signature verified with. */
  publicKey: PublicKey;
  /** Whether a log entry was verified (cosign's `bundleVerified`). */
  tlogVerified: boolean;
  /** The blob's digest, for blob content (with its {@link BlobContent.digestAlgorithm}). */
  artifactDigest?: Uint8Array;
  /** The statement a DSSE envelope carried (decoded payload), once its signature verified. */
  statement?: Uint8Array;
  /** Keyless: what the certificate step established (chain, signing times, identity, fields). */
  certificate?: VerifiedCertificateMaterial;
}
