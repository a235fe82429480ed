/**
 * A small TUF repository for tests: keys made with WebCrypto (ECDSA P-256 and Ed25519), metadata
 * signed over its OLPC canonical form, files written to a folder and served on 127.0.0.1 by
 * `Deno.serve`, with a log of the paths requested. Test-only: it signs whatever it is told to,
 * including the broken metadata the negative cases need.
 *
 * @module
 */
import { derSequence, derUint } from "../../lib/asn1/der.ts";
import { sha256 } from "../../lib/digest.ts";
import { encodePem } from "../../lib/keys/pem.ts";
import { olpcCanonicalJson } from "../../lib/tuf/olpc_canonical_json.ts";

/** A signing key and its TUF description. */
export interface TestKey {
  /** Key ID: SHA-256 of the canonical key object (securesystemslib's rule). */
  id: string;
  /** The key as metadata lists it. */
  json: { keytype: string; scheme: string; keyval: { public: string } };
  /** Signs `message`; returns hex. */
  sign(message: Uint8Array): Promise<string>;
}

/**
 * Makes a key pair.
 *
 * @param type `ecdsa` (P-256, PEM, DER signatures) or `ed25519` (hex key and signatures)
 * @returns the key
 */
export async function generateTestKey(type: "ecdsa" | "ed25519" = "ecdsa"): Promise<TestKey> {
  if (type === "ed25519") {
    const pair = await crypto.subtle.generateKey("Ed25519", true, [
      "sign",
      "verify",
    ]) as CryptoKeyPair;
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    const json = { keytype: "ed25519", scheme: "ed25519", keyval: { public: raw.toHex() } };
    return {
      id: sha256(olpcCanonicalJson(json)).toHex(),
      json,
      sign: async (m) =>
        new Uint8Array(
          await crypto.subtle.sign("Ed25519", pair.privateKey, m as Uint8Array<ArrayBuffer>),
        ).toHex(),
    };
  }
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  const json = {
    keytype: "ecdsa",
    scheme: "ecdsa-sha2-nistp256",
    keyval: { public: encodePem("PUBLIC KEY", spki) },
  };
  return {
    id: sha256(olpcCanonicalJson(json)).toHex(),
    json,
    sign: async (m) => {
      const p1363 = new Uint8Array(
        await crypto.subtle.sign(
          { name: "ECDSA", hash: "SHA-256" },
          pair.privateKey,
          m as Uint8Array<ArrayBuffer>,
        ),
      );
      return derSequence(derUint(p1363.subarray(0, 32)), derUint(p1363.subarray(32))).toHex();
    },
  };
}

/** A top-level role name. */
export type Role = "root" | "timestamp" | "snapshot" | "targets";

/** Keys and threshold of a role. */
export interface RoleSetup {
  keys: TestKey[];
  threshold: number;
}

/** What {@link TestTufRepository.create} sets up. */
export interface RepositoryOptions {
  consistentSnapshot?: boolean;
  /** Key type of the generated keys (default: ecdsa for root/targets, ed25519 for the others). */
  keyType?: "ecdsa" | "ed25519";
  /** Expiry of every role (default one week from now). */
  expires?: Date;
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * Signs a `signed` object with `keys`.
 *
 * @returns the metadata file bytes (pretty-printed, as real repositories are)
 */
export async function signMetadata(
  signed: Record<string, unknown>,
  keys: TestKey[],
): Promise<Uint8Array> {
  const msg = olpcCanonicalJson(signed);
  const signatures = [];
  for (const k of keys) signatures.push({ keyid: k.id, sig: await k.sign(msg) });
  return new TextEncoder().encode(JSON.stringify({ signed, signatures }, null, 1) + "\n");
}

/** A TUF repository on disk, served on loopback. */
export class TestTufRepository {
  readonly roles: Record<Role, RoleSetup>;
  consistentSnapshot: boolean;
  expires: Record<Role, Date>;
  version: Record<Role, number> = { root: 0, timestamp: 0, snapshot: 0, targets: 0 };
  /** Target name → contents. */
  readonly targets = new Map<string, Uint8Array>();
  /** Extra signed fields merged into the next targets metadata (delegations …). */
  targetsExtra: Record<string, unknown> = {};
  /** Every root.json published, by version. */
  readonly rootFiles = new Map<number, Uint8Array>();
  /** Last published bytes by role. */
  readonly latest: Partial<Record<Role, Uint8Array>> = {};
  /** Paths requested from the server, in order, as sent (percent-encoded). */
  readonly requests: string[] = [];
  #server?: Deno.HttpServer<Deno.NetAddr>;

