/**
 * Keyless signing's signer: an ephemeral ECDSA P-256 key that lives only in memory, an OIDC
 * identity token, and a Fulcio certificate binding the key to the token's identity — cosign's
 * `KeylessSigner` (cmd/cosign/cli/sign/sign.go, cli/fulcio/fulcio.go and
 * fulcio/fulcioverifier). The result is a {@link Signer} that also carries the certificate and
 * chain cosign stores: the `dev.sigstore.cosign/certificate` and `dev.sigstore.cosign/chain`
 * annotations, the old bundle's `cert`, the Sigstore bundle's `verificationMaterial.certificate`.
 *
 * What cosign prints on the way, through `print`: "Generating ephemeral keys...", the flows'
 * messages, "Retrieving signed certificate...", and "Successfully verified SCT..." once the
 * certificate's SCT verified.
 *
 * @module
 */
import { createSign, generateKeyPairSync, type KeyObject } from "node:crypto";
import {
  type FulcioApiVersion,
  FulcioClient,
  type FulcioClientOptions,
  type FulcioSct,
  type ProofOfPossession,
} from "../fulcio/fulcio_client.ts";
import { createCertificateRequest } from "../fulcio/certificate_request.ts";
import { publicKeyFromKeyObject } from "../keys/public_key.ts";
import {
  checkIdentityToken,
  identityTokenSubject,
  parseIdentityToken,
} from "../oidc/identity_token.ts";
import {
  retrieveIdentityToken,
  type RetrieveIdentityTokenOptions,
} from "../oidc/retrieve_identity_token.ts";
import type { Signer } from "../signature/signer.ts";
import { bytesReader, forEachChunk } from "../stream.ts";
import { SigstoreError } from "../errors.ts";

/** What an SCT check gets: the certificate, its chain and how its SCT came. */
export interface SctVerificationInput {
  certificateDer: Uint8Array;
  /** Issuer first, root last. */
  chainDer: Uint8Array[];
  sct: FulcioSct;
}

/**
 * Verifies a certificate's SCT against the CT logs the caller trusts (cosign's
 * `VerifySCT`/`VerifySignedCertificateTimestamp`); throws when it does not verify.
 */
export type SctVerifier = (input: SctVerificationInput) => Promise<void> | void;

/** An already obtained token (`--identity-token` read by the caller), with its checks. */
export interface GivenIdentityToken {
  token: string;
  /** The audience it must carry (default `sigstore`; `null` skips the check). */
  audience?: string | null;
  now?: Date;
}

/** What {@link createKeylessSigner} needs. */
export interface KeylessSignerOptions extends Omit<FulcioClientOptions, "retry"> {
  /** `--fulcio-url`. */
  fulcioUrl: string;
  /**
   * Where the identity comes from: a token, or everything `retrieveIdentityToken` needs to find
   * or obtain one (flag, file, ambient providers, browser/device flows).
   */
  identity: GivenIdentityToken | RetrieveIdentityTokenOptions;
  /**
   * A signer to certify instead of a fresh ephemeral key (`--issue-certificate` with `--key`).
   * Its key must be one Fulcio accepts; Ed25519ph signers are not (cosign: "ed25519ph
   * unsupported by Fulcio").
   */
  signer?: Signer;
  /** Fulcio API: `v1` as cosign v2.6.4 (default), `v2` as sigstore-go (signing configs). */
  api?: FulcioApiVersion;
  /** The proof of possession: a signed subject (cosign's and sigstore-go's) or a CSR. */
  proof?: "signed-subject" | "csr";
  /**
   * Checks the certificate's SCT before the certificate is used; `null` skips the check
   * (`--insecure-skip-verify`, and nothing is printed about it).
   */
  verifySct: SctVerifier | null;
  /** Writes one line to standard error. */
  print?(line: string): void;
  /** Retry Fulcio on 429/5xx (default false, as cosign). */
  retryFulcio?: boolean;
}

