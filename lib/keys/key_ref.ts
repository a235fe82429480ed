/**
 * Reading a key reference the way cosign's `blob.LoadFileOrURL` does: `env://VAR`, `http(s)://`
 * URLs, or a file path. References to keys held by a token or a service (`pkcs11:`, KMS URIs,
 * `k8s://`, `gitlab://`) are recognised here ({@link keyProvider}) and resolved by the caller's
 * `resolveProviderKey` (lib/verify/load_public_key.ts) or by lib/sign/load_signer.ts.
 *
 * @module
 */

import { IoError, KeyError } from "../errors.ts";
import { readError } from "../atomic_file.ts";
import { readAllBounded, readStreamBounded } from "../stream.ts";

/** The most bytes read from a key file or URL. */
export const MAX_KEY_BYTES = 1024 * 1024;

/** cosign's settings for `pkcs11:` keys (its `COSIGN_PKCS11_*` variables, read by the CLI). */
export interface Pkcs11Settings {
  /** `COSIGN_PKCS11_MODULE_PATH`: the module when a URI names none. */
  modulePath?: string;
  /** `COSIGN_PKCS11_PIN`: the PIN when a URI carries none (signing only, as in cosign). */
  pin?: string;
  /** `COSIGN_PKCS11_IGNORE_CERTIFICATE=1`: do not read the key's certificate from the token. */
  ignoreCertificate?: boolean;
  /** Asks for a PIN (no echo); absent when there is no terminal to ask on. */
  promptPin?: (prompt: string) => Promise<string>;
  /** The PKCS#11 module of `piv:` keys (`--sk`); defaults to Yubico's `libykcs11`. */
  pivModulePath?: string;
}

/** What {@link readKeyRef} needs from its environment. */
export interface KeyRefDeps {
  /** Reads a file; defaults to {@link readFileBounded}. */
  readFile?: (path: string) => Promise<Uint8Array>;
  /** Looks up an environment variable (`undefined` when unset). */
  getEnv: (name: string) => string | undefined;
  /** Used for http(s) references; defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Settings for `pkcs11:` references. */
  pkcs11?: Pkcs11Settings;
  /**
   * Resolves a reference to a key held by a token or a service ({@link keyProvider}) to the PEM of
   * its public key, as cosign's verify commands read it (`sigs.PublicKeyFromKeyRef`). Without
   * it, such references are refused.
   */
  resolveProviderKey?: (ref: string) => Promise<Uint8Array>;
}

/**
 * Where a key held outside a file lives. `piv` is ours: `piv:<slot>` names the key in a PIV slot
 * of the one YubiKey present, what cosign's `--sk --slot <slot>` uses.
 */
export type KeyProvider = "pkcs11" | "piv" | "kms" | "k8s" | "gitlab";

/** The KMS schemes of sigstore's `kms.Get` (cosign v2: sigstore v1.10). */
export const KMS_SCHEMES: readonly string[] = [
  "awskms://",
  "gcpkms://",
  "azurekms://",
  "hashivault://",
];

/**
 * Tells which provider holds the key a reference names, by cosign's prefixes
 * (pkg/signature/keys.go): `pkcs11:`, `k8s://`, `gitlab://` and the KMS schemes; and `piv:`.
 *
 * @param ref a key reference
 * @returns the provider, or undefined for files, URLs and `env://`
 */
export function keyProvider(ref: string): KeyProvider | undefined {
  if (ref.startsWith("pkcs11:")) return "pkcs11";
  if (ref.startsWith("piv:")) return "piv";
  if (ref.startsWith("k8s://")) return "k8s";
  if (ref.startsWith("gitlab://")) return "gitlab";
  if (KMS_SCHEMES.some((s) => ref.startsWith(s))) return "kms";
  return undefined;
}

/**
 * Reads at most {@link MAX_KEY_BYTES} of a file.
 *
 * @param path the file
 * @returns its contents
 * @throws {Deno.errors.NotFound} and the other `Deno.open` errors; `Deno.errors.IsADirectory`
 *   for a directory
 * @throws {RangeError} when the file is larger than the limit
 */