  private constructor(
    readonly dir: string,
    roles: Record<Role, RoleSetup>,
    opts: RepositoryOptions,
  ) {
    this.roles = roles;
    this.consistentSnapshot = opts.consistentSnapshot ?? true;
    const exp = opts.expires ?? new Date(Date.now() + 7 * 86_400_000);
    this.expires = { root: exp, timestamp: exp, snapshot: exp, targets: exp };
  }

  /**
   * Creates keys (one per role) and publishes root version 1; nothing else yet.
   *
   * @param opts consistent snapshots, key type, expiry
   * @returns the repository (call {@link publish} for timestamp, snapshot and targets)
   */
  static async create(opts: RepositoryOptions = {}): Promise<TestTufRepository> {
    const dir = await Deno.makeTempDir({ prefix: "tuf-repo-" });
    await Deno.mkdir(`${dir}/targets`);
    const k = (r: Role) =>
      generateTestKey(opts.keyType ?? (r === "root" || r === "targets" ? "ecdsa" : "ed25519"));
    const roles = {
      root: { keys: [await k("root")], threshold: 1 },
      timestamp: { keys: [await k("timestamp")], threshold: 1 },
      snapshot: { keys: [await k("snapshot")], threshold: 1 },
      targets: { keys: [await k("targets")], threshold: 1 },
    };
    const repo = new TestTufRepository(dir, roles, opts);
    await repo.publishRoot();
    return repo;
  }

  /** The `signed` object of the current root (at the next version when `bump`). */
  rootSigned(version = this.version.root): Record<string, unknown> {
    const keys: Record<string, unknown> = {};
    const roles: Record<string, unknown> = {};
    for (const [name, r] of Object.entries(this.roles)) {
      for (const key of r.keys) keys[key.id] = key.json;
      roles[name] = { keyids: r.keys.map((x) => x.id), threshold: r.threshold };
    }
    return {
      _type: "root",
      spec_version: "1.0.31",
      version,
      expires: iso(this.expires.root),
      keys,
      roles,
      consistent_snapshot: this.consistentSnapshot,
    };
  }

  /**
   * Publishes the next root version as `<N>.root.json` (and `root.json`).
   *
   * @param opts `signers` (default: the previous root's keys and the new ones, deduplicated),
   *   `version` (default previous + 1), `mutate` to edit `signed` before signing
   * @returns the file bytes
   */
  async publishRoot(
    opts: {
      signers?: TestKey[];
      previousKeys?: TestKey[];
      version?: number;
      mutate?: (s: Record<string, unknown>) => void;
    } = {},
  ): Promise<Uint8Array> {
    const version = opts.version ?? this.version.root + 1;
    const signed = this.rootSigned(version);
    opts.mutate?.(signed);
    const signers = opts.signers ??
      [...new Map([...(opts.previousKeys ?? []), ...this.roles.root.keys].map((k) => [k.id, k]))
        .values()];
    const bytes = await signMetadata(signed, signers);
    await this.write(`${version}.root.json`, bytes);
    await this.write("root.json", bytes);
    this.rootFiles.set(version, bytes);
    this.version.root = version;
    this.latest.root = bytes;
    return bytes;
  }

  /**
   * Changes role keys and publishes the next root, signed by the old root keys and the new ones.
   *
   * @param change new keys and thresholds by role
   * @returns the new root's bytes
   */
  async rotate(change: Partial<Record<Role, Partial<RoleSetup>>>): Promise<Uint8Array> {
    const previousKeys = this.roles.root.keys;
    for (const [role, c] of Object.entries(change) as [Role, Partial<RoleSetup>][]) {
      this.roles[role] = { ...this.roles[role], ...c };
    }
    return await this.publishRoot({ previousKeys });
  }

  /** The bytes of the first root, the trust anchor a client starts from. */
  get initialRoot(): Uint8Array {
    return this.rootFiles.get(1)!;
  }

  /**
   * Publishes targets (with their files), snapshot and timestamp, each at its next version.
   *
   * @param opts `mutate` hooks per role and `signers` overrides
   */
  async publish(
    opts: {
      mutate?: Partial<Record<Role, (s: Record<string, unknown>) => void>>;
      signers?: Partial<Record<Role, TestKey[]>>;
    } = {},
  ): Promise<void> {
    await this.publishTargets(opts);
    await this.publishSnapshot(opts);
    await this.publishTimestamp(opts);
  }

