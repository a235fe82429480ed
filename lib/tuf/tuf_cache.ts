/**
 * The on-disk layout of cosign v2.6.4's TUF cache, so that a cache written by Go cosign is used
 * by us and the other way round:
 *
 * ```
 * $TUF_ROOT (default ~/.sigstore/root)               cosign initialize: MkdirAll 0700
 * ├── remote.json                {"mirror":"<url>"}  cosign initialize (0600)
 * ├── <urlToPath(mirror)>.json   {"lastTimestamp":…} sigstore-go pkg/tuf Config (0600)
 * └── <urlToPath(mirror)>/                           go-tuf LocalMetadataDir
 *     ├── root.json timestamp.json snapshot.json targets.json   (0644, unversioned names)
 *     └── targets/trusted_root.json                  go-tuf LocalTargetsDir, url.PathEscape(name)
 * ```
 *
 * Sources: cosign cmd/cosign/cli/initialize/init.go (remote.json), pkg/cosign/tuf.go (mirror and
 * root selection), sigstore-go v1.1.4 pkg/tuf/client.go (`URLToPath`, folders, Config),
 * go-tuf v2.3.0 metadata/updater/updater.go (file names).
 *
 * The legacy sigstore/sigstore TUF client (pre trusted_root.json) keeps `tuf.db` (LevelDB) and
 * `targets/` directly under the cache folder; we neither read nor write those.
 *
 * @module
 */
import { IoError } from "../errors.ts";
import { describeFsError, readError, writeFileAtomic } from "../atomic_file.ts";

/** cosign's default TUF mirror (sigstore-go `tuf.DefaultMirror`, sigstore `DefaultRemoteRoot`). */
export const DEFAULT_TUF_MIRROR = "https://tuf-repo-cdn.sigstore.dev";

/** The target holding the Sigstore trusted root (sigstore-go `root.defaultTrustedRoot`). */
export const TRUSTED_ROOT_TARGET = "trusted_root.json";

/**
 * The TUF target of the Sigstore signing config (sigstore-go pkg/root
 * `FetchSigningConfigWithOptions`, which cosign v2.6.4's `--use-signing-config` reads).
 */
export const SIGNING_CONFIG_TARGET = "signing_config.v0.2.json";

/** Largest remote.json read. */
const MAX_REMOTE_JSON = 64 * 1024;

/**
 * A mirror URL as a folder name, as sigstore-go `tuf.URLToPath`: without `https://` or
 * `http://`, `/` and `:` replaced by `-`, lower-cased.
 *
 * @param url the mirror URL
 * @returns the folder name, e.g. `tuf-repo-cdn.sigstore.dev`
 */
export function urlToPath(url: string): string {
  let s = url;
  if (s.startsWith("https://")) s = s.slice(8);
  else if (s.startsWith("http://")) s = s.slice(7);
  return s.replaceAll("/", "-").replaceAll(":", "-").toLowerCase();
}

/**
 * The TUF cache folder cosign uses: `$TUF_ROOT`, else `<home>/.sigstore/root`, else
 * `<tmp>/.sigstore/root` when there is no home (sigstore-go `DefaultOptions`).
 *
 * @param env `tufRoot` ($TUF_ROOT), `home` ($HOME) and `tmp` (the temporary folder)
 * @returns the folder
 */
export function defaultTufCacheDir(env: { tufRoot?: string; home?: string; tmp?: string }): string {
  if (env.tufRoot) return env.tufRoot;
  const base = env.home || env.tmp || "/tmp";
  return `${base.replace(/\/+$/, "")}/.sigstore/root`;
}

/** The paths of one mirror's cache. */
export interface TufCachePaths {
  /** go-tuf's metadata folder: `<cacheDir>/<urlToPath(mirror)>`. */
  metadataDir: string;
  /** go-tuf's targets folder: `<metadataDir>/targets`. */
  targetsDir: string;
  /** `<cacheDir>/remote.json`. */
  remoteJson: string;
  /** sigstore-go's refresh record: `<cacheDir>/<urlToPath(mirror)>.json`. */
  configJson: string;
}

/**
 * Where cosign caches a mirror's metadata and targets.
 *
 * @param cacheDir the TUF cache folder
 * @param mirror the mirror URL
 * @returns the paths
 */
export function tufCachePaths(cacheDir: string, mirror: string): TufCachePaths {
  const dir = cacheDir.replace(/\/+$/, "") || "/";
  const name = urlToPath(mirror);
  const metadataDir = `${dir}/${name}`;
  return {
    metadataDir,
    targetsDir: `${metadataDir}/targets`,
    remoteJson: `${dir}/remote.json`,
    configJson: `${dir}/${name}.json`,
  };
}

/**
 * Reads the mirror `cosign initialize` recorded in `<cacheDir>/remote.json`
 * (cosign pkg/cosign/tuf.go `setTUFMirror`).
 *
 * @param cacheDir the TUF cache folder
 * @returns the mirror, or undefined when there is no remote.json or it names none
 * @throws {IoError} `INPUT_UNREADABLE` when remote.json cannot be read or is not a JSON object of
 *   strings
 */
export async function readRemoteMirror(cacheDir: string): Promise<string | undefined> {
  const path = tufCachePaths(cacheDir, "").remoteJson;
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw readError(e, path);
  }
  let v: unknown;
  try {
    if (bytes.length > MAX_REMOTE_JSON) {
      throw new RangeError(`larger than ${MAX_REMOTE_JSON} bytes`);
    }
    v = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      throw new TypeError("not an object");
    }
  } catch (e) {
    throw new IoError("INPUT_UNREADABLE", `Cannot read ${path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const mirror = (v as Record<string, unknown>).mirror;
  if (mirror !== undefined && typeof mirror !== "string") {
    throw new IoError("INPUT_UNREADABLE", `Cannot read ${path}: "mirror" must be a string`);
  }
  return mirror || undefined;
}

/** JSON as Go's `json.Marshal` writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped. */
function goJsonString(s: string): string {
  return JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

/**
 * Records the mirror in `<cacheDir>/remote.json` exactly as cosign initialize writes it
 * (`{"mirror":"<url>"}`, mode 0600), creating the cache folder with mode 0700.
 *
 * @param cacheDir the TUF cache folder
 * @param mirror the mirror URL
 * @throws {IoError} `OUTPUT_FAILED`
 */
export async function writeRemoteMirror(cacheDir: string, mirror: string): Promise<void> {
  try {
    await Deno.mkdir(cacheDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new IoError("OUTPUT_FAILED", `Cannot create ${cacheDir}: ${describeFsError(e)}`, {
      cause: e,
    });
  }
  await writeFileAtomic(
    tufCachePaths(cacheDir, mirror).remoteJson,
    `{"mirror":${goJsonString(mirror)}}`,
    {
      mode: 0o600,
    },
  );
}

/**
 * Records a successful refresh in `<cacheDir>/<urlToPath(mirror)>.json` as sigstore-go's
 * `Config` (`{"lastTimestamp":"<RFC 3339>"}`, mode 0600). Failures are ignored, as in sigstore-go.
 *
 * @param cacheDir the TUF cache folder
 * @param mirror the mirror URL
 * @param at the refresh time
 */
export async function writeLastRefresh(cacheDir: string, mirror: string, at: Date): Promise<void> {
  await writeFileAtomic(
    tufCachePaths(cacheDir, mirror).configJson,
    JSON.stringify({ lastTimestamp: at.toISOString() }),
    { mode: 0o600 },
  ).catch(() => {});
}
