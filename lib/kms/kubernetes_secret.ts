/**
 * A cosign key pair kept in a Kubernetes secret (`k8s://<namespace>/<name>`), as cosign's
 * pkg/cosign/kubernetes keeps it: the secret's data holds `cosign.key` (the encrypted private
 * key PEM), `cosign.pub` (the public key PEM) and `cosign.password`; no `type` is sent (the API
 * server makes it `Opaque`), and the secret is `immutable` when the server is 1.21 or later
 * (cosign's `checkImmutableSecretSupported` reads `GET /version`).
 *
 * Requests are the core/v1 REST API's: `GET`, `POST` and `PUT` on
 * `/api/v1/namespaces/{namespace}/secrets[/{name}]`, JSON, with the kube config's credentials
 * (lib/kms/kube_config.ts). Not a KMS, but like one a place keys are named by URI, hence this
 * folder.
 *
 * Differs from cosign on purpose: cosign replaces the cosign entries of an existing secret
 * without asking; {@link generateKubernetesKeyPair} asks first (`confirmReplace`), refuses an
 * immutable secret before asking (the API would refuse the update), keeps the existing secret's
 * labels, annotations and type, and sends its `resourceVersion`, so a secret changed meanwhile is
 * not overwritten (409 Conflict).
 *
 * @module
 */
import { IoError, KeyError, PromptDeclinedError } from "../errors.ts";
import { createTlsClient, httpRequest, isTlsError, readBodyBounded } from "../http.ts";
import { generateKeyPair } from "../keys/generate_key_pair.ts";
import { type KubeConfigDeps, type KubeConnection, loadKubeConfig } from "./kube_config.ts";

/** The most bytes of an API answer read (a secret holds at most 1 MiB of data). */
export const MAX_KUBERNETES_RESPONSE = 2 * 1024 * 1024;

/** The most entries read from a secret's data. */
const MAX_SECRET_ENTRIES = 256;

/** The data keys cosign uses (pkg/cosign/kubernetes/secret.go). */
export const SECRET_KEYS = {
  privateKey: "cosign.key",
  publicKey: "cosign.pub",
  password: "cosign.password",
} as const;

/** What the Kubernetes client needs from its caller. */
export interface KubernetesDeps extends KubeConfigDeps {
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Aborts requests. */
  signal?: AbortSignal;
}

/** A secret as the API returns it, data decoded. */
export interface KubernetesSecret {
  namespace: string;
  name: string;
  data: Record<string, Uint8Array>;
  type?: string;
  immutable?: boolean;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A connection to one API server. */
export interface KubernetesClient extends Disposable {
  /** Where its settings came from ("kube config <path>" or "in-cluster config"). */
  readonly source: string;
  /**
   * Reads a secret.
   *
   * @returns the secret, or undefined when it does not exist (404)
   * @throws {KeyError} `KMS_REQUEST_FAILED` for any other answer
   */
  getSecret(namespace: string, name: string): Promise<KubernetesSecret | undefined>;
  /**
   * Creates a secret (`POST`).
   *
   * @throws {KeyError} `KMS_REQUEST_FAILED` (409 when it exists)
   */
  createSecret(secret: KubernetesSecret): Promise<KubernetesSecret>;
  /**
   * Replaces a secret (`PUT`), conditionally when `resourceVersion` is set.
   *
   * @throws {KeyError} `KMS_REQUEST_FAILED` (409 when it changed, 422 when immutable)
   */
  replaceSecret(secret: KubernetesSecret): Promise<KubernetesSecret>;
  /**
   * The server's `gitVersion` (`GET /version`).
   *
   * @throws {KeyError} `KMS_REQUEST_FAILED`
   */
  serverVersion(): Promise<string>;
  /** Releases the TLS client. */
  close(): void;
}

/**
 * Splits a `k8s://<namespace>/<name>` reference as cosign's parseRef does (exactly two parts).
 *
 * @param ref the reference (the `k8s://` prefix is optional, as in cosign)
 * @returns namespace and name
 * @throws {TypeError} "Cannot parse Kubernetes reference: kubernetes specification should be in
 *   the format k8s://<namespace>/<secret>"
 */
export function parseKubernetesRef(ref: string): { namespace: string; name: string } {
  const parts = (ref.startsWith("k8s://") ? ref.slice("k8s://".length) : ref).split("/");
  // cosign lets an empty part through to a failing API call; we refuse it here.
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
    throw new TypeError(
      "Cannot parse Kubernetes reference: kubernetes specification should be in the format k8s://<namespace>/<secret>",
    );
  }
  return { namespace: parts[0], name: parts[1] };
}

