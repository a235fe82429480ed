/**
 * `cosign verify-blob-attestation --key` with cosign's envelope file or bundle file
 * (cmd/cosign/cli/verify/verify_blob_attestation.go, pkg/cosign/verify.go,
 * pkg/policy/attestation.go, v2.6.4).
 *
 * Steps, in cosign's order: hash the blob for the claims check; read the envelope; then the
 * envelope as a signed entity through {@link verifyEntity}: the transparency log (the bundle's
 * entry offline, or a lookup), its payload type, the DSSE signature, and the claims — a subject's
 * sha256 is the blob's (`--check-claims`, the default) and the statement's predicate type is the
 * one asked for (`--type`, default `custom`, short names mapped to their URI — an exact match).
 *
 * @module
 */
import { describeFsError } from "../atomic_file.ts";
import { nodeCrypto } from "../_node_crypto.ts";
import { IoError, VerificationError } from "../errors.ts";
import { decodeStdBase64 } from "../base64.ts";
import { type DsseEnvelope, parseEnvelope } from "../payload/dsse.ts";
import { GoJsonObject, GoJsonSyntaxError, parseGoJson } from "../payload/go_json.ts";
import { checkTypedStatement, type InTotoStatement, parseStatement } from "../payload/intoto.ts";
import { predicateTypeUri } from "../payload/predicate_types.ts";
import type { BlobInput } from "../blob_input.ts";
import { forEachChunk, readAllBounded } from "../stream.ts";
import { MAX_BUNDLE_BYTES, parseLocalBundle } from "../rekor/blob_bundle.ts";
import type { VerificationPolicy } from "./verification_policy.ts";
import type { VerificationMaterial } from "./signed_entity.ts";
import { verifyEntity } from "./verify_entity.ts";
import { bundleCertificate } from "./_cosign_material.ts";

