/**
 * The client's trusted TUF metadata and the checks that let new metadata in (TUF 1.0 §5.3-5.6,
 * in the order go-tuf v2's `trustedmetadata` and python-tuf's `TrustedMetadataSet` apply them):
 * root → timestamp → snapshot → targets (→ delegated targets). No I/O happens here; the updater
 * (lib/tuf/tuf_updater.ts) decides where bytes come from.
 *
 * Metadata that fails only its expiry or version-match check is still kept as the trusted
 * reference for rollback checks before the error is thrown (go-tuf and python-tuf do the same):
 * an expired cached timestamp must still stop an older timestamp from the network.
 *
 * @module
 */
import { VerificationError } from "../errors.ts";
import { digestSync } from "../digest.ts";
import {
  type Metadata,
  type MetaFile,
  parseMetadata,
  type RootSigned,
  type TargetsSigned,
} from "./metadata.ts";
import { verifyDelegate } from "./verify_delegate.ts";

/**
 * Checks `data` against the length and hashes a timestamp/snapshot `meta` entry or a target
 * states (TUF 1.0 §5.5.2, §5.6.2, §5.7.3). Only sha256 and sha512 are known; another algorithm
 * fails, as in go-tuf.
 *
 * @param data the downloaded bytes
 * @param expected the length and hashes (either may be absent for a MetaFile)
 * @param what names the file in the message
 * @throws {VerificationError} `TUF_LENGTH_OR_HASH_MISMATCH`
 */
export function checkLengthAndHashes(
  data: Uint8Array,
  expected: { length?: number; hashes?: Record<string, string> },
  what: string,
): void {
  if (expected.length !== undefined && data.length !== expected.length) {
    throw new VerificationError(
      "TUF_LENGTH_OR_HASH_MISMATCH",
      `Cannot verify ${what}: length ${data.length}, expected ${expected.length}`,
    );
  }
  for (const [alg, hex] of Object.entries(expected.hashes ?? {})) {
    if (alg !== "sha256" && alg !== "sha512") {
      throw new VerificationError(
        "TUF_LENGTH_OR_HASH_MISMATCH",
        `Cannot verify ${what}: unknown hash algorithm ${alg}`,
      );
    }
    if (digestSync(alg, data).toHex() !== hex) {
      throw new VerificationError(
        "TUF_LENGTH_OR_HASH_MISMATCH",
        `Cannot verify ${what}: ${alg} hash mismatch`,
      );
    }
  }
}

function expired(what: string): VerificationError {
  return new VerificationError(
    "TUF_EXPIRED",
    `Cannot trust ${what}: the metadata is expired (possible freeze attack)`,
  );
}

function badVersion(detail: string): VerificationError {
  return new VerificationError("TUF_VERSION_INVALID", detail);
}

/** Trusted metadata of one refresh, built up in the order the spec requires. */
export class TrustedMetadataSet {
  #root: Metadata<"root">;
  #timestamp?: Metadata<"timestamp">;
  #snapshot?: Metadata<"snapshot">;
  readonly #targets = new Map<string, Metadata<"targets">>();
  /** The reference time of every expiry check (fixed for the whole refresh, like go-tuf). */
  readonly now: number;

  private constructor(root: Metadata<"root">, now: number) {
    this.#root = root;
    this.now = now;
  }

  /**
   * Loads the trusted root (TUF 1.0 §5.2). Its own keys must sign it with their threshold; it
   * may be expired (only the final root after the rotations is checked, §5.3.10).
   *
   * @param rootBytes the trusted root.json
   * @param now the reference time, milliseconds since the epoch
   * @returns the set holding only the root
   * @throws {SyntaxError} for malformed metadata
   * @throws {VerificationError} `TUF_UNSIGNED` when the root does not sign itself
   */
  static async create(rootBytes: Uint8Array, now: number): Promise<TrustedMetadataSet> {
    const root = parseMetadata(rootBytes, "root");
    await verifyDelegate(root.signed.keys, root.signed.roles.root, "root", root);
    return new TrustedMetadataSet(root, now);
  }

  /** The trusted root. */
  get root(): RootSigned {
    return this.#root.signed;
  }

  /** The trusted timestamp, once loaded. */
  get timestamp(): Metadata<"timestamp"> | undefined {
    return this.#timestamp;
  }