  /** Publishes targets metadata and the target files. */
  async publishTargets(
    opts: {
      mutate?: Partial<Record<Role, (s: Record<string, unknown>) => void>>;
      signers?: Partial<Record<Role, TestKey[]>>;
    } = {},
  ): Promise<Uint8Array> {
    const targets: Record<string, unknown> = {};
    for (const [name, bytes] of this.targets) {
      const h = sha256(bytes).toHex();
      targets[name] = { length: bytes.length, hashes: { sha256: h } };
      const slash = name.lastIndexOf("/");
      const dir = name.slice(0, slash + 1);
      await Deno.mkdir(`${this.dir}/targets/${dir}`, { recursive: true });
      await Deno.writeFile(`${this.dir}/targets/${name}`, bytes);
      await Deno.writeFile(`${this.dir}/targets/${dir}${h}.${name.slice(slash + 1)}`, bytes);
    }
    const version = ++this.version.targets;
    const signed: Record<string, unknown> = {
      _type: "targets",
      spec_version: "1.0.31",
      version,
      expires: iso(this.expires.targets),
      targets,
      ...this.targetsExtra,
    };
    opts.mutate?.targets?.(signed);
    const bytes = await signMetadata(signed, opts.signers?.targets ?? this.roles.targets.keys);
    await this.write(`${version}.targets.json`, bytes);
    await this.write("targets.json", bytes);
    this.latest.targets = bytes;
    return bytes;
  }

  /** Publishes snapshot metadata naming the latest targets (and `extraMeta`). */
  async publishSnapshot(
    opts: {
      mutate?: Partial<Record<Role, (s: Record<string, unknown>) => void>>;
      signers?: Partial<Record<Role, TestKey[]>>;
      extraMeta?: Record<string, unknown>;
    } = {},
  ): Promise<Uint8Array> {
    const version = ++this.version.snapshot;
    const signed: Record<string, unknown> = {
      _type: "snapshot",
      spec_version: "1.0.31",
      version,
      expires: iso(this.expires.snapshot),
      meta: { "targets.json": { version: this.version.targets }, ...opts.extraMeta },
    };
    opts.mutate?.snapshot?.(signed);
    const bytes = await signMetadata(signed, opts.signers?.snapshot ?? this.roles.snapshot.keys);
    await this.write(`${version}.snapshot.json`, bytes);
    await this.write("snapshot.json", bytes);
    this.latest.snapshot = bytes;
    return bytes;
  }

  /** Publishes timestamp metadata naming the latest snapshot (version, length, sha256). */
  async publishTimestamp(
    opts: {
      mutate?: Partial<Record<Role, (s: Record<string, unknown>) => void>>;
      signers?: Partial<Record<Role, TestKey[]>>;
    } = {},
  ): Promise<Uint8Array> {
    const snap = this.latest.snapshot!;
    const version = ++this.version.timestamp;
    const signed: Record<string, unknown> = {
      _type: "timestamp",
      spec_version: "1.0.31",
      version,
      expires: iso(this.expires.timestamp),
      meta: {
        "snapshot.json": {
          version: this.version.snapshot,
          length: snap.length,
          hashes: { sha256: sha256(snap).toHex() },
        },
      },
    };
    opts.mutate?.timestamp?.(signed);
    const bytes = await signMetadata(signed, opts.signers?.timestamp ?? this.roles.timestamp.keys);
    await this.write("timestamp.json", bytes);
    this.latest.timestamp = bytes;
    return bytes;
  }

  /** Writes a file of the repository (relative path). */
  async write(path: string, bytes: Uint8Array): Promise<void> {
    await Deno.writeFile(`${this.dir}/${path}`, bytes);
  }

  /** Removes a file of the repository (relative path), if present. */
  async remove(path: string): Promise<void> {
    await Deno.remove(`${this.dir}/${path}`).catch(() => {});
  }

  /**
   * Serves the folder on 127.0.0.1 (GET only; 404 for missing files).
   *
   * @returns the base URL (no trailing slash)
   */
  serve(): string {
    this.#server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      const raw = new URL(req.url).pathname;
      this.requests.push(raw);
      const path = decodeURIComponent(raw);
      if (req.method !== "GET" || path.includes("..")) return new Response(null, { status: 404 });
      try {
        return new Response(await Deno.readFile(`${this.dir}${path}`));
      } catch {
        return new Response("not found", { status: 404 });
      }
    });
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /** Stops the server and removes the folder. */
  async close(): Promise<void> {
    await this.#server?.shutdown();
    this.#server = undefined;
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  /** Stops the server only (clients then get "connection refused"). */
  async stopServing(): Promise<void> {
    await this.#server?.shutdown();
    this.#server = undefined;
  }
}