/** What {@link verifyBlobAttestation} checks. */
export interface VerifyBlobAttestationOptions {
  /**
   * Who signed, how the log is checked, and the claims (`check`: a subject names the blob;
   * `type`: the predicate type, default `custom`).
   */
  policy: VerificationPolicy;
  /** The envelope file (`--signature`); not read when `bundlePath` is given. */
  envelopePath: string;
  /**
   * `--bundle`: cosign's bundle file (LocalSignedPayload); the envelope is its
   * `base64Signature`, and its `rekorBundle` the log entry verified offline.
   */
  bundlePath?: string;
  /** Opens the blob for the claims check; takes precedence over `digest`. */
  openBlob?: () => Promise<BlobInput>;
  /** `--digest` and `--digestAlg`, used for the claims check when there is no blob. */
  digest?: { hex: string; algorithm: string };
  /** The most bytes read from the envelope file, and from the blob (COSIGN_MAX_ATTACHMENT_SIZE). */
  maxSize: number;
  /** `--rfc3161-timestamp`: the DER timestamp response, over the envelope. */
  rfc3161Timestamp?: Uint8Array;
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
  try {
    return decodeStdBase64(text);
  } catch (e) {
    throw fail("SIGNATURE_INVALID", `${what}: payload is not standard base64`, e);
  }
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
 * @param opts policy, envelope, blob and limits
 * @returns the verified statement
 * @throws {IoError} `INPUT_NOT_FOUND`, `INPUT_UNREADABLE`, or `TOO_LARGE` for an envelope (or a
 *   blob) larger than `maxSize`
 * @throws {SyntaxError} "Cannot read attestation F: not valid JSON: …"
 * @throws {VerificationError} `UNSUPPORTED` for a payload type other than in-toto's;
 *   `SIGNATURE_INVALID` when no signature verifies ("…accepted signatures do not match
 *   threshold, Found: 0, Expected 1"); `CLAIMS_MISMATCH` when no subject matches ("Cannot verify attestation: no
 *   matching subject digest found") or when the predicate type differs ("Cannot verify
 *   attestation: invalid predicate type, expected slsaprovenance got https://…"); the codes of
 *   {@link verifyEntity}
 * @throws {TypeError} for a `--digest` that is not hex
 */
export async function verifyBlobAttestation(
  opts: VerifyBlobAttestationOptions,
): Promise<InTotoStatement> {
  const claims = opts.policy.claims ?? {};
  const type = claims.type ?? "custom";
  const expected = (claims.check ?? true) ? await claimsDigest(opts) : undefined;
  let bytes: Uint8Array;
  let entry;
  let bundleCert: Uint8Array | undefined;
  let source = opts.envelopePath;
  if (opts.bundlePath !== undefined) {
    const bundle = parseLocalBundle(await readEnvelope(opts.bundlePath, MAX_BUNDLE_BYTES));
    bundleCert = bundle.cert ? bundleCertificate(bundle.cert) : undefined;
    source = opts.bundlePath;
    try {
      bytes = decodeStdBase64(bundle.base64Signature);
    } catch (e) {
      throw new SyntaxError(
        `Cannot read bundle ${opts.bundlePath}: decoding signature: illegal base64 data`,
        { cause: e },
      );
    }
    entry = bundle.entry;
  } else {
    bytes = await readEnvelope(opts.envelopePath, opts.maxSize);
  }

  let read: { json: unknown; envelope: DsseEnvelope } | undefined;
  const parse = () => {
    if (read) return read;
    try {
      read = { json: parseGoJson(bytes), envelope: parseEnvelope(bytes) };
      return read;
    } catch (e) {
      if (!(e instanceof SyntaxError || e instanceof TypeError)) throw e;
      const detail = e instanceof GoJsonSyntaxError ? `not valid JSON: ${e.message}` : e.message;
      throw new SyntaxError(`Cannot read attestation ${source}: ${detail}`, { cause: e });
    }
  };
  let result: InTotoStatement | undefined;
  await verifyEntity(opts.policy, {
    content: {
      kind: "envelope",
      raw: bytes,
      envelope: () => parse().envelope,
      legacyPayloadType: true,
    },
    material: material(opts.policy, bundleCert),
    tlog: entry ? { kind: "rekor", entry } : { kind: "none" },
    timestamps: opts.rfc3161Timestamp ? [opts.rfc3161Timestamp] : undefined,
    subject: "attestation",
    checkClaims: () => {
      const { json, envelope } = parse();
      if (expected !== undefined) {
        const statement = statementOf(decodePayload(envelope.payload, "claims"), "claims");
        const match = statement.subject.some((s) => {
          const d = s.digest?.get("sha256");
          return d !== undefined && `sha256:${d}` === expected;
        });
        if (!match) throw fail("CLAIMS_MISMATCH", "no matching subject digest found");
      }
      // pkg/policy AttestationToPayloadJSON reads the payload from the envelope as a map: the
      // key must be exactly "payload".
      if (type === "") throw fail("SIGNATURE_INVALID", "missing predicate type");
      const payload = json instanceof GoJsonObject ? json.get("payload") : undefined;
      if (payload === undefined) {
        throw fail("SIGNATURE_INVALID", "could not find payload in payload data");
      }
      const statementBytes = decodePayload(payload, "decoding payload");
      result = statementOf(statementBytes, "unmarshal in-toto statement");
      checkPredicate(result, statementBytes, type);
    },
  });
  return result!;
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

/**
 * The certificate a keyless verification uses: `--certificate`, else the bundle's (cosign refuses
 * the two when they differ, and a bundle without one when no key or certificate is given).
 */
function material(
  policy: VerificationPolicy,
  bundleCert: Uint8Array | undefined,
): VerificationMaterial {
  const given = "certificate" in policy.signer ? policy.signer.certificate : undefined;
  if (!given) {
    return bundleCert
      ? { kind: "certificate", certificate: bundleCert, chain: [], only: true }
      : { kind: "none" };
  }
  if (
    given.certificate && bundleCert &&
    (bundleCert.length !== given.certificate.length ||
      !bundleCert.every((b, i) => b === given.certificate![i]))
  ) {
    throw new VerificationError(
      "SIGNATURE_INVALID",
      "the cert passed in does not match the cert in the provided bundle",
    );
  }
  const certificate = given.certificate ?? bundleCert;
  return certificate
    ? { kind: "certificate", certificate, chain: [], only: true }
    : { kind: "none" };
}
