/**
 * TUF 1.0 client (the specification's "Detailed client workflow") and cosign's use of it: the
 * Sigstore trusted root from the public-good TUF repository, cached as cosign v2.6.4 caches it.
 *
 * @module
 */
export { initializeTuf, ROOT_WITHOUT_CHECKSUM_WARNING } from "./initialize_tuf.ts";
export type { InitializeTufOptions } from "./initialize_tuf.ts";
export { loadTrustedRootFromTuf } from "./load_trusted_root_from_tuf.ts";
export type { LoadTrustedRootFromTufOptions } from "./load_trusted_root_from_tuf.ts";
export { parseMetadata } from "./metadata.ts";
export type {
  DelegatedRole,
  Metadata,
  MetaFile,
  RoleKeys,
  RootSigned,
  SignedByType,
  SnapshotSigned,
  TargetFile,
  TargetsSigned,
  TimestampSigned,
  TopLevelRole,
  TufKey,
  TufSignature,
} from "./metadata.ts";
export { MAX_CANONICAL_DEPTH, olpcCanonicalJson } from "./olpc_canonical_json.ts";
export {
  PUBLIC_GOOD_TUF_ROOT_JSON,
  PUBLIC_GOOD_TUF_ROOT_SHA256,
  publicGoodTufRoot,
} from "./public_good_tuf_root.ts";
export {
  checkTargetPath,
  isDelegatedPath,
  MAX_TARGET_PATH,
  targetCacheFileName,
  targetRemotePath,
} from "./target_path.ts";
export { checkLengthAndHashes, TrustedMetadataSet } from "./trusted_metadata_set.ts";
export {
  DEFAULT_TUF_MIRROR,
  defaultTufCacheDir,
  readRemoteMirror,
  SIGNING_CONFIG_TARGET,
  TRUSTED_ROOT_TARGET,
  tufCachePaths,
  urlToPath,
  writeLastRefresh,
  writeRemoteMirror,
} from "./tuf_cache.ts";
export type { TufCachePaths } from "./tuf_cache.ts";
export { DEFAULT_TUF_LIMITS, TufUpdater } from "./tuf_updater.ts";
export type { TufLimits, TufUpdaterOptions } from "./tuf_updater.ts";
export { verifyDelegate, verifyKeySignature } from "./verify_delegate.ts";
