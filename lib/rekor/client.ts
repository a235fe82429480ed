/**
 * A small Rekor v1 API client (openapi.yaml of sigstore/rekor v1.5.4): create a hashedrekord
 * entry, fetch entries by UUID or index, search by proposed entry, and read the log's info and
 * public key. Every response body is read with a limit.
 *
 * @module
 */
import { sha256 } from "../digest.ts";
import { SigstoreError } from "../errors.ts";
import { type HttpOptions, httpRequest, readBodyBounded } from "../http.ts";
import { parseRekorEntry, type RekorEntry } from "./verify_entry.ts";

/** Most bytes read from one Rekor response. */
export const MAX_REKOR_RESPONSE = 4 * 1024 * 1024;

/** A log entry with its UUID. */
export interface RekorLogEntry extends RekorEntry {
  uuid: string;
}

/** The hashedrekord v0.0.1 proposed entry cosign uploads (pkg/cosign/tlog.go rekorEntry). */
export interface HashedRekordRequest {
  /** sha256, sha384 or sha512 */
  algorithm: string;
  /** The artifact digest. */
  digest: Uint8Array;
  signature: Uint8Array;
  /** PEM of the public key or certificate, as cosign's `sv.Bytes()` gives it. */
  publicKeyPem: Uint8Array;
}

/**
 * The proposed-entry JSON for a hashedrekord v0.0.1 entry.
 *
 * @returns the JSON value
 */
export function hashedRekordProposal(req: HashedRekordRequest): Record<string, unknown> {
  return {
    apiVersion: "0.0.1",
    kind: "hashedrekord",
    spec: {
      data: { hash: { algorithm: req.algorithm, value: req.digest.toHex() } },
      signature: {
        content: req.signature.toBase64(),
        publicKey: { content: req.publicKeyPem.toBase64() },
      },
    },
  };
}

/** The entry kinds cosign uploads a DSSE envelope as (`--rekor-entry-type`). */
export type EnvelopeEntryType = "dsse" | "intoto";

/**
 * The proposed-entry JSON for a DSSE envelope: a dsse v0.0.1 entry (`proposedContent` with the
 * envelope text and the verifier's PEM) or an intoto v0.0.1 entry (the envelope text, its
 * SHA-256, and the PEM), as cosign's dsseEntry / intotoEntry build them through Rekor's
 * CreateFromArtifactProperties (pkg/types/{dsse,intoto}/v0.0.1). Rekor verifies the envelope's
 * signature with the key and stores only hashes, signature and key in the canonical body.
 *
 * @param type `dsse` (cosign's default) or `intoto`
 * @param envelope the DSSE envelope bytes exactly as signed and stored
 * @param publicKeyPem the PEM of the public key or certificate
 * @returns the JSON value
 */
export function envelopeProposal(
  type: EnvelopeEntryType,
  envelope: Uint8Array,
  publicKeyPem: Uint8Array,
): Record<string, unknown> {
  const text = new TextDecoder().decode(envelope);
  if (type === "dsse") {
    return {
      apiVersion: "0.0.1",
      kind: "dsse",
      spec: {
        proposedContent: { envelope: text, verifiers: [publicKeyPem.toBase64()] },
      },
    };
  }
  return {
    apiVersion: "0.0.1",
    kind: "intoto",
    spec: {
      content: {
        envelope: text,
        hash: {
          algorithm: "sha256",
          value: sha256(envelope).toHex(),
        },
      },
      publicKey: publicKeyPem.toBase64(),
    },
  };
}

function requestFailed(what: string, status: number, detail = ""): SigstoreError {
  return new SigstoreError(
    "TLOG_REQUEST_FAILED",
    `Cannot ${what}: the transparency log answered HTTP ${status}${detail ? `: ${detail}` : ""}`,
  );
}

async function errorDetail(res: Response): Promise<string> {
  try {
    const body = JSON.parse(new TextDecoder().decode(await readBodyBounded(res, 64 * 1024)));
    return typeof body?.message === "string" ? body.message.slice(0, 500) : "";
  } catch {
    return "";
  }
}

function entriesOf(value: unknown): RekorLogEntry[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SigstoreError(
      "TLOG_ENTRY_INVALID",
      "Cannot read transparency log entry: not an object",
    );
  }
  return Object.entries(value).map(([uuid, e]) => ({ uuid, ...parseRekorEntry(e) }));
}

/** A client of one Rekor server. */
export class RekorClient {
  readonly baseUrl: string;
  readonly #http: HttpOptions;

  /**
   * @param baseUrl e.g. `https://rekor.sigstore.dev`
   * @param http fetch, timeouts, retries
   */
  constructor(baseUrl: string, http: HttpOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.#http = http;
  }

