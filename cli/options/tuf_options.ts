/**
 * The TUF settings cosign reads from the environment (pkg/cosign/env: `TUF_ROOT`, `TUF_MIRROR`,
 * `TUF_ROOT_JSON`), for `cosign initialize` and the commands that need the Sigstore trusted root.
 *
 * @module
 */
import type { Context } from "../command.ts";

/**
 * The TUF cache folder: `$TUF_ROOT`, else `$HOME/.sigstore/root`, else `$TMPDIR/.sigstore/root`
 * (sigstore-go `tuf.DefaultOptions`).
 *
 * @param getEnv reads an environment variable
 * @returns the folder
 */
export async function tufCacheDirFromEnv(
  getEnv: (name: string) => string | undefined,
): Promise<string> {
  const { defaultTufCacheDir } = await import("../../lib/tuf/tuf_cache.ts");
  return defaultTufCacheDir({
    tufRoot: getEnv("TUF_ROOT"),
    home: getEnv("HOME"),
    tmp: getEnv("TMPDIR") || "/tmp",
  });
}

/**
 * The Sigstore trusted root from TUF, as cosign's `cosign.TrustedRoot()` gets it: cache folder
 * from `TUF_ROOT`, mirror from `TUF_MIRROR` (else remote.json), the root of a custom mirror from
 * `TUF_ROOT_JSON` (else the cached one).
 *
 * @param ctx the command context
 * @param target another target of the repository, read by the same rules (the signing config)
 * @returns the trusted_root.json bytes (or the target's)
 * @throws the errors of `loadTrustedRootFromTuf`; `INPUT_UNREADABLE` when `TUF_ROOT_JSON` cannot
 *   be read ("error reading root.json given by TUF_ROOT_JSON", as cosign)
 */
export async function trustedRootFromTuf(ctx: Context, target?: string): Promise<Uint8Array> {
  const { loadTrustedRootFromTuf } = await import("../../lib/tuf/load_trusted_root_from_tuf.ts");
  const rootJson = ctx.io.getEnv("TUF_ROOT_JSON");
  let root: Uint8Array | undefined;
  if (rootJson) {
    try {
      root = await Deno.readFile(rootJson);
    } catch (e) {
      const { IoError } = await import("../../lib/errors.ts");
      throw new IoError("INPUT_UNREADABLE", "Error reading root.json given by TUF_ROOT_JSON", {
        cause: e,
      });
    }
  }
  return await loadTrustedRootFromTuf({
    cacheDir: await tufCacheDirFromEnv(ctx.io.getEnv),
    mirror: ctx.io.getEnv("TUF_MIRROR") || undefined,
    root,
    http: { signal: ctx.signal },
    target,
    onCacheFallback: (e) => {
      ctx.warn(`Could not refresh TUF metadata, using the cached metadata: ${e.message}`);
    },
  });
}
