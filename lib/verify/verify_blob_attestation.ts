/**
 * `cosign verify-blob-attestation --key` without a transparency log (cmd/cosign/cli/verify/
 * verify_blob_attestation.go, pkg/cosign/verify.go, pkg/policy/attestation.go, v2.6.4).
 *
 * Steps, in cosign's order: load the key; hash the blob for the claims check; read the envelope;
 * check its payload type; verify the DSSE signature; check that a subject's sha256 is the blob's
 * (`--check-claims`, the default); check that the statement's predicate type is the one asked for
 * (`--type`, default `custom`, short names mapped to their URI — an exact match).
 *
 * @module
 */
import { describeFsError } from "../atomic_file.ts";
import { nodeCrypto } from "../_node_crypto.ts";
import { IoError, VerificationError } from "../errors.ts";
import { type KeyRefDeps, readKeyRef } from "../keys/key_ref.ts";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import { INTOTO_PAYLOAD_TYPE, parseEnvelope } from "../payload/dsse.ts";
import { GoJsonObject, GoJsonSyntaxError, parseGoJson } from "../payload/go_json.ts";
import { checkTypedStatement, type InTotoStatement, parseStatement } from "../payload/intoto.ts";
import { predicateTypeUri } from "../payload/predicate_types.ts";
import type { BlobInput } from "../blob_input.ts";
import { forEachChunk, readAllBounded } from "../stream.ts";
import { MAX_BUNDLE_BYTES, parseLocalBundle } from "../rekor/blob_bundle.ts";
import type { RekorEntry } from "../rekor/verify_entry.ts";
import { verifyDsse } from "../payload/verify_dsse.ts";
import type { VerifyHash } from "../signature/verify_signature.ts";

/** What {@link verifyBlobAttestation} checks. */
export interface VerifyBlobAttestationOptions {
  /** A public key reference: file path, `env://VAR` or `http(s)://` URL. */
  keyRef: string;
  /** The envelope file (`--signature`); not read when `bundlePath` is given. */
  envelopePath: string;
  /**
   * `--bundle`: cosign's bundle file (LocalSignedPayload); the envelope is its
   * `base64Signature`, and its `rekorBundle` goes to `verifyTlog`.
   */
  bundlePath?: string;
  /**
   * The transparency step, run before the signature is checked (cosign's verifyInternal order):
   * given the envelope and the bundle's log entry (if any), it throws unless verified.
   */
  verifyTlog?: (envelope: Uint8Array, entry: RekorEntry | undefined) => Promise<boolean>;
  /** `--type`: a short name or a predicate type URI. */
  type: string;
  /** `--check-claims` (cosign's default is true). */
  checkClaims: boolean;
  /** Opens the blob for the claims check (after the key was loaded); takes precedence over `digest`. */
  openBlob?: () => Promise<BlobInput>;
  /** `--digest` and `--digestAlg`, used for the claims check when there is no blob. */
  digest?: { hex: string; algorithm: string };
  /** The digest the signature is verified with (`--signature-digest-algorithm`). */
  hash: VerifyHash;
  /** The most bytes read from the envelope file, and from the blob (COSIGN_MAX_ATTACHMENT_SIZE). */
  maxSize: number;
  deps: KeyRefDeps;
}

function fail(
  code: "SIGNATURE_INVALID" | "UNSUPPORTED" | "CLAIMS_MISMATCH",
  detail: string,
  cause?: unknown,
) {
  return new VerificationError(code, `Cannot verify attestation: ${detail}`, { cause });
}

/** Reads the envelope file, bounded (cosign reads it whole with os.ReadFile). */
async function readEnvelope(path: string, maxSize: number): Promise<Uint8Array> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    const code = e instanceof Deno.errors.NotFound ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE";
    throw new IoError(code, `Cannot read attestation ${path}: ${describeFsError(e)}`, { cause: e });
  }
  try {
    if ((await file.stat()).isDirectory) {
      throw new IoError("INPUT_UNREADABLE", `Cannot read attestation ${path}: is a directory`);
    }
    return await readAllBounded(file, maxSize, `attestation ${path}`).catch((e) => {
      if (!(e instanceof RangeError)) throw e;
      throw new IoError(
        "TOO_LARGE",
        `Cannot read attestation ${path}: larger than the limit of ${maxSize} bytes`,
        { cause: e },
      );
    });
  } finally {
    file.close();
  }
}

