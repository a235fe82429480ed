/**
 * `cosign verify-blob --bundle F --trusted-root R` for a Sigstore bundle (the new bundle format),
 * key-based: the message signature verifies over the streamed blob with the key, the bundle's
 * message digest is the blob's, and the bundle's log entries verify against the trusted root
 * (lib/bundle verifyBundleTlog) — as cosign's VerifyNewBundle with sigstore-go does it.
 *
 * @module
 */
import { VerificationError } from "../errors.ts";
import { parseBundle, type SigstoreBundle } from "../bundle/bundle.ts";
import { checkBundleContent } from "../bundle/check_bundle_content.ts";
import { verifyBundleTlog } from "../bundle/verify_bundle_tlog.ts";
import { type KeyRefDeps, readKeyRef } from "../keys/key_ref.ts";
import { parsePublicKeyPem, type PublicKey } from "../keys/public_key.ts";
import { hashingReader } from "../rekor/blob_bundle.ts";
import type { ByteReader } from "../stream.ts";
import type { TrustedRoot } from "../trust/trusted_root.ts";
import { verifySignature } from "../signature/verify_signature.ts";

/** Options for {@link verifyBlobBundle}. */
export interface VerifyBlobBundleOptions {
  /** The bundle file's bytes. */
  bundle: Uint8Array;
  trustedRoot: TrustedRoot;
  /** A public key reference (`--key`); without it the bundle's certificate would be used. */
  keyRef?: string;
  /** The digest the key verifies with (cosign's --signature-digest-algorithm). */
  hash: "sha256" | "sha384" | "sha512";
  /** The blob. */
  input: ByteReader;
  deps: KeyRefDeps;
  /** `--insecure-ignore-tlog`: the bundle's log entries are not checked. */
  ignoreTlog?: boolean;
  /** The current time in milliseconds (default `Date.now()`). */
  now?: number;
}

const ALGORITHMS: Record<string, "sha256" | "sha384" | "sha512"> = {
  SHA2_256: "sha256",
  SHA2_384: "sha384",
  SHA2_512: "sha512",
};

function unsupported(detail: string): VerificationError {
  return new VerificationError("UNSUPPORTED", `Cannot verify the bundle: ${detail}`);
}

/**
 * Verifies a blob against a Sigstore bundle with a key and a trusted root.
 *
 * @returns the parsed bundle
 * @throws {TypeError | SyntaxError} when the bundle is malformed or of an unsupported version
 * @throws {VerificationError} `SIGNATURE_INVALID` when the signature or message digest does not
 *   match the blob; the `TLOG_*` code of the failed log check; `UNSUPPORTED` for DSSE content
 *   and for bundles that carry a certificate (keyless), after their log entries were checked
 */
export async function verifyBlobBundle(options: VerifyBlobBundleOptions): Promise<SigstoreBundle> {
  const bundle = parseBundle(options.bundle);
  checkBundleContent(bundle);
  const vm = bundle.verificationMaterial;
  const certificate = vm.certificate ?? vm.x509CertificateChain?.[0];
  const ms = bundle.messageSignature;
  if (!ms) {
    throw unsupported("verify-blob of DSSE envelopes (attestations) is not supported yet");
  }
  if (!certificate && !options.keyRef) {
    throw unsupported("it names a public key: pass it with --key");
  }
  if (certificate) {
    // Check what we can (the log entries and their binding to this certificate), then refuse.
    if (!options.ignoreTlog) {
      await verifyBundleTlog(bundle, { trustedRoot: options.trustedRoot, now: options.now });
    }
    throw unsupported(
      "it carries a certificate (keyless); certificate verification is not supported yet",
    );
  }
  const publicKey: PublicKey = parsePublicKeyPem(
    await readKeyRef(options.keyRef!, options.deps),
  );
  const named = ms.messageDigest;
  const algorithm = named ? ALGORITHMS[named.algorithm] : "sha256";
  if (!algorithm) {
    throw new VerificationError(
      "SIGNATURE_INVALID",
      `Cannot verify the bundle: unsupported message digest algorithm ${named!.algorithm}`,
    );
  }
  const hashed = hashingReader(options.input, algorithm);
  await verifySignature({
    publicKey,
    hash: options.hash,
    signature: ms.signature,
    reader: hashed.reader,
  });
  const digest = await hashed.digest();
  if (
    named &&
    (named.digest.length !== digest.length || !named.digest.every((b, i) => b === digest[i]))
  ) {
    // sigstore-go ignores the message digest when it has the artifact; a bundle whose digest is
    // not the artifact's is inconsistent, so we refuse it.
    throw new VerificationError(
      "SIGNATURE_INVALID",
      "Cannot verify the bundle: artifact does not match digest",
    );
  }
  if (!options.ignoreTlog) {
    await verifyBundleTlog(bundle, {
      trustedRoot: options.trustedRoot,
      keyDer: publicKey.spki,
      artifactDigest: { algorithm, value: digest },
      now: options.now,
    });
  }
  return bundle;
}