export async function readFileBounded(path: string): Promise<Uint8Array> {
  using file = await Deno.open(path);
  if ((await file.stat()).isDirectory) throw new Deno.errors.IsADirectory(path);
  return await readAllBounded(file, MAX_KEY_BYTES, `key file ${path}`);
}

function hasCode(e: unknown, code: string): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === code;
}

/**
 * Reads the bytes a key reference points at (cosign `blob.LoadFileOrURL`).
 *
 * @param ref `env://VAR`, `http://…`, `https://…` or a file path; or a provider reference
 *   (`pkcs11:…`, `awskms://…` …), given to `deps.resolveProviderKey` (its public key PEM)
 * @param deps file, environment and network access
 * @returns the referenced bytes (at most 1 MiB)
 * @throws {KeyError} `KEY_NOT_FOUND` "Cannot load key: env var $VAR not found" or
 *   "Cannot read key file <path>: no such file or directory"; `KEY_INVALID` "Cannot read key file <path>: is a
 *   directory"; `KEY_UNSUPPORTED` "Cannot load key: unrecognized scheme: <scheme>://"
 * @throws {IoError} `NETWORK` when a URL cannot be fetched or answers with a non-2xx status;
 *   `INPUT_UNREADABLE` for other file errors
 * @throws {RangeError} when the key is larger than 1 MiB
 * @throws {KeyError} `KEY_UNSUPPORTED` "Cannot load key: <provider> keys are not supported here"
 *   for a provider reference without `deps.resolveProviderKey`, and what it throws
 */
export async function readKeyRef(ref: string, deps: KeyRefDeps): Promise<Uint8Array> {
  const provider = keyProvider(ref);
  if (provider) {
    if (deps.resolveProviderKey) return await deps.resolveProviderKey(ref);
    throw new KeyError(
      "KEY_UNSUPPORTED",
      `Cannot load key: ${provider} keys are not supported here`,
    );
  }
  const sep = ref.indexOf("://");
  if (sep >= 0) {
    const scheme = ref.slice(0, sep + 3);
    if (scheme === "env://") {
      const name = ref.slice(sep + 3);
      const value = deps.getEnv(name);
      if (value === undefined) {
        throw new KeyError("KEY_NOT_FOUND", `Cannot load key: env var $${name} not found`);
      }
      return new TextEncoder().encode(value);
    }
    if (scheme === "http://" || scheme === "https://") {
      return await fetchKey(ref, deps.fetch ?? fetch);
    }
    throw new KeyError("KEY_UNSUPPORTED", `Cannot load key: unrecognized scheme: ${scheme}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await (deps.readFile ?? readFileBounded)(ref);
  } catch (e) {
    if (e instanceof RangeError) throw e;
    if (e instanceof Deno.errors.NotFound || hasCode(e, "ENOENT")) {
      throw new KeyError(
        "KEY_NOT_FOUND",
        `Cannot read key file ${ref}: no such file or directory`,
        {
          cause: e,
        },
      );
    }
    if (e instanceof Deno.errors.IsADirectory || hasCode(e, "EISDIR")) {
      throw new KeyError("KEY_INVALID", `Cannot read key file ${ref}: is a directory`, {
        cause: e,
      });
    }
    throw readError(e, `key file ${ref}`);
  }
  if (bytes.length > MAX_KEY_BYTES) {
    throw new RangeError(`Cannot read key file ${ref}: larger than ${MAX_KEY_BYTES} bytes`);
  }
  return bytes;
}

async function fetchKey(url: string, fetchFn: typeof fetch): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetchFn(url);
  } catch (e) {
    throw new IoError("NETWORK", `Cannot load key: GET ${url}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new IoError("NETWORK", `Cannot load key: GET ${url} returned HTTP ${res.status}`);
  }
  if (!res.body) return new Uint8Array(0);
  return await readStreamBounded(
    res.body,
    MAX_KEY_BYTES,
    () => new RangeError(`Cannot load key: ${url} is larger than ${MAX_KEY_BYTES} bytes`),
  );
}
