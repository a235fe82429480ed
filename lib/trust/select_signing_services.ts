/**
 * Which services of a Sigstore signing config a signer uses, by sigstore-go v1.1.4's rules
 * (pkg/root/signing_config.go `SelectService` / `SelectServices`, as cosign v2.6.4's
 * pkg/cosign/bundle/sign.go and internal/auth/auth.go call them): services are tried from the
 * highest supported major API version down and from the newest validity start to the oldest;
 * a service counts only when the signing time lies within its `validFor` (an absent start or end
 * is open); of several logs or TSAs at most one per operator is taken, from one API version
 * only, then the selector (`ALL`, `ANY`: one at random, `EXACT`: `count` at random) picks.
 *
 * @module
 */
import { SigstoreError } from "../errors.ts";
import type { ProtoTime } from "./_proto_time.ts";
import type { ServiceConfiguration, SigningConfig, SigningService } from "./signing_config.ts";

/** Fulcio API versions we (and sigstore-go v1.1.4's `sign.FulcioAPIVersions`) speak. */
export const FULCIO_API_VERSIONS: readonly number[] = [1];
/** OIDC issuer API versions (cosign internal/auth `SigstoreOIDCIssuerAPIVersions`). */
export const OIDC_API_VERSIONS: readonly number[] = [1];
/** TSA API versions (sigstore-go `sign.TimestampAuthorityAPIVersions`). */
export const TSA_API_VERSIONS: readonly number[] = [1];
/**
 * Rekor API versions we can upload to. sigstore-go supports 1 and 2 and prefers 2; we speak only
 * Rekor v1, so a config that offers both makes us use v1 where Go cosign would use v2.
 */
export const REKOR_API_VERSIONS: readonly number[] = [1];

/** Milliseconds of a protobuf time (sub-millisecond precision is dropped). */
function ms(t: ProtoTime): number {
  return t.seconds * 1000 + Math.floor(t.nanos / 1e6);
}

/** Go's zero `time.Time`: an absent `validFor.start`. */
const ZERO_MS = -62135596800000;

function startMs(s: SigningService): number {
  return s.validFor.start ? ms(s.validFor.start) : ZERO_MS;
}

/**
 * Whether `s` is valid at `now` (sigstore-go `Service.ValidAtTime`: a zero start or end is open;
 * the bounds themselves are inside).
 *
 * @param s the service
 * @param now the signing time
 * @returns true when usable at `now`
 */
export function serviceValidAt(s: SigningService, now: Date): boolean {
  const t = now.getTime();
  const start = startMs(s);
  if (start !== ZERO_MS && t < start) return false;
  if (s.validFor.end && ms(s.validFor.end) !== ZERO_MS && t > ms(s.validFor.end)) return false;
  return true;
}

/** Versions from highest to lowest; services newest start first (Go: ascending sort, reversed). */
function ordered(services: readonly SigningService[], versions: readonly number[]) {
  const v = [...versions].sort((a, b) => a - b).reverse();
  const s = [...services].sort((a, b) => startMs(a) - startMs(b)).reverse();
  return { versions: v, services: s };
}

function noneFound(kind: string, versions: readonly number[], now: Date): SigstoreError {
  return new SigstoreError(
    "SIGNING_SERVICE_NOT_FOUND",
    `Cannot select a ${kind} from the signing config: no matching service found for API versions [${
      versions.join(" ")
    }] and current time ${now.toISOString()}`,
  );
}

/**
 * Picks one service as sigstore-go's `SelectService`: the first of the highest API version in
 * `versions` that is valid at `now`, newest validity start first.
 *
 * @param services the config's services of one kind
 * @param versions the API versions the client speaks
 * @param now the signing time
 * @param kind what it is, for the message ("Fulcio CA", "OIDC provider")
 * @returns the service
 * @throws {SigstoreError} `SIGNING_SERVICE_NOT_FOUND` when none matches
 */
export function selectService(
  services: readonly SigningService[],
  versions: readonly number[],
  now: Date,
  kind = "service",
): SigningService {
  const o = ordered(services, versions);
  for (const version of o.versions) {
    for (const s of o.services) {
      if (s.majorApiVersion === version && serviceValidAt(s, now)) return s;
    }
  }
  throw noneFound(kind, versions, now);
}

/**
 * Picks services as sigstore-go's `SelectServices`: from the highest API version in `versions`
 * with any service valid at `now`, the newest service of each operator; then all of them
 * (`ALL`), one at random (`ANY`) or `count` distinct ones at random (`EXACT`).
 *
 * @param services the config's services of one kind
 * @param config the selector
 * @param versions the API versions the client speaks
 * @param now the signing time
 * @param kind what it is, for the message ("Rekor log", "timestamp authority")
 * @param random a number in [0, 1) (Math.random; tests pass a fixed one)
 * @returns the services, at least one
 * @throws {SigstoreError} `SIGNING_SERVICE_NOT_FOUND` when none matches, for an undefined
 *   selector, for `EXACT` with a count of 0 or more than there are operators
 */
