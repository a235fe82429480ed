/**
 * TUF 1.0 metadata files (root, timestamp, snapshot, targets) parsed and checked for shape
 * (TUF 1.0 §4 "Document formats"). Signatures, versions and expiry are checked by
 * {@link TrustedMetadataSet} (lib/tuf/trusted_metadata_set.ts), not here.
 *
 * Every parsed document keeps its `signed` object exactly as `JSON.parse` returned it, unknown
 * fields included, because signatures cover its OLPC canonical form (go-tuf keeps unrecognised
 * fields for the same reason).
 *
 * @module
 */

/** The four top-level roles. */
export type TopLevelRole = "root" | "timestamp" | "snapshot" | "targets";

/** A public key as metadata states it (TUF 1.0 §4.2 "KEY"). */
export interface TufKey {
  keytype: string;
  scheme: string;
  /** `keyval.public`: PEM (ecdsa, rsa) or hex (ed25519). */
  public: string;
}

/** Key IDs and threshold of a role. */
export interface RoleKeys {
  keyids: string[];
  threshold: number;
}

/** A `meta` entry of timestamp or snapshot metadata (TUF 1.0 §4.4 "METAFILES"). */
export interface MetaFile {
  version: number;
  length?: number;
  /** Algorithm → lower-case hex digest. */
  hashes?: Record<string, string>;
}

/** A `targets` entry of targets metadata (TUF 1.0 §4.5 "TARGETS"). */
export interface TargetFile {
  /** The target's name (its key in `targets`). */
  path: string;
  length: number;
  /** Algorithm → lower-case hex digest; at least one. */
  hashes: Record<string, string>;
  custom?: unknown;
}

/** A delegated targets role (TUF 1.0 §4.5 "DELEGATIONS"). */
export interface DelegatedRole extends RoleKeys {
  name: string;
  terminating: boolean;
  paths?: string[];
  pathHashPrefixes?: string[];
}

/** Fields every role's `signed` has. */
interface CommonSigned {
  specVersion: string;
  version: number;
  /** Expiry, in milliseconds since the epoch. */
  expires: number;
}

/** Root metadata. */
export interface RootSigned extends CommonSigned {
  type: "root";
  consistentSnapshot: boolean;
  keys: Record<string, TufKey>;
  roles: Record<TopLevelRole, RoleKeys>;
}

/** Timestamp metadata. */
export interface TimestampSigned extends CommonSigned {
  type: "timestamp";
  /** The `snapshot.json` entry, the only one timestamp metadata has. */
  snapshotMeta: MetaFile;
}

/** Snapshot metadata. */
export interface SnapshotSigned extends CommonSigned {
  type: "snapshot";
  /** `<role>.json` → version (and optional length and hashes). */
  meta: Record<string, MetaFile>;
}

/** Targets metadata (top-level or delegated). */
export interface TargetsSigned extends CommonSigned {
  type: "targets";
  targets: Record<string, TargetFile>;
  delegations?: { keys: Record<string, TufKey>; roles: DelegatedRole[] };
}

/** The typed `signed` part by role type. */
export interface SignedByType {
  root: RootSigned;
  timestamp: TimestampSigned;
  snapshot: SnapshotSigned;
  targets: TargetsSigned;
}

/** One signature of a metadata file. */
export interface TufSignature {
  keyid: string;
  /** Hex, as the file has it. */
  sig: string;
}

/** A parsed metadata file. */
export interface Metadata<T extends TopLevelRole = TopLevelRole> {
  signed: SignedByType[T];
  /** `signed` exactly as parsed: what signatures cover (in canonical form). */
  signedJson: Record<string, unknown>;
  signatures: TufSignature[];
}

/** Most signatures, keys, roles and entries accepted in one file (well above real use). */
const MAX_ENTRIES = 100_000;

function fail(what: string, detail: string): never {
  throw new SyntaxError(`Cannot parse TUF ${what} metadata: ${detail}`);
}

function obj(v: unknown, what: string, field: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    fail(what, `"${field}" must be an object`);
  }
  const o = v as Record<string, unknown>;
  if (Object.keys(o).length > MAX_ENTRIES) fail(what, `"${field}" has too many entries`);
  return o;
}

function str(v: unknown, what: string, field: string): string {
  if (typeof v !== "string") fail(what, `"${field}" must be a string`);
  return v;
}

