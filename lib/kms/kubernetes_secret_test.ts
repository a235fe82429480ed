import assert from "node:assert/strict";
import { join } from "node:path";
import { IoError, KeyError, PromptDeclinedError } from "../errors.ts";
import { loadPrivateKey } from "../keys/private_key.ts";
import { startFakeKubernetes } from "../../tests/helpers/fake_kubernetes.ts";
import {
  generateKubernetesKeyPair,
  kubernetesClient,
  parseKubernetesRef,
  readKubernetesSecret,
  supportsImmutableSecrets,
} from "./kubernetes_secret.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("parseKubernetesRef() splits as cosign's parseRef", () => {
  assert.deepEqual(parseKubernetesRef("k8s://default/cosign-secret"), {
    namespace: "default",
    name: "cosign-secret",
  });
  assert.deepEqual(parseKubernetesRef("ns/name"), { namespace: "ns", name: "name" });
  for (const bad of ["k8s://name", "k8s://a/b/c", "k8s:///name", "k8s://ns/", ""]) {
    assert.throws(
      () => parseKubernetesRef(bad),
      new TypeError(
        "Cannot parse Kubernetes reference: kubernetes specification should be in the format k8s://<namespace>/<secret>",
      ),
      bad,
    );
  }
});

Deno.test("supportsImmutableSecrets() keeps cosign's major >= 1 && minor >= 21 test", () => {
  const cases: [string, boolean][] = [
    ["v1.20.15", false],
    ["v1.21.0", true],
    ["v1.30.2+k3s1", true],
    ["v1.29.0-eks-1", true],
    ["1.21.0", true],
    ["v2.0.0", false], // cosign's quirk, kept
  ];
  for (const [v, want] of cases) assert.equal(supportsImmutableSecrets(v), want, v);
  assert.throws(
    () => supportsImmutableSecrets("v1.21"),
    new KeyError(
      "KMS_REQUEST_FAILED",
      'Cannot read the server version: "v1.21" is not a semantic version',
    ),
  );
});

Deno.test("generateKubernetesKeyPair() in a pod: service account token and CA; readKubernetesSecret() reads it back", async () => {
  const kube = await startFakeKubernetes({ namespaces: ["ns"] });
  try {
    const sa = await Deno.makeTempDir({ dir: kube.dir });
    await Deno.writeTextFile(join(sa, "token"), kube.token + "\n");
    await Deno.writeTextFile(join(sa, "ca.crt"), kube.caPem!);
    const port = new URL(kube.server).port;
    const deps = {
      getEnv: (n: string) =>
        ({ KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: port })[n],
      serviceAccountDir: sa,
    };
    let asked = 0;
    const r = await generateKubernetesKeyPair("k8s://ns/key", {
      getPassword: () => Promise.resolve(enc.encode("pw")),
      confirmReplace: () => {
        asked++;
        return Promise.resolve(true);
      },
    }, deps);
    assert.deepEqual([r.namespace, r.name, r.replaced, asked], ["ns", "key", false, 0]);
    const data = await readKubernetesSecret("k8s://ns/key", deps);
    assert.deepEqual(Object.keys(data).sort(), ["cosign.key", "cosign.password", "cosign.pub"]);
    assert.equal(dec.decode(data["cosign.pub"]), r.publicPem);
    assert.equal(dec.decode(data["cosign.password"]), "pw");
    await loadPrivateKey(data["cosign.key"], data["cosign.password"]);
    for (const q of kube.requests) assert.equal(q.authorization, `Bearer ${kube.token}`);
    await assert.rejects(
      readKubernetesSecret("k8s://ns/other", deps),
      new KeyError("KEY_NOT_FOUND", "Cannot read secret other in namespace ns: not found"),
    );
  } finally {
    await kube.stop();
  }
});