/** A signer holding a Fulcio certificate. */
export interface KeylessSigner extends Signer {
  /** The leaf certificate, PEM, as cosign stores it. */
  certificatePem: string;
  /** The rest of the chain, PEM, as cosign stores it (issuer first). */
  chainPem: string;
  certificateDer: Uint8Array;
  chainDer: Uint8Array[];
  sct: FulcioSct;
  /** The identity proven to Fulcio (the token's e-mail address, else its subject). */
  subject: string;
  /** The token's issuer (`iss`). */
  issuer?: string;
}

/**
 * Creates the ephemeral key (unless a signer is given), gets the identity token, asks Fulcio for
 * a certificate, checks it certifies our key, and verifies its SCT.
 *
 * The ephemeral private key is a `node:crypto` KeyObject held by the returned signer only; it is
 * never exported or written anywhere and goes away with the signer.
 *
 * @param options Fulcio URL, identity, SCT check, printing
 * @returns the signer with its certificate
 * @throws {IdentityError} from the identity token (`OIDC_*` codes)
 * @throws {SigstoreError} `FULCIO_REQUEST_FAILED`, `FULCIO_RESPONSE_INVALID`; the SCT check's own
 *   error when it throws a `SigstoreError`, else `FULCIO_SCT_INVALID` "Cannot verify SCT: …"
 * @throws {VerificationError} `FULCIO_KEY_MISMATCH` when Fulcio certified another key
 */
export async function createKeylessSigner(options: KeylessSignerOptions): Promise<KeylessSigner> {
  const print = options.print ?? (() => {});
  let signer = options.signer;
  if (!signer) {
    print("Generating ephemeral keys...");
    signer = ephemeralSigner();
  }
  const identity = "token" in options.identity
    ? givenToken(options.identity)
    : await retrieveIdentityToken(options.identity);
  let proof: ProofOfPossession;
  if (options.proof === "csr") {
    proof = { csrDer: (await createCertificateRequest(signer)).der };
  } else {
    const signature = await signer.sign(bytesReader(new TextEncoder().encode(identity.subject)));
    proof = { publicKey: signer.publicKey, signature };
  }
  print("Retrieving signed certificate...");
  const fulcio = new FulcioClient(options.fulcioUrl, { ...options, retry: options.retryFulcio });
  const cert = await fulcio.signingCertificate({
    idToken: identity.token.raw,
    proof,
    api: options.api,
  });
  if (options.verifySct) {
    try {
      await options.verifySct({
        certificateDer: cert.certificateDer,
        chainDer: cert.chainDer,
        sct: cert.sct,
      });
    } catch (e) {
      // A coded error (lib/x509's SCT checks) keeps its code; anything else is wrapped.
      if (e instanceof SigstoreError) throw e;
      throw new SigstoreError("FULCIO_SCT_INVALID", `Cannot verify SCT: ${(e as Error).message}`, {
        cause: e,
      });
    }
    print("Successfully verified SCT...");
  }
  return {
    publicKey: signer.publicKey,
    hash: signer.hash,
    sign: (reader) => signer.sign(reader),
    certificatePem: cert.certificatePem,
    chainPem: cert.chainPem,
    certificateDer: cert.certificateDer,
    chainDer: cert.chainDer,
    sct: cert.sct,
    subject: identity.subject,
    issuer: identity.token.issuer,
  };
}

function givenToken(given: GivenIdentityToken) {
  const token = parseIdentityToken(given.token);
  const subject = identityTokenSubject(token);
  checkIdentityToken(token, {
    audience: given.audience === undefined ? "sigstore" : given.audience,
    now: given.now,
  });
  return { token, subject };
}

/**
 * An ECDSA P-256 / SHA-256 signer over a fresh key (cosign's `GeneratePrivateKey` and
 * `LoadECDSASignerVerifier(priv, crypto.SHA256)`): ASN.1 DER signatures.
 */
export function ephemeralSigner(): Signer {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const key: KeyObject = privateKey;
  return {
    publicKey: publicKeyFromKeyObject(publicKey),
    hash: "sha256",
    async sign(reader) {
      const s = createSign("sha256");
      await forEachChunk(reader, (chunk) => s.update(chunk));
      return new Uint8Array(s.sign(key));
    },
  };
}
