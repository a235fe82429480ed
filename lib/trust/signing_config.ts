/**
 * Sigstore signing configs (protobuf-specs `dev.sigstore.trustroot.v1.SigningConfig`, media type
 * `application/vnd.dev.sigstore.signingconfig.v0.2+json`): the Fulcio, OIDC, Rekor and timestamp
 * services a signer uses, each with its API version, validity and operator, and how many Rekor
 * logs and TSAs to use. Read as sigstore-go's `NewSigningConfigFromJSON` (protojson) does, and
 * built as cosign 3's `signing-config create` (cmd/cosign/cli/signingconfig) writes it.
 *
 * @module
 */
import { formatProtoTime, parseRfc3339, type ProtoTime, ZERO_TIME } from "./_proto_time.ts";
import { parseKeyValues, requireKeys, specTime } from "./_service_spec.ts";

/** The only signing config media type sigstore-go accepts. */
export const SIGNING_CONFIG_MEDIA_TYPE = "application/vnd.dev.sigstore.signingconfig.v0.2+json";
/** Most bytes of a signing config file. */
export const MAX_SIGNING_CONFIG_BYTES = 1024 * 1024;
/** Most services of one kind. */
const MAX_SERVICES = 64;

/** One service endpoint (protobuf-specs trustroot.v1.Service). */
export interface SigningService {
  url: string;
  /** The major API version (Rekor 1 or 2, Fulcio 1, …); 0 when absent. */
  majorApiVersion: number;
  /** When to use it; a missing start is Go's zero time. */
  validFor: { start?: ProtoTime; end?: ProtoTime };
  operator: string;
}

/** How many services of a kind a signer uses (protobuf-specs ServiceSelector). */
export type ServiceSelector = "SERVICE_SELECTOR_UNDEFINED" | "ALL" | "ANY" | "EXACT";

/** A service selection (protobuf-specs trustroot.v1.ServiceConfiguration). */
export interface ServiceConfiguration {
  selector: ServiceSelector;
  /** For `EXACT`: how many. */
  count: number;
}

/** A parsed signing config. */
export interface SigningConfig {
  mediaType: string;
  caUrls: SigningService[];
  oidcUrls: SigningService[];
  rekorTlogUrls: SigningService[];
  rekorTlogConfig: ServiceConfiguration;
  tsaUrls: SigningService[];
  tsaConfig: ServiceConfiguration;
}

const SELECTORS: ServiceSelector[] = ["SERVICE_SELECTOR_UNDEFINED", "ALL", "ANY", "EXACT"];

function invalid(detail: string): TypeError {
  return new TypeError(`Cannot read signing config: ${detail}`);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** protojson: fields by their JSON or proto name; unknown fields are an error. */
function fields(v: Obj, allowed: string[], what: string): Obj {
  const out: Obj = {};
  for (const [k, val] of Object.entries(v)) {
    const name = allowed.find((a) =>
      a === k || a.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase()) === k
    );
    if (!name) throw invalid(`unknown field "${k}" in ${what}`);
    if (name in out) throw invalid(`duplicate field "${k}" in ${what}`);
    if (val !== null) out[name] = val;
  }
  return out;
}

function uint32(v: unknown, what: string): number {
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw invalid(`${what} is not a uint32`);
  }
  return n;
}

function str(v: unknown, what: string): string {
  if (v === undefined) return "";
  if (typeof v !== "string") throw invalid(`${what} is not a string`);
  return v;
}

function timestamp(v: unknown, what: string): ProtoTime {
  const t = typeof v === "string" ? parseRfc3339(v) : undefined;
  if (!t) throw invalid(`${what} is not an RFC 3339 time`);
  return t;
}

function parseService(v: unknown, what: string): SigningService {
  if (!isObj(v)) throw invalid(`${what} is not an object`);
  const f = fields(v, ["url", "majorApiVersion", "validFor", "operator"], what);
  const validFor: SigningService["validFor"] = {};
  if (f.validFor !== undefined) {
    if (!isObj(f.validFor)) throw invalid(`${what}.validFor is not an object`);
    const r = fields(f.validFor, ["start", "end"], `${what}.validFor`);
    if (r.start !== undefined) validFor.start = timestamp(r.start, `${what}.validFor.start`);
    if (r.end !== undefined) validFor.end = timestamp(r.end, `${what}.validFor.end`);
  }
  return {
    url: str(f.url, `${what}.url`),
    majorApiVersion: f.majorApiVersion === undefined
      ? 0
      : uint32(f.majorApiVersion, `${what}.majorApiVersion`),
    validFor,
    operator: str(f.operator, `${what}.operator`),
  };
}