/**
 * The claims digest, as ggcr's `v1.Hash.String()`: `<algorithm>:<hex>` — the blob's sha256, or
 * `--digest` and `--digestAlg`.
 *
 * @throws {IoError} `TOO_LARGE` for a blob larger than `maxSize`
 * @throws {TypeError} for a `--digest` that is not hex
 */
export async function claimsDigest(
  opts: Pick<VerifyBlobAttestationOptions, "openBlob" | "digest" | "maxSize">,
): Promise<string> {
  if (opts.openBlob) {
    const blob = await opts.openBlob();
    const h = nodeCrypto().createHash("sha256");
    let total = 0;
    await forEachChunk(blob.reader, (chunk) => {
      total += chunk.length;
      if (total > opts.maxSize) {
        throw new IoError(
          "TOO_LARGE",
          `Cannot hash blob: size of layer exceeded the limit (${opts.maxSize})`,
        );
      }
      h.update(chunk);
    }).finally(() => blob.close());
    return `sha256:${h.digest("hex")}`;
  }
  const { hex, algorithm } = opts.digest!;
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new TypeError(
      `Cannot verify attestation: unable to decode provided digest: ${
        hex.length % 2 !== 0 && /^[0-9a-fA-F]*$/.test(hex)
          ? "encoding/hex: odd length hex string"
          : "encoding/hex: invalid byte"
      }`,
    );
  }
  return `${algorithm}:${hex}`;
}

/** Go's `base64.StdEncoding.DecodeString` for the statement (cosign's claim and policy steps). */
function decodePayload(text: unknown, what: string): Uint8Array {
  if (typeof text !== "string") throw fail("SIGNATURE_INVALID", `${what}: payload is not a string`);
  const clean = text.replace(/[\r\n]/g, "");
  if (clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) {
    throw fail("SIGNATURE_INVALID", `${what}: payload is not standard base64`);
  }
  return Uint8Array.fromBase64(clean, { lastChunkHandling: "loose" });
}

function statementOf(bytes: Uint8Array, what: string): InTotoStatement {
  try {
    return parseStatement(bytes);
  } catch (e) {
    if (e instanceof TypeError || e instanceof SyntaxError) {
      throw fail("SIGNATURE_INVALID", `${what}: ${e.message}`, e);
    }
    throw e;
  }
}

/**
 * Verifies a blob attestation.
 *
 * @param opts key, envelope, type, claims and limits
 * @returns the verified statement
 * @throws {KeyError} when the key cannot be read
 * @throws {IoError} `INPUT_NOT_FOUND`, `INPUT_UNREADABLE`, or `TOO_LARGE` for an envelope (or a
 *   blob) larger than `maxSize`
 * @throws {SyntaxError} "Cannot read attestation F: not valid JSON: …"
 * @throws {VerificationError} `UNSUPPORTED` for a payload type other than in-toto's;
 *   `SIGNATURE_INVALID` when no signature verifies ("…accepted signatures do not match
 *   threshold, Found: 0, Expected 1"); `CLAIMS_MISMATCH` when no subject matches ("Cannot verify attestation: no
 *   matching subject digest found") or when the predicate type differs ("Cannot verify
 *   attestation: invalid predicate type, expected slsaprovenance got https://…")
 * @throws {TypeError} for a `--digest` that is not hex
 */
