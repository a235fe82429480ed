/**
 * Docker's client configuration (`$DOCKER_CONFIG/config.json`, default `~/.docker/config.json`)
 * as a credential source, the way docker and go-containerregistry's default keychain read it:
 *
 * 1. `credHelpers[<host>]` → run `docker-credential-<helper> get`;
 * 2. else `credsStore` → run `docker-credential-<store> get`;
 * 3. else `auths` — keys may be bare hosts or URLs (`https://index.docker.io/v1/`) and are
 *    matched by host:port after stripping scheme and path; the entry has `auth`
 *    (base64 `user:password`), or `username`/`password`, and maybe `identitytoken` /
 *    `registrytoken`;
 * 4. else anonymous.
 *
 * Docker Hub (`index.docker.io`) is looked up under the key `https://index.docker.io/v1/`.
 *
 * @module
 */
import { IoError, RegistryError } from "../errors.ts";
import { readError, writeFileAtomic } from "../atomic_file.ts";
import { readAllBounded, readStreamBounded } from "../stream.ts";
import type { CredentialResolver, Credentials } from "./auth.ts";
import { DEFAULT_REGISTRY } from "./reference.ts";

/** The config key docker uses for Docker Hub. */
export const DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/";

/** The config file is small; anything bigger is not a docker config. */
const CONFIG_LIMIT = 4 * 1024 * 1024;
/** A helper answers with one small JSON object. */
const HELPER_OUTPUT_LIMIT = 64 * 1024;
const HELPER_TIMEOUT_MS = 30_000;

/** The parts of `config.json` we use (other keys are preserved when writing). */
export interface DockerConfig {
  auths?: Record<
    string,
    {
      auth?: string;
      username?: string;
      password?: string;
      identitytoken?: string;
      registrytoken?: string;
    }
  >;
  credHelpers?: Record<string, string>;
  credsStore?: string;
  [key: string]: unknown;
}

/**
 * Runs a credential helper: `docker-credential-<name> <action>` with `input` on stdin.
 * Injectable for tests.
 */
export type HelperRunner = (
  name: string,
  action: "get" | "store" | "erase",
  input: string,
) => Promise<{ success: boolean; stdout: string; stderr: string }>;

/**
 * The path of the docker config, from environment values the caller passes in.
 *
 * @param env `DOCKER_CONFIG` and `HOME`
 * @returns `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`, else undefined
 */
export function dockerConfigPath(
  env: { DOCKER_CONFIG?: string; HOME?: string },
): string | undefined {
  if (env.DOCKER_CONFIG) return `${env.DOCKER_CONFIG.replace(/\/+$/, "")}/config.json`;
  if (env.HOME) return `${env.HOME.replace(/\/+$/, "")}/.docker/config.json`;
  return undefined;
}

/**
 * Reads a docker config file.
 *
 * @param path the file
 * @returns the parsed config, or undefined when the file does not exist
 * @throws {IoError} `INPUT_UNREADABLE` when it cannot be read, is over 4 MiB or is not JSON
 */
