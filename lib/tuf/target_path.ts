/**
 * Target names as file names and URLs: the checks that keep a name from escaping the cache
 * folder, the cache file name go-tuf v2 uses, the consistent-snapshot download path (TUF 1.0 §5.7.3)
 * and delegation path patterns (TUF 1.0 §4.5 "paths", "path_hash_prefixes").
 *
 * @module
 */
import { VerificationError } from "../errors.ts";
import { sha256 } from "../digest.ts";

/** Longest target name accepted. */
export const MAX_TARGET_PATH = 1024;

/**
 * Refuses a target name that could escape the targets folder or the repository's URL space:
 * empty, longer than {@link MAX_TARGET_PATH}, absolute (`/x`, `C:x`), with a backslash, a control
 * character, or an empty, `.` or `..` segment.
 *
 * @param name the target name
 * @throws {VerificationError} `TUF_TARGET_PATH_INVALID` "Cannot use target <name>: …"
 */
export function checkTargetPath(name: string): void {
  const bad = (why: string): never => {
    throw new VerificationError(
      "TUF_TARGET_PATH_INVALID",
      `Cannot use target ${JSON.stringify(name.slice(0, 200))}: ${why}`,
    );
  };
  if (name === "") bad("empty name");
  if (name.length > MAX_TARGET_PATH) bad(`name longer than ${MAX_TARGET_PATH} characters`);
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) bad("absolute path");
  if (name.includes("\\")) bad("backslash in name");
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) bad("control character in name");
  for (const seg of name.split("/")) {
    if (seg === "" || seg === "." || seg === "..") bad("empty, '.' or '..' path segment");
  }
}

const UNESCAPED = /[A-Za-z0-9\-_.~$&+:=@]/;

/**
 * The cache file name of a target, as go-tuf v2 names it (`url.PathEscape(path)`): `/` becomes
 * `%2F`, so the whole name is one file in the targets folder. Call {@link checkTargetPath} first.
 *
 * @param name a checked target name
 * @returns the file name
 */
export function targetCacheFileName(name: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(name)) {
    const c = String.fromCharCode(byte);
    out += byte < 0x80 && UNESCAPED.test(c)
      ? c
      : "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/**
 * The path a target is downloaded from, relative to the targets URL: `<dir>/<hash>.<base>` with
 * consistent snapshots (TUF 1.0 §5.7.3), else the name itself. Segments are percent-encoded.
 *
 * @param name a checked target name
 * @param hashHex the target's hash to prefix, or undefined for no prefix
 * @returns the relative URL path
 */
export function targetRemotePath(name: string, hashHex?: string): string {
  const segs = name.split("/");
  if (hashHex !== undefined) segs[segs.length - 1] = `${hashHex}.${segs[segs.length - 1]}`;
  return segs.map(encodeURIComponent).join("/");
}

/** Go `path.Match` for one segment: `*`, `?`, `[…]` classes (with `^` negation and ranges), `\` escapes. */
function matchSegment(pattern: string, text: string): boolean {
  const p = [...pattern];
  const t = [...text];
  const rec = (pi: number, ti: number): boolean => {
    while (pi < p.length) {
      const c = p[pi];
      if (c === "*") {
        for (let k = t.length; k >= ti; k--) if (rec(pi + 1, k)) return true;
        return false;
      }
      if (ti >= t.length) return false;
      if (c === "?") {
        pi++;
        ti++;
        continue;
      }
      if (c === "[") {
        let i = pi + 1;
        const negate = p[i] === "^";
        if (negate) i++;
        let matched = false;
        let first = true;
        while (i < p.length && (p[i] !== "]" || first)) {
          first = false;
          let lo = p[i];
          if (lo === "\\") lo = p[++i];
          let hi = lo;
          if (p[i + 1] === "-" && p[i + 2] !== undefined && p[i + 2] !== "]") {
            hi = p[i + 2] === "\\" ? p[i + 3] : p[i + 2];
            i += p[i + 2] === "\\" ? 3 : 2;
          }
          if (lo !== undefined && hi !== undefined && lo <= t[ti] && t[ti] <= hi) matched = true;
          i++;
        }
        if (i >= p.length) return false; // unterminated class: Go reports ErrBadPattern
        if (matched === negate) return false;
        pi = i + 1;
        ti++;
        continue;
      }
      const lit = c === "\\" ? p[++pi] : c;
      if (lit !== t[ti]) return false;
      pi++;
      ti++;
    }
    return ti === t.length;
  };
  return rec(0, 0);
}

/**
 * Whether a delegated role is trusted for `name` (TUF 1.0 §4.5): a `paths` pattern matches it
 * segment by segment (go-tuf `isTargetInPathPattern`: same number of `/`-separated segments, each
 * matched like Go's `path.Match`), or its SHA-256 hex starts with a `path_hash_prefixes` entry.
 *
 * @param role the delegated role's `paths` or `pathHashPrefixes`
 * @param name the target name
 * @returns true when the role may sign `name`
 */
export function isDelegatedPath(
  role: { paths?: string[]; pathHashPrefixes?: string[] },
  name: string,
): boolean {
  if (role.paths) {
    const segs = name.split("/");
    return role.paths.some((pattern) => {
      const ps = pattern.split("/");
      return ps.length === segs.length && ps.every((p, i) => matchSegment(p, segs[i]));
    });
  }
  if (role.pathHashPrefixes) {
    const hex = sha256(new TextEncoder().encode(name)).toHex();
    return role.pathHashPrefixes.some((prefix) => hex.startsWith(prefix));
  }
  return false;
}
