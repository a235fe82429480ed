/**
 * Checking what a transparency log answers to an upload before anything is written or pushed with
 * it. cosign v2.6.4 (pkg/cosign/tlog.go doUpload) takes a 201 answer as it comes and, for a 409,
 * only checks the fetched entry's inclusion proof and SET with the key the log itself serves
 * (VerifyTLogEntryOffline with rekorPubsFromClient). A log that lies — or a proxy in front of it —
 * could then have a signer ship a bundle for an unrelated entry. Here every answer must be the
 * entry that was uploaded, as the verifiers will later check it:
 *
 * 1. its UUID is the leaf hash of its body (with, for an 80-hex UUID, the tree it names)
 * 2. its body is the uploaded entry: same kind and version, signature(s), key, artifact digest
 *    or envelope and payload hashes (lib/rekor/entry_body.ts)
 * 3. it was made by the log whose key we trust (`--trusted-root`, SIGSTORE_REKOR_PUBLIC_KEY) or,
 *    as cosign does on the sign path, the key the log serves (`GET /api/v1/log/publicKey`)
 * 4. its SET verifies with that key
 * 5. its inclusion proof and checkpoint, when the answer has them (Rekor v1 always sends them)
 * 6. its integrated time is sane: not in the future and, for a new entry, not before the upload
 *
 * @module
 */
import { VerificationError } from "../errors.ts";
import type { PublicKey } from "../keys/public_key.ts";
import { parsePublicKeyPem } from "../keys/public_key.ts";
import type { RekorClient, RekorLogEntry } from "./client.ts";
import { type EntryExpectation, parseEntryBody, verifyEntryBodyBinding } from "./entry_body.ts";
import { hashLeaf } from "./merkle.ts";
import {
  type LogKeySelector,
  selectLogKey,
  treeIdOfUuid,
  verifyInclusionProof,
  verifyIntegratedTime,
  verifySet,
} from "./verify_entry.ts";

/** What was uploaded: a hashedrekord of a signature, or a DSSE envelope (dsse or intoto entry). */
export type UploadedEntry =
  | {
    kind: "hashedrekord";
    signature: Uint8Array;
    /** DER of the signer's SPKI (the PEM uploaded). */
    keyDer: Uint8Array;
    digest: { algorithm: "sha256" | "sha384" | "sha512"; value: Uint8Array };
  }
  | {
    kind: "dsse" | "intoto";
    /** The envelope bytes exactly as uploaded. */
    envelope: Uint8Array;
    /** DER of the signer's SPKI. */
    keyDer: Uint8Array;
    /** The envelope's payload type, payload and (one) signature. */
    payloadType: string;
    payload: Uint8Array;
    signature: Uint8Array;
  };

/** How to trust the answer. */
export interface VerifyUploadedEntryOptions {
  /**
   * The log key we trust (SIGSTORE_REKOR_PUBLIC_KEY) or a selector (a trusted root's logs);
   * without it the key is fetched from the log ({@link RekorClient.getPublicKey}), as cosign does.
   */
  logKey?: PublicKey | LogKeySelector;
  /** The log, for its key when `logKey` is not given. */
  client?: RekorClient;
  /** When the upload was sent, in milliseconds (a new entry cannot be older). */
  sentAt?: number;
  /** The current time in milliseconds (default `Date.now()`). */
  now?: number;
}

/** How far a log's clock may be behind ours for a new entry (10 minutes). */
export const UPLOAD_CLOCK_SKEW_MS = 10 * 60_000;