function int(v: unknown, what: string, field: string, min: number): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
    fail(what, `"${field}" must be an integer of at least ${min}`);
  }
  return v;
}

function strList(v: unknown, what: string, field: string): string[] {
  if (!Array.isArray(v) || v.length > MAX_ENTRIES) fail(what, `"${field}" must be a list`);
  return v.map((x, i) => str(x, what, `${field}[${i}]`));
}

// TUF 1.0 §4.2: "YYYY-MM-DDTHH:MM:SSZ"; fractions of a second are tolerated (Go parses RFC 3339).
const EXPIRES = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

function hashes(v: unknown, what: string, field: string): Record<string, string> {
  const o = obj(v, what, field);
  const out: Record<string, string> = {};
  for (const [alg, hex] of Object.entries(o)) {
    const h = str(hex, what, `${field}.${alg}`);
    if (!/^([0-9a-fA-F]{2})+$/.test(h)) fail(what, `"${field}.${alg}" must be hex`);
    out[alg] = h.toLowerCase();
  }
  return out;
}

function parseKeys(v: unknown, what: string, field: string): Record<string, TufKey> {
  const out: Record<string, TufKey> = {};
  for (const [id, k] of Object.entries(obj(v, what, field))) {
    const key = obj(k, what, `${field}.${id}`);
    const val = obj(key.keyval, what, `${field}.${id}.keyval`);
    out[id] = {
      keytype: str(key.keytype, what, `${field}.${id}.keytype`),
      scheme: str(key.scheme, what, `${field}.${id}.scheme`),
      public: str(val.public, what, `${field}.${id}.keyval.public`),
    };
  }
  return out;
}

function roleKeys(v: unknown, what: string, field: string): RoleKeys {
  const r = obj(v, what, field);
  const keyids = strList(r.keyids, what, `${field}.keyids`);
  if (new Set(keyids).size !== keyids.length) fail(what, `"${field}.keyids" has duplicates`);
  return { keyids, threshold: int(r.threshold, what, `${field}.threshold`, 1) };
}

function metaFile(v: unknown, what: string, field: string): MetaFile {
  const m = obj(v, what, field);
  const out: MetaFile = { version: int(m.version, what, `${field}.version`, 1) };
  if (m.length !== undefined) out.length = int(m.length, what, `${field}.length`, 0);
  if (m.hashes !== undefined) out.hashes = hashes(m.hashes, what, `${field}.hashes`);
  return out;
}

function delegations(v: unknown, what: string): TargetsSigned["delegations"] {
  const d = obj(v, what, "delegations");
  if (d.succinct_roles !== undefined) {
    // TAP 15 succinct delegations: sigstore's repositories do not use them.
    fail(what, `"delegations.succinct_roles" is not supported`);
  }
  const keys = parseKeys(d.keys, what, "delegations.keys");
  const list = d.roles ?? [];
  if (!Array.isArray(list) || list.length > MAX_ENTRIES) {
    fail(what, `"delegations.roles" must be a list`);
  }
  const seen = new Set<string>();
  const roles = list.map((x, i): DelegatedRole => {
    const f = `delegations.roles[${i}]`;
    const r = obj(x, what, f);
    const name = str(r.name, what, `${f}.name`);
    if (name === "" || ["root", "timestamp", "snapshot", "targets"].includes(name)) {
      fail(what, `"${f}.name" must not be empty or a top-level role name`);
    }
    if (seen.has(name)) fail(what, `delegated role "${name}" appears twice`);
    seen.add(name);
    const terminating = r.terminating;
    if (typeof terminating !== "boolean") fail(what, `"${f}.terminating" must be a boolean`);
    const role: DelegatedRole = { name, terminating, ...roleKeys(r, what, f) };
    if (r.paths !== undefined && r.path_hash_prefixes !== undefined) {
      fail(what, `"${f}" must not have both "paths" and "path_hash_prefixes"`);
    }
    if (r.paths !== undefined) role.paths = strList(r.paths, what, `${f}.paths`);
    if (r.path_hash_prefixes !== undefined) {
      role.pathHashPrefixes = strList(r.path_hash_prefixes, what, `${f}.path_hash_prefixes`);
    }
    return role;
  });
  return { keys, roles };
}

