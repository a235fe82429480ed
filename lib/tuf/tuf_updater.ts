/**
 * A TUF 1.0 client: the "Detailed client workflow" of the specification (§5), with the local
 * metadata cache and target downloads of go-tuf v2's `updater` (the client cosign v2.6.4 runs
 * through sigstore-go `pkg/tuf`).
 *
 * Workflow of {@link TufUpdater.refresh}:
 * 1. the trusted root (§5.2), then `N+1.root.json` while the mirror has it (404 or 403 ends the
 *    walk), each signed by a threshold of the old and of the new root keys, version N+1 (§5.3);
 *    the final root must not be expired (§5.3.10); when the timestamp or snapshot keys changed,
 *    the cached timestamp and snapshot are deleted (§5.3.11, fast-forward attack recovery);
 * 2. `timestamp.json` (§5.4): signature, no rollback of its version or of the snapshot version it
 *    names (against the cached copy, even an expired one), not expired;
 * 3. snapshot (§5.5): the cached copy is kept when it is still valid for the new timestamp;
 *    otherwise `<version>.snapshot.json` (consistent snapshots) or `snapshot.json`, with the
 *    length and hashes the timestamp gives, signature, version, no targets rolled back, expiry;
 * 4. top-level targets (§5.6) likewise from the snapshot's entry; delegated roles are loaded on
 *    demand by {@link TufUpdater.getTargetInfo} (pre-order depth-first, at most 32 roles).
 *
 * Downloads are bounded by go-tuf's default limits (root 512000 bytes, timestamp 16384, snapshot
 * 2000000, targets 5000000; a target by its stated length) and a target is checked for its
 * length and every hash before it is returned or cached.
 *
 * @module
 */
import { IoError, VerificationError } from "../errors.ts";
import { describeUrl, type HttpOptions, httpRequest, readBodyBounded } from "../http.ts";
import { writeFileAtomic } from "../atomic_file.ts";
import type { TargetFile } from "./metadata.ts";
import { checkLengthAndHashes, TrustedMetadataSet } from "./trusted_metadata_set.ts";
import {
  checkTargetPath,
  isDelegatedPath,
  targetCacheFileName,
  targetRemotePath,
} from "./target_path.ts";

/** Size and count limits of a refresh (go-tuf v2 `config.New` defaults). */
export interface TufLimits {
  maxRootRotations: number;
  maxDelegations: number;
  rootMaxLength: number;
  timestampMaxLength: number;
  snapshotMaxLength: number;
  targetsMaxLength: number;
}

/** go-tuf v2.3.0's defaults (metadata/config/config.go). */
export const DEFAULT_TUF_LIMITS: Readonly<TufLimits> = {
  maxRootRotations: 256,
  maxDelegations: 32,
  rootMaxLength: 512_000,
  timestampMaxLength: 16_384,
  snapshotMaxLength: 2_000_000,
  targetsMaxLength: 5_000_000,
};

/** Options of a {@link TufUpdater}. */
export interface TufUpdaterOptions {
  /** Base URL of the metadata (`<metadataUrl>/<N>.root.json`, `…/timestamp.json`); `file:` works. */
  metadataUrl: string;
  /** Base URL of target files; default `<metadataUrl>/targets`. */
  targetsUrl?: string;
  /** The trusted root.json to start from. */
  trustedRoot: Uint8Array;
  /** Folder of the cached metadata (`root.json`, `timestamp.json` …); none: memory only. */
  metadataDir?: string;
  /** Folder of cached targets; default `<metadataDir>/targets`. */
  targetsDir?: string;
  /** Download targets as `<hash>.<name>` when the root sets `consistent_snapshot` (default true). */
  prefixTargetsWithHash?: boolean;
  /** The clock of expiry checks (default the system clock). */
  now?: () => Date;
  /** `fetch` (tests inject one); overrides `http.fetch`. */
  fetch?: typeof fetch;
  /** Retries, timeouts, abort signal and user agent of downloads. */
  http?: HttpOptions;
  limits?: Partial<TufLimits>;
}

function joinUrl(base: string, rel: string): string {
  return base.endsWith("/") ? base + rel : `${base}/${rel}`;
}

async function readLocal(path: string): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(path);
  } catch {
    return undefined;
  }
}

function sameKeys(a: { keyids: string[]; threshold: number }, b: typeof a): boolean {
  return a.threshold === b.threshold &&
    [...a.keyids].sort().join(",") === [...b.keyids].sort().join(",");
}

/** A TUF client for one repository. One instance serves one refresh (like go-tuf's Updater). */
export class TufUpdater {
  readonly #opts: TufUpdaterOptions;
  readonly #limits: TufLimits;
  readonly #targetsUrl: string;
  readonly #targetsDir?: string;
  #trusted?: TrustedMetadataSet;
  /** The newest root reached by verified rotations (the starting root until one happens). */
  #rootBytes: Uint8Array;

