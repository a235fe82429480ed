/**
 * Builds a Sigstore trusted root (`trusted_root.json`) from certificate chains and log keys, as
 * cosign 3's `cosign trusted-root create` does (cmd/cosign/cli/trustedroot/trustedroot.go) and
 * writes it as sigstore-go does (pkg/root/trusted_root_create.go, protojson): field order of the
 * protobuf-specs messages, `validFor` times in UTC, bytes in standard base64, logs and
 * authorities sorted by the start of their validity.
 *
 * Two differences from Go, both where Go's output is not defined: logs with equal start times
 * keep the order they were given in (Go's order comes from a map and varies from run to run), and
 * the JSON has no spaces (protojson inserts a space after some commas, chosen per binary, to stop
 * byte comparisons).
 *
 * @module
 */
import { sha256 } from "../digest.ts";
import { decodePem } from "../keys/pem.ts";
import { parsePublicKeyPem, type PublicKey } from "../keys/public_key.ts";
import { type Certificate, parseCertificate } from "../x509/certificate.ts";
import {
  compareTimes,
  EPOCH,
  formatProtoTime,
  type ProtoTime,
  timeFromMillis,
  ZERO_TIME,
} from "./_proto_time.ts";
import { parseKeyValues, requireKeys, specTime } from "./_service_spec.ts";
import {
  logKeyId,
  TRUSTED_ROOT_MEDIA_TYPE,
  type TrustedCertificateAuthority,
  type TrustedLog,
  type TrustedRoot,
} from "./trusted_root.ts";

/** Most certificates read from one chain file. */
export const MAX_CHAIN_FILE_CERTIFICATES = 16;
/** Most specifications of one kind. */
export const MAX_TRUSTED_ROOT_SPECS = 64;

/** cosign's deprecated one-value-per-flag inputs, matched by position. */
export interface LegacyTrustedRootFlags {
  /** `--certificate-chain` (Fulcio), with `--fulcio-uri`. */
  certificateChain?: string[];
  fulcioUri?: string[];
  /** `--ctfe-key`, `--ctfe-start-time`, `--ctfe-end-time`, `--ctfe-url`. */
  ctfeKey?: string[];
  ctfeStartTime?: string[];
  ctfeEndTime?: string[];
  ctfeUrl?: string[];
  /** `--rekor-key` (`path[,origin]`), `--rekor-start-time`, `--rekor-end-time`, `--rekor-url`. */
  rekorKey?: string[];
  rekorStartTime?: string[];
  rekorEndTime?: string[];
  rekorUrl?: string[];
  /** `--timestamp-certificate-chain`, with `--timestamp-uri`. */
  timestampCertificateChain?: string[];
  timestampUri?: string[];
}

/** What {@link createTrustedRoot} builds from. */
export interface CreateTrustedRootOptions {
  /** `--fulcio`: `url=…,certificate-chain=PATH[,start-time=…][,end-time=…]`. */
  fulcio?: string[];
  /** `--rekor`: `url=…,public-key=PATH,start-time=…[,end-time=…][,origin=…]`. */
  rekor?: string[];
  /** `--ctfe`: as `--rekor`. */
  ctfe?: string[];
  /** `--tsa`: `url=…,certificate-chain=PATH[,start-time=…][,end-time=…]` (leaf first). */
  tsa?: string[];
  /** The deprecated flags (each kind refused together with its new flag). */
  legacy?: LegacyTrustedRootFlags;
  /**
   * `--with-default-services`: a trusted root (the Sigstore one from TUF) whose services come
   * first, except the kinds listed in `omit` (`--no-default-fulcio` …).
   */
  defaults?: { root: TrustedRoot; omit?: ("fulcio" | "ctfe" | "rekor" | "tsa")[] };
  /** Reads a file named in a specification (certificate chains, public keys). */
  readFile(path: string): Promise<Uint8Array>;
}

interface Log {
  baseUrl: string;
  keyId: Uint8Array;
  key: PublicKey;
  start: ProtoTime;
  end?: ProtoTime;
}