/**
 * Parses a metadata file and checks its shape and `_type`.
 *
 * @param bytes the file
 * @param type the role type expected (`"targets"` for delegated roles too)
 * @returns the typed metadata, with `signed` kept as parsed for signature checks
 * @throws {SyntaxError} "Cannot parse TUF <type> metadata: …" for invalid JSON, a missing or
 *   mistyped field, another `_type`, a spec version other than 1.x, or two signatures by one key
 *   (go-tuf `checkUniqueSignatures`)
 */
export function parseMetadata<T extends TopLevelRole>(bytes: Uint8Array, type: T): Metadata<T> {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    fail(type, (e as Error).message);
  }
  const top = obj(doc, type, "(document)");
  const s = obj(top.signed, type, "signed");
  const sigList = top.signatures;
  if (!Array.isArray(sigList) || sigList.length > MAX_ENTRIES) {
    fail(type, `"signatures" must be a list`);
  }
  const signatures = sigList.map((x, i): TufSignature => {
    const o = obj(x, type, `signatures[${i}]`);
    return {
      keyid: str(o.keyid, type, `signatures[${i}].keyid`),
      sig: str(o.sig, type, `signatures[${i}].sig`),
    };
  });
  const ids = new Set(signatures.map((x) => x.keyid));
  if (ids.size !== signatures.length) fail(type, "multiple signatures by one key ID");

  const actual = str(s._type, type, "_type");
  if (actual !== type) fail(type, `expected _type "${type}", got "${actual}"`);
  const specVersion = str(s.spec_version, type, "spec_version");
  // TUF 1.0 §4.3: clients must refuse metadata of another major version.
  if (!/^1\.\d+(\.\d+)?$/.test(specVersion)) {
    fail(type, `unsupported spec_version "${specVersion}"`);
  }
  const expiresText = str(s.expires, type, "expires");
  const expires = Date.parse(expiresText);
  if (!EXPIRES.test(expiresText) || Number.isNaN(expires)) {
    fail(type, `"expires" must be a UTC time like 2030-01-01T00:00:00Z`);
  }
  const common = { specVersion, version: int(s.version, type, "version", 1), expires };

  let signed: SignedByType[TopLevelRole];
  switch (type as TopLevelRole) {
    case "root": {
      const cs = s.consistent_snapshot ?? false;
      if (typeof cs !== "boolean") fail(type, `"consistent_snapshot" must be a boolean`);
      const r = obj(s.roles, type, "roles");
      const roles = {} as Record<TopLevelRole, RoleKeys>;
      for (const name of ["root", "timestamp", "snapshot", "targets"] as const) {
        if (r[name] === undefined) fail(type, `"roles.${name}" is missing`);
        roles[name] = roleKeys(r[name], type, `roles.${name}`);
      }
      signed = {
        type: "root",
        ...common,
        consistentSnapshot: cs,
        keys: parseKeys(s.keys, type, "keys"),
        roles,
      };
      break;
    }
    case "timestamp": {
      const meta = obj(s.meta, type, "meta");
      const names = Object.keys(meta);
      if (names.length !== 1 || names[0] !== "snapshot.json") {
        fail(type, `"meta" must hold exactly "snapshot.json"`);
      }
      signed = {
        type: "timestamp",
        ...common,
        snapshotMeta: metaFile(meta["snapshot.json"], type, "meta.snapshot.json"),
      };
      break;
    }
    case "snapshot": {
      const meta: Record<string, MetaFile> = {};
      for (const [name, m] of Object.entries(obj(s.meta, type, "meta"))) {
        meta[name] = metaFile(m, type, `meta.${name}`);
      }
      signed = { type: "snapshot", ...common, meta };
      break;
    }
    case "targets": {
      const targets: Record<string, TargetFile> = {};
      for (const [path, t] of Object.entries(obj(s.targets, type, "targets"))) {
        const o = obj(t, type, `targets.${path}`);
        const h = hashes(o.hashes, type, `targets.${path}.hashes`);
        if (Object.keys(h).length === 0) fail(type, `"targets.${path}.hashes" is empty`);
        targets[path] = {
          path,
          length: int(o.length, type, `targets.${path}.length`, 0),
          hashes: h,
          ...(o.custom !== undefined ? { custom: o.custom } : {}),
        };
      }
      signed = {
        type: "targets",
        ...common,
        targets,
        ...(s.delegations !== undefined ? { delegations: delegations(s.delegations, type) } : {}),
      };
      break;
    }
    default:
      throw new TypeError(`"type" must be a TUF role type, got ${type}`);
  }
  return { signed: signed as SignedByType[T], signedJson: s, signatures };
}
