/**
 * Transparency log entry bodies and their binding to what they vouch for, in one place for every
 * path that checks an entry about a signature: Sigstore bundles (sigstore-go pkg/tlog entry.go,
 * verify.VerifyTlogEntry's comparison of the entry with the bundle's content) and cosign's old
 * bundles of attestations (pkg/cosign/verify.go VerifyBundle: comparePublicKey, bundleHash).
 *
 * Kinds read: hashedrekord 0.0.1 (Rekor v1), hashedrekord 0.0.2 (Rekor v2, rekor-tiles protobuf
 * JSON), dsse 0.0.1, intoto 0.0.1 (what `attest --rekor-entry-type intoto` uploads) and intoto
 * 0.0.2 (Rekor pkg/types canonical bodies).
 *
 * The binding ({@link verifyEntryBodyBinding}) checks, as asked: the key or certificate every
 * signature in the entry names; the signature; the artifact or message digest (hashedrekord);
 * the DSSE payload hash, payload type and first signature (dsse, intoto, or a Rekor v2
 * hashedrekord of the PAE); and the SHA-256 of the exact envelope bytes (dsse `envelopeHash`,
 * intoto `content.hash`), which covers payload and signatures, so an entry spliced from another
 * attestation fails.
 *
 * @module
 */
import { sha256 } from "../digest.ts";
import { VerificationError } from "../errors.ts";
import { decodePem } from "../keys/pem.ts";
import { pae } from "../payload/dsse.ts";

/** A digest named by an entry, with the algorithm normalised (`sha256`, `sha384`, `sha512`). */
export interface EntryDigest {
  algorithm: string;
  value: Uint8Array;
}

/**
 * One signature an entry records, with its verifier (DER of a public key or certificate). An
 * intoto 0.0.1 entry records only the key, not the signature.
 */
export interface EntrySignature {
  signature?: Uint8Array;
  verifier: Uint8Array;
}

/** What an entry body records. */
export interface EntryBody {
  kind: string;
  apiVersion: string;
  signatures: EntrySignature[];
  /** hashedrekord: the artifact digest (for DSSE content in v0.0.2: of the PAE). */
  digest?: EntryDigest;
  /** dsse, intoto: the digest of the envelope payload. */
  payloadHash?: EntryDigest;
  /** intoto 0.0.2: the envelope's payload type. */
  payloadType?: string;
  /** dsse, intoto: the hash of the whole envelope (dsse `envelopeHash`, intoto `content.hash`). */
  envelopeHash?: EntryDigest;
}

function bad(detail: string): VerificationError {
  return new VerificationError(
    "TLOG_ENTRY_INVALID",
    `Cannot read transparency log entry: ${detail}`,
  );
}

function b64(v: unknown, what: string): Uint8Array {
  if (typeof v !== "string" || v.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
    throw bad(`${what} is not base64`);
  }
  return Uint8Array.fromBase64(v);
}

function hex(v: unknown, what: string): Uint8Array {
  if (typeof v !== "string" || !/^([0-9a-fA-F]{2})+$/.test(v)) throw bad(`${what} is not hex`);
  return Uint8Array.fromHex(v.toLowerCase());
}

/** The DER inside a base64 PEM (hashedrekord 0.0.1, dsse, intoto verifiers). */
function pemDer(v: unknown, what: string): Uint8Array {
  const pem = decodePem(b64(v, what));
  if (!pem) throw bad(`${what} is not PEM`);
  return pem.bytes;
}

const ALGORITHMS: Record<string, string> = {
  sha256: "sha256",
  sha384: "sha384",
  sha512: "sha512",
  SHA2_256: "sha256",
  SHA2_384: "sha384",
  SHA2_512: "sha512",
};

function digestOf(algorithm: unknown, value: Uint8Array): EntryDigest {
  return { algorithm: ALGORITHMS[String(algorithm)] ?? String(algorithm), value };
}

/** A `{algorithm, value}` hex hash, when the body has one. */
// deno-lint-ignore no-explicit-any
function optionalDigest(h: any, what: string): EntryDigest | undefined {
  if (h === undefined || h === null) return undefined;
  if (typeof h.algorithm !== "string") throw bad(`${what} has no algorithm`);
  return digestOf(h.algorithm, hex(h.value, what));
}

/**
 * Decodes an entry body.
 *
 * @param body the canonicalized body: its bytes (Sigstore bundles) or their base64 (Rekor API)
 * @returns the signatures, verifiers and digests it records
 * @throws {VerificationError} `TLOG_ENTRY_INVALID` for a malformed body or another kind
 */