  async #json(res: Response, what: string): Promise<unknown> {
    const bytes = await readBodyBounded(res, MAX_REKOR_RESPONSE, `${what} response`);
    try {
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new SigstoreError("TLOG_ENTRY_INVALID", `Cannot ${what}: the response is not JSON`, {
        cause: e,
      });
    }
  }

  /**
   * Uploads a hashedrekord entry. When the log already has it (409), the existing entry is
   * fetched by the UUID at the end of the `Location` header, as cosign doUpload does.
   *
   * @returns the entry, with its SET and inclusion proof
   * @throws {SigstoreError} `TLOG_REQUEST_FAILED`, `TLOG_ENTRY_INVALID`; {IoError} `NETWORK`
   */
  createEntry(req: HashedRekordRequest): Promise<RekorLogEntry & { existed: boolean }> {
    return this.createProposedEntry(hashedRekordProposal(req));
  }

  /**
   * Uploads any proposed entry (e.g. {@link envelopeProposal}); 409 is handled as in
   * {@link createEntry}.
   *
   * @returns the entry, with its SET and inclusion proof
   * @throws {SigstoreError} `TLOG_REQUEST_FAILED`, `TLOG_ENTRY_INVALID`; {IoError} `NETWORK`
   */
  async createProposedEntry(
    proposal: Record<string, unknown>,
  ): Promise<RekorLogEntry & { existed: boolean }> {
    const res = await httpRequest({
      url: `${this.baseUrl}/api/v1/log/entries`,
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(proposal),
      // Uploading the same entry twice is harmless: the log answers 409 the second time.
      retry: true,
    }, this.#http);
    if (res.status === 409) {
      const location = res.headers.get("location") ?? "";
      await res.body?.cancel().catch(() => {});
      const uuid = location.split("/").pop() ?? "";
      if (!/^[0-9a-fA-F]{64}([0-9a-fA-F]{16})?$/.test(uuid) && !/^[0-9a-fA-F]{80}$/.test(uuid)) {
        throw requestFailed("upload the entry", 409, "entry exists but no valid Location");
      }
      return { ...(await this.getEntryByUuid(uuid)), existed: true };
    }
    if (res.status !== 201) {
      throw requestFailed("upload the entry", res.status, await errorDetail(res));
    }
    const entries = entriesOf(await this.#json(res, "upload the entry"));
    if (entries.length !== 1) {
      throw new SigstoreError(
        "TLOG_ENTRY_INVALID",
        "Cannot upload the entry: bad response from server",
      );
    }
    return { ...entries[0], existed: false };
  }

  async #getEntries(url: string, what: string): Promise<RekorLogEntry[]> {
    const res = await httpRequest({ url, headers: { accept: "application/json" } }, this.#http);
    if (res.status === 404) {
      await res.body?.cancel().catch(() => {});
      throw new SigstoreError("TLOG_ENTRY_NOT_FOUND", `Cannot ${what}: no such entry`);
    }
    if (res.status !== 200) throw requestFailed(what, res.status, await errorDetail(res));
    return entriesOf(await this.#json(res, what));
  }

  /**
   * Fetches an entry by its 64- or 80-hex UUID and checks the log answered with that entry.
   *
   * @throws {SigstoreError} `TLOG_ENTRY_NOT_FOUND`, `TLOG_ENTRY_MISMATCH`, `TLOG_REQUEST_FAILED`
   */
  async getEntryByUuid(uuid: string): Promise<RekorLogEntry> {
    if (!/^([0-9a-fA-F]{16})?[0-9a-fA-F]{64}$/.test(uuid)) {
      throw new TypeError(`"uuid" expected 64 or 80 hex digits, got ${JSON.stringify(uuid)}`);
    }
    const entries = await this.#getEntries(
      `${this.baseUrl}/api/v1/log/entries/${uuid}`,
      "fetch the entry",
    );
    const leaf = uuid.slice(-64).toLowerCase();
    const e = entries.find((x) => x.uuid.slice(-64).toLowerCase() === leaf);
    if (!e) {
      throw new SigstoreError(
        "TLOG_ENTRY_MISMATCH",
        "Cannot fetch the entry: the log returned another entry",
      );
    }
    return e;
  }

  /**
   * Fetches the entry at a global log index.
   *
   * @throws {SigstoreError} `TLOG_ENTRY_NOT_FOUND`, `TLOG_REQUEST_FAILED`
   */
  async getEntryByIndex(index: number): Promise<RekorLogEntry> {
    if (!Number.isSafeInteger(index) || index < 0) {
      throw new RangeError(`"index" must be >= 0, got ${index}`);
    }
    const entries = await this.#getEntries(
      `${this.baseUrl}/api/v1/log/entries?logIndex=${index}`,
      "fetch the entry",
    );
    const e = entries.find((x) => x.logIndex === index);
    if (!e) {
      throw new SigstoreError("TLOG_ENTRY_NOT_FOUND", "Cannot fetch the entry: no such entry");
    }
    return e;
  }

  /**
   * Searches the log for entries equal to proposed hashedrekord entries
   * (`POST /api/v1/log/entries/retrieve`, cosign FindTlogEntry). Needs no search index.
   *
   * @returns the entries found (possibly none)
   */
  searchEntries(req: HashedRekordRequest): Promise<RekorLogEntry[]> {
    return this.searchProposedEntries([hashedRekordProposal(req)]);
  }

  /**
   * Searches the log for proposed entries of any kind, in one request (`POST
   * /api/v1/log/entries/retrieve` with `entries`): the log canonicalizes each proposal as it would
   * on upload (checking its signature; a proposal that fails is an HTTP 400 for the whole query)
   * and answers the entries whose leaf hash matches, in the order proposed.
   *
   * @param proposals proposed-entry JSON values ({@link hashedRekordProposal},
   *   {@link envelopeProposal})
   * @returns the entries found (possibly none)
   */
  async searchProposedEntries(proposals: Record<string, unknown>[]): Promise<RekorLogEntry[]> {
    const res = await httpRequest({
      url: `${this.baseUrl}/api/v1/log/entries/retrieve`,
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ entries: proposals }),
      retry: true,
    }, this.#http);
    if (res.status === 404) {
      await res.body?.cancel().catch(() => {});
      return [];
    }
    if (res.status !== 200) {
      throw requestFailed("search the log", res.status, await errorDetail(res));
    }
    const list = await this.#json(res, "search the log");
    if (!Array.isArray(list)) {
      throw new SigstoreError("TLOG_ENTRY_INVALID", "Cannot search the log: not a list");
    }
    return list.flatMap(entriesOf);
  }

  /**
   * Searches the log's index (`POST /api/v1/index/retrieve`, `rekor-cli search`): the UUIDs of the
   * entries about an artifact digest and/or made with a public key (both given: entries matching
   * both). The log must run with a search index; the entries found still have to be fetched and
   * verified ({@link getEntryByUuid}, `verifyTlogEntry`).
   *
   * @param query `sha256`: the artifact's SHA-256 (bytes or hex); `publicKeyPem`: a PEM public key
   *   or certificate
   * @returns the UUIDs found (possibly none), each 64 or 80 hex digits
   * @throws {TypeError} when the query names nothing
   * @throws {SigstoreError} `TLOG_REQUEST_FAILED`, `TLOG_ENTRY_INVALID`; {IoError} `NETWORK`
   */
  async searchIndex(
    query: { sha256?: Uint8Array | string; publicKeyPem?: Uint8Array },
  ): Promise<string[]> {
    const body: Record<string, unknown> = {};
    if (query.sha256 !== undefined) {
      const hex = typeof query.sha256 === "string"
        ? query.sha256.toLowerCase()
        : query.sha256.toHex();
      if (!/^[0-9a-f]{64}$/.test(hex)) {
        throw new TypeError("Cannot search the log index: bad SHA-256");
      }
      body.hash = `sha256:${hex}`;
    }
    if (query.publicKeyPem !== undefined) {
      body.publicKey = { format: "x509", content: query.publicKeyPem.toBase64() };
    }
    if (Object.keys(body).length === 0) {
      throw new TypeError("Cannot search the log index: give a digest or a public key");
    }
    if (Object.keys(body).length === 2) body.operator = "and";
    const res = await httpRequest({
      url: `${this.baseUrl}/api/v1/index/retrieve`,
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      retry: true,
    }, this.#http);
    if (res.status !== 200) {
      throw requestFailed("search the log index", res.status, await errorDetail(res));
    }
    const list = await this.#json(res, "search the log index");
    if (
      !Array.isArray(list) ||
      !list.every((u) => typeof u === "string" && /^([0-9a-f]{16})?[0-9a-f]{64}$/.test(u))
    ) {
      throw new SigstoreError(
        "TLOG_ENTRY_INVALID",
        "Cannot search the log index: not a list of entry UUIDs",
      );
    }
    return list as string[];
  }

  /**
   * Reads `GET /api/v1/log` (tree size, root hash, signed tree head).
   *
   * @returns the log info as the API gives it
   */
  async getLogInfo(): Promise<
    { rootHash: string; treeSize: number; signedTreeHead: string; treeID: string }
  > {
    const res = await httpRequest({
      url: `${this.baseUrl}/api/v1/log`,
      headers: { accept: "application/json" },
    }, this.#http);
    if (res.status !== 200) {
      throw requestFailed("read the log info", res.status, await errorDetail(res));
    }
    // deno-lint-ignore no-explicit-any
    const v = await this.#json(res, "read the log info") as any;
    if (
      typeof v?.rootHash !== "string" || typeof v?.treeSize !== "number" ||
      typeof v?.signedTreeHead !== "string"
    ) {
      throw new SigstoreError(
        "TLOG_ENTRY_INVALID",
        "Cannot read the log info: unexpected response",
      );
    }
    return {
      rootHash: v.rootHash,
      treeSize: v.treeSize,
      signedTreeHead: v.signedTreeHead,
      treeID: String(v.treeID ?? ""),
    };
  }

  /**
   * Reads the log's public key (`GET /api/v1/log/publicKey`).
   *
   * @returns the PEM text
   */
  async getPublicKey(): Promise<string> {
    const res = await httpRequest({ url: `${this.baseUrl}/api/v1/log/publicKey` }, this.#http);
    if (res.status !== 200) {
      throw requestFailed("read the log key", res.status, await errorDetail(res));
    }
    return new TextDecoder().decode(await readBodyBounded(res, 64 * 1024, "log public key"));
  }
}
