import assert from "node:assert/strict";
import { KeyError } from "../errors.ts";
import { type KubeConnection, loadKubeConfig, SERVICE_ACCOUNT_DIR } from "./kube_config.ts";

const enc = new TextEncoder();
const b64 = (s: string) => enc.encode(s).toBase64();

/** A file system of the given files; anything else is NotFound. */
function files(map: Record<string, string>) {
  return (path: string): Promise<Uint8Array> =>
    path in map
      ? Promise.resolve(enc.encode(map[path]))
      : Promise.reject(new Deno.errors.NotFound(`open ${path}: no such file or directory`));
}

function load(env: Record<string, string>, fs: Record<string, string>, saDir?: string) {
  return loadKubeConfig({
    getEnv: (n) => env[n],
    readFile: files(fs),
    ...(saDir ? { serviceAccountDir: saDir } : {}),
  });
}

const config = (o: {
  current?: string;
  clusters?: [string, Record<string, unknown>][];
  users?: [string, Record<string, unknown>][];
  contexts?: [string, Record<string, unknown>][];
}) =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    ...(o.current ? { "current-context": o.current } : {}),
    clusters: (o.clusters ?? []).map(([name, cluster]) => ({ name, cluster })),
    users: (o.users ?? []).map(([name, user]) => ({ name, user })),
    contexts: (o.contexts ?? []).map(([name, context]) => ({ name, context })),
  });

const simple = config({
  current: "c",
  clusters: [["k", { server: "https://10.0.0.1:6443", "certificate-authority-data": b64("CA") }]],
  users: [["u", { token: "t0k" }]],
  contexts: [["c", { cluster: "k", user: "u" }]],
});

const YAML = `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://dev.example:6443
    certificate-authority: ca.crt
users:
- name: dev-user
  user:
    client-certificate: certs/client.crt
    client-key: /abs/client.key
contexts:
- name: dev
  context:
    cluster: dev-cluster
    user: dev-user
    namespace: ignored
`;

Deno.test("loadKubeConfig() reads kube configs as client-go does", async () => {
  const cases: [string, Record<string, string>, Record<string, string>, Partial<KubeConnection>][] =
    [
      [
        "~/.kube/config, CA data, token",
        { HOME: "/home/me" },
        { "/home/me/.kube/config": simple },
        {
          server: new URL("https://10.0.0.1:6443"),
          caCerts: ["CA"],
          token: "t0k",
          source: "kube config /home/me/.kube/config",
        },
      ],
      [
        "YAML; relative paths resolve against the kube config's folder",
        { KUBECONFIG: "/etc/kube/dev.yaml" },
        {
          "/etc/kube/dev.yaml": YAML,
          "/etc/kube/ca.crt": "CA FILE",
          "/etc/kube/certs/client.crt": "CERT",
          "/abs/client.key": "KEY",
        },
        {
          server: new URL("https://dev.example:6443"),
          caCerts: ["CA FILE"],
          clientCert: "CERT",
          clientKey: "KEY",
        },
      ],
      [
        "KUBECONFIG list: missing files skipped, the first to name a context or set current-context wins",
        { KUBECONFIG: "/missing:/a:/b", HOME: "/home/me" },
        {
          "/a": config({
            current: "c",
            clusters: [["k", { server: "https://a.example" }]],
            contexts: [["c", { cluster: "k", user: "u" }]],
          }),
          "/b": config({
            current: "other",
            clusters: [["k", { server: "https://b.example" }]],
            users: [["u", { username: "admin", password: "pw" }]],
            contexts: [["c", { cluster: "nope" }]],
          }),
          "/home/me/.kube/config": simple,
        },
        {
          server: new URL("https://a.example"),
          username: "admin",
          password: "pw",
          source: "kube config /a:/b",
        },
      ],
      [
        "client certificate and key data, tokenFile",
        { KUBECONFIG: "/k" },
        {
          "/k": config({
            current: "c",
            clusters: [["k", { server: "https://k.example:443/prefix" }]],
            users: [["u", {
              "client-certificate-data": b64("CERT"),
              "client-key-data": b64("KEY"),
              tokenFile: "token",
            }]],
            contexts: [["c", { cluster: "k", user: "u" }]],
          }),
          "/token": "file-token\n",
        },
        {
          server: new URL("https://k.example:443/prefix"),
          clientCert: "CERT",
          clientKey: "KEY",
          token: "file-token",
        },
      ],
      [
        "insecure-skip-tls-verify, no user",
        { KUBECONFIG: "/k" },
        {
          "/k": config({
            current: "c",
            clusters: [["k", { server: "https://k.example", "insecure-skip-tls-verify": true }]],
            contexts: [["c", { cluster: "k" }]],
          }),
        },
        { server: new URL("https://k.example"), insecureSkipTlsVerify: true },
      ],
    ];
  for (const [what, env, fs, want] of cases) {
    const got = await load(env, fs);
    for (const [k, v] of Object.entries(want)) {
      assert.deepEqual(got[k as keyof KubeConnection], v, `${what}: ${k}`);
    }
    for (const k of ["token", "clientCert", "username"] as const) {
      if (!(k in want)) assert.equal(got[k], undefined, `${what}: ${k}`);
    }
  }
});