interface Authority {
  uri: string;
  /** In output order: (leaf,) intermediates, root. */
  chain: Certificate[];
  start: ProtoTime;
  end?: ProtoTime;
}

const ORGANIZATION = "2.5.4.10";
const COMMON_NAME = "2.5.4.3";

/**
 * Reads every PEM block of a file as a certificate, as cosign's parseCerts: text around blocks
 * is skipped, the block label is not checked, at least one certificate is required.
 */
function parseCerts(text: string, path: string): Certificate[] {
  const certs: Certificate[] = [];
  let rest = text;
  for (;;) {
    const begin = rest.startsWith("-----BEGIN ") ? 0 : rest.indexOf("\n-----BEGIN ");
    if (begin < 0) break;
    rest = rest.slice(begin);
    const typeEnd = rest.indexOf("-----", 11);
    const type = typeEnd < 0 ? "" : rest.slice(11, typeEnd);
    const end = typeEnd < 0 ? -1 : rest.indexOf(`\n-----END ${type}-----`);
    const blockText = end < 0 ? "" : rest.slice(0, end + type.length + 15);
    const block = end < 0 ? null : decodePem(blockText);
    if (!block) {
      // Not a block Go would decode: look for the next BEGIN line.
      rest = rest.slice(1);
      continue;
    }
    if (certs.length >= MAX_CHAIN_FILE_CERTIFICATES) {
      throw new TypeError(`more than ${MAX_CHAIN_FILE_CERTIFICATES} certificates in file ${path}`);
    }
    certs.push(parseCertificate(block.bytes));
    rest = rest.slice(blockText.length);
  }
  if (certs.length === 0) throw new TypeError(`no certificates in file ${path}`);
  return certs;
}

async function readCerts(
  o: CreateTrustedRootOptions,
  path: string,
  prefix = "",
): Promise<Certificate[]> {
  const bytes = await o.readFile(path);
  try {
    return parseCerts(new TextDecoder().decode(bytes), path);
  } catch (e) {
    const msg = (e as Error).message.replace(/^Cannot parse certificate: /, "x509: ");
    throw new TypeError(prefix + msg, { cause: e });
  }
}

/** The log ID cosign gives a key: SHA-256 of its SPKI (cosign.GetTransparencyLogID). */
function spkiLogId(key: PublicKey): Uint8Array {
  return sha256(key.spki);
}

/** The checkpoint key ID for an origin (rekor-tiles pkg/note KeyHash), for Rekor v2 logs. */
function checkpointLogId(origin: string, key: PublicKey): Uint8Array {
  if (key.kind === "rsa" && origin === "") {
    const enc = new TextEncoder();
    return sha256(
      enc.encode("\n"),
      Uint8Array.of(0xff),
      enc.encode("PKIX-RSA-PKCS#1v1.5"),
      key.spki,
    );
  }
  return logKeyId(key, origin);
}

async function readKey(o: CreateTrustedRootOptions, path: string): Promise<PublicKey> {
  const bytes = await o.readFile(path);
  try {
    return parsePublicKeyPem(bytes);
  } catch (e) {
    throw new TypeError((e as Error).message.replace(/^Cannot load public key: /, ""), {
      cause: e,
    });
  }
}

function isCa(c: Certificate): boolean {
  return c.basicConstraints?.ca === true;
}

async function fulcioFromSpec(o: CreateTrustedRootOptions, spec: string): Promise<Authority> {
  const kvs = parseKeyValues(spec);
  requireKeys(kvs, ["url", "certificate-chain"], "missing or empty required key", "fulcio spec");
  const certs = await readCerts(
    o,
    kvs.get("certificate-chain")!,
    "parsing Fulcio certificate-chain: ",
  );
  const root = certs[certs.length - 1];
  const st = kvs.get("start-time");
  const et = kvs.get("end-time");
  return {
    uri: kvs.get("url")!,
    chain: certs,
    start: st ? specTime(st, "start-time") : timeFromMillis(root.notBefore),
    end: et ? specTime(et, "end-time") : undefined,
  };
}