function field(o: unknown, key: string): unknown {
  return typeof o === "object" && o !== null ? (o as Record<string, unknown>)[key] : undefined;
}

function stringMap(o: unknown): Record<string, string> | undefined {
  if (typeof o !== "object" || o === null) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === "string") out[k] = v;
  return out;
}

function decodeSecret(body: unknown, what: string): KubernetesSecret {
  const meta = field(body, "metadata");
  const name = field(meta, "name");
  const namespace = field(meta, "namespace");
  if (field(body, "kind") !== "Secret" || typeof name !== "string") {
    throw new KeyError("KMS_REQUEST_FAILED", `Cannot read ${what}: the answer is not a Secret`);
  }
  const raw = field(body, "data") ?? {};
  if (typeof raw !== "object" || raw === null) {
    throw new KeyError("KMS_REQUEST_FAILED", `Cannot read ${what}: data is not an object`);
  }
  const entries = Object.entries(raw);
  if (entries.length > MAX_SECRET_ENTRIES) {
    throw new RangeError(`Cannot read ${what}: more than ${MAX_SECRET_ENTRIES} data entries`);
  }
  const data: Record<string, Uint8Array> = {};
  for (const [k, v] of entries) {
    if (v === null) continue;
    if (typeof v !== "string") {
      throw new KeyError("KMS_REQUEST_FAILED", `Cannot read ${what}: data.${k} is not a string`);
    }
    try {
      data[k] = Uint8Array.fromBase64(v);
    } catch {
      throw new KeyError("KMS_REQUEST_FAILED", `Cannot read ${what}: data.${k} is not base64`);
    }
  }
  const type = field(body, "type");
  const immutable = field(body, "immutable");
  const resourceVersion = field(meta, "resourceVersion");
  const labels = stringMap(field(meta, "labels"));
  const annotations = stringMap(field(meta, "annotations"));
  return {
    namespace: typeof namespace === "string" ? namespace : "",
    name,
    data,
    ...(typeof type === "string" ? { type } : {}),
    ...(immutable === true ? { immutable } : {}),
    ...(typeof resourceVersion === "string" ? { resourceVersion } : {}),
    ...(labels ? { labels } : {}),
    ...(annotations ? { annotations } : {}),
  };
}

/** The JSON the API takes: metadata, base64 data, and only the fields that are set. */
function encodeSecret(s: KubernetesSecret): Uint8Array {
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.data)) data[k] = v.toBase64();
  return new TextEncoder().encode(JSON.stringify({
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: s.name,
      namespace: s.namespace,
      ...(s.resourceVersion ? { resourceVersion: s.resourceVersion } : {}),
      ...(s.labels ? { labels: s.labels } : {}),
      ...(s.annotations ? { annotations: s.annotations } : {}),
    },
    ...(s.type ? { type: s.type } : {}),
    data,
    ...(s.immutable ? { immutable: true } : {}),
  }));
}

/**
 * Opens a client for the API server the kube config (or the pod) names.
 *
 * @param deps environment, files, network
 * @returns the client; close it (or `using` it) when done
 * @throws the errors of {@link loadKubeConfig}
 */
export async function kubernetesClient(deps: KubernetesDeps): Promise<KubernetesClient> {
  return kubernetesClientFor(await loadKubeConfig(deps), deps);
}

/**
 * A client for known connection settings.
 *
 * @param conn where and how to connect
 * @param deps network
 * @returns the client
 * @throws {TypeError} for a client certificate without its key
 */
