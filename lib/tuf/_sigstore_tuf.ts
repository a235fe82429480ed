/**
 * What `cosign initialize` and the verify commands share: picking the root to start from, and
 * refreshing a mirror's metadata into cosign's cache layout before reading trusted_root.json.
 *
 * @module
 */
import { IoError, SigstoreError } from "../errors.ts";
import type { HttpOptions } from "../http.ts";
import { parseMetadata } from "./metadata.ts";
import { publicGoodTufRoot } from "./public_good_tuf_root.ts";
import {
  DEFAULT_TUF_MIRROR,
  TRUSTED_ROOT_TARGET,
  tufCachePaths,
  writeLastRefresh,
} from "./tuf_cache.ts";
import { TrustedMetadataSet } from "./trusted_metadata_set.ts";
import { TufUpdater } from "./tuf_updater.ts";

/** How a refresh may use the network. */
export type RefreshMode =
  /** Refresh from the mirror; any failure is an error (`cosign initialize`). */
  | "online"
  /** Refresh from the mirror; when it cannot be reached, use the cache if it is still valid. */
  | "online-or-cache"
  /** Use the cache only. */
  | "offline";

/** Options of {@link refreshTrustedRoot}. */
export interface RefreshOptions {
  cacheDir: string;
  mirror: string;
  trustedRoot: Uint8Array;
  mode: RefreshMode;
  fetch?: typeof fetch;
  now?: () => Date;
  http?: HttpOptions;
  /** Told when the mirror was unreachable and the cache was used instead. */
  onCacheFallback?: (reason: Error) => void;
  /** The target to read (default trusted_root.json; signing_config.v0.2.json for signing). */
  target?: string;
}

/** The root cosign bootstraps from for `mirror` when no root is given. */
export async function startRoot(
  cacheDir: string,
  mirror: string,
  now: number,
): Promise<Uint8Array | undefined> {
  const cachedPath = `${tufCachePaths(cacheDir, mirror).metadataDir}/root.json`;
  const cached = await Deno.readFile(cachedPath).catch(() => undefined);
  if (mirror !== DEFAULT_TUF_MIRROR) return cached;
  // The default mirror starts from the embedded root (cosign pkg/cosign/tuf.go). A cached root
  // that verifies itself and is newer is used instead: it was reached from the embedded one by
  // verified rotations, and it saves downloading every root version again (go-tuf would overwrite
  // it with the embedded root and walk the rotations again).
  const embedded = publicGoodTufRoot();
  if (!cached) return embedded;
  try {
    await TrustedMetadataSet.create(cached, now);
    const c = parseMetadata(cached, "root").signed.version;
    const e = parseMetadata(embedded, "root").signed.version;
    return c > e ? cached : embedded;
  } catch {
    return embedded;
  }
}

/** A copy of `e` (same class and code) whose message starts with `prefix`. */
export function rewrap(e: unknown, prefix: string): Error {
  if (e instanceof SigstoreError) {
    const Ctor = e.constructor as new (
      code: SigstoreError["code"],
      message: string,
      options?: ErrorOptions,
    ) => Error;
    return new Ctor(e.code, `${prefix}: ${e.message}`, { cause: e });
  }
  if (e instanceof SyntaxError) return new SyntaxError(`${prefix}: ${e.message}`, { cause: e });
  if (e instanceof Error) return new Error(`${prefix}: ${e.message}`, { cause: e });
  return new Error(`${prefix}: ${String(e)}`);
}

function isUnreachable(e: unknown): boolean {
  return e instanceof IoError && e.code === "NETWORK";
}

/**
 * Refreshes `mirror`'s metadata into the cache and returns the verified trusted_root.json target
 * (or `opts.target`)
 * (from the targets cache when it matches the trusted targets metadata, as go-tuf's
 * `FindCachedTarget`, else downloaded).
 *
 * @param opts cache, mirror, starting root and network mode
 * @returns the trusted_root.json bytes
 * @throws the errors of {@link TufUpdater}; offline and fallback failures say the cache could not
 *   be used and why (`TUF_EXPIRED` when the cached metadata is expired, `TUF_CACHE_MISSING` when
 *   nothing is cached)
 */
export async function refreshTrustedRoot(opts: RefreshOptions): Promise<Uint8Array> {
  const paths = tufCachePaths(opts.cacheDir, opts.mirror);
  const updater = new TufUpdater({
    metadataUrl: opts.mirror,
    trustedRoot: opts.trustedRoot,
    metadataDir: paths.metadataDir,
    targetsDir: paths.targetsDir,
    fetch: opts.fetch,
    now: opts.now,
    http: opts.http,
  });
  let online = opts.mode !== "offline";
  if (!online) {
    try {
      await updater.refreshFromCache();
    } catch (e) {
      throw rewrap(e, `Cannot use the TUF cache of ${opts.mirror} offline`);
    }
  } else {
    try {
      await updater.refresh();
      await writeLastRefresh(opts.cacheDir, opts.mirror, opts.now?.() ?? new Date());
    } catch (e) {
      if (opts.mode !== "online-or-cache" || !isUnreachable(e)) throw e;
      try {
        await updater.refreshFromCache();
      } catch (cacheErr) {
        throw rewrap(
          cacheErr,
          `Cannot refresh TUF metadata (${
            (e as Error).message
          }) and the cached metadata cannot be used`,
        );
      }
      online = false;
      opts.onCacheFallback?.(e as Error);
    }
  }
  const target = opts.target ?? TRUSTED_ROOT_TARGET;
  const info = await updater.getTargetInfo(target);
  const cached = await updater.findCachedTarget(info);
  if (cached) return cached;
  if (!online) {
    throw new IoError(
      "TUF_CACHE_MISSING",
      `Cannot use the TUF cache of ${opts.mirror} offline: ${target} is not cached`,
    );
  }
  return await updater.downloadTarget(info);
}