Deno.test("loadKubeConfig() falls back to the pod's service account when no kube config exists", async () => {
  const got = await load(
    { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443", HOME: "/home/me" },
    { "/sa/token": "sa-token\n", "/sa/ca.crt": "SA CA" },
    "/sa",
  );
  assert.deepEqual(got, {
    server: new URL("https://[fd00::1]:443"),
    insecureSkipTlsVerify: false,
    token: "sa-token",
    caCerts: ["SA CA"],
    source: "in-cluster config",
  });
  // Without ca.crt client-go goes on with the system roots.
  const noCa = await load(
    { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" },
    { [`${SERVICE_ACCOUNT_DIR}/token`]: "t" },
  );
  assert.equal(noCa.server.href, "https://10.96.0.1/");
  assert.equal(noCa.caCerts, undefined);
});

Deno.test("loadKubeConfig() failures name what is missing", async () => {
  const cluster = (c: Record<string, unknown>, user: Record<string, unknown> = {}) =>
    config({
      current: "c",
      clusters: [["k", c]],
      users: [["u", user]],
      contexts: [["c", { cluster: "k", user: "u" }]],
    });
  const cases: [string, Record<string, string>, Record<string, string>, unknown][] = [
    [
      "nothing configured",
      { HOME: "/home/me" },
      {},
      new KeyError(
        "KMS_CREDENTIALS_MISSING",
        "Cannot connect to Kubernetes: no kube config found (/home/me/.kube/config) and not in a cluster (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)",
      ),
    ],
    [
      "in cluster without a token",
      { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" },
      {},
      { name: "KeyError", code: "KMS_CREDENTIALS_MISSING" },
    ],
    [
      "no current-context",
      { KUBECONFIG: "/k" },
      { "/k": config({ clusters: [["k", { server: "https://x" }]] }) },
      new KeyError(
        "KMS_CREDENTIALS_MISSING",
        "Cannot use kube config /k: no current-context is set",
      ),
    ],
    [
      "unknown context",
      { KUBECONFIG: "/k" },
      { "/k": config({ current: "x", clusters: [["k", { server: "https://x" }]] }) },
      new KeyError(
        "KMS_CREDENTIALS_MISSING",
        'Cannot use kube config /k: context "x" does not exist',
      ),
    ],
    [
      "no server",
      { KUBECONFIG: "/k" },
      { "/k": cluster({}) },
      new KeyError(
        "KMS_CREDENTIALS_MISSING",
        'Cannot use kube config /k: cluster "k" has no server',
      ),
    ],
    [
      "CA with insecure",
      { KUBECONFIG: "/k" },
      {
        "/k": cluster({
          server: "https://x",
          "certificate-authority-data": b64("CA"),
          "insecure-skip-tls-verify": true,
        }),
      },
      new KeyError(
        "KMS_CREDENTIALS_MISSING",
        "Cannot use kube config /k: specifying a root certificates file with the insecure flag is not allowed",
      ),
    ],
    [
      "missing CA file",
      { KUBECONFIG: "/k" },
      { "/k": cluster({ server: "https://x", "certificate-authority": "nope.crt" }) },
      new KeyError(
        "KMS_CREDENTIALS_MISSING",
        "Cannot read certificate authority /nope.crt: open /nope.crt: no such file or directory",
      ),
    ],
    [
      "exec plugin",
      { KUBECONFIG: "/k" },
      { "/k": cluster({ server: "https://x" }, { exec: { command: "aws" } }) },
      new KeyError(
        "KEY_UNSUPPORTED",
        'Cannot use kube config /k: exec of user "u" is not supported',
      ),
    ],
    [
      "certificate without key",
      { KUBECONFIG: "/k" },
      { "/k": cluster({ server: "https://x" }, { "client-certificate-data": b64("C") }) },
      new KeyError(
        "KMS_CREDENTIALS_MISSING",
        'Cannot use kube config /k: user "u" needs both a client certificate and a client key',
      ),
    ],
    [
      "token and basic auth",
      { KUBECONFIG: "/k" },
      { "/k": cluster({ server: "https://x" }, { token: "t", username: "a", password: "b" }) },
      new KeyError(
        "KMS_CREDENTIALS_MISSING",
        'Cannot use kube config /k: user "u" has both a token and a username/password',
      ),
    ],
    [
      "not YAML",
      { KUBECONFIG: "/k" },
      { "/k": "clusters: [unclosed" },
      { name: "SyntaxError" },
    ],
    [
      "clusters not a list",
      { KUBECONFIG: "/k" },
      { "/k": "clusters: 3\n" },
      new TypeError("Cannot parse kube config /k: clusters is not a list"),
    ],
    [
      "bad base64",
      { KUBECONFIG: "/k" },
      { "/k": cluster({ server: "https://x", "certificate-authority-data": "@@" }) },
      new TypeError("Cannot parse kube config: cluster k.certificate-authority-data is not base64"),
    ],
    [
      "too large",
      { KUBECONFIG: "/k" },
      { "/k": " ".repeat(1024 * 1024 + 1) },
      new RangeError("Cannot read kube config /k: larger than 1048576 bytes"),
    ],
  ];
  for (const [what, env, fs, want] of cases) {
    await assert.rejects(load(env, fs), want as Error, what);
  }
});
