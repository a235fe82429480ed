/**
 * `cosign initialize`: record the mirror, refresh its TUF metadata from a trusted root into the
 * cache, and fetch trusted_root.json (cosign v2.6.4 cmd/cosign/cli/initialize/init.go).
 *
 * @module
 */
import { IoError, SigstoreError, VerificationError } from "../errors.ts";
import { readError } from "../atomic_file.ts";
import { digestSync } from "../digest.ts";
import { describeUrl, type HttpOptions, httpRequest, readBodyBounded } from "../http.ts";
import { parseTrustedRoot } from "../trust/trusted_root.ts";
import { publicGoodTufRoot } from "./public_good_tuf_root.ts";
import { DEFAULT_TUF_MIRROR, TRUSTED_ROOT_TARGET, writeRemoteMirror } from "./tuf_cache.ts";
import { DEFAULT_TUF_LIMITS } from "./tuf_updater.ts";
import { refreshTrustedRoot, rewrap, startRoot } from "./_sigstore_tuf.ts";

/** cosign's options.RootWithoutChecksumDeprecation, without its "WARNING: " prefix. */
export const ROOT_WITHOUT_CHECKSUM_WARNING = "Fetching initial root from URL without providing " +
  "its checksum is deprecated and will be disallowed in a future Cosign release. Please provide " +
  "the initial root checksum via the --root-checksum argument.";

/** Options of {@link initializeTuf}. */
export interface InitializeTufOptions {
  /** The TUF cache folder (`$TUF_ROOT`, default `~/.sigstore/root`). */
  cacheDir: string;
  /** The mirror (default `https://tuf-repo-cdn.sigstore.dev`). */
  mirror?: string;
  /** The initial root.json: a file path, `http(s)://` URL or `env://VAR`; default the embedded root. */
  root?: string;
  /** `<hex>`, `sha256:<hex>` or `sha512:<hex>` of the root file (checked when given). */
  rootChecksum?: string;
  /** Reads environment variables for `env://` roots. */
  getEnv?: (name: string) => string | undefined;
  fetch?: typeof fetch;
  /** The clock of expiry checks. */
  now?: () => Date;
  http?: HttpOptions;
  /** Prints a `WARNING:` line (the text is given without the prefix). */
  warn?: (line: string) => void | Promise<void>;
}

/**
 * Parses a `--root-checksum` value as cosign's `blob.LoadFileOrURLWithChecksum` does.
 *
 * @returns the algorithm and expected hex
 * @throws {TypeError} "wrong checksum input format, must have at most 1 colon: …" or
 *   "unsupported checksum algorithm: …" (cosign's messages)
 */
function parseChecksum(checksum: string): { alg: "sha256" | "sha512"; hex: string } {
  const parts = checksum.split(":");
  if (parts.length >= 3) {
    throw new TypeError(`wrong checksum input format, must have at most 1 colon: ${checksum}`);
  }
  let alg: "sha256" | "sha512" = "sha256";
  if (parts.length === 2) {
    if (parts[0] === "sha512") alg = "sha512";
    else if (parts[0] !== "sha256") {
      throw new TypeError(`unsupported checksum algorithm: ${parts[0]}`);
    }
  }
  return { alg, hex: parts[parts.length - 1] };
}

/**
 * Reads the initial root as cosign's `blob.LoadFileOrURL` does (file, `http(s)://`, `env://`),
 * at most go-tuf's root size limit.
 */
async function loadRootRef(ref: string, opts: InitializeTufOptions): Promise<Uint8Array> {
  const limit = DEFAULT_TUF_LIMITS.rootMaxLength;
  const sep = ref.indexOf("://");
  if (sep >= 0) {
    const scheme = ref.slice(0, sep + 3);
    if (scheme === "env://") {
      const name = ref.slice(sep + 3);
      const value = opts.getEnv?.(name);
      if (value === undefined) {
        throw new IoError("INPUT_NOT_FOUND", `Cannot load root: env var $${name} not found`);
      }
      return new TextEncoder().encode(value);
    }
    if (scheme !== "http://" && scheme !== "https://") {
      throw new IoError("INPUT_UNREADABLE", `Cannot load root: unrecognized scheme: ${scheme}`);
    }
    const http: HttpOptions = { ...opts.http };
    if (opts.fetch) http.fetch = opts.fetch;
    const res = await httpRequest({ url: ref }, http);
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new IoError(
        "NETWORK",
        `Cannot load root: GET ${describeUrl(ref)} returned HTTP ${res.status}`,
      );
    }
    return await readBodyBounded(res, limit, `root ${describeUrl(ref)}`);
  }
  try {
    using f = await Deno.open(ref);
    if ((await f.stat()).isDirectory) throw new Deno.errors.IsADirectory(ref);
    return await readBodyBounded(new Response(f.readable), limit, `root ${ref}`);
  } catch (e) {
    if (e instanceof RangeError) throw e;
    throw readError(e, `root ${ref}`);
  }
}