export async function readDockerConfig(path: string): Promise<DockerConfig | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw readError(e, path);
  }
  try {
    const bytes = await readAllBounded(file, CONFIG_LIMIT, path);
    const text = new TextDecoder().decode(bytes).trim();
    if (text === "") return {};
    const parsed = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new SyntaxError("not a JSON object");
    }
    return parsed as DockerConfig;
  } catch (e) {
    throw new IoError(
      "INPUT_UNREADABLE",
      `Cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  } finally {
    file.close();
  }
}

/**
 * The host (with port) an `auths` key refers to: docker's `ConvertToHostname`.
 *
 * @param key e.g. `https://index.docker.io/v1/`, `ghcr.io`, `http://localhost:5000`
 * @returns e.g. `index.docker.io`, `ghcr.io`, `localhost:5000`
 */
export function authKeyHost(key: string): string {
  let s = key;
  if (s.startsWith("http://")) s = s.slice(7);
  else if (s.startsWith("https://")) s = s.slice(8);
  return s.split("/")[0];
}

/**
 * The server URL docker uses for a registry in its config and helpers.
 *
 * @param registry a registry host
 * @returns `https://index.docker.io/v1/` for Docker Hub, else the host itself
 */
export function authKeyFor(registry: string): string {
  return registry === DEFAULT_REGISTRY || registry === "docker.io" ? DOCKER_HUB_AUTH_KEY : registry;
}

/**
 * Looks up credentials for a registry in a parsed config.
 *
 * @param config the docker config
 * @param registry the registry host (`host[:port]`)
 * @param runHelper runs credential helpers (default: spawn `docker-credential-<name>`)
 * @returns the credentials, or undefined for anonymous access
 * @throws {RegistryError} `UNAUTHORIZED` when a helper fails for another reason than "not found"
 */
export async function credentialsFromConfig(
  config: DockerConfig,
  registry: string,
  runHelper: HelperRunner = runCredentialHelper,
): Promise<Credentials | undefined> {
  const key = authKeyFor(registry);
  const host = authKeyHost(key);
  const helper = config.credHelpers?.[registry] ?? config.credHelpers?.[key] ??
    config.credHelpers?.[host] ?? config.credsStore;
  if (helper) {
    const fromHelper = await helperGet(helper, key, runHelper);
    if (fromHelper) return fromHelper;
    // Docker falls back to the file when the store has nothing (e.g. entries written before the
    // store was configured).
  }
  const auths = config.auths ?? {};
  const entry = auths[key] ?? auths[registry] ??
    Object.entries(auths).find(([k]) => authKeyHost(k) === host)?.[1];
  if (!entry) return undefined;
  const creds: Credentials = {};
  if (entry.auth) {
    let decoded: string;
    try {
      decoded = new TextDecoder().decode(Uint8Array.fromBase64(entry.auth.trim()));
    } catch (cause) {
      throw new RegistryError(
        "UNAUTHORIZED",
        `Cannot use the docker config entry for ${registry}: "auth" is not base64`,
        { cause },
      );
    }
    const colon = decoded.indexOf(":");
    if (colon < 0) {
      throw new RegistryError(
        "UNAUTHORIZED",
        `Cannot use the docker config entry for ${registry}: "auth" is not user:password`,
      );
    }
    creds.username = decoded.slice(0, colon);
    creds.password = decoded.slice(colon + 1);
  } else if (entry.username !== undefined || entry.password !== undefined) {
    creds.username = entry.username ?? "";
    creds.password = entry.password ?? "";
  }
  if (entry.identitytoken) creds.identityToken = entry.identitytoken;
  if (entry.registrytoken) creds.registryToken = entry.registrytoken;
  return Object.keys(creds).length ? creds : undefined;
}

async function helperGet(
  name: string,
  serverUrl: string,
  runHelper: HelperRunner,
): Promise<Credentials | undefined> {
  const out = await runHelper(name, "get", serverUrl);
  if (!out.success) {
    // docker-credential-helpers' ErrCredentialsNotFound message.
    if (/credentials not found/i.test(out.stdout + out.stderr)) return undefined;
    throw new RegistryError(
      "UNAUTHORIZED",
      `Cannot get credentials for ${serverUrl} from docker-credential-${name}: ${
        (out.stderr || out.stdout).trim().slice(0, 200) || "it failed"
      }`,
    );
  }
  let parsed: { Username?: string; Secret?: string };
  try {
    parsed = JSON.parse(out.stdout);
  } catch (cause) {
    throw new RegistryError(
      "UNAUTHORIZED",
      `Cannot get credentials for ${serverUrl} from docker-credential-${name}: output is not JSON`,
      { cause },
    );
  }
  if (!parsed.Secret && !parsed.Username) return undefined;
  // Helpers mark identity tokens with the user name "<token>" (docker cli credentials/native_store.go).
  if (parsed.Username === "<token>") return { identityToken: parsed.Secret ?? "" };
  return { username: parsed.Username ?? "", password: parsed.Secret ?? "" };
}

/**
 * Spawns `docker-credential-<name> <action>`, writing `input` to stdin and reading at most 64 KiB
 * of output, with a 30 s timeout.
 *
 * @param name the helper suffix (`desktop`, `pass`, `ecr-login` …)
 * @param action `get`, `store` or `erase`
 * @param input stdin
 * @returns exit status and output
 * @throws {RegistryError} `UNAUTHORIZED` when the helper is not on PATH
 */
export const runCredentialHelper: HelperRunner = async (name, action, input) => {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new RegistryError("UNAUTHORIZED", `Cannot run credential helper: invalid name ${name}`);
  }
  const program = `docker-credential-${name}`;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args: [action],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (cause) {
    throw new RegistryError("UNAUTHORIZED", `Cannot run ${program}: not found on PATH`, { cause });
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, HELPER_TIMEOUT_MS);
  try {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input));
    await writer.close().catch(() => {});
    const [stdout, stderr, status] = await Promise.all([
      readLimited(child.stdout),
      readLimited(child.stderr),
      child.status,
    ]);
    return { success: status.success, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
};

async function readLimited(stream: ReadableStream<Uint8Array>): Promise<string> {
  const bytes = await readStreamBounded(
    stream,
    HELPER_OUTPUT_LIMIT,
    () =>
      new RegistryError(
        "UNAUTHORIZED",
        `Cannot read credential helper output: larger than ${HELPER_OUTPUT_LIMIT} bytes`,
      ),
  );
  return new TextDecoder().decode(bytes);
}

/** Options of {@link dockerKeychain}. */
export interface KeychainOptions {
  /** The config file (see {@link dockerConfigPath}); undefined means anonymous everywhere. */
  configPath?: string;
  runHelper?: HelperRunner;
}

/**
 * A credential resolver reading the docker config (re-read per registry, so a login in between
 * is seen).
 *
 * @param options where the config is
 * @returns a {@link CredentialResolver}
 */
export function dockerKeychain(options: KeychainOptions): CredentialResolver {
  return async (registry) => {
    if (!options.configPath) return undefined;
    const config = await readDockerConfig(options.configPath);
    if (!config) return undefined;
    return await credentialsFromConfig(config, registry, options.runHelper);
  };
}

/**
 * Stores credentials for a registry like `cosign login` / `crane auth login`: in the credential
 * helper configured for it, else as `auths[<key>].auth` in the config file, written atomically
 * (mode 0600) with every other key preserved.
 *
 * @param registry the registry host (`docker.io` is stored under `https://index.docker.io/v1/`)
 * @param username the user
 * @param password the password or token
 * @param configPath the config file (its folder is created when missing)
 * @param runHelper runs credential helpers
 * @throws {IoError} when the config cannot be read or written
 * @throws {RegistryError} `UNAUTHORIZED` when the helper refuses to store
 */
export async function login(
  registry: string,
  username: string,
  password: string,
  configPath: string,
  runHelper: HelperRunner = runCredentialHelper,
): Promise<void> {
  const config = (await readDockerConfig(configPath)) ?? {};
  const key = authKeyFor(registry);
  const helper = config.credHelpers?.[registry] ?? config.credHelpers?.[key] ?? config.credsStore;
  if (helper) {
    const out = await runHelper(
      helper,
      "store",
      JSON.stringify({ ServerURL: key, Username: username, Secret: password }),
    );
    if (!out.success) {
      throw new RegistryError(
        "UNAUTHORIZED",
        `Cannot store credentials for ${key} in docker-credential-${helper}: ${
          (out.stderr || out.stdout).trim().slice(0, 200)
        }`,
      );
    }
    // Docker leaves an empty entry so that `auths` lists the registry.
    config.auths = { ...config.auths, [key]: {} };
  } else {
    const auth = new TextEncoder().encode(`${username}:${password}`).toBase64();
    config.auths = { ...config.auths, [key]: { auth } };
  }
  const dir = configPath.slice(0, configPath.lastIndexOf("/"));
  if (dir) await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(configPath, JSON.stringify(config, null, "\t") + "\n", { mode: 0o600 });
}
