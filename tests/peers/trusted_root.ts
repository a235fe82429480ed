/**
 * Writes a Sigstore trusted root (`application/vnd.dev.sigstore.trustedroot+json;version=0.1`,
 * sigstore/protobuf-specs `TrustedRoot`, the JSON mapping of protobuf) naming local peers: the
 * Fulcio CA chain, the Rekor key, the CT log key and, for later, timestamp authorities. Go cosign
 * v2.6.4 reads it with `--trusted-root` (sigstore-go `root.NewTrustedRootFromPath`).
 *
 * Transparency logs (Rekor and CT alike) are identified by their log ID, the SHA-256 of the
 * DER SubjectPublicKeyInfo (RFC 6962 §3.2; Rekor does the same), which is what bundles and SCTs
 * carry. Certificate chains are listed leaf-most first (intermediate, then root), as in the
 * public-good trusted root.
 *
 * @module
 */

/** A validity window (RFC 3339 instants); `end` absent means "still valid". */
export interface ValidFor {
  start: string;
  end?: string;
}

/** A transparency log (Rekor or CT) for the trusted root. */
export interface TrustedLog {
  baseUrl: string;
  /** The log's public key, PEM (`PUBLIC KEY`). */
  publicKeyPem: string;
  validFor: ValidFor;
}

/** A certificate authority (Fulcio) or timestamp authority for the trusted root. */
export interface TrustedAuthority {
  uri: string;
  /** The chain, PEM, leaf-most first (intermediate(s), then root). */
  chainPem: string;
  subject: { organization: string; commonName: string };
  validFor: ValidFor;
}

/** What goes into the trusted root; every list may be empty. */
export interface TrustedRootInput {
  certificateAuthorities?: TrustedAuthority[];
  tlogs?: TrustedLog[];
  ctlogs?: TrustedLog[];
  timestampAuthorities?: TrustedAuthority[];
}

/** The DER bodies of every PEM block of `type` in `pem`, in order. */
export function pemBlocks(pem: string, type: string): Uint8Array[] {
  const re = new RegExp(`-----BEGIN ${type}-----([^-]+)-----END ${type}-----`, "g");
  return [...pem.matchAll(re)].map((m) => Uint8Array.fromBase64(m[1].replace(/\s+/g, "")));
}

function includes(haystack: Uint8Array, needle: number[]): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/**
 * The protobuf-specs `PublicKeyDetails` name of an SPKI, from its algorithm OIDs.
 *
 * @param spki DER SubjectPublicKeyInfo
 * @returns e.g. `PKIX_ECDSA_P256_SHA_256`
 * @throws {TypeError} for a key type the local peers do not use
 */
export function keyDetails(spki: Uint8Array): string {
  if (includes(spki, [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07])) {
    return "PKIX_ECDSA_P256_SHA_256"; // prime256v1, RFC 5480
  }
  if (includes(spki, [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22])) return "PKIX_ECDSA_P384_SHA_384";
  if (includes(spki, [0x06, 0x03, 0x2b, 0x65, 0x70])) return "PKIX_ED25519"; // RFC 8410
  if (includes(spki, [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01])) {
    return "PKIX_RSA_PKCS1V15_2048_SHA256";
  }
  throw new TypeError("Cannot describe public key: unsupported algorithm");
}

async function log(entry: TrustedLog) {
  const [spki] = pemBlocks(entry.publicKeyPem, "PUBLIC KEY");
  if (!spki) throw new TypeError(`Cannot read log key of ${entry.baseUrl}: no PUBLIC KEY block`);
  const logId = new Uint8Array(await crypto.subtle.digest("SHA-256", spki as BufferSource));
  return {
    baseUrl: entry.baseUrl,
    hashAlgorithm: "SHA2_256",
    publicKey: {
      rawBytes: spki.toBase64(),
      keyDetails: keyDetails(spki),
      validFor: entry.validFor,
    },
    logId: { keyId: logId.toBase64() },
  };
}

function authority(entry: TrustedAuthority) {
  const certs = pemBlocks(entry.chainPem, "CERTIFICATE");
  if (!certs.length) throw new TypeError(`Cannot read chain of ${entry.uri}: no CERTIFICATE block`);
  return {
    subject: entry.subject,
    uri: entry.uri,
    certChain: { certificates: certs.map((c) => ({ rawBytes: c.toBase64() })) },
    validFor: entry.validFor,
  };
}

/**
 * Builds the trusted root document.
 *
 * @param input the authorities and logs to trust
 * @returns the JSON object (stringify it to write)
 * @throws {TypeError} when a PEM input holds no key or certificate
 */
export async function trustedRoot(input: TrustedRootInput): Promise<Record<string, unknown>> {
  return {
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    tlogs: await Promise.all((input.tlogs ?? []).map(log)),
    certificateAuthorities: (input.certificateAuthorities ?? []).map(authority),
    ctlogs: await Promise.all((input.ctlogs ?? []).map(log)),
    timestampAuthorities: (input.timestampAuthorities ?? []).map(authority),
  };
}

/**
 * Writes the trusted root to `path` (pretty-printed, two spaces, trailing newline).
 *
 * @param path where to write
 * @param input the authorities and logs to trust
 * @returns the document written
 */
export async function writeTrustedRootFile(
  path: string,
  input: TrustedRootInput,
): Promise<Record<string, unknown>> {
  const doc = await trustedRoot(input);
  await Deno.writeTextFile(path, JSON.stringify(doc, null, 2) + "\n");
  return doc;
}