export async function verifyBlobAttestation(
  opts: VerifyBlobAttestationOptions,
): Promise<InTotoStatement> {
  const publicKey = parsePublicKeyPem(await readKeyRef(opts.keyRef, opts.deps));
  const expected = opts.checkClaims ? await claimsDigest(opts) : undefined;
  let bytes: Uint8Array;
  let entry: RekorEntry | undefined;
  let source = opts.envelopePath;
  if (opts.bundlePath !== undefined) {
    const bundle = parseLocalBundle(await readEnvelope(opts.bundlePath, MAX_BUNDLE_BYTES));
    source = opts.bundlePath;
    const b64 = bundle.base64Signature;
    if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) {
      throw new SyntaxError(
        `Cannot read bundle ${opts.bundlePath}: decoding signature: illegal base64 data`,
      );
    }
    bytes = Uint8Array.fromBase64(b64);
    entry = bundle.entry;
  } else {
    bytes = await readEnvelope(opts.envelopePath, opts.maxSize);
  }
  if (opts.verifyTlog) await opts.verifyTlog(bytes, entry);

  let envelope;
  let json;
  try {
    json = parseGoJson(bytes);
    envelope = parseEnvelope(bytes);
  } catch (e) {
    if (!(e instanceof SyntaxError || e instanceof TypeError)) throw e;
    const detail = e instanceof GoJsonSyntaxError ? `not valid JSON: ${e.message}` : e.message;
    throw new SyntaxError(`Cannot read attestation ${source}: ${detail}`, { cause: e });
  }
  // cosign 1.3 and 1.4 wrote the predicate type URI as payloadType (1.5+ write in-toto's media
  // type). Such an envelope is read when, once its signature verified, its statement names that
  // same predicate type; anything else is refused as cosign 2 refuses it.
  const legacyPayloadType = envelope.payloadType !== INTOTO_PAYLOAD_TYPE;
  const refuse = () =>
    fail(
      "UNSUPPORTED",
      `invalid payloadType ${envelope.payloadType} on envelope. Expected ${INTOTO_PAYLOAD_TYPE}`,
    );
  if (legacyPayloadType && !/^https?:\/\//.test(envelope.payloadType)) throw refuse();
  await verifyDsse({ envelope, publicKey, hash: opts.hash });
  if (legacyPayloadType) {
    const statement = statementOf(decodePayload(envelope.payload, "claims"), "claims");
    if (statement.predicateType !== envelope.payloadType) throw refuse();
  }

  if (expected !== undefined) {
    const statement = statementOf(decodePayload(envelope.payload, "claims"), "claims");
    const match = statement.subject.some((s) => {
      const d = s.digest?.get("sha256");
      return d !== undefined && `sha256:${d}` === expected;
    });
    if (!match) throw fail("CLAIMS_MISMATCH", "no matching subject digest found");
  }

  // pkg/policy AttestationToPayloadJSON reads the payload from the envelope as a map: the key
  // must be exactly "payload".
  if (opts.type === "") throw fail("SIGNATURE_INVALID", "missing predicate type");
  const payload = json instanceof GoJsonObject ? json.get("payload") : undefined;
  if (payload === undefined) {
    throw fail("SIGNATURE_INVALID", "could not find payload in payload data");
  }
  const statementBytes = decodePayload(payload, "decoding payload");
  const statement = statementOf(statementBytes, "unmarshal in-toto statement");
  checkPredicate(statement, statementBytes, opts.type);
  return statement;
}

/**
 * cosign's policy step (pkg/policy AttestationToPayloadJSON): the statement's predicate type is
 * the one asked for (`--type`, short names mapped to their URI), and a known type's predicate
 * reads as that type.
 *
 * @throws {VerificationError} `CLAIMS_MISMATCH` ("invalid predicate type, expected … got …"),
 *   `SIGNATURE_INVALID` for a predicate that does not read as its type
 */
export function checkPredicate(
  statement: InTotoStatement,
  statementBytes: Uint8Array,
  type: string,
): void {
  if (type === "") throw fail("SIGNATURE_INVALID", "missing predicate type");
  const want = predicateTypeUri(type);
  if (statement.predicateType !== want) {
    throw fail(
      "CLAIMS_MISMATCH",
      `invalid predicate type, expected ${type} got ${statement.predicateType}`,
    );
  }
  try {
    checkTypedStatement(type, statementBytes);
  } catch (e) {
    if (e instanceof TypeError || e instanceof SyntaxError) {
      throw fail(
        "SIGNATURE_INVALID",
        `converting to consumable policy validation: ${e.message}`,
        e,
      );
    }
    throw e;
  }
}

/** {@link parseStatement} with cosign's wording for a statement that does not read. */
export function readStatement(bytes: Uint8Array, what: string): InTotoStatement {
  return statementOf(bytes, what);
}
