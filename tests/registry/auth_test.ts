/**
 * Authentication against the real distribution 2.8.2: htpasswd Basic auth over TLS with a
 * self-signed certificate, and Docker token auth with an in-process token service whose ES256
 * JWTs the registry verifies.
 */
import assert from "node:assert/strict";
import { RegistryError } from "../../lib/errors.ts";
import { createRegistry, type RegistryClientOptions } from "../../lib/registry/client.ts";
import { dockerKeychain, login } from "../../lib/registry/docker_config.ts";
import { startFaultProxy } from "../peers/fault_proxy.ts";
import { startRegistry } from "../peers/registry.ts";
import { pushImage, readAll, utf8 } from "./_helpers.ts";

const RETRY = { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 };

Deno.test("registry client with Basic auth over TLS (distribution 2.8)", async (t) => {
  const server = await startRegistry({ mode: "basic-tls" });
  const clients: { close(): void }[] = [];
  const client = (options: RegistryClientOptions = {}) => {
    const c = createRegistry({ retry: RETRY, ...options });
    clients.push(c);
    return c;
  };
  const creds = { username: server.username!, password: server.password! };
  const repo = { registry: server.host, repository: "basic/app" };
  const dir = await Deno.makeTempDir();
  try {
    await t.step("pushes and pulls with credentials and the custom CA", async () => {
      const reg = client({ caCerts: [server.caCert!], credentials: creds });
      const { digest } = await pushImage(reg, repo, "v1");
      assert.equal((await reg.getManifest(repo, "v1")).digest, digest);
    });

    await t.step("reads credentials written by login() from the docker config", async () => {
      const configPath = `${dir}/docker/config.json`;
      await Deno.mkdir(`${dir}/docker`);
      await Deno.writeTextFile(configPath, JSON.stringify({ auths: {}, psFormat: "x" }));
      await login(server.host, creds.username, creds.password, configPath);
      const written = JSON.parse(await Deno.readTextFile(configPath));
      assert.equal(written.psFormat, "x");
      assert.equal((await Deno.stat(configPath)).mode! & 0o777, 0o600);
      const reg = client({ caCerts: [server.caCert!], keychain: dockerKeychain({ configPath }) });
      assert.deepEqual(await reg.listTags(repo), ["v1"]);
    });

    await t.step("a wrong password is UNAUTHORIZED", async () => {
      const reg = client({
        caCerts: [server.caCert!],
        credentials: { username: creds.username, password: "wrong" },
      });
      const err = await reg.getManifest(repo, "v1").catch((e) => e);
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, "UNAUTHORIZED");
      assert.equal(err.status, 401);
      assert.match(err.message, /^Cannot fetch manifest .*basic\/app:v1: UNAUTHORIZED: /);
      assert.ok(!err.message.includes("wrong"));
    });

    await t.step("anonymous access is UNAUTHORIZED", async () => {
      const err = await client({ caCerts: [server.caCert!] }).getManifest(repo, "v1").catch((e) =>
        e
      );
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, "UNAUTHORIZED");
    });

    await t.step(
      "an untrusted certificate is a NETWORK error that names --registry-cacert",
      async () => {
        const err = await client({ credentials: creds }).getManifest(repo, "v1").catch((e) => e);
        assert.ok(err instanceof RegistryError);
        assert.equal(err.code, "NETWORK");
        assert.match(err.message, /^Cannot fetch manifest|^Cannot reach registry/);
        assert.match(err.message, /--registry-cacert/);
        const insecure = await client({ credentials: creds, allowInsecure: true })
          .getManifest(repo, "v1").catch((e) => e);
        assert.match(insecure.message, /--unsafely-ignore-certificate-errors=127\.0\.0\.1/);
      },
    );

    await t.step("credentials are not sent to a redirect target on another port", async () => {
      const blob = utf8(`redirected ${crypto.randomUUID()}`);
      const reg = client({ caCerts: [server.caCert!], credentials: creds });
      const { digest } = await reg.putBlob(repo, blob);
      // "Storage": another origin that serves the blob.
      const storage = startFaultProxy(`https://${server.host}`, {
        caCert: server.caCert,
        rules: [{ path: /\/blobs\//, action: { status: 200, body: blob } }],
      });
      // The registry's front: redirects blob downloads to storage.
      const front = startFaultProxy(`https://${server.host}`, {
        caCert: server.caCert,
        rules: [{
          method: "GET",
          path: /\/blobs\//,
          action: { kind: "redirect", to: storage.url },
        }],
      });
      try {
        const viaFront = client({ credentials: creds });
        const fetched = await readAll(
          await viaFront.getBlob({ registry: front.host, repository: "basic/app" }, digest),
        );
        assert.deepEqual(fetched, blob);
        const frontBlob = front.requests.filter((r) => r.path.includes("/blobs/"));
        assert.equal(frontBlob.length, 1);
        assert.match(frontBlob[0].headers.get("authorization") ?? "", /^Basic /);
        assert.equal(storage.requests.length, 1);
        assert.equal(storage.requests[0].headers.get("authorization"), null);
      } finally {
        await front.stop();
        await storage.stop();
      }
    });
  } finally {
    for (const c of clients) c.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("registry client with token auth (distribution 2.8 + ES256 token service)", async (t) => {
  const server = await startRegistry({ mode: "token" });
  const tokens = server.tokenService!;
  const clients: { close(): void }[] = [];
  const client = (options: RegistryClientOptions = {}) => {
    const c = createRegistry({ retry: RETRY, ...options });
    clients.push(c);
    return c;
  };
  const creds = { username: server.username!, password: server.password! };
  const repo = { registry: server.host, repository: "token/app" };
  try {
    await t.step("pushes and pulls with a bearer token for the right scope", async () => {
      const reg = client({ credentials: creds });
      const { digest } = await pushImage(reg, repo, "v1");
      const before = tokens.requests.length;
      assert.equal((await reg.getManifest(repo, "v1")).digest, digest);
      assert.equal((await reg.getManifest(repo, digest)).digest, digest);
      // One token per scope, then cached.
      const used = tokens.requests.slice(before);
      assert.ok(used.length <= 1, JSON.stringify(used));
      assert.ok(
        tokens.requests.some((r) =>
          r.user === "cosign" && r.scopes.includes("repository:token/app:push,pull")
        ),
      );
    });

    await t.step("a wrong password is UNAUTHORIZED from the token service", async () => {
      const err = await client({ credentials: { username: "cosign", password: "wrong" } })
        .getManifest(repo, "v1").catch((e) => e);
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, "UNAUTHORIZED");
      assert.equal(err.status, 401);
      assert.match(
        err.message,
        /^Cannot fetch manifest 127\.0\.0\.1:\d+\/token\/app:v1: Cannot get a token for 127\.0\.0\.1:\d+ from http:\/\/127\.0\.0\.1:\d+\/token: invalid credentials \(HTTP 401\)$/,
      );
    });

    await t.step("an anonymous token without access is refused by the registry", async () => {
      const err = await client().getManifest(repo, "v1").catch((e) => e);
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, "UNAUTHORIZED");
      assert.match(err.message, /UNAUTHORIZED: authentication required \(HTTP 401\)/);
    });

    await t.step("an identity token uses the OAuth2 POST flow", async () => {
      const before = tokens.requests.length;
      const reg = client({ credentials: { identityToken: tokens.refreshToken } });
      assert.deepEqual(await reg.listTags(repo), ["v1"]);
      assert.deepEqual(tokens.requests.slice(before).map((r) => r.method), ["POST"]);
    });

    await t.step("a registry token is sent as is", async () => {
      const res = await fetch(
        `${tokens.url}/token?service=${tokens.service}&scope=repository:token/app:pull`,
        { headers: { authorization: `Basic ${btoa(`${creds.username}:${creds.password}`)}` } },
      );
      const { token } = await res.json();
      const before = tokens.requests.length;
      const reg = client({ credentials: { registryToken: token } });
      assert.deepEqual(await reg.listTags(repo), ["v1"]);
      assert.equal(tokens.requests.length, before);
    });
  } finally {
    for (const c of clients) c.close();
    await server.stop();
  }
});
