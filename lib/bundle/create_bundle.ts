/**
 * Assembles a Sigstore bundle (v0.3) from material signed earlier, as `cosign bundle create` does
 * (cmd/cosign/cli/bundle/bundle.go, cmd/cosign/cli/verify AssembleNewBundle): a message signature
 * over the artifact's SHA-256 or a DSSE envelope (its first signature, without key ID), the
 * certificate or the key's hint, an RFC 3161 timestamp, and the transparency log entry — looked
 * up in Rekor by the entry the signature would have (cosign FindTlogEntry, proposedEntries:
 * hashedrekord for a signature, dsse and intoto for an envelope), not verified here.
 *
 * @module
 */
import { sha256 } from "../digest.ts";
import { SigstoreError, VerificationError } from "../errors.ts";
import { encodePem } from "../keys/pem.ts";
import { marshalPublicKeyPem, type PublicKey } from "../keys/public_key.ts";
import { type DsseEnvelope, marshalEnvelope } from "../payload/dsse.ts";
import { envelopeProposal, hashedRekordProposal, type RekorClient } from "../rekor/client.ts";
import { hashLeaf } from "../rekor/merkle.ts";
import { decodeStdBase64 } from "../base64.ts";
import type { SigstoreBundle } from "./bundle.ts";
import { bundleEntryFromRekor } from "./marshal_bundle.ts";

/** What {@link createBundle} assembles. */
export interface CreateBundleOptions {
  /** SHA-256 of the artifact (`--artifact`). */
  artifactDigest: Uint8Array;
  /** The raw signature (`--signature`, or a bundle's), used when there is no envelope. */
  signature?: Uint8Array;
  /** A DSSE envelope (`--attestation`, or a bundle's); when it has a signature it is the content. */
  envelope?: DsseEnvelope;
  /** The signing certificate (DER). */
  certificate?: Uint8Array;
  /** The public key, used when there is no certificate (`--key`). */
  publicKey?: PublicKey;
  /** The signed RFC 3161 timestamp (`--rfc3161-timestamp`). */
  rfc3161Timestamp?: Uint8Array;
  /** Where to look the entry up; absent with `--ignore-tlog`. */
  rekor?: RekorClient;
}

function decode(text: string, what: string): Uint8Array {
  try {
    return decodeStdBase64(text);
  } catch (e) {
    throw new SyntaxError(`Cannot decode ${what}: illegal base64 data`, { cause: e });
  }
}

/**
 * Assembles the bundle.
 *
 * @param o the signed material and where to find its log entry
 * @returns the v0.3 bundle (write it with `marshalBundle`)
 * @throws {SyntaxError} for an envelope whose signature or payload is not base64
 * @throws {TypeError} "invalid bundle: validation error: missing verification material" without
 *   a certificate or key
 * @throws {VerificationError} `TLOG_ENTRY_NOT_FOUND` "signature not found in transparency log"
 *   or "unable to find tlog entry", `TLOG_ENTRY_INVALID` "too many tlog entries; should only
 *   have 1"
 * @throws {SigstoreError} `TLOG_REQUEST_FAILED` when the log cannot be searched
 */
export async function createBundle(o: CreateBundleOptions): Promise<SigstoreBundle> {
  const env = o.envelope && o.envelope.signatures.length > 0 ? o.envelope : undefined;
  const bundle: SigstoreBundle = {
    // AssembleNewBundle's spelling of v0.3 (sign-blob writes the other one).
    mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.3",
    version: "0.3",
    verificationMaterial: { tlogEntries: [], rfc3161Timestamps: [] },
  };
  if (env) {
    bundle.dsseEnvelope = {
      payload: decode(env.payload, "envelope payload"),
      payloadType: env.payloadType,
      signatures: [{ sig: decode(env.signatures[0].sig, "envelope signature"), keyid: "" }],
    };
  } else {
    bundle.messageSignature = {
      messageDigest: { algorithm: "SHA2_256", digest: o.artifactDigest },
      signature: o.signature ?? new Uint8Array(),
    };
  }
  const vm = bundle.verificationMaterial;
  if (o.certificate) vm.certificate = o.certificate;
  else if (o.publicKey) vm.publicKeyHint = sha256(o.publicKey.spki).toBase64();
  if (o.rfc3161Timestamp?.length) vm.rfc3161Timestamps.push(o.rfc3161Timestamp);

  if (o.rekor) {
    const pem = new TextEncoder().encode(
      o.certificate
        ? encodePem("CERTIFICATE", o.certificate)
        : o.publicKey
        ? marshalPublicKeyPem(o.publicKey)
        : "",
    );
    const signature = env ? new Uint8Array() : o.signature ?? new Uint8Array();
    // cosign proposes an attestation's entries when there is no raw signature.
    const proposals = signature.length === 0
      ? (() => {
        const text = new TextEncoder().encode(env ? marshalEnvelope(env) : "");
        return [envelopeProposal("dsse", text, pem), envelopeProposal("intoto", text, pem)];
      })()
      : [
        hashedRekordProposal({
          algorithm: "sha256",
          digest: o.artifactDigest,
          signature,
          publicKeyPem: pem,
        }),
      ];
    const found = await o.rekor.searchProposedEntries(proposals).catch((e) => {
      if (e instanceof SigstoreError) {
        throw new SigstoreError(e.code, `searching log query: ${e.message}`, { cause: e });
      }
      throw e;
    });
    if (found.length === 0) {
      throw new VerificationError(
        "TLOG_ENTRY_NOT_FOUND",
        "signature not found in transparency log",
      );
    }
    // cosign verifyUUID: keep the entries whose UUID is the leaf hash of their body.
    const kept = found.filter((e) => {
      try {
        return hashLeaf(Uint8Array.fromBase64(e.body)).toHex() === e.uuid.slice(-64).toLowerCase();
      } catch {
        return false;
      }
    });
    if (kept.length === 0) {
      throw new VerificationError("TLOG_ENTRY_NOT_FOUND", "unable to find tlog entry");
    }
    if (kept.length > 1) {
      throw new VerificationError(
        "TLOG_ENTRY_INVALID",
        "too many tlog entries; should only have 1",
      );
    }
    vm.tlogEntries.push(bundleEntryFromRekor(kept[0]));
  }

  if (!vm.certificate && vm.publicKeyHint === undefined) {
    throw new TypeError("invalid bundle: validation error: missing verification material");
  }
  return bundle;
}