async function tsaFromSpec(o: CreateTrustedRootOptions, spec: string): Promise<Authority> {
  const kvs = parseKeyValues(spec);
  requireKeys(kvs, ["url", "certificate-chain"], "missing or empty required key", "tsa spec");
  const certs = await readCerts(
    o,
    kvs.get("certificate-chain")!,
    "parsing TSA certificate-chain: ",
  );
  if (isCa(certs[0])) throw new TypeError("first certificate in chain must be a leaf certificate");
  const st = kvs.get("start-time");
  const et = kvs.get("end-time");
  return {
    uri: kvs.get("url")!,
    // A lone leaf is also the root: sigstore-go writes it twice (leaf, then root).
    chain: certs.length === 1 ? [certs[0], certs[0]] : certs,
    start: st ? specTime(st, "start-time") : timeFromMillis(certs[0].notBefore),
    end: et ? specTime(et, "end-time") : undefined,
  };
}

async function logFromSpec(o: CreateTrustedRootOptions, spec: string): Promise<Log> {
  const kvs = parseKeyValues(spec);
  requireKeys(
    kvs,
    ["url", "public-key", "start-time"],
    "missing or empty required key",
    "tlog spec",
  );
  let key: PublicKey;
  try {
    key = await readKey(o, kvs.get("public-key")!);
  } catch (e) {
    throw new TypeError(`parsing public-key: ${(e as Error).message}`, { cause: e });
  }
  const start = specTime(kvs.get("start-time")!, "start-time");
  const et = kvs.get("end-time");
  const origin = kvs.get("origin");
  return {
    baseUrl: kvs.get("url")!,
    keyId: origin === undefined ? spkiLogId(key) : checkpointLogId(origin, key),
    key,
    start,
    end: et ? specTime(et, "end-time") : undefined,
  };
}

function at<T>(list: T[] | undefined, i: number): T | undefined {
  return list && i < list.length ? list[i] : undefined;
}

async function legacyLogs(
  o: CreateTrustedRootOptions,
  keys: string[],
  starts: string[] | undefined,
  ends: string[] | undefined,
  urls: string[] | undefined,
  withOrigin: boolean,
): Promise<Log[]> {
  const out: Log[] = [];
  for (let i = 0; i < keys.length; i++) {
    const parts = withOrigin ? keys[i].split(",") : [keys[i]];
    const path = parts[0];
    const origin = parts.length > 1 ? parts.slice(1).join(",") : "";
    const key = await readKey(o, path);
    const st = at(starts, i);
    const et = at(ends, i);
    out.push({
      baseUrl: at(urls, i) ?? "",
      keyId: origin !== "" ? checkpointLogId(origin, key) : spkiLogId(key),
      key,
      start: st !== undefined ? specTime(st, "start-time") : EPOCH,
      end: et !== undefined ? specTime(et, "end-time") : undefined,
    });
  }
  return out;
}

function fromTrustedLog(l: TrustedLog): Log {
  return {
    baseUrl: l.baseUrl,
    keyId: l.keyId,
    key: l.publicKey,
    start: timeFromMillis(l.validFor.start),
    end: l.validFor.end !== undefined ? timeFromMillis(l.validFor.end) : undefined,
  };
}

function fromTrustedAuthority(a: TrustedCertificateAuthority): Authority {
  return {
    uri: a.uri,
    chain: a.certChain,
    start: a.validFor.start !== undefined ? timeFromMillis(a.validFor.start) : ZERO_TIME,
    end: a.validFor.end !== undefined ? timeFromMillis(a.validFor.end) : undefined,
  };
}

function validFor(start: ProtoTime, end?: ProtoTime): Record<string, string> {
  const out: Record<string, string> = { start: formatProtoTime(start) };
  if (end) out.end = formatProtoTime(end);
  return out;
}