  /** The trusted snapshot, once loaded. */
  get snapshot(): Metadata<"snapshot"> | undefined {
    return this.#snapshot;
  }

  /**
   * Trusted targets metadata by role name (`"targets"` or a delegated role).
   *
   * @param role the role name
   * @returns its signed part, when loaded
   */
  targets(role: string): TargetsSigned | undefined {
    return this.#targets.get(role)?.signed;
  }

  /**
   * Accepts root version N+1 (TUF 1.0 §5.3.4-5.3.7): signed by a threshold of the trusted root's
   * root keys **and** of its own root keys, with version exactly N+1.
   *
   * @param bytes the downloaded `N+1.root.json`
   * @returns the new root
   * @throws {SyntaxError} for malformed metadata
   * @throws {VerificationError} `TUF_UNSIGNED`, or `TUF_VERSION_INVALID` for another version
   */
  async updateRoot(bytes: Uint8Array): Promise<RootSigned> {
    if (this.#timestamp) throw new Error("Cannot update root after timestamp");
    const next = parseMetadata(bytes, "root");
    const old = this.#root.signed;
    await verifyDelegate(
      old.keys,
      old.roles.root,
      `root version ${next.signed.version} (by the keys of version ${old.version})`,
      next,
    );
    if (next.signed.version !== old.version + 1) {
      throw badVersion(
        `Cannot update root: expected version ${old.version + 1}, got ${next.signed.version}`,
      );
    }
    await verifyDelegate(
      next.signed.keys,
      next.signed.roles.root,
      `root version ${next.signed.version}`,
      next,
    );
    this.#root = next;
    return next.signed;
  }

  /** Throws when the final root is expired (TUF 1.0 §5.3.10). */
  checkRootNotExpired(): void {
    if (this.now > this.#root.signed.expires) {
      throw expired(`root.json version ${this.#root.signed.version}`);
    }
  }

  /**
   * Accepts timestamp metadata (TUF 1.0 §5.4): signed by the root's timestamp keys, version not
   * lower than the trusted one's, snapshot version not lower than the trusted one's, not expired.
   *
   * @param bytes timestamp.json
   * @returns `"unchanged"` when its version equals the trusted one's (the trusted one is kept,
   *   §5.4.3.1), otherwise `"updated"`
   * @throws {SyntaxError} for malformed metadata
   * @throws {VerificationError} `TUF_EXPIRED` (for the final root too), `TUF_UNSIGNED`,
   *   `TUF_VERSION_INVALID` (rollback)
   */
  async updateTimestamp(bytes: Uint8Array): Promise<"updated" | "unchanged"> {
    if (this.#snapshot) throw new Error("Cannot update timestamp after snapshot");
    this.checkRootNotExpired();
    const next = parseMetadata(bytes, "timestamp");
    const root = this.#root.signed;
    await verifyDelegate(root.keys, root.roles.timestamp, "timestamp", next);
    const old = this.#timestamp?.signed;
    if (old) {
      if (next.signed.version < old.version) {
        throw badVersion(
          `Cannot update timestamp: version ${next.signed.version} is lower than the trusted ${old.version} (possible rollback attack)`,
        );
      }
      if (next.signed.version === old.version) {
        this.#checkTimestampNotExpired();
        return "unchanged";
      }
      if (next.signed.snapshotMeta.version < old.snapshotMeta.version) {
        throw badVersion(
          `Cannot update timestamp: snapshot version ${next.signed.snapshotMeta.version} is lower than the trusted ${old.snapshotMeta.version} (possible rollback attack)`,
        );
      }
    }
    this.#timestamp = next;
    this.#checkTimestampNotExpired();
    return "updated";
  }

  #checkTimestampNotExpired(): void {
    if (this.now > this.#timestamp!.signed.expires) throw expired("timestamp.json");
  }

  /**
   * Accepts snapshot metadata (TUF 1.0 §5.5): matching the timestamp's hashes and length (unless
   * read from the local cache), signed by the root's snapshot keys, no targets file removed or
   * rolled back against the trusted snapshot, version as the timestamp states, not expired.
   *
   * @param bytes snapshot.json
   * @param fromCache true for the locally cached copy (its hashes are not checked, as go-tuf)
   * @throws {SyntaxError} for malformed metadata
   * @throws {VerificationError} `TUF_EXPIRED`, `TUF_LENGTH_OR_HASH_MISMATCH`, `TUF_UNSIGNED`,
   *   `TUF_VERSION_INVALID`
   */
  async updateSnapshot(bytes: Uint8Array, fromCache = false): Promise<void> {
    if (!this.#timestamp) throw new Error("Cannot update snapshot before timestamp");
    if (this.#targets.size) throw new Error("Cannot update snapshot after targets");
    this.#checkTimestampNotExpired();
    const meta = this.#timestamp.signed.snapshotMeta;
    if (!fromCache) checkLengthAndHashes(bytes, meta, "snapshot.json");
    const next = parseMetadata(bytes, "snapshot");
    const root = this.#root.signed;
    await verifyDelegate(root.keys, root.roles.snapshot, "snapshot", next);
    const old = this.#snapshot?.signed;
    if (old) {
      for (const [name, info] of Object.entries(old.meta)) {
        const now = next.signed.meta[name];
        if (!now) {
          throw badVersion(`Cannot update snapshot: the new snapshot has no entry for ${name}`);
        }
        if (now.version < info.version) {
          throw badVersion(
            `Cannot update snapshot: ${name} version ${now.version} is lower than the trusted ${info.version} (possible rollback attack)`,
          );
        }
      }
    }
    this.#snapshot = next;
    this.#checkSnapshot();
  }

  #checkSnapshot(): void {
    const s = this.#snapshot!.signed;
    if (this.now > s.expires) throw expired("snapshot.json");
    const want = this.#timestamp!.signed.snapshotMeta.version;
    if (s.version !== want) {
      throw badVersion(
        `Cannot trust snapshot.json: version ${s.version}, but the timestamp names version ${want} (possible rollback attack)`,
      );
    }
  }

  /**
   * Accepts targets metadata of `role`, delegated by `delegator` (TUF 1.0 §5.6): matching the
   * snapshot's hashes and length, signed by the delegator's keys for it, version as the snapshot
   * states, not expired.
   *
   * @param bytes `<role>.json`
   * @param role `"targets"` or a delegated role's name
   * @param delegator `"root"` for top-level targets, else the delegating targets role
   * @returns the role's signed part
   * @throws {SyntaxError} for malformed metadata
   * @throws {VerificationError} `TUF_METADATA_INVALID` when the snapshot does not list the role,
   *   `TUF_EXPIRED`, `TUF_LENGTH_OR_HASH_MISMATCH`, `TUF_UNSIGNED`, `TUF_VERSION_INVALID`
   */
  async updateTargets(bytes: Uint8Array, role: string, delegator: string): Promise<TargetsSigned> {
    if (!this.#snapshot) throw new Error("Cannot load targets before snapshot");
    this.#checkSnapshot();
    let keys, roleKeys;
    if (delegator === "root") {
      keys = this.#root.signed.keys;
      roleKeys = this.#root.signed.roles.targets;
    } else {
      const parent = this.#targets.get(delegator)?.signed;
      if (!parent) throw new Error("Cannot load targets before their delegator");
      keys = parent.delegations?.keys ?? {};
      roleKeys = parent.delegations?.roles.find((r) => r.name === role);
      if (!roleKeys) {
        throw new VerificationError(
          "TUF_METADATA_INVALID",
          `Cannot load ${role}: ${delegator} does not delegate to it`,
        );
      }
    }
    const meta: MetaFile | undefined = this.#snapshot.signed.meta[`${role}.json`];
    if (!meta) {
      throw new VerificationError(
        "TUF_METADATA_INVALID",
        `Cannot load ${role}.json: the snapshot has no entry for it`,
      );
    }
    checkLengthAndHashes(bytes, meta, `${role}.json`);
    const next = parseMetadata(bytes, "targets");
    await verifyDelegate(keys, roleKeys, role, next);
    if (next.signed.version !== meta.version) {
      throw badVersion(
        `Cannot trust ${role}.json: version ${next.signed.version}, but the snapshot names version ${meta.version} (possible rollback attack)`,
      );
    }
    if (this.now > next.signed.expires) throw expired(`${role}.json`);
    this.#targets.set(role, next);
    return next.signed;
  }
}