export function kubernetesClientFor(
  conn: KubeConnection,
  deps: Pick<KubernetesDeps, "fetch" | "signal">,
): KubernetesClient {
  const tls = createTlsClient({
    caCerts: conn.caCerts,
    clientCert: conn.clientCert,
    clientKey: conn.clientKey,
  });
  const headers: Record<string, string> = { accept: "application/json" };
  if (conn.token !== undefined) headers.authorization = `Bearer ${conn.token}`;
  else if (conn.username !== undefined) {
    headers.authorization = `Basic ${
      new TextEncoder().encode(`${conn.username}:${conn.password ?? ""}`).toBase64()
    }`;
  }
  const base = new URL(conn.server.href);
  if (!base.pathname.endsWith("/")) base.pathname += "/";

  async function call(
    step: string,
    method: string,
    path: string,
    body?: Uint8Array,
  ): Promise<{ status: number; body: unknown; url: string }> {
    const url = new URL(path, base).href;
    let res: Response;
    try {
      res = await httpRequest(
        {
          url,
          method,
          headers: body === undefined
            ? headers
            : { ...headers, "content-type": "application/json" },
          body,
          // POST is not repeated: a first attempt may have created the secret.
          retry: method !== "POST",
        },
        { fetch: deps.fetch, signal: deps.signal, client: tls, retry: { attempts: 3 } },
      );
    } catch (e) {
      if (conn.insecureSkipTlsVerify && isTlsError(e)) {
        throw new IoError(
          "NETWORK",
          `Cannot ${step}: ${method} ${url}: TLS verification failed, and insecure-skip-tls-verify cannot switch it off for one connection in Deno: put the cluster's CA in certificate-authority-data, or run deno with --unsafely-ignore-certificate-errors=${base.hostname}`,
          { cause: e },
        );
      }
      throw e;
    }
    const bytes = await readBodyBounded(res, MAX_KUBERNETES_RESPONSE, `${base.host} response`);
    const text = new TextDecoder().decode(bytes);
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (res.status >= 200 && res.status < 300) return { status: res.status, body: parsed, url };
    if (res.status === 404 && method === "GET" && path.includes("/secrets/")) {
      return { status: 404, body: parsed, url };
    }
    // A metav1.Status names what failed ("secrets \"x\" already exists").
    const message = field(parsed, "message");
    throw new KeyError(
      "KMS_REQUEST_FAILED",
      `Cannot ${step}: ${method} ${url}: ${res.status} ${
        typeof message === "string" ? message : text.slice(0, 200)
      }`,
    );
  }

  const secretsPath = (ns: string) => `api/v1/namespaces/${encodeURIComponent(ns)}/secrets`;
  const secretPath = (ns: string, name: string) => `${secretsPath(ns)}/${encodeURIComponent(name)}`;

  return {
    source: conn.source,
    async getSecret(namespace, name) {
      const what = `secret ${name} in namespace ${namespace}`;
      const r = await call(`read ${what}`, "GET", secretPath(namespace, name));
      return r.status === 404 ? undefined : decodeSecret(r.body, what);
    },
    async createSecret(secret) {
      const what = `secret ${secret.name} in namespace ${secret.namespace}`;
      const r = await call(
        `create ${what}`,
        "POST",
        secretsPath(secret.namespace),
        encodeSecret(secret),
      );
      return decodeSecret(r.body, what);
    },
    async replaceSecret(secret) {
      const what = `secret ${secret.name} in namespace ${secret.namespace}`;
      const r = await call(
        `update ${what}`,
        "PUT",
        secretPath(secret.namespace, secret.name),
        encodeSecret(secret),
      );
      return decodeSecret(r.body, what);
    },
    async serverVersion() {
      const r = await call("read the server version", "GET", "version");
      const v = field(r.body, "gitVersion");
      if (typeof v !== "string") {
        throw new KeyError("KMS_REQUEST_FAILED", "Cannot read the server version: no gitVersion");
      }
      return v;
    },
    close() {
      tls?.close();
    },
    [Symbol.dispose]() {
      tls?.close();
    },
  };
}

/**
 * Whether the server takes immutable secrets: cosign's checkImmutableSecretSupported
 * (`major >= 1 && minor >= 21` of the semantic version, its test kept as it is).
 *
 * @param gitVersion e.g. `v1.30.2` or `v1.28.3+k3s1`
 * @returns whether to set `immutable`
 * @throws {KeyError} `KMS_REQUEST_FAILED` for a version that is not semantic
 */
export function supportsImmutableSecrets(gitVersion: string): boolean {
  const m = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:[-+].*)?$/.exec(gitVersion);
  if (!m) {
    throw new KeyError(
      "KMS_REQUEST_FAILED",
      `Cannot read the server version: "${gitVersion.slice(0, 64)}" is not a semantic version`,
    );
  }
  return Number(m[1]) >= 1 && Number(m[2]) >= 21;
}

/**
 * Reads the secret a `k8s://` reference names (cosign's GetKeyPairSecret).
 *
 * @param ref `k8s://<namespace>/<name>`
 * @param deps environment, files, network
 * @returns the secret's data
 * @throws {TypeError} for a malformed reference
 * @throws {KeyError} `KEY_NOT_FOUND` when the secret does not exist, `KMS_REQUEST_FAILED` and the
 *   errors of {@link loadKubeConfig}
 */