/**
 * Initialises the TUF cache like `cosign initialize`: checks and loads the initial root (or takes
 * the embedded public-good root), writes `<cacheDir>/remote.json`, runs the TUF client workflow
 * against the mirror and fetches the verified trusted_root.json into the cache.
 *
 * Differences from cosign v2.6.4: a mirror without trusted_root.json is an error (cosign falls
 * back to its legacy per-target TUF client); a root URL answering with an HTTP error is refused
 * before its checksum is computed.
 *
 * @param opts cache folder, mirror, root and checksum, fetch, clock and a warning printer
 * @returns the trusted_root.json bytes
 * @throws {TypeError} for a malformed `rootChecksum`
 * @throws {VerificationError} `DIGEST_MISMATCH` "Incorrect checksum for file <root>: expected …
 *   but got …"; the TUF errors of the client workflow (`TUF_UNSIGNED`, `TUF_EXPIRED`, …);
 *   `TUF_TARGET_NOT_FOUND` for a mirror without trusted_root.json
 * @throws {IoError} `INPUT_NOT_FOUND`/`INPUT_UNREADABLE` for the root reference, `NETWORK`,
 *   `OUTPUT_FAILED`
 * @throws {SyntaxError} for a root or metadata that is not valid TUF metadata
 */
export async function initializeTuf(opts: InitializeTufOptions): Promise<Uint8Array> {
  let rootBytes: Uint8Array | undefined;
  if (opts.root) {
    const isUrl = opts.root.startsWith("http://") || opts.root.startsWith("https://");
    if (!opts.rootChecksum && isUrl) await opts.warn?.(ROOT_WITHOUT_CHECKSUM_WARNING);
    const expected = opts.rootChecksum ? parseChecksum(opts.rootChecksum) : undefined;
    rootBytes = await loadRootRef(opts.root, opts);
    if (expected) {
      const got = digestSync(expected.alg, rootBytes).toHex();
      if (got !== expected.hex) {
        throw new VerificationError(
          "DIGEST_MISMATCH",
          `Incorrect checksum for file ${opts.root}: expected ${expected.hex} but got ${got}`,
        );
      }
    }
  }
  const mirror = opts.mirror || DEFAULT_TUF_MIRROR;
  await writeRemoteMirror(opts.cacheDir, mirror);
  const now = (opts.now?.() ?? new Date()).getTime();
  const trustedRoot = rootBytes ??
    (mirror === DEFAULT_TUF_MIRROR
      ? (await startRoot(opts.cacheDir, mirror, now))!
      : publicGoodTufRoot());
  let bytes: Uint8Array;
  try {
    bytes = await refreshTrustedRoot({
      cacheDir: opts.cacheDir,
      mirror,
      trustedRoot,
      mode: "online",
      fetch: opts.fetch,
      now: opts.now,
      http: opts.http,
    });
  } catch (e) {
    if (e instanceof SigstoreError && e.code === "TUF_TARGET_NOT_FOUND") {
      // cosign warns with this text and then initialises its legacy per-target client.
      await opts.warn?.(
        `Could not fetch ${TRUSTED_ROOT_TARGET} from the TUF mirror (encountered error: ${e.message}), ` +
          "falling back to individual targets. It is recommended to update your TUF metadata " +
          `repository to include ${TRUSTED_ROOT_TARGET}.`,
      );
      throw rewrap(
        e,
        "Cannot initialize TUF: repositories without trusted_root.json (individual targets) are not supported",
      );
    }
    throw e;
  }
  try {
    parseTrustedRoot(bytes);
  } catch (e) {
    throw rewrap(e, `Cannot use ${TRUSTED_ROOT_TARGET} from the TUF mirror`);
  }
  return bytes;
}