function parseServices(v: unknown, what: string): SigningService[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid(`${what} is not a list`);
  if (v.length > MAX_SERVICES) throw invalid(`${what} has more than ${MAX_SERVICES} services`);
  return v.map((s, i) => parseService(s, `${what}[${i}]`));
}

function parseConfig(v: unknown, what: string): ServiceConfiguration {
  if (v === undefined) return { selector: "SERVICE_SELECTOR_UNDEFINED", count: 0 };
  if (!isObj(v)) throw invalid(`${what} is not an object`);
  const f = fields(v, ["selector", "count"], what);
  let selector: ServiceSelector = "SERVICE_SELECTOR_UNDEFINED";
  if (typeof f.selector === "number" && SELECTORS[f.selector]) selector = SELECTORS[f.selector];
  else if (SELECTORS.includes(f.selector as ServiceSelector)) {
    selector = f.selector as ServiceSelector;
  } else if (f.selector !== undefined) throw invalid(`${what}.selector is not a ServiceSelector`);
  return { selector, count: f.count === undefined ? 0 : uint32(f.count, `${what}.count`) };
}

/**
 * Parses a signing config as sigstore-go's `NewSigningConfigFromJSON`: protobuf JSON (unknown
 * fields refused), media type v0.2 only.
 *
 * @param input the file's bytes
 * @returns the signing config
 * @throws {SyntaxError} when it is not JSON
 * @throws {TypeError} "Cannot read signing config: …" for unknown fields, wrong types, or
 *   "unsupported SigningConfig media type: <type>"
 */
export function parseSigningConfig(input: Uint8Array): SigningConfig {
  if (input.length > MAX_SIGNING_CONFIG_BYTES) throw invalid("larger than 1 MiB");
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(input));
  } catch (e) {
    throw new SyntaxError(`Cannot read signing config: not JSON: ${(e as Error).message}`);
  }
  if (!isObj(v)) throw invalid("not a JSON object");
  const f = fields(v, [
    "mediaType",
    "caUrls",
    "oidcUrls",
    "rekorTlogUrls",
    "rekorTlogConfig",
    "tsaUrls",
    "tsaConfig",
  ], "SigningConfig");
  const mediaType = str(f.mediaType, "mediaType");
  if (mediaType !== SIGNING_CONFIG_MEDIA_TYPE) {
    throw invalid(`unsupported SigningConfig media type: ${mediaType}`);
  }
  return {
    mediaType,
    caUrls: parseServices(f.caUrls, "caUrls"),
    oidcUrls: parseServices(f.oidcUrls, "oidcUrls"),
    rekorTlogUrls: parseServices(f.rekorTlogUrls, "rekorTlogUrls"),
    rekorTlogConfig: parseConfig(f.rekorTlogConfig, "rekorTlogConfig"),
    tsaUrls: parseServices(f.tsaUrls, "tsaUrls"),
    tsaConfig: parseConfig(f.tsaConfig, "tsaConfig"),
  };
}

/** Go's strconv.ParseUint(text, 10, 32), with its messages. */
function parseUint32(text: string): number {
  if (!/^\d+$/.test(text)) {
    throw new TypeError(`strconv.ParseUint: parsing "${text}": invalid syntax`);
  }
  const n = Number(text);
  if (n > 0xffffffff) {
    throw new TypeError(`strconv.ParseUint: parsing "${text}": value out of range`);
  }
  return n;
}

/**
 * Parses a service specification of `signing-config create` (`--fulcio`, `--rekor`,
 * `--oidc-provider`, `--tsa`): `url=…,api-version=N,start-time=…,operator=…[,end-time=…]`.
 *
 * @param spec the flag value
 * @returns the service
 * @throws {TypeError} "missing required key '<key>' in service spec", "parsing api-version: …",
 *   "parsing start-time: …", "invalid key-value pair: …"
 */
