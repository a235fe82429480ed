/**
 * Where the Kubernetes API is and how to authenticate to it, found as client-go finds it for
 * cosign's `k8s://` keys (pkg/cosign/kubernetes/client.go: `clientcmd`'s default loading rules,
 * then `rest.InClusterConfig` when no kube config exists):
 *
 * - kube config files: the `KUBECONFIG` list (`:`-separated; missing files are skipped), else
 *   `$HOME/.kube/config`. Files merge as client-go merges them: the first file to name a
 *   cluster, user or context wins it, and the first `current-context` wins.
 * - the current context's cluster: `server`, `certificate-authority` (a file, relative to the
 *   kube config that names it) or `certificate-authority-data`, `insecure-skip-tls-verify`;
 *   its user: `token` or `tokenFile`, `client-certificate(-data)` + `client-key(-data)` (mutual
 *   TLS), `username` + `password` (basic auth).
 * - in a pod: `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT`, and the service account's
 *   `token` and `ca.crt` in /var/run/secrets/kubernetes.io/serviceaccount.
 *
 * Not supported (refused with `KEY_UNSUPPORTED`): `exec` and `auth-provider` credential plugins,
 * impersonation (`as`), `proxy-url` and `tls-server-name`.
 *
 * @module
 */
import { dirname, isAbsolute, join } from "node:path";
import { parse } from "yaml";
import { KeyError } from "../errors.ts";

/** The service account folder a pod sees (client-go rest.InClusterConfig). */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The most bytes read from a kube config, certificate or token file. */
export const MAX_KUBE_FILE = 1024 * 1024;

/** The most files read from `KUBECONFIG`. */
const MAX_KUBECONFIG_FILES = 32;

/** What {@link loadKubeConfig} needs from its caller. */
export interface KubeConfigDeps {
  /** `KUBECONFIG`, `HOME`, `KUBERNETES_SERVICE_HOST`, `KUBERNETES_SERVICE_PORT`. */
  getEnv: (name: string) => string | undefined;
  /** Reads kube configs, certificates and token files; defaults to `Deno.readFile`. */
  readFile?: (path: string) => Promise<Uint8Array>;
  /** The service account folder (tests); defaults to {@link SERVICE_ACCOUNT_DIR}. */
  serviceAccountDir?: string;
}

/** How to reach the API server. */
export interface KubeConnection {
  /** The API server, e.g. `https://10.0.0.1:6443` (may carry a path prefix). */
  server: URL;
  /** Trusted CA certificates (PEM) for the server, when the config names some. */
  caCerts?: string[];
  /** `insecure-skip-tls-verify`: Deno cannot honour it per connection (see kubernetes_secret.ts). */
  insecureSkipTlsVerify: boolean;
  /** Bearer token. */
  token?: string;
  /** Client certificate and key (PEM) for mutual TLS. */
  clientCert?: string;
  clientKey?: string;
  /** Basic auth. */
  username?: string;
  password?: string;
  /** Where the settings came from: "kube config <path>" or "in-cluster config". */
  source: string;
}

type Obj = Record<string, unknown>;

interface Named {
  value: Obj;
  /** The folder of the kube config it came from (relative paths resolve against it). */
  dir: string;
  file: string;
}

interface Merged {
  currentContext?: string;
  clusters: Map<string, Named>;
  users: Map<string, Named>;
  contexts: Map<string, Named>;
  files: string[];
}

const decoder = new TextDecoder();

function isNotFound(e: unknown): boolean {
  return e instanceof Deno.errors.NotFound ||
    (typeof e === "object" && e !== null && (e as { code?: unknown }).code === "ENOENT");
}

async function readBounded(deps: KubeConfigDeps, path: string, what: string): Promise<Uint8Array> {
  const bytes = await (deps.readFile ?? ((p) => Deno.readFile(p)))(path);
  if (bytes.length > MAX_KUBE_FILE) {
    throw new RangeError(`Cannot read ${what} ${path}: larger than ${MAX_KUBE_FILE} bytes`);
  }
  return bytes;
}