function fail(
  code: ConstructorParameters<typeof VerificationError>[0],
  detail: string,
  cause?: unknown,
): VerificationError {
  return new VerificationError(
    code,
    `Cannot use the transparency log's answer to the upload: ${detail}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * The key to check the log's answers with: the given one, or the log's own (fetched once).
 *
 * @param logKey the trusted key or selector, if any
 * @param client the log
 * @returns a function giving the key or selector
 */
export function uploadLogKey(
  logKey: PublicKey | LogKeySelector | undefined,
  client: RekorClient,
): () => Promise<PublicKey | LogKeySelector> {
  let served: Promise<PublicKey> | undefined;
  return () => {
    if (logKey) return Promise.resolve(logKey);
    served ??= client.getPublicKey().then((pem) => {
      try {
        return parsePublicKeyPem(new TextEncoder().encode(pem));
      } catch (e) {
        throw fail("TLOG_LOG_KEY_UNKNOWN", "the log serves no usable public key", e);
      }
    });
    return served;
  };
}

/**
 * Verifies the entry a log answered an upload with (steps 1 to 6 of the module).
 *
 * @param entry the entry, with `existed` true when the log answered 409 and it was fetched
 * @param uploaded what was uploaded
 * @param options the trusted key (or the log to fetch it from), and the clock
 * @throws {VerificationError} `TLOG_ENTRY_MISMATCH` for an entry about anything else (or whose
 *   UUID is not its body's), `TLOG_ENTRY_INVALID` for another kind or a malformed body,
 *   `TLOG_LOG_KEY_UNKNOWN`, `TLOG_SET_INVALID`, `TLOG_INCLUSION_INVALID`,
 *   `TLOG_CHECKPOINT_INVALID`, `TLOG_TIME_INVALID`; {SigstoreError} `TLOG_REQUEST_FAILED` when
 *   the log's key cannot be fetched
 */
export async function verifyUploadedEntry(
  entry: RekorLogEntry & { existed?: boolean },
  uploaded: UploadedEntry,
  options: VerifyUploadedEntryOptions,
): Promise<void> {
  const wrap = async (step: () => void | Promise<void>) => {
    try {
      await step();
    } catch (e) {
      if (!(e instanceof VerificationError)) throw e;
      throw fail(e.code, e.message.replace(/^Cannot [^:]*: /, ""), e);
    }
  };
  // 1. The UUID names this body.
  let bodyBytes: Uint8Array;
  try {
    bodyBytes = Uint8Array.fromBase64(entry.body);
  } catch (e) {
    throw fail("TLOG_ENTRY_INVALID", "the entry body is not base64", e);
  }
  if (hashLeaf(bodyBytes).toHex() !== entry.uuid.slice(-64).toLowerCase()) {
    throw fail(
      "TLOG_ENTRY_MISMATCH",
      `the body of entry ${entry.uuid} is not the one its UUID names`,
    );
  }
  // 2. The body is what was uploaded.
  await wrap(() => {
    const body = parseEntryBody(bodyBytes);
    const version = "0.0.1";
    if (body.kind !== uploaded.kind || body.apiVersion !== version) {
      throw new VerificationError(
        "TLOG_ENTRY_MISMATCH",
        `Cannot verify: the log answered with a ${body.kind} ${body.apiVersion} entry for a ${uploaded.kind} ${version} upload`,
      );
    }
    const expected: EntryExpectation = { key: uploaded.keyDer };
    if (uploaded.kind === "hashedrekord") {
      expected.messageSignature = {
        signature: uploaded.signature,
        artifactDigest: uploaded.digest,
      };
    } else {
      expected.envelope = uploaded.envelope;
      expected.singleSignature = true;
      expected.dsse = {
        payloadType: uploaded.payloadType,
        payload: uploaded.payload,
        signatures: [uploaded.signature],
      };
    }
    if (body.signatures.length !== 1) {
      throw new VerificationError(
        "TLOG_ENTRY_MISMATCH",
        `Cannot verify: the entry records ${body.signatures.length} signatures, one was uploaded`,
      );
    }
    verifyEntryBodyBinding(body, expected);
  });
  // 3. and 4. The trusted log made it and signed its timestamp.
  const trusted = options.logKey ??
    (options.client ? await uploadLogKey(undefined, options.client)() : undefined);
  if (!trusted) throw fail("TLOG_LOG_KEY_UNKNOWN", "no log key to verify the entry with");
  await wrap(async () => {
    const key = selectLogKey(entry, trusted);
    await verifySet(entry, key);
    // 5. The inclusion proof and the tree head it leads to.
    if (entry.verification?.inclusionProof) {
      await verifyInclusionProof(entry, key, { treeId: treeIdOfUuid(entry.uuid) });
    }
    // 6. A sane time.
    const now = options.now ?? Date.now();
    verifyIntegratedTime(entry, now);
    if (
      !entry.existed && options.sentAt !== undefined &&
      entry.integratedTime * 1000 < options.sentAt - UPLOAD_CLOCK_SKEW_MS
    ) {
      throw new VerificationError(
        "TLOG_TIME_INVALID",
        `Cannot verify: the new entry's integrated time ${entry.integratedTime} is before the upload`,
      );
    }
  });
}
