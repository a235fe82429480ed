/**
 * A loopback stand-in for the parts of the Kubernetes API cosign's `k8s://` keys use
 * (kubernetes.io/docs/reference/kubernetes-api/config-and-storage-resources/secret-v1), served
 * over HTTPS with a fresh CA (made with openssl) or over plain HTTP:
 *
 * - every request needs `Authorization: Bearer <token>` or the basic credentials (401 Status
 *   `Unauthorized` otherwise);
 * - `GET /version`: `{"major","minor","gitVersion",…}`;
 * - `GET /api/v1/namespaces/{ns}/secrets/{name}`: 200 with the Secret, 404 Status `NotFound`
 *   (`secrets "name" not found`);
 * - `POST /api/v1/namespaces/{ns}/secrets`: `Content-Type: application/json` or
 *   `application/vnd.kubernetes.protobuf` (client-go's default; decoded here) (415 otherwise), a
 *   `kind: Secret` body whose namespace is empty or the path's (400), base64 data (400), 404 for an
 *   unknown namespace, 409 `AlreadyExists`; `type` defaults to `Opaque`; 201 with the stored object
 *   (uid, resourceVersion, creationTimestamp set);
 * - `PUT /api/v1/namespaces/{ns}/secrets/{name}`: the body's name must match (400); 404 when
 *   missing; 409 `Conflict` for a stale `resourceVersion`; 422 `Invalid` when the stored secret is
 *   immutable and data or immutability change, or the type changes.
 *
 * With `mtls`, the stub sits behind `socat` terminating TLS and requiring a client certificate
 * issued by the stub's CA (Deno's TLS server cannot ask for one): the certificate is then the
 * credential, as for an API server's x509 client authentication, and no token is needed.
 *
 * Limits: no list, watch, patch, delete, stringData or field validation of names.
 *
 * @module
 */
import { join } from "node:path";
import { opensslCa, opensslIssue } from "./openssl_ca.ts";

/** A stored secret, as the API returns it. */
export interface StoredSecret {
  apiVersion: "v1";
  kind: "Secret";
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  type: string;
  data: Record<string, string>;
  immutable?: boolean;
}

/** One request seen. */
export interface SeenRequest {
  method: string;
  path: string;
  authorization: string | null;
  contentType: string | null;
  body: unknown;
}

/** A running stub. */
export interface FakeKubernetes {
  /** `https://127.0.0.1:<port>` or `http://…`. */
  server: string;
  /** The CA (PEM) that issued the server's certificate (HTTPS only). */
  caPem?: string;
  /** Folder with ca.pem, and client.pem/client.key signed by the CA (HTTPS only). */
  dir: string;
  token: string;
  /** Secrets by `namespace/name`. */
  secrets: Map<string, StoredSecret>;
  namespaces: Set<string>;
  requests: SeenRequest[];
  /** Writes a kube config for this server into the folder; returns its path. */
  writeKubeConfig(options?: { name?: string; user?: Record<string, unknown> }): Promise<string>;
  stop(): Promise<void>;
}

function issue(dir: string, name: string, cn: string, ext: string): Promise<void> {
  return opensslIssue(dir, name, `/CN=${cn}`, ext);
}

/** A metav1.Status failure, as the API server writes it. */
function status(code: number, reason: string, message: string): Response {
  return Response.json({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  }, { status: code });
}

