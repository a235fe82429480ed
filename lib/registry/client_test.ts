import assert from "node:assert/strict";
import { RegistryError } from "../errors.ts";
import { createRegistry } from "./client.ts";

function recordingFetch(answer: (url: URL) => Response | Error) {
  const urls: string[] = [];
  const fetchFn = ((input: string | URL) => {
    const url = new URL(String(input));
    urls.push(`${url.protocol}//${url.host}${url.pathname}`);
    const a = answer(url);
    return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
  }) as typeof fetch;
  return { fetchFn, urls };
}

const repo = (registry: string) => ({ registry, repository: "org/app" });

Deno.test("createRegistry() never falls back to plain HTTP for a public host by default", async () => {
  const { fetchFn, urls } = recordingFetch(() => new TypeError("connection refused"));
  const reg = createRegistry({ fetch: fetchFn, retry: { attempts: 1 } });
  const err = await reg.getManifest(repo("reg.example"), "v1").catch((e) => e);
  assert.ok(err instanceof RegistryError);
  assert.equal(err.code, "NETWORK");
  assert.equal(
    err.message,
    "Cannot fetch manifest reg.example/org/app:v1: Cannot reach registry reg.example: https: connection refused",
  );
  assert.deepEqual(urls, ["https://reg.example/v2/"]);
});

Deno.test("createRegistry() tries HTTP after HTTPS with allowHttp, and HTTP first on loopback", async () => {
  for (
    const [registry, options, order] of [
      ["reg.example", { allowHttp: true }, ["https", "http"]],
      ["127.0.0.1:5000", {}, ["http"]],
    ] as const
  ) {
    const { fetchFn, urls } = recordingFetch((url) =>
      url.protocol === "https:"
        ? new TypeError("invalid peer certificate: UnknownIssuer")
        : url.pathname === "/v2/"
        ? new Response("{}")
        : Response.json({ tags: ["v1"] })
    );
    const reg = createRegistry({ fetch: fetchFn, retry: { attempts: 1 }, ...options });
    assert.deepEqual(await reg.listTags(repo(registry)), ["v1"]);
    assert.deepEqual(urls, [
      ...order.map((scheme) => `${scheme}://${registry}/v2/`),
      `http://${registry}/v2/org/app/tags/list`,
    ]);
  }
});

Deno.test("createRegistry() falls back to HTTPS for a loopback registry that speaks only TLS", async () => {
  const { fetchFn, urls } = recordingFetch((url) =>
    url.protocol === "http:"
      ? new Response("Client sent an HTTP request to an HTTPS server.", { status: 400 })
      : url.pathname === "/v2/"
      ? new Response("{}")
      : Response.json({ tags: ["v1"] })
  );
  const reg = createRegistry({ fetch: fetchFn, retry: { attempts: 1 } });
  assert.deepEqual(await reg.listTags(repo("localhost:5443")), ["v1"]);
  assert.deepEqual(urls, [
    "http://localhost:5443/v2/",
    "https://localhost:5443/v2/",
    "https://localhost:5443/v2/org/app/tags/list",
  ]);
});

Deno.test("createRegistry() explains that TLS verification cannot be skipped", async () => {
  const { fetchFn } = recordingFetch(() =>
    new TypeError("invalid peer certificate: UnknownIssuer")
  );
  const reg = createRegistry({ fetch: fetchFn, retry: { attempts: 1 }, allowInsecure: true });
  const err = await reg.listTags(repo("reg.example:8443")).catch((e) => e);
  assert.ok(err instanceof RegistryError);
  assert.equal(
    err.message,
    "Cannot list tags of reg.example:8443/org/app: Cannot reach registry reg.example:8443: https: invalid peer certificate: UnknownIssuer; --allow-insecure-registry cannot switch TLS verification off per registry in Deno: pass --registry-cacert with the registry's CA, or run deno with --unsafely-ignore-certificate-errors=reg.example",
  );
});

Deno.test("createRegistry() with allowInsecure never falls back to plain HTTP (cosign does not)", async () => {
  const { fetchFn, urls } = recordingFetch(() => new TypeError("connection refused"));
  const reg = createRegistry({ fetch: fetchFn, retry: { attempts: 1 }, allowInsecure: true });
  const err = await reg.listTags(repo("reg.example")).catch((e) => e);
  assert.ok(err instanceof RegistryError);
  // ggcr: only name.Insecure (--allow-http-registry) and local hosts use http.
  assert.deepEqual(urls, ["https://reg.example/v2/"]);
});

Deno.test("getManifest() rejects a body that differs from Docker-Content-Digest", async () => {
  const { fetchFn } = recordingFetch((url) =>
    url.pathname === "/v2/"
      ? new Response("{}")
      : new Response('{"schemaVersion":2,"layers":[],"config":{}}', {
        headers: {
          "content-type": "application/vnd.oci.image.manifest.v1+json",
          "docker-content-digest": `sha256:${"0".repeat(64)}`,
        },
      })
  );
  const err = await createRegistry({ fetch: fetchFn }).getManifest(repo("reg.example"), "v1")
    .catch((e) => e);
  assert.ok(err instanceof RegistryError);
  assert.equal(err.code, "DIGEST_MISMATCH");
  assert.match(err.message, /the registry says sha256:0{64}, the content is sha256:/);
});

Deno.test("listTags() and referrers() stop a registry that pages forever at MAX_LISTING_BYTES", async () => {
  const { startHostileRegistry } = await import("../../tests/helpers/hostile_registry.ts");
  const { createRegistry, MAX_LISTING_BYTES } = await import("./client.ts");
  const hostile = startHostileRegistry();
  hostile.endlessListings = true;
  const client = createRegistry({ retry: { attempts: 1 } });
  const repo = { registry: hostile.host, repository: "endless/app" };
  const digest = `sha256:${"1".repeat(64)}`;
  try {
    await assert.rejects(client.listTags(repo), {
      code: "TOO_LARGE",
      message:
        `Cannot list tags of ${hostile.host}/endless/app: the pages are larger than ${MAX_LISTING_BYTES} bytes together`,
    });
    const tagPages = hostile.requests.filter((r) => r.path.includes("/tags/list")).length;
    // About 1 MiB a page: the budget ends it after some 32 pages, not 10,000.
    assert.ok(tagPages > 20 && tagPages < 40, `${tagPages} pages`);
    await assert.rejects(client.referrers(repo, digest), {
      code: "TOO_LARGE",
      message:
        `Cannot list referrers of ${hostile.host}/endless/app@${digest}: the pages are larger than ${MAX_LISTING_BYTES} bytes together`,
    });
  } finally {
    client.close();
    await hostile.stop();
  }
});