export async function readKubernetesSecret(
  ref: string,
  deps: KubernetesDeps,
): Promise<Record<string, Uint8Array>> {
  const { namespace, name } = parseKubernetesRef(ref);
  using client = await kubernetesClient(deps);
  const secret = await client.getSecret(namespace, name);
  if (!secret) {
    throw new KeyError(
      "KEY_NOT_FOUND",
      `Cannot read secret ${name} in namespace ${namespace}: not found`,
    );
  }
  return secret.data;
}

/**
 * One entry of a `k8s://` secret, required.
 *
 * @param ref `k8s://<namespace>/<name>`
 * @param key the data key (`cosign.key`, `cosign.pub`, `cosign.password`)
 * @param data the secret's data
 * @returns its bytes
 * @throws {KeyError} `KEY_NOT_FOUND` "Cannot load key from secret <ns>/<name>: no <key>"
 */
export function secretEntry(
  ref: string,
  key: string,
  data: Record<string, Uint8Array>,
): Uint8Array {
  const v = data[key];
  if (v === undefined || (v.length === 0 && key !== SECRET_KEYS.password)) {
    const { namespace, name } = parseKubernetesRef(ref);
    throw new KeyError(
      "KEY_NOT_FOUND",
      `Cannot load key from secret ${name} in namespace ${namespace}: no ${key}`,
    );
  }
  return v;
}

/** What {@link generateKubernetesKeyPair} asks its caller. */
export interface GenerateKubernetesKeyPairOptions {
  /** The new key's password (asked after the secret was checked). Zeroed after use. */
  getPassword(): Promise<Uint8Array>;
  /**
   * Asked when the secret exists: whether to replace its cosign entries. Declining ends with
   * the callback's own error (or `PROMPT_DECLINED` when it returns false).
   */
  confirmReplace(namespace: string, name: string): Promise<boolean>;
}

/** What {@link generateKubernetesKeyPair} did. */
export interface KubernetesKeyPairResult {
  namespace: string;
  name: string;
  /** The public key PEM (to write to cosign.pub, as cosign does). */
  publicPem: string;
  /** Whether an existing secret was updated. */
  replaced: boolean;
}

/**
 * `cosign generate-key-pair k8s://<namespace>/<name>`: a new encrypted key pair stored in the
 * secret (created, or — after confirmation — updated with the other entries kept).
 *
 * @param ref `k8s://<namespace>/<name>`
 * @param options password and confirmation callbacks
 * @param deps environment, files, network
 * @returns where it went and the public key
 * @throws {TypeError} for a malformed reference
 * @throws {KeyError} `KMS_REQUEST_FAILED` (immutable or changed secret, API refusal), the errors of
 *   {@link loadKubeConfig}
 * @throws {PromptDeclinedError} when replacing was declined
 */
export async function generateKubernetesKeyPair(
  ref: string,
  options: GenerateKubernetesKeyPairOptions,
  deps: KubernetesDeps,
): Promise<KubernetesKeyPairResult> {
  const { namespace, name } = parseKubernetesRef(ref);
  using client = await kubernetesClient(deps);
  const existing = await client.getSecret(namespace, name);
  if (existing) {
    if (existing.immutable) {
      throw new KeyError(
        "KMS_REQUEST_FAILED",
        `Cannot update secret ${name} in namespace ${namespace}: it is immutable (delete it first)`,
      );
    }
    if (!(await options.confirmReplace(namespace, name))) {
      throw new PromptDeclinedError(
        `Cannot update secret ${name} in namespace ${namespace}: replacing was declined`,
      );
    }
  }
  const password = await options.getPassword();
  try {
    const pair = await generateKeyPair(password);
    const immutable = supportsImmutableSecrets(await client.serverVersion());
    const enc = new TextEncoder();
    const data: Record<string, Uint8Array> = {
      ...(existing?.data ?? {}),
      [SECRET_KEYS.privateKey]: enc.encode(pair.privatePem),
      [SECRET_KEYS.publicKey]: enc.encode(pair.publicPem),
      [SECRET_KEYS.password]: password.slice(),
    };
    try {
      const secret: KubernetesSecret = existing
        ? { ...existing, data, ...(immutable ? { immutable } : {}) }
        : { namespace, name, data, ...(immutable ? { immutable } : {}) };
      const stored = existing
        ? await client.replaceSecret(secret)
        : await client.createSecret(secret);
      return {
        namespace: stored.namespace || namespace,
        name: stored.name,
        publicPem: pair.publicPem,
        replaced: existing !== undefined,
      };
    } finally {
      data[SECRET_KEYS.password].fill(0);
    }
  } finally {
    password.fill(0);
  }
}
