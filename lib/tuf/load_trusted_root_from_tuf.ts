/**
 * The Sigstore trusted root (`trusted_root.json`) from TUF, as cosign v2.6.4's verify and sign
 * commands obtain it (pkg/cosign/tuf.go `TrustedRoot` → sigstore-go `root.NewLiveTrustedRoot`).
 *
 * @module
 */
import { IoError } from "../errors.ts";
import type { HttpOptions } from "../http.ts";
import { DEFAULT_TUF_MIRROR, readRemoteMirror, tufCachePaths } from "./tuf_cache.ts";
import { refreshTrustedRoot, startRoot } from "./_sigstore_tuf.ts";

/** Options of {@link loadTrustedRootFromTuf}. */
export interface LoadTrustedRootFromTufOptions {
  /** The TUF cache folder (`$TUF_ROOT`, default `~/.sigstore/root`: see `defaultTufCacheDir`). */
  cacheDir: string;
  /** The mirror (`$TUF_MIRROR`); default the one in `<cacheDir>/remote.json`, else cosign's. */
  mirror?: string;
  /**
   * The root to start from for a custom mirror (the bytes of `$TUF_ROOT_JSON`); default the
   * mirror's cached root.json. Ignored for the default mirror, which starts from the embedded
   * root, as cosign does.
   */
  root?: Uint8Array;
  /** Use the cache only, never the network. */
  offline?: boolean;
  fetch?: typeof fetch;
  /** The clock of expiry checks. */
  now?: () => Date;
  http?: HttpOptions;
  /** Told when the mirror could not be reached and the still-valid cache was used. */
  onCacheFallback?: (reason: Error) => void;
  /**
   * The target to return instead of trusted_root.json (`SIGNING_CONFIG_TARGET` for cosign's
   * `--use-signing-config`), fetched by the same rules.
   */
  target?: string;
}

/**
 * Returns the verified `trusted_root.json` target (or `opts.target`) of the Sigstore TUF
 * repository.
 *
 * Cosign's rules (pkg/cosign/tuf.go, sigstore-go pkg/tuf): the mirror is `mirror`, else the one
 * `cosign initialize` wrote to remote.json, else `https://tuf-repo-cdn.sigstore.dev`; the default
 * mirror starts from the embedded public-good root, a custom one from `root` or its cached
 * root.json. The metadata is refreshed from the mirror every time (sigstore-go's default
 * `CacheValidity` is 0) and the target is read from the cache when it still matches.
 *
 * Offline: with `offline`, or when the mirror cannot be reached, the cached metadata is used as
 * long as it verifies and has not expired. (Go cosign then falls back to the legacy
 * sigstore/sigstore TUF client, which serves its own cache until its timestamp expires; we use
 * the one cache.)
 *
 * @param opts cache folder, mirror, root, network use, fetch and clock
 * @returns the trusted_root.json bytes
 * @throws {IoError} `TUF_CACHE_MISSING` when a custom mirror has no root to start from, or when
 *   offline and nothing usable is cached; `NETWORK` when the mirror cannot be reached (and the
 *   cache is unusable: the message says why); `INPUT_UNREADABLE` for a broken remote.json
 * @throws {VerificationError} `TUF_UNSIGNED`, `TUF_EXPIRED`, `TUF_VERSION_INVALID`,
 *   `TUF_LENGTH_OR_HASH_MISMATCH`, `TUF_TARGET_NOT_FOUND` …, from the TUF client workflow
 * @example
 * ```ts
 * const bytes = await loadTrustedRootFromTuf({ cacheDir: `${Deno.env.get("HOME")}/.sigstore/root` });
 * ```
 */
export async function loadTrustedRootFromTuf(
  opts: LoadTrustedRootFromTufOptions,
): Promise<Uint8Array> {
  const mirror = opts.mirror || await readRemoteMirror(opts.cacheDir) || DEFAULT_TUF_MIRROR;
  const now = (opts.now?.() ?? new Date()).getTime();
  const trustedRoot = mirror !== DEFAULT_TUF_MIRROR && opts.root
    ? opts.root
    : await startRoot(opts.cacheDir, mirror, now);
  if (!trustedRoot) {
    throw new IoError(
      "TUF_CACHE_MISSING",
      `Cannot load the TUF root of ${mirror}: could not find cached root.json in ${
        tufCachePaths(opts.cacheDir, mirror).metadataDir
      } (run cosign initialize --mirror ${mirror} --root <root.json>, or set TUF_ROOT_JSON)`,
    );
  }
  return await refreshTrustedRoot({
    cacheDir: opts.cacheDir,
    mirror,
    trustedRoot,
    mode: opts.offline ? "offline" : "online-or-cache",
    fetch: opts.fetch,
    now: opts.now,
    http: opts.http,
    onCacheFallback: opts.onCacheFallback,
    target: opts.target,
  });
}