/** A credential or certificate file the config names: a missing one is an error (client-go). */
async function readNamedFile(deps: KubeConfigDeps, path: string, what: string): Promise<string> {
  try {
    return decoder.decode(await readBounded(deps, path, what));
  } catch (e) {
    if (e instanceof RangeError) throw e;
    throw new KeyError(
      "KMS_CREDENTIALS_MISSING",
      `Cannot read ${what} ${path}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

function asObject(v: unknown, what: string): Obj {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) {
    throw new TypeError(`Cannot parse kube config: ${what} is not a mapping`);
  }
  return v as Obj;
}

function str(o: Obj, key: string, what: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") {
    throw new TypeError(`Cannot parse kube config: ${what}.${key} is not a string`);
  }
  return v;
}

/** A `[]byte` field: YAML carries it as standard base64 (Go encoding/json). */
function bytesField(o: Obj, key: string, what: string): string | undefined {
  const v = str(o, key, what);
  if (v === undefined) return undefined;
  try {
    return decoder.decode(Uint8Array.fromBase64(v.replace(/\s+/g, "")));
  } catch {
    throw new TypeError(`Cannot parse kube config: ${what}.${key} is not base64`);
  }
}

/** Parses one kube config (YAML or JSON) and adds what it names first to `merged`. */
function mergeFile(merged: Merged, text: string, file: string): void {
  let doc: unknown;
  try {
    // sigs.k8s.io/yaml reads YAML 1.1 (go-yaml v2); aliases are bounded against expansion bombs.
    doc = parse(text, { version: "1.1", maxAliasCount: 100, uniqueKeys: false });
  } catch (e) {
    throw new SyntaxError(`Cannot parse kube config ${file}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const root = asObject(doc, file);
  const dir = dirname(file);
  const current = root["current-context"];
  if (merged.currentContext === undefined && typeof current === "string" && current !== "") {
    merged.currentContext = current;
  }
  for (
    const [list, map, inner] of [
      ["clusters", merged.clusters, "cluster"],
      ["users", merged.users, "user"],
      ["contexts", merged.contexts, "context"],
    ] as const
  ) {
    const entries = root[list];
    if (entries === undefined || entries === null) continue;
    if (!Array.isArray(entries)) {
      throw new TypeError(`Cannot parse kube config ${file}: ${list} is not a list`);
    }
    for (const entry of entries.slice(0, 1000)) {
      const e = asObject(entry, `${list} entry`);
      const name = e.name;
      if (typeof name !== "string") {
        throw new TypeError(`Cannot parse kube config ${file}: a ${inner} has no name`);
      }
      // client-go: the first file to define a name wins it.
      if (!map.has(name)) {
        map.set(name, { value: asObject(e[inner], `${inner} ${name}`), dir, file });
      }
    }
  }
  merged.files.push(file);
}

function resolvePath(path: string, dir: string): string {
  return isAbsolute(path) ? path : join(dir, path);
}

/** The kube config files to read, in precedence order (clientcmd.NewDefaultClientConfigLoadingRules). */
function kubeConfigPaths(deps: KubeConfigDeps): string[] {
  const list = deps.getEnv("KUBECONFIG");
  if (list !== undefined && list !== "") {
    const paths = [...new Set(list.split(":").filter((p) => p !== ""))];
    if (paths.length > MAX_KUBECONFIG_FILES) {
      throw new RangeError(`Cannot read KUBECONFIG: more than ${MAX_KUBECONFIG_FILES} files`);
    }
    return paths;
  }
  const home = deps.getEnv("HOME");
  return home ? [join(home, ".kube", "config")] : [];
}

async function fromKubeConfig(merged: Merged, deps: KubeConfigDeps): Promise<KubeConnection> {
  const source = `kube config ${merged.files.join(":")}`;
  const fail = (message: string) =>
    new KeyError("KMS_CREDENTIALS_MISSING", `Cannot use ${source}: ${message}`);
  if (merged.currentContext === undefined) throw fail("no current-context is set");
  const context = merged.contexts.get(merged.currentContext);
  if (!context) throw fail(`context "${merged.currentContext}" does not exist`);
  const clusterName = str(context.value, "cluster", "context");
  const cluster = clusterName === undefined ? undefined : merged.clusters.get(clusterName);
  if (!cluster) {
    throw fail(
      `cluster "${clusterName ?? ""}" of context "${merged.currentContext}" does not exist`,
    );
  }
  const c = cluster.value;
  const what = `cluster ${clusterName}`;
  const server = str(c, "server", what);
  if (server === undefined) throw fail(`cluster "${clusterName}" has no server`);
  for (const unsupported of ["proxy-url", "tls-server-name"]) {
    if (str(c, unsupported, what) !== undefined) {
      throw new KeyError(
        "KEY_UNSUPPORTED",
        `Cannot use ${source}: ${unsupported} of cluster "${clusterName}" is not supported`,
      );
    }
  }
  let url: URL;
  try {
    url = new URL(server.includes("://") ? server : `https://${server}`);
  } catch {
    throw new TypeError(
      `Cannot parse kube config: server of cluster "${clusterName}" is not a URL`,
    );
  }
  const insecure = c["insecure-skip-tls-verify"] === true;
  let ca = bytesField(c, "certificate-authority-data", what);
  const caFile = str(c, "certificate-authority", what);
  if (ca === undefined && caFile !== undefined) {
    ca = await readNamedFile(deps, resolvePath(caFile, cluster.dir), "certificate authority");
  }
  if (insecure && ca !== undefined) {
    // client-go's validation refuses the same combination.
    throw fail("specifying a root certificates file with the insecure flag is not allowed");
  }
  const conn: KubeConnection = {
    server: url,
    insecureSkipTlsVerify: insecure,
    source,
    ...(ca !== undefined ? { caCerts: [ca] } : {}),
  };
  const userName = str(context.value, "user", "context");
  const user = userName === undefined ? undefined : merged.users.get(userName);
  if (user) {
    const u = user.value;
    const uw = `user ${userName}`;
    for (const unsupported of ["exec", "auth-provider", "as"]) {
      if (u[unsupported] !== undefined && u[unsupported] !== null) {
        throw new KeyError(
          "KEY_UNSUPPORTED",
          `Cannot use ${source}: ${unsupported} of user "${userName}" is not supported`,
        );
      }
    }
    conn.token = str(u, "token", uw);
    const tokenFile = str(u, "tokenFile", uw);
    if (conn.token === undefined && tokenFile !== undefined) {
      conn.token = (await readNamedFile(deps, resolvePath(tokenFile, user.dir), "token file"))
        .trim();
    }
    let cert = bytesField(u, "client-certificate-data", uw);
    const certFile = str(u, "client-certificate", uw);
    if (cert === undefined && certFile !== undefined) {
      cert = await readNamedFile(deps, resolvePath(certFile, user.dir), "client certificate");
    }
    let key = bytesField(u, "client-key-data", uw);
    const keyFile = str(u, "client-key", uw);
    if (key === undefined && keyFile !== undefined) {
      key = await readNamedFile(deps, resolvePath(keyFile, user.dir), "client key");
    }
    if ((cert === undefined) !== (key === undefined)) {
      throw fail(`user "${userName}" needs both a client certificate and a client key`);
    }
    if (cert !== undefined) {
      conn.clientCert = cert;
      conn.clientKey = key;
    }
    conn.username = str(u, "username", uw);
    conn.password = str(u, "password", uw);
    if (conn.token !== undefined && conn.username !== undefined) {
      // client-go: "username/password or bearer token may be set, but not both".
      throw fail(`user "${userName}" has both a token and a username/password`);
    }
  }
  return conn;
}

async function inCluster(deps: KubeConfigDeps, searched: string[]): Promise<KubeConnection> {
  const host = deps.getEnv("KUBERNETES_SERVICE_HOST");
  const port = deps.getEnv("KUBERNETES_SERVICE_PORT");
  if (!host || !port) {
    throw new KeyError(
      "KMS_CREDENTIALS_MISSING",
      `Cannot connect to Kubernetes: no kube config found (${
        searched.length ? searched.join(", ") : "KUBECONFIG and HOME unset"
      }) and not in a cluster (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)`,
    );
  }
  const dir = deps.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const token = (await readNamedFile(deps, join(dir, "token"), "service account token")).trim();
  let ca: string | undefined;
  try {
    ca = decoder.decode(await readBounded(deps, join(dir, "ca.crt"), "service account CA"));
  } catch (e) {
    // client-go logs the failure and goes on with the system roots.
    if (e instanceof RangeError) throw e;
  }
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return {
    server: new URL(`https://${hostPart}:${port}`),
    insecureSkipTlsVerify: false,
    token,
    source: "in-cluster config",
    ...(ca !== undefined ? { caCerts: [ca] } : {}),
  };
}

/**
 * Finds the API server and credentials as cosign's Kubernetes client does: kube config files
 * first, the pod's service account when there are none.
 *
 * @param deps environment, files and the service account folder
 * @returns the connection settings
 * @throws {KeyError} `KMS_CREDENTIALS_MISSING` when nothing is configured, the current context,
 *   cluster or server is missing, or a named file cannot be read; `KEY_UNSUPPORTED` for credential
 *   plugins, impersonation, `proxy-url`, `tls-server-name`
 * @throws {SyntaxError} for a kube config that is not YAML
 * @throws {TypeError} for a kube config of the wrong shape
 * @throws {RangeError} for a file over 1 MiB or more than 32 `KUBECONFIG` files
 */
export async function loadKubeConfig(deps: KubeConfigDeps): Promise<KubeConnection> {
  const paths = kubeConfigPaths(deps);
  const merged: Merged = { clusters: new Map(), users: new Map(), contexts: new Map(), files: [] };
  for (const path of paths) {
    let bytes: Uint8Array;
    try {
      bytes = await readBounded(deps, path, "kube config");
    } catch (e) {
      // client-go skips files of the KUBECONFIG list (and ~/.kube/config) that do not exist.
      if (isNotFound(e)) continue;
      if (e instanceof RangeError) throw e;
      throw new KeyError(
        "KMS_CREDENTIALS_MISSING",
        `Cannot read kube config ${path}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    mergeFile(merged, decoder.decode(bytes), path);
  }
  const empty = merged.currentContext === undefined && merged.clusters.size === 0 &&
    merged.contexts.size === 0 && merged.users.size === 0;
  if (empty) return await inCluster(deps, paths);
  return await fromKubeConfig(merged, deps);
}
