/**
 * Image references (`registry/repository[:tag][@digest]`), parsed like go-containerregistry's
 * `name.ParseReference` with its default (weak) validation, which is what cosign v2 uses.
 *
 * Rules (ggcr pkg/name v0.20.7):
 * - the first path component is the registry only when it contains `.` or `:` (so `localhost/x`
 *   is the Docker Hub repository `localhost/x`, while `localhost:5000/x` is a registry);
 * - no registry means `index.docker.io`; `docker.io` is rewritten to `index.docker.io`; a
 *   single-component Docker Hub repository gets `library/`;
 * - the repository is 2–255 characters of `a-z0-9_-./`;
 * - a tag follows the Docker grammar `[\w][\w.-]{0,127}` (ggcr also accepts a leading `.` or `-`,
 *   which every registry then rejects);
 * - a digest is `sha256:<64 lower-case hex>`; a reference may carry both a tag and a digest (the
 *   digest wins when fetching); with neither, the tag is `latest`.
 *
 * @module
 */
import type { Reference, Repository } from "./types.ts";

/** The registry used when a reference names none. */
export const DEFAULT_REGISTRY = "index.docker.io";
/** The tag used when a reference has neither a tag nor a digest. */
export const DEFAULT_TAG = "latest";

const REPOSITORY_CHARS = /^[a-z0-9_\-./]+$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
// An RFC 3986 authority without user info: a reg-name or an IP literal, then an optional port
// (ggcr checks `url.Parse("//"+name).Host == name`).
const AUTHORITY = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=%]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]*)?$/;

/**
 * Parses an image reference.
 *
 * @param text e.g. `ghcr.io/org/app:v1`, `localhost:5000/app@sha256:…`, `ubuntu`
 * @returns the reference with defaults applied (registry, `library/`, tag `latest`)
 * @throws {TypeError} `could not parse reference: <text>`, with the precise reason as `cause`
 * @example
 * parseReference("ubuntu") // { registry: "index.docker.io", repository: "library/ubuntu", tag: "latest" }
 */
export function parseReference(text: string): Reference {
  try {
    return parseStrict(text);
  } catch (cause) {
    throw new TypeError(`could not parse reference: ${text}`, { cause });
  }
}

function parseStrict(text: string): Reference {
  let base = text;
  let digest: string | undefined;
  const at = text.split("@");
  if (at.length > 2) {
    throw new TypeError(`a digest must contain exactly one '@' separator: ${text}`);
  }
  if (at.length === 2) {
    [base, digest] = at;
    if (!digest.startsWith("sha256:")) {
      throw new TypeError(`unsupported digest algorithm: ${digest}`);
    }
    if (!DIGEST.test(digest)) throw new TypeError(`invalid checksum digest format: ${digest}`);
  }
  let tag: string | undefined;
  const colon = base.lastIndexOf(":");
  if (colon >= 0 && !base.slice(colon + 1).includes("/")) {
    tag = base.slice(colon + 1);
    base = base.slice(0, colon);
    if (tag === "") throw new TypeError(`${text} must specify a tag name after the colon`);
    if (!TAG.test(tag)) {
      throw new TypeError(
        `tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}: ${tag}`,
      );
    }
  }
  const repo = parseRepository(base);
  if (!tag && !digest) tag = DEFAULT_TAG;
  const ref: Reference = { ...repo };
  if (tag) ref.tag = tag;
  if (digest) ref.digest = digest;
  return ref;
}

/**
 * Parses a repository name without tag or digest (`ghcr.io/org/app`, `ubuntu`).
 *
 * @param text the repository name
 * @returns the registry and repository with Docker Hub defaults applied
 * @throws {TypeError} with the reason (length, characters, registry syntax)
 */
export function parseRepository(text: string): Repository {
  if (text.length === 0) throw new TypeError("a repository name must be specified");
  let registry = "";
  let repository = text;
  const slash = text.indexOf("/");
  if (slash >= 0) {
    const first = text.slice(0, slash);
    if (first.includes(".") || first.includes(":")) {
      registry = first;
      repository = text.slice(slash + 1);
    }
  }
  const n = [...repository].length;
  if (n < 2 || n > 255) {
    throw new TypeError(`repository must be between 2 and 255 characters in length: ${repository}`);
  }
  if (!REPOSITORY_CHARS.test(repository)) {
    throw new TypeError(
      `repository can only contain the characters \`abcdefghijklmnopqrstuvwxyz0123456789_-./\`: ${repository}`,
    );
  }
  if (registry !== "" && !AUTHORITY.test(registry)) {
    throw new TypeError(`registries must be valid RFC 3986 URI authorities: ${registry}`);
  }
  if (registry === "" || registry === "docker.io") registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && !repository.includes("/")) {
    repository = `library/${repository}`;
  }
  return { registry, repository };
}

/**
 * Formats a reference back to text: `registry/repository[:tag][@digest]`.
 *
 * @param ref the reference (or a repository plus tag/digest)
 * @returns the canonical text, with defaults spelled out
 */
export function formatReference(ref: Reference): string {
  let s = `${ref.registry}/${ref.repository}`;
  if (ref.tag) s += `:${ref.tag}`;
  if (ref.digest) s += `@${ref.digest}`;
  return s;
}

/**
 * The repository part of a reference.
 *
 * @param ref a reference
 * @returns `{ registry, repository }`
 */
export function repositoryOf(ref: Reference | Repository): Repository {
  return { registry: ref.registry, repository: ref.repository };
}

/**
 * What to fetch for a reference: its digest when it has one, else its tag.
 *
 * @param ref a parsed reference
 * @returns a digest or tag
 */
export function identifierOf(ref: Reference): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}

/**
 * Whether `tagOrDigest` is a digest (`algorithm:hex`) rather than a tag.
 *
 * @param tagOrDigest a tag or digest
 * @returns true for `sha256:…` and other `alg:hex` forms
 */
export function isDigest(tagOrDigest: string): boolean {
  return /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(tagOrDigest);
}

/**
 * Whether a registry host (with optional port) is this machine: `localhost`, `127.0.0.0/8`,
 * `::1`.
 *
 * @param host e.g. `127.0.0.1:5000`, `[::1]:5000`, `localhost`
 * @returns true for loopback hosts
 */
export function isLoopback(host: string): boolean {
  const h = hostOnly(host).toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Whether go-containerregistry would also try plain HTTP for this registry without being told
 * (`name.Registry.Scheme()`): loopback, `*.local`/`*.localhost`, and RFC 1918 addresses.
 *
 * @param host a registry host with optional port
 * @returns true when an `http://` fallback is allowed by default
 */
export function allowsHttpByDefault(host: string): boolean {
  if (isLoopback(host)) return true;
  const h = hostOnly(host).toLowerCase();
  if (/\.local(?:host)?$/.test(h)) return true;
  const m = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(h);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

/** The host without its port or IPv6 brackets. */
function hostOnly(host: string): string {
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return end > 0 ? host.slice(1, end) : host;
  }
  if (host === "::1") return host;
  const colon = host.lastIndexOf(":");
  return colon >= 0 ? host.slice(0, colon) : host;
}
