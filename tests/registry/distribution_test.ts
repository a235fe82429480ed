/**
 * The registry client against the real CNCF distribution 2.8.2 (Debian `docker-registry`), plain
 * HTTP on loopback, with a fault-injecting proxy in front of it for the failure cases.
 */
import assert from "node:assert/strict";
import { IoError, RegistryError } from "../../lib/errors.ts";
import { createRegistry, type RegistryClientOptions } from "../../lib/registry/client.ts";
import {
  DOCKER_CONFIG,
  DOCKER_LAYER_GZIP,
  DOCKER_MANIFEST,
  OCI_INDEX,
  OCI_MANIFEST,
} from "../../lib/registry/media_types.ts";
import { startFaultProxy } from "../peers/fault_proxy.ts";
import { startRegistry } from "../peers/registry.ts";
import { pushImage, readAll, sha256, utf8 } from "./_helpers.ts";

const FAST_RETRY = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

Deno.test("registry client against distribution 2.8", async (t) => {
  const server = await startRegistry({ mode: "http" });
  const proxy = startFaultProxy(`http://${server.host}`);
  const clients: { close(): void }[] = [];
  const client = (options: RegistryClientOptions = {}) => {
    const c = createRegistry({ retry: FAST_RETRY, ...options });
    clients.push(c);
    return c;
  };
  const reg = client();
  const direct = (repository: string) => ({ registry: server.host, repository });
  const viaProxy = (repository: string) => ({ registry: proxy.host, repository });
  const since = () => {
    const start = proxy.requests.length;
    return () => proxy.requests.slice(start);
  };

  try {
    await t.step("pushes and pulls an OCI image byte for byte", async () => {
      const repo = direct("oci/app");
      const { digest, bytes } = await pushImage(reg, repo, "v1", { content: "hello layer" });
      const byTag = await reg.getManifest(repo, "v1");
      assert.equal(byTag.digest, digest);
      assert.equal(byTag.mediaType, OCI_MANIFEST);
      assert.deepEqual(byTag.bytes, bytes);
      const byDigest = await reg.getManifest(repo, digest);
      assert.deepEqual(byDigest.bytes, bytes);
      const layer = (byTag.manifest as { layers: { digest: string }[] }).layers[0];
      assert.equal(
        new TextDecoder().decode(await reg.getBlobBytes(repo, layer.digest, 1024)),
        "hello layer",
      );
      assert.deepEqual(await reg.headManifest(repo, "v1"), {
        digest,
        mediaType: OCI_MANIFEST,
        size: bytes.length,
      });
      assert.equal(await reg.headManifest(repo, "missing"), undefined);
    });

    await t.step("pushes and pulls a Docker schema 2 image", async () => {
      const repo = direct("docker/app");
      const { digest } = await pushImage(reg, repo, "v1", {
        mediaType: DOCKER_MANIFEST,
        configType: DOCKER_CONFIG,
        layerType: DOCKER_LAYER_GZIP,
      });
      const m = await reg.getManifest(repo, "v1");
      assert.equal(m.mediaType, DOCKER_MANIFEST);
      assert.equal(m.digest, digest);
    });

    await t.step(
      "getManifest() of a missing tag is MANIFEST_UNKNOWN with an exact message",
      async () => {
        const err = await reg.getManifest(direct("oci/app"), "nope").catch((e) => e);
        assert.ok(err instanceof RegistryError);
        assert.equal(err.code, "MANIFEST_UNKNOWN");
        assert.equal(err.status, 404);
        assert.equal(
          err.message,
          `Cannot fetch manifest ${server.host}/oci/app:nope: MANIFEST_UNKNOWN: manifest unknown (HTTP 404)`,
        );
      },
    );

    await t.step("putBlob() skips a blob that exists (HEAD only)", async () => {
      const pr = client();
      const repo = viaProxy("skip/app");
      const blob = utf8(`skip ${crypto.randomUUID()}`);
      await pr.putBlob(repo, blob);
      const seen = since();
      assert.deepEqual(await pr.putBlob(repo, blob), {
        digest: await sha256(blob),
        size: blob.length,
      });
      assert.deepEqual(seen().map((r) => r.method), ["HEAD"]);
      assert.equal(await pr.hasBlob(repo, await sha256(utf8("absent"))), false);
    });

    await t.step("putBlob() mounts across repositories", async () => {
      const pr = client();
      const blob = utf8(`mount ${crypto.randomUUID()}`);
      await pr.putBlob(viaProxy("mount/a"), blob);
      const seen = since();
      await pr.putBlob(viaProxy("mount/b"), blob, { mountFrom: viaProxy("mount/a") });
      const reqs = seen();
      assert.deepEqual(reqs.map((r) => r.method), ["HEAD", "POST"]);
      assert.match(reqs[1].path, /mount=sha256%3A[0-9a-f]{64}&from=mount%2Fa/);
      assert.equal(await reg.hasBlob(direct("mount/b"), await sha256(blob)), true);
    });

    await t.step(
      "putBlob() uploads a 40 MiB stream in chunks and getBlob() streams it back",
      async () => {
        const size = 40 * 1024 * 1024;
        const make = () => {
          let sent = 0;
          return new ReadableStream<Uint8Array>({
            pull(c) {
              if (sent >= size) return c.close();
              const n = Math.min(1024 * 1024 - 7, size - sent); // odd sizes: re-chunking matters
              const chunk = new Uint8Array(n);
              for (let i = 0; i < n; i += 4096) chunk[i] = (sent + i) & 0xff;
              sent += n;
              c.enqueue(chunk);
            },
          });
        };
        const { createHash } = await import("node:crypto");
        const h = createHash("sha256");
        for await (const c of make()) h.update(c);
        const digest = `sha256:${h.digest("hex")}`;
        const pr = client();
        const seen = since();
        await pr.putBlob(viaProxy("big/app"), { stream: make, digest, size });
        const methods = seen().filter((r) => r.path !== "/v2/").map((r) => r.method);
        assert.deepEqual(methods, ["HEAD", "POST", "PATCH", "PATCH", "PATCH", "PUT"]);
        const back = createHash("sha256");
        let total = 0;
        for await (const c of await reg.getBlob(direct("big/app"), digest)) {
          back.update(c);
          total += c.length;
        }
        assert.equal(total, size);
        assert.equal(`sha256:${back.digest("hex")}`, digest);
      },
    );

    await t.step(
      "putBlob() refuses a stream whose digest differs from the declared one",
      async () => {
        const bytes = utf8("actual content");
        const err = await reg.putBlob(direct("bad/app"), {
          stream: () => new Blob([bytes as Uint8Array<ArrayBuffer>]).stream(),
          digest: await sha256(utf8("other content")),
          size: bytes.length,
        }).catch((e) => e);
        assert.ok(err instanceof RegistryError);
        assert.equal(err.code, "DIGEST_MISMATCH");
      },
    );

    await t.step("getBlob() detects content that does not match its digest", async () => {
      const repo = viaProxy("garbage/app");
      const blob = utf8(`garbage ${crypto.randomUUID()}`);
      const pr = client();
      const { digest } = await pr.putBlob(repo, blob);
      proxy.rules.push({ method: "GET", path: /\/blobs\//, times: 1, action: { kind: "garbage" } });
      const err = await readAll(await pr.getBlob(repo, digest)).catch((e) => e);
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, "DIGEST_MISMATCH");
      assert.match(err.message, /^Cannot fetch blob .*: digest mismatch: got sha256:/);
    });

    await t.step("getManifest() by digest detects a body that does not match", async () => {
      const repo = viaProxy("garbage/app");
      const pr = client();
      const { digest } = await pushImage(pr, repo, "g1");
      proxy.rules.push({
        method: "GET",
        path: /\/manifests\//,
        times: 1,
        action: { kind: "garbage" },
      });
      const err = await pr.getManifest(repo, digest).catch((e) => e);
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, "DIGEST_MISMATCH");
    });

    await t.step("manifests over 4 MiB are refused (download and upload)", async () => {
      const pr = client();
      const big = new Uint8Array(4 * 1024 * 1024 + 1).fill(0x20);
      proxy.rules.push({
        path: /\/manifests\/big$/,
        times: 1,
        action: { status: 200, headers: { "content-type": OCI_MANIFEST }, body: big },
      });
      const err = await pr.getManifest(viaProxy("cap/app"), "big").catch((e) => e);
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, "TOO_LARGE");
      const up = await pr.putManifest(viaProxy("cap/app"), "big", big, OCI_MANIFEST).catch((e) =>
        e
      );
      assert.ok(up instanceof RegistryError);
      assert.equal(up.code, "TOO_LARGE");
    });

    await t.step("an endless manifest body stops at the cap with TOO_LARGE", async () => {
      proxy.rules.push({
        path: /\/manifests\/endless$/,
        times: 1,
        action: { kind: "endless", headers: { "content-type": OCI_MANIFEST } },
      });
      const err = await client().getManifest(viaProxy("cap/app"), "endless").catch((e) => e);
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, "TOO_LARGE");
      assert.match(err.message, /larger than 4194304 bytes/);
    });

    await t.step("an endless blob body stops at maxSize with TOO_LARGE", async () => {
      const digest = await sha256(utf8("never"));
      proxy.rules.push({ path: /\/blobs\//, times: 1, action: { kind: "endless" } });
      const err = await readAll(
        await client().getBlob(viaProxy("cap/app"), digest, { maxSize: 1024 * 1024 }),
      ).catch((e) => e);
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, "TOO_LARGE");
    });

    await t.step("a manifest with 1001 layers is refused before any blob is fetched", async () => {
      const layer = { mediaType: DOCKER_LAYER_GZIP, digest: await sha256(utf8("x")), size: 1 };
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: layer,
        layers: Array(1001).fill(layer),
      });
      proxy.rules.push({
        path: /\/manifests\/many$/,
        times: 1,
        action: { status: 200, headers: { "content-type": OCI_MANIFEST }, body },
      });
      const seen = since();
      const err = await client().getManifest(viaProxy("cap/app"), "many").catch((e) => e);
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, "TOO_MANY");
      assert.match(err.message, /1001 layers exceed the limit of 1000/);
      assert.equal(seen().filter((r) => r.path.includes("/blobs/")).length, 0);
    });

    await t.step("listTags() lists every tag and follows Link pagination", async () => {
      const repo = direct("tags/app");
      for (const tag of ["c", "a", "b"]) await pushImage(reg, repo, tag);
      assert.deepEqual((await reg.listTags(repo)).sort(), ["a", "b", "c"]);
      proxy.rules.push({
        path: /\/tags\/list$/,
        times: 1,
        action: {
          status: 200,
          headers: {
            "content-type": "application/json",
            link: '</v2/tags/app/tags/list?last=p1&n=1>; rel="next"',
          },
          body: JSON.stringify({ name: "tags/app", tags: ["p1"] }),
        },
      });
      const seen = since();
      const tags = await client().listTags(viaProxy("tags/app"));
      assert.deepEqual(tags.slice(0, 1), ["p1"]);
      assert.deepEqual(tags.slice(1).sort(), ["a", "b", "c"]);
      assert.match(seen().at(-1)!.path, /last=p1/);
    });

    await t.step("deleteManifest() deletes", async () => {
      const repo = direct("delete/app");
      const { digest } = await pushImage(reg, repo, "v1");
      await reg.deleteManifest(repo, digest);
      const err = await reg.getManifest(repo, digest).catch((e) => e);
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, "MANIFEST_UNKNOWN");
      const again = await reg.deleteManifest(repo, digest).catch((e) => e);
      assert.ok(again instanceof RegistryError);
      assert.equal(again.status, 404);
    });

    await t.step("referrers() falls back to the sha256-<hex> tag on distribution", async () => {
      const repo = direct("referrers/app");
      const subject = await pushImage(reg, repo, "v1");
      const subjectDesc = {
        mediaType: OCI_MANIFEST,
        digest: subject.digest,
        size: subject.bytes.length,
      };
      assert.deepEqual(await reg.referrers(repo, subject.digest), []);
      const sig = await pushImage(reg, repo, "sig", {
        subject: subjectDesc,
        artifactType: "application/vnd.example.sig",
      });
      const desc = {
        mediaType: OCI_MANIFEST,
        digest: sig.digest,
        size: sig.bytes.length,
        artifactType: "application/vnd.example.sig",
      };
      const index = utf8(
        JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [desc] }),
      );
      await reg.putManifest(repo, subject.digest.replace(":", "-"), index, OCI_INDEX);
      assert.deepEqual(await reg.referrers(repo, subject.digest), [desc]);
      assert.deepEqual(await reg.referrers(repo, subject.digest, "application/vnd.example.sig"), [
        desc,
      ]);
      assert.deepEqual(await reg.referrers(repo, subject.digest, "application/other"), []);
    });

    await t.step("retries 500 and 429 (honouring Retry-After), then succeeds", async () => {
      const repo = viaProxy("retry/app");
      const pr0 = client();
      await pushImage(pr0, repo, "v1");
      const delays: number[] = [];
      const pr = client({
        retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 3000 },
        sleep: (ms) => {
          delays.push(ms);
          return Promise.resolve();
        },
      });
      proxy.rules.push(
        { path: /\/manifests\/v1$/, times: 1, action: { status: 500 } },
        {
          path: /\/manifests\/v1$/,
          times: 1,
          action: { status: 429, headers: { "retry-after": "2" } },
        },
      );
      const seen = since();
      const m = await pr.getManifest(repo, "v1");
      assert.equal(m.mediaType, OCI_MANIFEST);
      assert.equal(seen().filter((r) => r.path.endsWith("/manifests/v1")).length, 3);
      assert.equal(delays.length, 2);
      assert.equal(delays[1], 2000);
    });

    await t.step("gives a clear error once retries are exhausted", async () => {
      proxy.rules.push({ path: /\/manifests\/down$/, times: 3, action: { status: 503 } });
      const seen = since();
      const err = await client().getManifest(viaProxy("retry/app"), "down").catch((e) => e);
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, "REGISTRY");
      assert.equal(err.status, 503);
      assert.equal(
        err.message,
        `Cannot fetch manifest ${proxy.host}/retry/app:down: Service Unavailable (HTTP 503)`,
      );
      assert.equal(seen().filter((r) => r.path.endsWith("/manifests/down")).length, 3);
    });

    await t.step("a truncated blob body is a NETWORK error", async () => {
      const repo = viaProxy("trunc/app");
      const pr = client();
      const { digest } = await pr.putBlob(repo, new Uint8Array(200_000).fill(1));
      proxy.rules.push({
        method: "GET",
        path: /\/blobs\//,
        times: 1,
        action: { kind: "truncate" },
      });
      const err = await readAll(await pr.getBlob(repo, digest)).catch((e) => e);
      assert.ok(err instanceof IoError || err instanceof RegistryError, String(err));
      assert.equal(err.code, "NETWORK");
    });

    await t.step("a slow registry times out with NETWORK", async () => {
      proxy.rules.push({
        path: /\/manifests\/slow$/,
        times: 1,
        action: { kind: "delay", ms: 1500 },
      });
      const err = await client({ timeoutMs: 200, retry: { attempts: 1 } })
        .getManifest(viaProxy("retry/app"), "slow").catch((e) => e);
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, "NETWORK");
      assert.match(err.message, /timed out after 200 ms/);
    });
  } finally {
    for (const c of clients) c.close();
    await proxy.stop();
    await server.stop();
  }
});