/** protobuf-specs PublicKeyDetails of a key, as sigstore-go publicKeyToProtobufPublicKey. */
function keyDetails(key: PublicKey, what: string): string {
  switch (key.kind) {
    case "ecdsa":
      return { "P-256": "PKIX_ECDSA_P256_SHA_256", "P-384": "PKIX_ECDSA_P384_SHA_384" }[
        key.curve as "P-256" | "P-384"
      ] ?? "PKIX_ECDSA_P521_SHA_512";
    case "ed25519":
      return "PKIX_ED25519";
    case "rsa": {
      const bits = Math.ceil((key.bits ?? 0) / 8) * 8;
      if (bits === 2048 || bits === 3072 || bits === 4096) {
        return `PKIX_RSA_PKCS1V15_${bits}_SHA256`;
      }
      throw new TypeError(
        `failed converting ${what} to protobuf: unsupported public modulus for RSA key: ${
          bits / 8
        }`,
      );
    }
  }
}

function logJson(l: Log, what: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (l.baseUrl !== "") out.baseUrl = l.baseUrl;
  out.hashAlgorithm = "SHA2_256";
  out.publicKey = {
    rawBytes: l.key.spki.toBase64(),
    keyDetails: keyDetails(l.key, `${what} ${l.keyId.toHex()}`),
    validFor: validFor(l.start, l.end),
  };
  out.logId = { keyId: l.keyId.toBase64() };
  return out;
}

function nameOf(c: Certificate): { organization?: string; commonName?: string } {
  let organization = "";
  let commonName = "";
  for (const rdn of c.subject.attributes) {
    for (const a of rdn) {
      if (a.oid === ORGANIZATION && organization === "") organization = a.value;
      if (a.oid === COMMON_NAME) commonName = a.value;
    }
  }
  const out: { organization?: string; commonName?: string } = {};
  if (organization !== "") out.organization = organization;
  if (commonName !== "") out.commonName = commonName;
  return out;
}

function authorityJson(a: Authority): Record<string, unknown> {
  const out: Record<string, unknown> = { subject: nameOf(a.chain[a.chain.length - 1]) };
  if (a.uri !== "") out.uri = a.uri;
  out.certChain = { certificates: a.chain.map((c) => ({ rawBytes: c.der.toBase64() })) };
  out.validFor = validFor(a.start, a.end);
  return out;
}

/** Adds logs by key ID: a later log with the same ID replaces the earlier one (Go's map). */
function addLogs(into: Map<string, Log>, logs: Log[]): void {
  for (const l of logs) into.set(l.keyId.toHex(), l);
}

function byStart<T extends { start: ProtoTime }>(items: T[]): T[] {
  return [...items].sort((a, b) => compareTimes(a.start, b.start));
}

function limit(list: string[] | undefined, what: string): string[] {
  const l = list ?? [];
  if (l.length > MAX_TRUSTED_ROOT_SPECS) {
    throw new TypeError(`more than ${MAX_TRUSTED_ROOT_SPECS} ${what} given`);
  }
  return l;
}

/**
 * Builds a trusted root from service specifications, as `cosign trusted-root create`.
 *
 * @param o the specifications, defaults and a file reader
 * @returns the trusted root as protobuf JSON (no trailing newline)
 * @throws {TypeError} for a malformed specification, with cosign's message: "parsing fulcio spec:
 *   missing or empty required key 'url' in fulcio spec", "parsing rekor spec: parsing public-key:
 *   …", "parsing tsa spec: first certificate in chain must be a leaf certificate", "no
 *   certificates in file <path>", an RSA log key of an unsupported size
 * @throws whatever `readFile` throws for a file that cannot be read
 * @example
 * ```ts
 * const json = await createTrustedRoot({
 *   rekor: ["url=https://rekor.example,public-key=rekor.pub,start-time=2025-01-01T00:00:00Z"],
 *   readFile: Deno.readFile,
 * });
 * ```
 */