/** Protocol buffer fields of one message: field number → raw values (varints as bigint). */
function protoFields(buf: Uint8Array): Map<number, (Uint8Array | bigint)[]> {
  const out = new Map<number, (Uint8Array | bigint)[]>();
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n;; shift += 7n) {
      if (i >= buf.length || shift > 63n) throw new Error("bad varint");
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
    }
  };
  while (i < buf.length) {
    const tag = Number(varint());
    const field = tag >>> 3;
    let value: Uint8Array | bigint;
    if ((tag & 7) === 0) value = varint();
    else if ((tag & 7) === 2) {
      const n = Number(varint());
      if (i + n > buf.length) throw new Error("truncated field");
      value = buf.subarray(i, i + n);
      i += n;
    } else throw new Error(`unsupported wire type ${tag & 7}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

const td = new TextDecoder();
const protoStr = (f: Map<number, (Uint8Array | bigint)[]>, n: number): string | undefined => {
  const v = f.get(n)?.[0];
  return v instanceof Uint8Array ? td.decode(v) : undefined;
};
function protoMap(
  f: Map<number, (Uint8Array | bigint)[]>,
  n: number,
): [string, Uint8Array][] {
  return (f.get(n) ?? []).map((entry) => {
    const e = protoFields(entry as Uint8Array);
    return [protoStr(e, 1) ?? "", (e.get(2)?.[0] as Uint8Array | undefined) ?? new Uint8Array()];
  });
}

/**
 * Decodes a Secret sent as `application/vnd.kubernetes.protobuf` (what client-go sends): the
 * `k8s\0` magic, a runtime.Unknown envelope (typeMeta 1, raw 2), and in `raw` a v1.Secret
 * (metadata 1, data 2, type 3, immutable 5; ObjectMeta name 1, namespace 3, resourceVersion 6,
 * labels 11, annotations 12), returned as the JSON form.
 */
function secretFromProtobuf(bytes: Uint8Array): unknown {
  const magic = [0x6b, 0x38, 0x73, 0x00];
  if (!magic.every((b, i) => bytes[i] === b)) throw new Error("no k8s protobuf magic");
  const unknown = protoFields(bytes.subarray(4));
  const typeMeta = protoFields((unknown.get(1)?.[0] as Uint8Array) ?? new Uint8Array());
  const secret = protoFields((unknown.get(2)?.[0] as Uint8Array) ?? new Uint8Array());
  const meta = protoFields((secret.get(1)?.[0] as Uint8Array) ?? new Uint8Array());
  const strings = (n: number) =>
    Object.fromEntries(protoMap(meta, n).map(([k, v]) => [k, td.decode(v)]));
  const labels = strings(11);
  const annotations = strings(12);
  return {
    apiVersion: protoStr(typeMeta, 1),
    kind: protoStr(typeMeta, 2),
    metadata: {
      name: protoStr(meta, 1),
      namespace: protoStr(meta, 3),
      resourceVersion: protoStr(meta, 6),
      ...(Object.keys(labels).length ? { labels } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    data: Object.fromEntries(protoMap(secret, 2).map(([k, v]) => [k, v.toBase64()])),
    type: protoStr(secret, 3),
    immutable: secret.get(5)?.[0] === 1n ? true : undefined,
  };
}

function isBase64(v: unknown): boolean {
  if (typeof v !== "string") return false;
  try {
    Uint8Array.fromBase64(v);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the stub.
 *
 * @param options `tls` (default true), namespaces that exist (default `["default"]`), the
 *   server's `gitVersion` (default `v1.30.2`), and basic-auth credentials accepted besides the token
 * @returns the stub
 */
export async function startFakeKubernetes(options: {
  tls?: boolean;
  /** Require a client certificate (socat in front); implies TLS. */
  mtls?: boolean;
  namespaces?: string[];
  gitVersion?: string;
  basic?: { username: string; password: string };
} = {}): Promise<FakeKubernetes> {
  const mtls = options.mtls ?? false;
  const tls = mtls || (options.tls ?? true);
  const dir = await Deno.makeTempDir({ prefix: "fake-kubernetes-" });
  let caPem: string | undefined;
  if (tls) {
    await opensslCa(dir, "/CN=fake kubernetes CA");
    await issue(
      dir,
      "tls",
      "kube-apiserver",
      "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n" +
        "extendedKeyUsage=serverAuth\n",
    );
    await issue(
      dir,
      "client",
      "cosign-user",
      "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth\n",
    );
    caPem = await Deno.readTextFile(join(dir, "ca.pem"));
  }
  const token = "fake-kubernetes-token-" + crypto.randomUUID();
  const gitVersion = options.gitVersion ?? "v1.30.2";
  const secrets = new Map<string, StoredSecret>();
  const namespaces = new Set(options.namespaces ?? ["default"]);
  const requests: SeenRequest[] = [];
  let version = 1000;
  const basic = options.basic
    ? `Basic ${btoa(`${options.basic.username}:${options.basic.password}`)}`
    : undefined;

  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const raw = new Uint8Array(await req.arrayBuffer());
    const text = new TextDecoder().decode(raw);
    let body: unknown = undefined;
    const contentType = req.headers.get("content-type");
    if (raw.length > 0 && contentType === "application/vnd.kubernetes.protobuf") {
      try {
        body = secretFromProtobuf(raw);
      } catch (e) {
        return status(400, "BadRequest", `cannot decode protobuf: ${(e as Error).message}`);
      }
    } else if (text !== "" && contentType?.startsWith("application/json")) {
      try {
        body = JSON.parse(text);
      } catch {
        return status(400, "BadRequest", "the body is not JSON");
      }
    }
    const authorization = req.headers.get("authorization");
    requests.push({ method: req.method, path: url.pathname, authorization, contentType, body });
    if (
      !mtls && authorization !== `Bearer ${token}` &&
      (basic === undefined || authorization !== basic)
    ) {
      return status(401, "Unauthorized", "Unauthorized");
    }
    if (url.pathname === "/version" && req.method === "GET") {
      const m = /^v(\d+)\.(\d+)/.exec(gitVersion);
      return Response.json({
        major: m?.[1] ?? "",
        minor: m?.[2] ?? "",
        gitVersion,
        gitCommit: "0000000000000000000000000000000000000000",
        gitTreeState: "clean",
        buildDate: "2026-01-01T00:00:00Z",
        goVersion: "go1.24.0",
        compiler: "gc",
        platform: "linux/amd64",
      });
    }
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) return status(404, "NotFound", "the server could not find the requested resource");
    const ns = decodeURIComponent(m[1]);
    const name = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
    if (
      (req.method === "POST" || req.method === "PUT") &&
      !contentType?.startsWith("application/json") &&
      contentType !== "application/vnd.kubernetes.protobuf"
    ) {
      return status(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf",
      );
    }
    if (req.method === "GET" && name !== undefined) {
      const s = secrets.get(`${ns}/${name}`);
      return s ? Response.json(s) : status(404, "NotFound", `secrets "${name}" not found`);
    }
    if ((req.method === "POST" && name === undefined) || (req.method === "PUT" && name)) {
      const b = body as Partial<StoredSecret> | undefined;
      if (!b || b.kind !== "Secret" || typeof b.metadata?.name !== "string") {
        return status(400, "BadRequest", "the body is not a Secret");
      }
      if (b.metadata.namespace && b.metadata.namespace !== ns) {
        return status(
          400,
          "BadRequest",
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      }
      const data = b.data ?? {};
      for (const [k, v] of Object.entries(data)) {
        if (!isBase64(v)) {
          return status(400, "BadRequest", `illegal base64 data in data["${k}"]`);
        }
      }
      if (!namespaces.has(ns)) return status(404, "NotFound", `namespaces "${ns}" not found`);
      const key = `${ns}/${b.metadata.name}`;
      const existing = secrets.get(key);
      const stored: StoredSecret = {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name: b.metadata.name,
          namespace: ns,
          uid: existing?.metadata.uid ?? crypto.randomUUID(),
          resourceVersion: String(++version),
          creationTimestamp: existing?.metadata.creationTimestamp ??
            new Date().toISOString().replace(/\.\d+Z$/, "Z"),
          ...(b.metadata.labels ? { labels: b.metadata.labels } : {}),
          ...(b.metadata.annotations ? { annotations: b.metadata.annotations } : {}),
        },
        type: b.type || "Opaque",
        data: data as Record<string, string>,
        ...(b.immutable === true ? { immutable: true } : {}),
      };
      if (req.method === "POST") {
        if (existing) {
          return status(409, "AlreadyExists", `secrets "${b.metadata.name}" already exists`);
        }
        secrets.set(key, stored);
        return Response.json(stored, { status: 201 });
      }
      if (b.metadata.name !== name) {
        return status(
          400,
          "BadRequest",
          `the name of the object (${b.metadata.name}) does not match the name on the URL (${name})`,
        );
      }
      if (!existing) return status(404, "NotFound", `secrets "${name}" not found`);
      if (
        b.metadata.resourceVersion !== undefined && b.metadata.resourceVersion !== "" &&
        b.metadata.resourceVersion !== existing.metadata.resourceVersion
      ) {
        return status(
          409,
          "Conflict",
          `Operation cannot be fulfilled on secrets "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
      }
      if (stored.type !== existing.type) {
        return status(
          422,
          "Invalid",
          `Secret "${name}" is invalid: type: Invalid value: "${stored.type}": field is immutable`,
        );
      }
      if (
        existing.immutable &&
        (JSON.stringify(stored.data) !== JSON.stringify(existing.data) || !stored.immutable)
      ) {
        return status(
          422,
          "Invalid",
          `Secret "${name}" is invalid: data: Forbidden: field is immutable when \`immutable\` is set`,
        );
      }
      secrets.set(key, stored);
      return Response.json(stored);
    }
    return status(
      405,
      "MethodNotAllowed",
      `the server does not allow this method on the requested resource`,
    );
  };

  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
    ...(tls && !mtls
      ? {
        cert: await Deno.readTextFile(join(dir, "tls.pem")),
        key: await Deno.readTextFile(join(dir, "tls.key")),
      }
      : {}),
  }, handler);
  let port = server.addr.port;
  let front: Deno.ChildProcess | undefined;
  if (mtls) {
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    front = new Deno.Command("socat", {
      args: [
        `OPENSSL-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork,cert=${join(dir, "tls.pem")},key=${
          join(dir, "tls.key")
        },cafile=${join(dir, "ca.pem")},verify=1`,
        `TCP:127.0.0.1:${server.addr.port}`,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    // Wait until socat listens.
    for (let i = 0;; i++) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        break;
      } catch (e) {
        if (i > 100) throw new Error(`socat did not start: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
  const origin = `${tls ? "https" : "http"}://127.0.0.1:${port}`;
  return {
    server: origin,
    ...(caPem ? { caPem } : {}),
    dir,
    token,
    secrets,
    namespaces,
    requests,
    async writeKubeConfig(o = {}) {
      const name = o.name ?? "kubeconfig";
      const path = join(dir, name);
      const cluster: Record<string, unknown> = { server: origin };
      if (caPem) cluster["certificate-authority"] = join(dir, "ca.pem");
      await Deno.writeTextFile(
        path,
        JSON.stringify(
          {
            apiVersion: "v1",
            kind: "Config",
            "current-context": "fake",
            clusters: [{ name: "fake", cluster }],
            users: [{ name: "fake", user: o.user ?? { token } }],
            contexts: [{ name: "fake", context: { cluster: "fake", user: "fake" } }],
          },
          null,
          2,
        ),
      );
      return path;
    },
    async stop() {
      if (front) {
        front.kill();
        await front.status;
      }
      await server.shutdown();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