export function selectServices(
  services: readonly SigningService[],
  config: ServiceConfiguration,
  versions: readonly number[],
  now: Date,
  kind = "service",
  random: () => number = Math.random,
): SigningService[] {
  const o = ordered(services, versions);
  const operators = new Set<string>();
  let selected: SigningService[] = [];
  for (const version of o.versions) {
    for (const s of o.services) {
      if (s.majorApiVersion === version && serviceValidAt(s, now) && !operators.has(s.operator)) {
        operators.add(s.operator);
        selected.push(s);
      }
    }
    if (selected.length) break;
  }
  if (!selected.length) throw noneFound(kind, versions, now);
  const pick = (list: SigningService[]) => list.splice(Math.floor(random() * list.length), 1)[0];
  const refuse = (detail: string) =>
    new SigstoreError(
      "SIGNING_SERVICE_NOT_FOUND",
      `Cannot select a ${kind} from the signing config: ${detail}`,
    );
  switch (config.selector) {
    case "ALL":
      return selected;
    case "ANY":
      return [pick(selected)];
    case "EXACT": {
      if (config.count === 0) throw refuse("service selector count must be greater than 0");
      if (config.count > selected.length) {
        throw refuse(
          `service selector count ${config.count} must be less than or equal to the slice length ${selected.length}`,
        );
      }
      selected = [...selected];
      return Array.from({ length: config.count }, () => pick(selected));
    }
    default:
      throw refuse("invalid service selector");
  }
}

/** The services a signer uses, picked from a signing config. */
export interface SigningServices {
  /** The Fulcio CA (absent when the config names none: signing with a key needs none). */
  fulcioUrl?: string;
  /** The OIDC issuer for the browser and device flows (absent when the config names none). */
  oidcUrl?: string;
  /** The Rekor v1 logs to upload to (empty when the config names no log: no upload). */
  rekorUrls: string[];
  /** The RFC 3161 timestamp authorities (empty when the config names none). */
  tsaUrls: string[];
}

/**
 * Picks the services of a signing config as cosign v2.6.4 does when signing with
 * `--signing-config` (pkg/cosign/bundle/sign.go `SignData`, internal/auth `RetrieveIDToken`):
 * one Fulcio CA and one OIDC issuer (`SelectService`), the Rekor logs and TSAs by their
 * selectors (`SelectServices`). A kind the config leaves empty is not used (no upload, no
 * timestamps); a kind it names but none of which fits is an error, as in Go.
 *
 * Rekor: only v1 logs can be used. When the config offers logs valid now but only of another
 * API version (Rekor v2), the error says so.
 *
 * @param sc the signing config
 * @param now the signing time
 * @param random a number in [0, 1) for `ANY` / `EXACT` (default Math.random)
 * @returns the URLs to use
 * @throws {SigstoreError} `SIGNING_SERVICE_NOT_FOUND` when a kind has no usable service;
 *   `SIGNING_SERVICE_UNSUPPORTED` when the only valid Rekor logs are not v1
 * @example
 * ```ts
 * const { fulcioUrl, rekorUrls } = selectSigningServices(parseSigningConfig(bytes), new Date());
 * ```
 */
export function selectSigningServices(
  sc: SigningConfig,
  now: Date,
  random: () => number = Math.random,
): SigningServices {
  const out: SigningServices = { rekorUrls: [], tsaUrls: [] };
  if (sc.caUrls.length) {
    out.fulcioUrl = selectService(sc.caUrls, FULCIO_API_VERSIONS, now, "Fulcio CA").url;
  }
  if (sc.oidcUrls.length) {
    out.oidcUrl = selectService(sc.oidcUrls, OIDC_API_VERSIONS, now, "OIDC provider").url;
  }
  if (sc.rekorTlogUrls.length) {
    const valid = sc.rekorTlogUrls.filter((s) => serviceValidAt(s, now));
    if (valid.length && !valid.some((s) => REKOR_API_VERSIONS.includes(s.majorApiVersion))) {
      const versions = [...new Set(valid.map((s) => s.majorApiVersion))].sort((a, b) => a - b);
      throw new SigstoreError(
        "SIGNING_SERVICE_UNSUPPORTED",
        `Cannot select a Rekor log from the signing config: it offers only Rekor API version ${
          versions.join(", ")
        } logs (${valid.map((s) => s.url).join(", ")}); only Rekor v1 is supported`,
      );
    }
    out.rekorUrls = selectServices(
      sc.rekorTlogUrls,
      sc.rekorTlogConfig,
      REKOR_API_VERSIONS,
      now,
      "Rekor log",
      random,
    ).map((s) => s.url);
  }
  if (sc.tsaUrls.length) {
    out.tsaUrls = selectServices(
      sc.tsaUrls,
      sc.tsaConfig,
      TSA_API_VERSIONS,
      now,
      "timestamp authority",
      random,
    ).map((s) => s.url);
  }
  return out;
}