export function parseServiceSpec(spec: string): SigningService {
  const kvs = parseKeyValues(spec);
  requireKeys(
    kvs,
    ["url", "api-version", "start-time", "operator"],
    "missing required key",
    "service spec",
  );
  let majorApiVersion: number;
  try {
    majorApiVersion = parseUint32(kvs.get("api-version")!);
  } catch (e) {
    throw new TypeError(`parsing api-version: ${(e as Error).message}`);
  }
  const service: SigningService = {
    url: kvs.get("url")!,
    majorApiVersion,
    validFor: { start: specTime(kvs.get("start-time")!, "start-time") },
    operator: kvs.get("operator")!,
  };
  const et = kvs.get("end-time");
  if (et) service.validFor.end = specTime(et, "end-time");
  return service;
}

/**
 * Parses `--rekor-config` / `--tsa-config`: `ANY`, `ALL` or `EXACT:<count>` (any case).
 *
 * @param text the flag value ("" for none)
 * @returns the configuration
 * @throws {TypeError} "mode ANY does not accept a count", "mode EXACT requires a count, e.g.
 *   EXACT:2", "invalid count for EXACT mode: …", "invalid service config mode: <MODE>"
 */
export function parseServiceConfig(text: string): ServiceConfiguration {
  if (text === "") return { selector: "SERVICE_SELECTOR_UNDEFINED", count: 0 };
  const colon = text.indexOf(":");
  const mode = (colon < 0 ? text : text.slice(0, colon)).toUpperCase();
  const hasCount = colon >= 0;
  switch (mode) {
    case "ANY":
    case "ALL":
      if (hasCount) throw new TypeError(`mode ${mode} does not accept a count`);
      return { selector: mode, count: 0 };
    case "EXACT": {
      if (!hasCount) throw new TypeError("mode EXACT requires a count, e.g. EXACT:2");
      try {
        return { selector: "EXACT", count: parseUint32(text.slice(colon + 1)) };
      } catch (e) {
        throw new TypeError(`invalid count for EXACT mode: ${(e as Error).message}`);
      }
    }
    default:
      throw new TypeError(`invalid service config mode: ${mode}`);
  }
}

/** What {@link createSigningConfig} builds from (cosign 3's `signing-config create` flags). */
export interface CreateSigningConfigOptions {
  fulcio?: string[];
  rekor?: string[];
  oidcProvider?: string[];
  tsa?: string[];
  /** `--rekor-config`; required with `rekor`. */
  rekorConfig?: string;
  /** `--tsa-config`; required with `tsa`. */
  tsaConfig?: string;
  /**
   * `--base-config` (or the Sigstore defaults): its services of each kind are kept unless
   * specifications of that kind are given or the kind is in `omit` (`--no-default-fulcio` …).
   */
  base?: SigningConfig;
  omit?: ("fulcio" | "rekor" | "oidc" | "tsa")[];
}

function serviceJson(s: SigningService): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.url !== "") out.url = s.url;
  if (s.majorApiVersion !== 0) out.majorApiVersion = s.majorApiVersion;
  const validFor: Record<string, string> = {
    start: formatProtoTime(s.validFor.start ?? ZERO_TIME),
  };
  if (s.validFor.end) validFor.end = formatProtoTime(s.validFor.end);
  out.validFor = validFor;
  if (s.operator !== "") out.operator = s.operator;
  return out;
}

function configJson(c: ServiceConfiguration): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (c.selector !== "SERVICE_SELECTOR_UNDEFINED") out.selector = c.selector;
  if (c.count !== 0) out.count = c.count;
  return out;
}

/**
 * Writes a signing config as sigstore-go's `SigningConfig.MarshalJSON` (protojson, field order
 * of the message, zero values left out, validity start always present).
 *
 * @param sc the signing config
 * @returns compact protobuf JSON
 */
