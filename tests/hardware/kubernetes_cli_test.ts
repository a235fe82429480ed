/**
 * `k8s://<namespace>/<name>` key storage end to end against a loopback stub of the Kubernetes
 * secrets API (tests/helpers/fake_kubernetes.ts: HTTPS with its own CA, bearer token checked,
 * JSON and client-go's protobuf bodies, 404/409/422 as the API server answers), reached through a
 * kube config in `KUBECONFIG`: `generate-key-pair k8s://…` by each cosign, then signing blobs,
 * images and attestations with `--key k8s://…` by one and verifying with the other (the real Go
 * cosign v2.6.4 talks to the same stub), and what happens to an existing secret.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createRegistry } from "../../lib/registry/client.ts";
import { startFakeKubernetes } from "../helpers/fake_kubernetes.ts";
import { startRegistry } from "../peers/registry.ts";
import { REPO_ROOT } from "../peers/run.ts";
import { pushImage } from "../registry/_helpers.ts";
import {
  describe,
  expectSuccess,
  expectVerified,
  run,
  suiteDir,
  suiteOptions,
  TOOLS,
} from "../interop/_run.ts";

const dir = await suiteDir("cosign-k8s-");
const kube = await startFakeKubernetes({ namespaces: ["default", "signing"] });
addEventListener("unload", () => void kube.stop());
const kubeconfig = await kube.writeKubeConfig();
const registry = await startRegistry({ mode: "http" });
const client = createRegistry({});
addEventListener("unload", () => {
  client.close();
  void registry.stop();
});
await Deno.writeTextFile(join(dir, "blob"), "a blob signed with a key kept in Kubernetes\n");
await Deno.copyFile(
  join(REPO_ROOT, "tests/fixtures/attest/predicate.json"),
  join(dir, "predicate.json"),
);
const opts = (env: Record<string, string> = {}) =>
  suiteOptions(dir, { KUBECONFIG: `${join(dir, "missing")}:${kubeconfig}`, ...env });
const dec = new TextDecoder();

for (const tool of TOOLS) {
  const ref = `k8s://signing/by-${tool}`;
  Deno.test(`generate-key-pair ${ref} (${tool}) creates an immutable secret with cosign's three entries and writes cosign.pub`, async () => {
    const cwd = join(dir, tool);
    await Deno.mkdir(cwd);
    const r = expectSuccess(
      await run(tool, ["generate-key-pair", ref], { ...opts(), cwd, password: "s3cret" }),
      "generate-key-pair",
    );
    assert.equal(
      r.stderr,
      `Successfully created secret by-${tool} in namespace signing\nPublic key written to cosign.pub\n`,
    );
    const s = kube.secrets.get(`signing/by-${tool}`)!;
    assert.deepEqual(Object.keys(s.data).sort(), ["cosign.key", "cosign.password", "cosign.pub"]);
    assert.equal(s.type, "Opaque"); // neither cosign sends a type: the API's default
    assert.equal(s.immutable, true); // the server is v1.30.2
    assert.equal(dec.decode(Uint8Array.fromBase64(s.data["cosign.password"])), "s3cret");
    assert.match(
      dec.decode(Uint8Array.fromBase64(s.data["cosign.key"])),
      /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/,
    );
    const pub = await Deno.readTextFile(join(cwd, "cosign.pub"));
    assert.equal(pub, dec.decode(Uint8Array.fromBase64(s.data["cosign.pub"])));
    assert.equal((await Deno.stat(join(cwd, "cosign.pub"))).mode! & 0o777, 0o600);
    const first = kube.requests.findIndex((q) => q.path.endsWith(`/by-${tool}`));
    const seen = kube.requests.slice(first);
    for (const q of seen) assert.equal(q.authorization, `Bearer ${kube.token}`);
    if (tool === "ours") {
      assert.deepEqual(seen.map((q) => `${q.method} ${q.path} ${q.contentType}`), [
        "GET /api/v1/namespaces/signing/secrets/by-ours null",
        "GET /version null",
        "POST /api/v1/namespaces/signing/secrets application/json",
      ]);
    }
  });
}

Deno.test("a key in a Kubernetes secret signs blobs with one cosign and verifies with the other, both with --key k8s://", async () => {
  for (const [signer, verifier] of [["ours", "go"], ["go", "ours"], ["ours", "ours"]] as const) {
    for (const owner of TOOLS) {
      const ref = `k8s://signing/by-${owner}`;
      const sig = `blob.${signer}.${owner}.sig`;
      expectSuccess(
        await run(signer, [
          "sign-blob",
          "--key",
          ref,
          "--tlog-upload=false",
          "--output-signature",
          sig,
          "blob",
        ], opts({ COSIGN_PASSWORD: "wrong: the secret's cosign.password is used" })),
        `${signer} sign-blob --key ${ref}`,
      );
      for (const key of [ref, join(owner, "cosign.pub")]) {
        expectVerified(
          await run(verifier, [
            "verify-blob",
            "--key",
            key,
            "--signature",
            sig,
            "--insecure-ignore-tlog=true",
            "blob",
          ], opts()),
          `${verifier} verify-blob --key ${key} (signed by ${signer})`,
        );
      }
    }
  }
});

Deno.test("attest-blob --key k8s:// by ours; Go cosign verifies the attestation with the secret's key", async () => {
  expectSuccess(
    await run("ours", [
      "attest-blob",
      "--key",
      "k8s://signing/by-go",
      "--tlog-upload=false",
      "--type",
      "custom",
      "--predicate",
      "predicate.json",
      "--output-signature",
      "blob.att",
      "blob",
    ], opts()),
    "attest-blob",
  );
  for (const tool of TOOLS) {
    expectVerified(
      await run(tool, [
        "verify-blob-attestation",
        "--key",
        "k8s://signing/by-go",
        "--signature",
        "blob.att",
        "--type",
        "custom",
        "--insecure-ignore-tlog=true",
        "blob",
      ], opts()),
      `${tool} verify-blob-attestation --key k8s://`,
    );
  }
});

Deno.test("sign and attest an image with --key k8s://; Go cosign verifies both, reading cosign.pub from the secret", async () => {
  const { digest } = await pushImage(
    client,
    { registry: registry.host, repository: "k8s/app" },
    "v1",
  );
  const image = `${registry.host}/k8s/app@${digest}`;
  const ref = "k8s://signing/by-ours";
  expectSuccess(
    await run("ours", ["sign", "--key", ref, "--tlog-upload=false", "--yes", image], opts()),
    "sign",
  );
  expectSuccess(
    await run("ours", [
      "attest",
      "--key",
      ref,
      "--tlog-upload=false",
      "--yes",
      "--type",
      "custom",
      "--predicate",
      "predicate.json",
      image,
    ], opts()),
    "attest",
  );
  for (const tool of TOOLS) {
    expectSuccess(
      await run(tool, ["verify", "--key", ref, "--insecure-ignore-tlog=true", image], opts()),
      `${tool} verify --key ${ref}`,
    );
    expectSuccess(
      await run(tool, [
        "verify-attestation",
        "--key",
        ref,
        "--insecure-ignore-tlog=true",
        "--type",
        "custom",
        image,
      ], opts()),
      `${tool} verify-attestation --key ${ref}`,
    );
  }
  const pub = expectSuccess(await run("ours", ["public-key", "--key", ref], opts()), "pub");
  assert.equal(pub.stdout, await Deno.readTextFile(join(dir, "ours", "cosign.pub")));
});

Deno.test("generate-key-pair into an existing secret: ours asks and keeps other entries; an immutable one is refused before asking", async () => {
  // A mutable secret with an unrelated entry, as a user would have made it.
  kube.secrets.set("default/shared", {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: "shared",
      namespace: "default",
      uid: "u-1",
      resourceVersion: "7",
      creationTimestamp: "2026-01-01T00:00:00Z",
      labels: { team: "a" },
    },
    type: "Opaque",
    data: { "other": btoa("keep me"), "cosign.key": btoa("old") },
  });
  const cwd = join(dir, "existing");
  await Deno.mkdir(cwd);
  const ref = "k8s://default/shared";
  const enc = new TextEncoder();
  const no = await run("ours", ["generate-key-pair", ref], {
    ...opts(),
    cwd,
    password: "pw",
    stdin: enc.encode("n\n"),
  });
  assert.deepEqual(
    [no.code, no.stderr],
    [
      1,
      "WARNING: Secret shared in namespace default already exists. Overwrite its cosign.key, cosign.pub and cosign.password?\n" +
      "Are you sure you would like to continue? [y/N] \n" +
      "error: cannot update secret shared in namespace default: it exists and replacing was declined\n",
    ],
    describe(no),
  );
  assert.equal(kube.secrets.get("default/shared")!.data["cosign.key"], btoa("old"));
  await assert.rejects(Deno.stat(join(cwd, "cosign.pub")), Deno.errors.NotFound);
  // Password piped on stdin: stdin cannot also answer, so ours declines without reading.
  const piped = await run("ours", ["generate-key-pair", ref], {
    ...opts(),
    cwd,
    password: undefined,
    stdin: enc.encode("pw\npw\n"),
  });
  assert.equal(piped.code, 1, describe(piped));
  assert.equal(kube.secrets.get("default/shared")!.data["cosign.key"], btoa("old"));

  const yes = expectSuccess(
    await run("ours", ["generate-key-pair", ref], {
      ...opts(),
      cwd,
      password: "pw",
      stdin: enc.encode("y\n"),
    }),
    "generate-key-pair (y)",
  );
  assert.match(yes.stderr, /Successfully created secret shared in namespace default\n/);
  const s = kube.secrets.get("default/shared")!;
  assert.equal(s.data.other, btoa("keep me"));
  assert.deepEqual(s.metadata.labels, { team: "a" });
  assert.equal(s.immutable, true);
  assert.equal(
    dec.decode(Uint8Array.fromBase64(s.data["cosign.pub"])),
    await Deno.readTextFile(join(cwd, "cosign.pub")),
  );
  const put = kube.requests.findLast((q) => q.method === "PUT")!;
  assert.equal(
    (put.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion,
    "7",
  );

  // Now immutable: ours refuses before asking for anything; Go cosign tries the update and the
  // API server refuses it.
  const before = JSON.stringify(kube.secrets.get("default/shared"));
  for (const tool of TOOLS) {
    const r = await run(tool, ["generate-key-pair", ref], { ...opts(), cwd, password: "pw" });
    assert.equal(r.code, 1, describe(r));
    assert.equal(
      r.stderr.split("\n").find((l) => /rror/.test(l)),
      tool === "ours"
        ? "error: cannot update secret shared in namespace default: it is immutable (delete it first)"
        : 'Error: updating secret shared in ns default: Secret "shared" is invalid: data: Forbidden: field is immutable when `immutable` is set',
      describe(r),
    );
  }
  assert.equal(JSON.stringify(kube.secrets.get("default/shared")), before);
});

Deno.test("Go cosign replaces the cosign entries of an existing mutable secret without asking (ours asks: see above)", async () => {
  kube.secrets.set("default/go-existing", {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: "go-existing",
      namespace: "default",
      uid: "u-2",
      resourceVersion: "8",
      creationTimestamp: "2026-01-01T00:00:00Z",
    },
    type: "Opaque",
    data: { "other": btoa("kept"), "cosign.key": btoa("old") },
  });
  const cwd = join(dir, "go-existing");
  await Deno.mkdir(cwd);
  expectSuccess(
    await run("go", ["generate-key-pair", "k8s://default/go-existing"], {
      ...opts(),
      cwd,
      password: "pw",
    }),
    "go generate-key-pair",
  );
  const s = kube.secrets.get("default/go-existing")!;
  assert.equal(s.data.other, btoa("kept"));
  assert.notEqual(s.data["cosign.key"], btoa("old"));
});

Deno.test("Kubernetes failures end in one line", async () => {
  const badToken = await kube.writeKubeConfig({ name: "bad-token", user: { token: "wrong" } });
  const cases: [string, string[], Record<string, string>, string][] = [
    [
      "wrong token",
      ["public-key", "--key", "k8s://signing/by-ours"],
      { KUBECONFIG: badToken },
      `error: cannot read secret by-ours in namespace signing: GET ${kube.server}/api/v1/namespaces/signing/secrets/by-ours: 401 Unauthorized\n`,
    ],
    [
      "missing secret",
      [
        "verify-blob",
        "--key",
        "k8s://signing/none",
        "--signature",
        "blob.ours.ours.sig",
        "--insecure-ignore-tlog=true",
        "blob",
      ],
      {},
      "WARNING: Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the blob.\n" +
      "error: cannot read secret none in namespace signing: not found\n",
    ],
    [
      "malformed reference",
      ["sign-blob", "--key", "k8s://just-a-name", "--tlog-upload=false", "blob"],
      {},
      "error: cannot parse Kubernetes reference: kubernetes specification should be in the format k8s://<namespace>/<secret>\n",
    ],
    [
      "no kube config, not in a cluster",
      ["public-key", "--key", "k8s://signing/by-ours"],
      { KUBECONFIG: join(dir, "none") },
      `error: cannot connect to Kubernetes: no kube config found (${
        join(dir, "none")
      }) and not in a cluster (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)\n`,
    ],
    [
      "unknown namespace",
      ["generate-key-pair", "k8s://nowhere/key"],
      {},
      `error: cannot create secret key in namespace nowhere: POST ${kube.server}/api/v1/namespaces/nowhere/secrets: 404 namespaces "nowhere" not found\n`,
    ],
  ];
  for (const [what, args, env, stderr] of cases) {
    const r = await run("ours", args, { ...opts(env), password: "pw" });
    assert.deepEqual([r.code, r.stderr], [1, stderr], `${what}: ${describe(r)}`);
  }
});

Deno.test("mutual TLS: a client certificate from the kube config authenticates both cosigns; without it the handshake fails in one line", async () => {
  const mtls = await startFakeKubernetes({ mtls: true });
  try {
    const withCert = await mtls.writeKubeConfig({
      user: {
        "client-certificate": join(mtls.dir, "client.pem"),
        "client-key-data": btoa(await Deno.readTextFile(join(mtls.dir, "client.key"))),
      },
    });
    const env = { KUBECONFIG: withCert };
    for (const [maker, reader] of [["go", "ours"], ["ours", "go"]] as const) {
      const cwd = join(dir, `mtls-${maker}`);
      await Deno.mkdir(cwd);
      expectSuccess(
        await run(maker, ["generate-key-pair", `k8s://default/mtls-${maker}`], {
          ...opts(env),
          cwd,
        }),
        `${maker} generate-key-pair over mTLS`,
      );
      const pub = expectSuccess(
        await run(reader, ["public-key", "--key", `k8s://default/mtls-${maker}`], opts(env)),
        `${reader} public-key over mTLS`,
      );
      assert.equal(pub.stdout, await Deno.readTextFile(join(cwd, "cosign.pub")));
    }
    assert.equal(mtls.requests.every((q) => q.authorization === null), true);
    const tokenOnly = await mtls.writeKubeConfig({ name: "token-only" });
    const r = await run(
      "ours",
      ["public-key", "--key", "k8s://default/mtls-go"],
      opts({ KUBECONFIG: tokenOnly }),
    );
    assert.equal(r.code, 1, describe(r));
    assert.match(
      r.stderr,
      new RegExp(
        `^error: cannot reach ${
          mtls.server.replace(/[.:/]/g, "\\$&")
        }/api/v1/namespaces/default/secrets/mtls-go: [^\\n]+\\n$`,
      ),
      describe(r),
    );
  } finally {
    await mtls.stop();
  }
});