export function parseEntryBody(body: Uint8Array | string): EntryBody {
  const bytes = typeof body === "string" ? b64(body, "body") : body;
  // deno-lint-ignore no-explicit-any
  let v: any;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw bad("the body is not JSON");
  }
  const kind = v?.kind, apiVersion = v?.apiVersion, spec = v?.spec;
  if (typeof spec !== "object" || spec === null) throw bad("the body has no spec");
  try {
    // cosign 1.x logged `rekord` 0.0.1 entries: the hashedrekord record with a signature format
    // (only x509 names a key cosign can have used); it binds like a hashedrekord.
    const rekord = kind === "rekord" && apiVersion === "0.0.1" && spec.signature?.format === "x509";
    if ((kind === "hashedrekord" && apiVersion === "0.0.1") || rekord) {
      return {
        kind: "hashedrekord",
        apiVersion,
        signatures: [{
          signature: b64(spec.signature?.content, "spec.signature.content"),
          verifier: pemDer(spec.signature?.publicKey?.content, "spec.signature.publicKey"),
        }],
        digest: digestOf(spec.data?.hash?.algorithm, hex(spec.data?.hash?.value, "spec.data.hash")),
      };
    }
    if (kind === "hashedrekord" && apiVersion === "0.0.2") {
      const h = spec.hashedRekordV002;
      const verifier = h?.signature?.verifier;
      const raw = verifier?.publicKey?.rawBytes ?? verifier?.x509Certificate?.rawBytes;
      return {
        kind,
        apiVersion,
        signatures: [{
          signature: b64(h?.signature?.content, "signature.content"),
          verifier: b64(raw, "signature.verifier"),
        }],
        digest: digestOf(h?.data?.algorithm, b64(h?.data?.digest, "data.digest")),
      };
    }
    if (kind === "dsse" && apiVersion === "0.0.1") {
      const sigs = spec.signatures;
      if (!Array.isArray(sigs) || sigs.length === 0 || sigs.length > 16) {
        throw bad("spec.signatures is missing");
      }
      return {
        kind,
        apiVersion,
        // deno-lint-ignore no-explicit-any
        signatures: sigs.map((s: any, i: number) => ({
          signature: b64(s?.signature, `spec.signatures[${i}].signature`),
          verifier: pemDer(s?.verifier, `spec.signatures[${i}].verifier`),
        })),
        payloadHash: optionalDigest(spec.payloadHash, "payloadHash"),
        envelopeHash: optionalDigest(spec.envelopeHash, "envelopeHash"),
      };
    }
    if (kind === "intoto" && apiVersion === "0.0.1") {
      return {
        kind,
        apiVersion,
        signatures: [{ verifier: pemDer(spec.publicKey, "spec.publicKey") }],
        payloadHash: optionalDigest(spec.content?.payloadHash, "payloadHash"),
        envelopeHash: optionalDigest(spec.content?.hash, "content.hash"),
      };
    }
    if (kind === "intoto" && apiVersion === "0.0.2") {
      const env = spec.content?.envelope;
      const sigs = env?.signatures;
      if (!Array.isArray(sigs) || sigs.length === 0 || sigs.length > 16) {
        throw bad("spec.content.envelope.signatures is missing");
      }
      return {
        kind,
        apiVersion,
        // The intoto type stores each signature base64-encoded twice (strfmt.Base64 of the text).
        // deno-lint-ignore no-explicit-any
        signatures: sigs.map((s: any, i: number) => ({
          signature: b64(new TextDecoder().decode(b64(s?.sig, `signatures[${i}].sig`)), "sig"),
          verifier: pemDer(s?.publicKey, `signatures[${i}].publicKey`),
        })),
        payloadHash: optionalDigest(spec.content?.payloadHash, "payloadHash"),
        payloadType: typeof env.payloadType === "string" ? env.payloadType : undefined,
        envelopeHash: optionalDigest(spec.content?.hash, "content.hash"),
      };
    }
  } catch (e) {
    if (e instanceof VerificationError) throw e;
    throw bad(`malformed ${kind} ${apiVersion} body`);
  }
  throw bad(`unsupported entry kind ${String(kind)} ${String(apiVersion)}`);
}