export function marshalSigningConfig(sc: SigningConfig): string {
  const out: Record<string, unknown> = { mediaType: sc.mediaType };
  const put = (name: string, list: SigningService[]) => {
    if (list.length) out[name] = list.map(serviceJson);
  };
  put("caUrls", sc.caUrls);
  put("oidcUrls", sc.oidcUrls);
  put("rekorTlogUrls", sc.rekorTlogUrls);
  out.rekorTlogConfig = configJson(sc.rekorTlogConfig);
  put("tsaUrls", sc.tsaUrls);
  out.tsaConfig = configJson(sc.tsaConfig);
  return JSON.stringify(out);
}

function limit(list: string[] | undefined, what: string): string[] {
  const l = list ?? [];
  if (l.length > MAX_SERVICES) throw new TypeError(`more than ${MAX_SERVICES} ${what} given`);
  return l;
}

/**
 * Builds a signing config as `cosign signing-config create` does.
 *
 * @param o the specifications, selections and base config
 * @returns the signing config as protobuf JSON (no trailing newline)
 * @throws {TypeError} with cosign's messages: "--rekor-config must be provided when --rekor is
 *   specified", "parsing rekor-config: …", "parsing fulcio spec: missing required key 'operator'
 *   in service spec" …
 * @example
 * ```ts
 * const json = createSigningConfig({
 *   rekor: ["url=https://rekor.example,api-version=1,start-time=2025-01-01T00:00:00Z,operator=me"],
 *   rekorConfig: "ANY",
 * });
 * ```
 */
export function createSigningConfig(o: CreateSigningConfigOptions): string {
  const fulcio = limit(o.fulcio, "--fulcio specifications");
  const rekor = limit(o.rekor, "--rekor specifications");
  const oidc = limit(o.oidcProvider, "--oidc-provider specifications");
  const tsa = limit(o.tsa, "--tsa specifications");
  const rekorConfigText = o.rekorConfig ?? "";
  const tsaConfigText = o.tsaConfig ?? "";
  if (rekor.length && rekorConfigText === "") {
    throw new TypeError("--rekor-config must be provided when --rekor is specified");
  }
  if (tsa.length && tsaConfigText === "") {
    throw new TypeError("--tsa-config must be provided when --tsa is specified");
  }
  const omit = new Set(o.omit ?? []);
  const sc: SigningConfig = {
    mediaType: SIGNING_CONFIG_MEDIA_TYPE,
    caUrls: [],
    oidcUrls: [],
    rekorTlogUrls: [],
    rekorTlogConfig: { selector: "SERVICE_SELECTOR_UNDEFINED", count: 0 },
    tsaUrls: [],
    tsaConfig: { selector: "SERVICE_SELECTOR_UNDEFINED", count: 0 },
  };
  const b = o.base;
  if (b) {
    if (!fulcio.length && !omit.has("fulcio")) sc.caUrls.push(...b.caUrls);
    if (!rekor.length && !omit.has("rekor")) {
      sc.rekorTlogUrls.push(...b.rekorTlogUrls);
      sc.rekorTlogConfig = b.rekorTlogConfig;
    }
    if (!oidc.length && !omit.has("oidc")) sc.oidcUrls.push(...b.oidcUrls);
    if (!tsa.length && !omit.has("tsa")) {
      sc.tsaUrls.push(...b.tsaUrls);
      sc.tsaConfig = b.tsaConfig;
    }
  }
  const config = (text: string, what: string) => {
    try {
      return parseServiceConfig(text);
    } catch (e) {
      throw new TypeError(`parsing ${what}: ${(e as Error).message}`);
    }
  };
  if (rekorConfigText !== "") sc.rekorTlogConfig = config(rekorConfigText, "rekor-config");
  if (tsaConfigText !== "") sc.tsaConfig = config(tsaConfigText, "tsa-config");
  const services = (specs: string[], what: string, into: SigningService[]) => {
    for (const spec of specs) {
      try {
        into.push(parseServiceSpec(spec));
      } catch (e) {
        throw new TypeError(`parsing ${what} spec: ${(e as Error).message}`);
      }
    }
  };
  services(fulcio, "fulcio", sc.caUrls);
  services(rekor, "rekor", sc.rekorTlogUrls);
  services(oidc, "oidc-provider", sc.oidcUrls);
  services(tsa, "tsa", sc.tsaUrls);
  return marshalSigningConfig(sc);
}