Deno.test("generateKubernetesKeyPair() on an old server (1.20) makes a mutable secret; replacing asks and can be declined", async () => {
  const kube = await startFakeKubernetes({
    tls: false,
    gitVersion: "v1.20.15",
    basic: { username: "admin", password: "hunter2" },
  });
  try {
    const kubeconfig = await kube.writeKubeConfig({
      user: { username: "admin", password: "hunter2" },
    });
    const deps = { getEnv: (n: string) => (n === "KUBECONFIG" ? kubeconfig : undefined) };
    const first = await generateKubernetesKeyPair("k8s://default/k", {
      getPassword: () => Promise.resolve(new Uint8Array()),
      confirmReplace: () => Promise.reject(new Error("not asked on create")),
    }, deps);
    const stored = kube.secrets.get("default/k")!;
    assert.equal(stored.immutable, undefined);
    assert.equal(stored.data["cosign.password"], "");
    assert.equal(kube.requests[0].authorization, `Basic ${btoa("admin:hunter2")}`);

    let passwordAsked = false;
    await assert.rejects(
      generateKubernetesKeyPair("k8s://default/k", {
        getPassword: () => {
          passwordAsked = true;
          return Promise.resolve(enc.encode("x"));
        },
        confirmReplace: (ns, name) => {
          assert.deepEqual([ns, name], ["default", "k"]);
          return Promise.resolve(false);
        },
      }, deps),
      new PromptDeclinedError(
        "Cannot update secret k in namespace default: replacing was declined",
      ),
    );
    assert.equal(passwordAsked, false);
    assert.equal(
      dec.decode(Uint8Array.fromBase64(kube.secrets.get("default/k")!.data["cosign.pub"])),
      first.publicPem,
    );
    const second = await generateKubernetesKeyPair("k8s://default/k", {
      getPassword: () => Promise.resolve(enc.encode("new")),
      confirmReplace: () => Promise.resolve(true),
    }, deps);
    assert.equal(second.replaced, true);
    assert.notEqual(second.publicPem, first.publicPem);
    assert.equal(kube.secrets.get("default/k")!.data["cosign.password"], btoa("new"));
  } finally {
    await kube.stop();
  }
});

Deno.test("KubernetesClient: a stale resourceVersion is a conflict, a wrong token is refused, a client certificate and key from the kube config load into the TLS client", async () => {
  const kube = await startFakeKubernetes();
  try {
    const kubeconfig = await kube.writeKubeConfig({
      user: {
        token: kube.token,
        "client-certificate": join(kube.dir, "client.pem"),
        "client-key": join(kube.dir, "client.key"),
      },
    });
    const deps = { getEnv: (n: string) => (n === "KUBECONFIG" ? kubeconfig : undefined) };
    using client = await kubernetesClient(deps);
    const created = await client.createSecret({
      namespace: "default",
      name: "s",
      data: { a: enc.encode("1") },
    });
    assert.equal(created.resourceVersion, kube.secrets.get("default/s")!.metadata.resourceVersion);
    await client.replaceSecret({ ...created, data: { a: enc.encode("2") } });
    await assert.rejects(
      client.replaceSecret({ ...created, data: { a: enc.encode("3") } }),
      new KeyError(
        "KMS_REQUEST_FAILED",
        `Cannot update secret s in namespace default: PUT ${kube.server}/api/v1/namespaces/default/secrets/s: 409 Operation cannot be fulfilled on secrets "s": the object has been modified; please apply your changes to the latest version and try again`,
      ),
    );
    await assert.rejects(
      client.createSecret({ namespace: "default", name: "s", data: {} }),
      new KeyError(
        "KMS_REQUEST_FAILED",
        `Cannot create secret s in namespace default: POST ${kube.server}/api/v1/namespaces/default/secrets: 409 secrets "s" already exists`,
      ),
    );
    assert.deepEqual((await client.getSecret("default", "s"))!.data, { a: enc.encode("2") });

    const wrong = await kube.writeKubeConfig({ name: "wrong", user: { token: "nope" } });
    using bad = await kubernetesClient({ getEnv: (n) => (n === "KUBECONFIG" ? wrong : undefined) });
    await assert.rejects(
      bad.getSecret("default", "s"),
      new KeyError(
        "KMS_REQUEST_FAILED",
        `Cannot read secret s in namespace default: GET ${kube.server}/api/v1/namespaces/default/secrets/s: 401 Unauthorized`,
      ),
    );
  } finally {
    await kube.stop();
  }
});

Deno.test("KubernetesClient: without the cluster's CA the TLS failure says why insecure-skip-tls-verify cannot help", async () => {
  const kube = await startFakeKubernetes();
  try {
    const path = join(kube.dir, "insecure");
    await Deno.writeTextFile(
      path,
      JSON.stringify({
        "current-context": "c",
        clusters: [{
          name: "k",
          cluster: { server: kube.server, "insecure-skip-tls-verify": true },
        }],
        users: [{ name: "u", user: { token: kube.token } }],
        contexts: [{ name: "c", context: { cluster: "k", user: "u" } }],
      }),
    );
    using client = await kubernetesClient({
      getEnv: (n) => (n === "KUBECONFIG" ? path : undefined),
    });
    const err = await client.getSecret("default", "s").catch((e) => e);
    assert.ok(err instanceof IoError, String(err));
    assert.equal(err.code, "NETWORK");
    assert.equal(
      err.message,
      `Cannot read secret s in namespace default: GET ${kube.server}/api/v1/namespaces/default/secrets/s: TLS verification failed, and insecure-skip-tls-verify cannot switch it off for one connection in Deno: put the cluster's CA in certificate-authority-data, or run deno with --unsafely-ignore-certificate-errors=127.0.0.1`,
    );
    assert.equal(kube.requests.length, 0);
  } finally {
    await kube.stop();
  }
});