  /** @param options the repository, trusted root, cache folders, clock and fetch */
  constructor(options: TufUpdaterOptions) {
    this.#opts = options;
    this.#rootBytes = options.trustedRoot;
    this.#limits = { ...DEFAULT_TUF_LIMITS, ...options.limits };
    this.#targetsUrl = options.targetsUrl ?? joinUrl(options.metadataUrl, "targets");
    this.#targetsDir = options.targetsDir ??
      (options.metadataDir !== undefined ? `${options.metadataDir}/targets` : undefined);
  }

  /** The trusted metadata after a refresh. */
  get trusted(): TrustedMetadataSet | undefined {
    return this.#trusted;
  }

  #now(): number {
    return (this.#opts.now?.() ?? new Date()).getTime();
  }

  #metaPath(role: string): string | undefined {
    const dir = this.#opts.metadataDir;
    return dir === undefined ? undefined : `${dir}/${targetCacheFileName(role)}.json`;
  }

  async #readCached(role: string): Promise<Uint8Array | undefined> {
    const p = this.#metaPath(role);
    return p === undefined ? undefined : await readLocal(p);
  }

  async #persist(role: string, bytes: Uint8Array): Promise<void> {
    const p = this.#metaPath(role);
    if (p === undefined) return;
    await Deno.mkdir(this.#opts.metadataDir!, { recursive: true });
    await writeFileAtomic(p, bytes, { mode: 0o644 });
  }

  /**
   * Downloads `url`, at most `limit` bytes.
   *
   * @returns the body, or undefined for 404/403 when `missingOk`
   */
  async #download(
    url: string,
    limit: number,
    what: string,
    missingOk = false,
  ): Promise<Uint8Array | undefined> {
    if (url.startsWith("file:")) return await this.#readFileUrl(url, limit, what, missingOk);
    const http: HttpOptions = { ...this.#opts.http };
    if (this.#opts.fetch) http.fetch = this.#opts.fetch;
    const res = await httpRequest({ url }, http);
    if (missingOk && (res.status === 404 || res.status === 403)) {
      await res.body?.cancel().catch(() => {});
      return undefined;
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      throw new IoError(
        "NETWORK",
        `Cannot fetch ${what}: GET ${describeUrl(url)} returned HTTP ${res.status}`,
      );
    }
    try {
      return await readBodyBounded(res, limit, what);
    } catch (e) {
      if (e instanceof RangeError) throw tooLarge(what, limit, e);
      throw new IoError("NETWORK", `Cannot fetch ${what}: ${(e as Error).message}`, { cause: e });
    }
  }

  async #readFileUrl(
    url: string,
    limit: number,
    what: string,
    missingOk: boolean,
  ): Promise<Uint8Array | undefined> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(new URL(url));
    } catch (e) {
      if (missingOk && e instanceof Deno.errors.NotFound) return undefined;
      throw new IoError("NETWORK", `Cannot fetch ${what}: ${url}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    try {
      return await readBodyBounded(new Response(file.readable), limit, what);
    } catch (e) {
      if (e instanceof RangeError) throw tooLarge(what, limit, e);
      throw e;
    }
  }

  /**
   * Runs the client workflow against the repository (TUF 1.0 §5.2-5.6), using and updating the
   * metadata cache.
   *
   * @throws {SyntaxError} for malformed metadata
   * @throws {VerificationError} `TUF_UNSIGNED`, `TUF_EXPIRED`, `TUF_VERSION_INVALID`,
   *   `TUF_LENGTH_OR_HASH_MISMATCH`, `TUF_METADATA_INVALID`
   * @throws {IoError} `NETWORK` when the repository cannot be reached or answers with an error;
   *   `OUTPUT_FAILED` when the cache cannot be written
   */
  async refresh(): Promise<void> {
    this.#trusted = undefined;
    this.#rootBytes = this.#opts.trustedRoot;
    const set = await TrustedMetadataSet.create(this.#rootBytes, this.#now());
    const first = set.root;
    // go-tuf persists the root it starts from, so the cache always holds a trusted root.
    const cachedRoot = await this.#readCached("root");
    if (!cachedRoot || !bytesEqual(cachedRoot, this.#opts.trustedRoot)) {
      await this.#persist("root", this.#opts.trustedRoot);
    }
    await this.#loadRoot(set);
    const last = set.root;
    if (last.version !== first.version) {
      // §5.3.11: new timestamp or snapshot keys make the cached copies useless as references
      // (a fast-forward attack with the old keys must not block the new ones).
      const ts = !sameKeys(first.roles.timestamp, last.roles.timestamp);
      const sn = !sameKeys(first.roles.snapshot, last.roles.snapshot);
      if (ts) await this.#removeCached("timestamp");
      if (ts || sn) await this.#removeCached("snapshot");
    }
    set.checkRootNotExpired();
    await this.#loadTimestamp(set);
    await this.#loadSnapshot(set);
    await this.#loadTargets(set, "targets", "root");
    this.#trusted = set;
  }

  /**
   * Loads the cached metadata only, without any download (go-tuf's `UnsafeLocalMode`, which
   * sigstore-go runs first): the trusted root (the newest one an earlier {@link refresh} of this
   * instance reached, else the one given), then the cached timestamp, snapshot and targets, each
   * verified and unexpired. Root rotations are not looked for.
   *
   * @throws {IoError} `TUF_CACHE_MISSING` when a cached file is missing or there is no cache
   * @throws {VerificationError} and {SyntaxError} as {@link refresh}, for cached files
   */
  async refreshFromCache(): Promise<void> {
    this.#trusted = undefined;
    const set = await TrustedMetadataSet.create(this.#rootBytes, this.#now());
    set.checkRootNotExpired();
    await set.updateTimestamp(await this.#requireCached("timestamp"));
    await set.updateSnapshot(await this.#requireCached("snapshot"), true);
    await set.updateTargets(await this.#requireCached("targets"), "targets", "root");
    this.#trusted = set;
  }

  async #requireCached(role: string): Promise<Uint8Array> {
    const bytes = await this.#readCached(role);
    if (!bytes) {
      throw new IoError(
        "TUF_CACHE_MISSING",
        this.#opts.metadataDir === undefined
          ? "Cannot use the TUF cache: no cache folder"
          : `Cannot use the TUF cache: ${role}.json is not in ${this.#opts.metadataDir}`,
      );
    }
    return bytes;
  }

  async #removeCached(role: string): Promise<void> {
    const p = this.#metaPath(role);
    if (p !== undefined) await Deno.remove(p).catch(() => {});
  }

  async #loadRoot(set: TrustedMetadataSet): Promise<void> {
    const start = set.root.version;
    for (let v = start + 1; v <= start + this.#limits.maxRootRotations; v++) {
      const bytes = await this.#download(
        joinUrl(this.#opts.metadataUrl, `${v}.root.json`),
        this.#limits.rootMaxLength,
        `${v}.root.json`,
        true,
      );
      if (!bytes) return;
      await set.updateRoot(bytes);
      this.#rootBytes = bytes;
      await this.#persist("root", bytes);
    }
  }

  async #loadTimestamp(set: TrustedMetadataSet): Promise<void> {
    const local = await this.#readCached("timestamp");
    if (local) {
      // Kept as the rollback reference even when it fails only its expiry check.
      await set.updateTimestamp(local).catch(() => {});
    }
    const bytes = (await this.#download(
      joinUrl(this.#opts.metadataUrl, "timestamp.json"),
      this.#limits.timestampMaxLength,
      "timestamp.json",
    ))!;
    if (await set.updateTimestamp(bytes) === "updated") await this.#persist("timestamp", bytes);
  }

  async #loadSnapshot(set: TrustedMetadataSet): Promise<void> {
    const local = await this.#readCached("snapshot");
    if (local) {
      try {
        await set.updateSnapshot(local, true);
        return;
      } catch {
        // not valid for this timestamp: download it (the cached copy stays the rollback reference)
      }
    }
    const meta = set.timestamp!.signed.snapshotMeta;
    const name = set.root.consistentSnapshot ? `${meta.version}.snapshot.json` : "snapshot.json";
    const bytes = (await this.#download(
      joinUrl(this.#opts.metadataUrl, name),
      meta.length ?? this.#limits.snapshotMaxLength,
      name,
    ))!;
    await set.updateSnapshot(bytes);
    await this.#persist("snapshot", bytes);
  }

  async #loadTargets(set: TrustedMetadataSet, role: string, delegator: string): Promise<void> {
    if (set.targets(role)) return;
    const local = await this.#readCached(role);
    if (local) {
      try {
        await set.updateTargets(local, role, delegator);
        return;
      } catch {
        // stale or damaged: download it
      }
    }
    const meta = set.snapshot!.signed.meta[`${role}.json`];
    if (!meta) {
      throw new VerificationError(
        "TUF_METADATA_INVALID",
        `Cannot load ${role}.json: the snapshot has no entry for it`,
      );
    }
    const file = `${targetCacheFileName(role)}.json`;
    const name = set.root.consistentSnapshot ? `${meta.version}.${file}` : file;
    const bytes = (await this.#download(
      joinUrl(this.#opts.metadataUrl, name),
      meta.length ?? this.#limits.targetsMaxLength,
      name,
    ))!;
    await set.updateTargets(bytes, role, delegator);
    await this.#persist(role, bytes);
  }

  /**
   * Finds a target's length and hashes: top-level targets first, then delegated roles in
   * pre-order depth-first order, honouring `terminating` (TUF 1.0 §5.6.7).
   *
   * @param name the target name
   * @returns its entry
   * @throws {VerificationError} `TUF_TARGET_PATH_INVALID` for an unsafe name,
   *   `TUF_TARGET_NOT_FOUND` when no role lists it; the errors of loading delegated roles
   */
  async getTargetInfo(name: string): Promise<TargetFile> {
    checkTargetPath(name);
    const set = this.#trusted;
    if (!set) throw new Error("Cannot look up targets before a refresh");
    const stack: { role: string; parent: string }[] = [{ role: "targets", parent: "root" }];
    const visited = new Set<string>();
    while (stack.length && visited.size <= this.#limits.maxDelegations) {
      const { role, parent } = stack.pop()!;
      if (visited.has(role)) continue;
      await this.#loadTargets(set, role, parent);
      const targets = set.targets(role)!;
      const found = targets.targets[name];
      if (found) return found;
      visited.add(role);
      const children: { role: string; parent: string }[] = [];
      for (const d of targets.delegations?.roles ?? []) {
        if (!isDelegatedPath(d, name)) continue;
        children.push({ role: d.name, parent: role });
        if (d.terminating) {
          stack.length = 0;
          break;
        }
      }
      stack.push(...children.reverse());
    }
    throw new VerificationError("TUF_TARGET_NOT_FOUND", `Cannot find target ${name}`);
  }

  #targetPath(info: TargetFile): string | undefined {
    return this.#targetsDir === undefined
      ? undefined
      : `${this.#targetsDir}/${targetCacheFileName(info.path)}`;
  }

  /**
   * Reads a target from the targets cache when the cached bytes match `info`.
   *
   * @param info the target's entry
   * @returns the bytes, or undefined when not cached or not matching
   */
  async findCachedTarget(info: TargetFile): Promise<Uint8Array | undefined> {
    checkTargetPath(info.path);
    const p = this.#targetPath(info);
    if (p === undefined) return undefined;
    let bytes: Uint8Array | undefined;
    try {
      using f = await Deno.open(p);
      bytes = await readBodyBounded(new Response(f.readable), info.length, info.path);
      checkLengthAndHashes(bytes, info, `target ${info.path}`);
    } catch {
      return undefined;
    }
    return bytes;
  }

  /**
   * Downloads a target (`<hash>.<name>` under consistent snapshots), checks its length and every
   * hash, and caches it.
   *
   * @param info the target's entry
   * @returns the verified bytes
   * @throws {VerificationError} `TUF_LENGTH_OR_HASH_MISMATCH`, `TUF_TARGET_PATH_INVALID`
   * @throws {IoError} `NETWORK`, `OUTPUT_FAILED`
   */
  async downloadTarget(info: TargetFile): Promise<Uint8Array> {
    checkTargetPath(info.path);
    const consistent = this.#trusted?.root.consistentSnapshot === true &&
      this.#opts.prefixTargetsWithHash !== false;
    const hash = info.hashes.sha256 ?? info.hashes.sha512 ?? Object.values(info.hashes)[0];
    const url = joinUrl(
      this.#targetsUrl,
      targetRemotePath(info.path, consistent ? hash : undefined),
    );
    const bytes = (await this.#download(url, info.length, `target ${info.path}`))!;
    checkLengthAndHashes(bytes, info, `target ${info.path}`);
    const p = this.#targetPath(info);
    if (p !== undefined) {
      await Deno.mkdir(this.#targetsDir!, { recursive: true });
      await writeFileAtomic(p, bytes, { mode: 0o644 });
    }
    return bytes;
  }

  /**
   * A verified target: from the cache when it matches the trusted metadata, else downloaded.
   *
   * @param name the target name
   * @returns its bytes
   * @throws as {@link getTargetInfo} and {@link downloadTarget}
   */
  async getTarget(name: string): Promise<Uint8Array> {
    const info = await this.getTargetInfo(name);
    return await this.findCachedTarget(info) ?? await this.downloadTarget(info);
  }
}

function tooLarge(what: string, limit: number, cause: unknown): VerificationError {
  return new VerificationError(
    "TUF_LENGTH_OR_HASH_MISMATCH",
    `Cannot fetch ${what}: larger than ${limit} bytes`,
    { cause },
  );
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