export async function createTrustedRoot(o: CreateTrustedRootOptions): Promise<string> {
  const legacy = o.legacy ?? {};
  const fulcio = limit(o.fulcio, "--fulcio specifications");
  const rekor = limit(o.rekor, "--rekor specifications");
  const ctfe = limit(o.ctfe, "--ctfe specifications");
  const tsa = limit(o.tsa, "--tsa specifications");
  const omit = new Set(o.defaults?.omit ?? []);
  const cas: Authority[] = [];
  const ctlogs = new Map<string, Log>();
  const tsas: Authority[] = [];
  const tlogs = new Map<string, Log>();

  if (o.defaults) {
    const r = o.defaults.root;
    if (!omit.has("fulcio")) cas.push(...r.certificateAuthorities.map(fromTrustedAuthority));
    if (!omit.has("ctfe")) addLogs(ctlogs, r.ctlogs.map(fromTrustedLog));
    if (!omit.has("rekor")) addLogs(tlogs, r.tlogs.map(fromTrustedLog));
    if (!omit.has("tsa")) tsas.push(...r.timestampAuthorities.map(fromTrustedAuthority));
  }

  const wrap = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
      throw new TypeError(`parsing ${what} spec: ${e.message}`, { cause: e.cause ?? e });
    }
  };

  if (fulcio.length) {
    for (const spec of fulcio) cas.push(await wrap("fulcio", () => fulcioFromSpec(o, spec)));
  } else {
    const chains = limit(legacy.certificateChain, "--certificate-chain files");
    for (let i = 0; i < chains.length; i++) {
      const certs = await readCerts(o, chains[i]);
      const root = certs[certs.length - 1];
      cas.push({
        uri: at(legacy.fulcioUri, i) ?? "",
        chain: certs,
        start: timeFromMillis(root.notBefore),
      });
    }
  }

  if (ctfe.length) {
    for (const spec of ctfe) addLogs(ctlogs, [await wrap("ctfe", () => logFromSpec(o, spec))]);
  } else {
    addLogs(
      ctlogs,
      await legacyLogs(
        o,
        limit(legacy.ctfeKey, "--ctfe-key files"),
        legacy.ctfeStartTime,
        legacy.ctfeEndTime,
        legacy.ctfeUrl,
        false,
      ),
    );
  }

  if (rekor.length) {
    for (const spec of rekor) addLogs(tlogs, [await wrap("rekor", () => logFromSpec(o, spec))]);
  } else {
    addLogs(
      tlogs,
      await legacyLogs(
        o,
        limit(legacy.rekorKey, "--rekor-key files"),
        legacy.rekorStartTime,
        legacy.rekorEndTime,
        legacy.rekorUrl,
        true,
      ),
    );
  }

  if (tsa.length) {
    for (const spec of tsa) tsas.push(await wrap("tsa", () => tsaFromSpec(o, spec)));
  } else {
    const chains = limit(legacy.timestampCertificateChain, "--timestamp-certificate-chain files");
    for (let i = 0; i < chains.length; i++) {
      const certs = await readCerts(o, chains[i]);
      if (isCa(certs[0])) {
        throw new TypeError("first certificate in chain must be a leaf certificate");
      }
      if (certs.length < 2) {
        throw new TypeError("certificate chain must have at least two certificates");
      }
      tsas.push({
        uri: at(legacy.timestampUri, i) ?? "",
        chain: certs,
        start: timeFromMillis(certs[certs.length - 1].notBefore),
      });
    }
  }

  const out: Record<string, unknown> = { mediaType: TRUSTED_ROOT_MEDIA_TYPE };
  const tl = byStart([...tlogs.values()]).map((l) => logJson(l, "rekor log"));
  const ca = byStart(cas).map(authorityJson);
  const ct = byStart([...ctlogs.values()]).map((l) => logJson(l, "ctlog"));
  const ts = byStart(tsas).map(authorityJson);
  if (tl.length) out.tlogs = tl;
  if (ca.length) out.certificateAuthorities = ca;
  if (ct.length) out.ctlogs = ct;
  if (ts.length) out.timestampAuthorities = ts;
  return JSON.stringify(out);
}