/** What an entry must be about; each field given is checked. */
export interface EntryExpectation {
  /** DER of the SPKI of the verification key (key-based verification). */
  key?: Uint8Array;
  /** DER of the signing certificate (when there is no key). */
  certificate?: Uint8Array;
  /** A message signature: the entry is a hashedrekord of this signature. */
  messageSignature?: {
    signature: Uint8Array;
    /** The digest the bundle names (`messageSignature.messageDigest`). */
    messageDigest?: EntryDigest;
    /** The digest of the artifact being verified. */
    artifactDigest?: EntryDigest;
  };
  /** A DSSE envelope's content and signatures (Sigstore bundles). */
  dsse?: { payloadType: string; payload: Uint8Array; signatures: Uint8Array[] };
  /** The envelope bytes exactly as stored (cosign's old bundles): its SHA-256 is the entry's. */
  envelope?: Uint8Array;
  /** cosign's old bundles: a DSSE entry must record one signature. */
  singleSignature?: boolean;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The binding step: the entry body records the expected key or certificate, signature(s) and
 * digests — an entry spliced from another signature fails (CVE-2022-36056 is this step missing).
 *
 * @param body the parsed entry body
 * @param expected what the entry must record
 * @throws {VerificationError} `TLOG_ENTRY_MISMATCH`; `TLOG_ENTRY_INVALID` for several signatures
 *   when `singleSignature` (cosign: "multiple signatures on DSSE envelopes are not currently
 *   supported")
 */
export function verifyEntryBodyBinding(body: EntryBody, expected: EntryExpectation): void {
  const mismatch = (d: string) =>
    new VerificationError("TLOG_ENTRY_MISMATCH", `Cannot verify transparency log entry: ${d}`);
  if (expected.singleSignature && body.kind !== "hashedrekord" && body.signatures.length > 1) {
    throw bad("multiple signatures on DSSE envelopes are not currently supported");
  }
  // The key or certificate.
  if (expected.key) {
    if (!body.signatures.every((s) => equal(s.verifier, expected.key!))) {
      throw mismatch("public key in the entry does not match the verification key");
    }
  } else if (expected.certificate) {
    if (!body.signatures.every((s) => equal(s.verifier, expected.certificate!))) {
      throw mismatch("transparency log certificate does not match");
    }
  } else {
    throw mismatch("no verification key or certificate to compare the entry with");
  }
  const first = body.signatures[0]?.signature;
  const sameSignature = (sig: Uint8Array | undefined) => {
    if (!sig || !first || !equal(first, sig)) {
      throw mismatch("transparency log signature does not match");
    }
  };
  const ms = expected.messageSignature;
  if (ms) {
    if (body.kind !== "hashedrekord" || !body.digest) {
      throw mismatch(`a ${body.kind} entry cannot record a message signature`);
    }
    sameSignature(ms.signature);
    const d = body.digest;
    const named = ms.messageDigest;
    if (named && (named.algorithm !== d.algorithm || !equal(named.value, d.value))) {
      throw mismatch("the entry's digest is not the bundle's message digest");
    }
    const artifact = ms.artifactDigest;
    if (artifact && (artifact.algorithm !== d.algorithm || !equal(artifact.value, d.value))) {
      throw mismatch(
        `matching bundle to payload: bundle="${d.value.toHex()}", payload="${artifact.value.toHex()}"`,
      );
    }
  }
  const env = expected.dsse;
  if (env) {
    if (body.kind === "hashedrekord") {
      // Rekor v2 logs DSSE content as a hashedrekord of the PAE.
      if (
        body.digest?.algorithm !== "sha256" ||
        !equal(body.digest.value, sha256(pae(env.payloadType, env.payload)))
      ) {
        throw mismatch("the entry's digest is not the DSSE envelope's");
      }
      if (env.signatures.length !== 1) throw mismatch("transparency log signature does not match");
      sameSignature(env.signatures[0]);
    } else {
      if (
        body.payloadHash?.algorithm !== "sha256" ||
        !equal(body.payloadHash.value, sha256(env.payload))
      ) {
        throw mismatch("digest of the DSSE payload does not match the entry's payload hash");
      }
      if (body.payloadType !== undefined && body.payloadType !== env.payloadType) {
        throw mismatch("the DSSE payload type does not match the entry's");
      }
      // sigstore-go compares the first signatures (tlog.Entry.Signature, the envelope's first);
      // an intoto 0.0.1 entry records none, its envelope hash covers them.
      if (!(body.kind === "intoto" && body.apiVersion === "0.0.1")) {
        sameSignature(env.signatures[0]);
      }
    }
  }
  if (expected.envelope) {
    const h = body.envelopeHash;
    if (!h) throw mismatch(`a ${body.kind} entry records no envelope hash`);
    if (h.algorithm !== "sha256") throw mismatch(`unexpected algorithm: "${h.algorithm}"`);
    const actual = sha256(expected.envelope);
    if (!equal(h.value, actual)) {
      throw mismatch(
        `matching bundle to payload: bundle="${h.value.toHex()}", payload="${actual.toHex()}"`,
      );
    }
  }
}
