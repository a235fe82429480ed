/**
 * Starts real OCI registries on loopback for tests, each with its own temporary storage:
 *
 * - `http`: Debian's `docker-registry` (CNCF distribution 2.8.2), plain HTTP, deletes enabled;
 * - `basic-tls`: the same with htpasswd (bcrypt) Basic auth over TLS, with a self-signed leaf
 *   certificate made by openssl (`CA:FALSE`, SAN localhost/127.0.0.1: rustls rejects CA leaves);
 * - `token`: the same with `auth.token` — a small token service in this process issues ES256 JWTs
 *   with the `access` claim, and the registry verifies them against `rootcertbundle`
 *   (distribution 2.8 looks the JWT `kid` up as the libtrust key ID of each bundle cert's key);
 * - `mtls`: the same TLS set-up, anonymous, but every connection must present a client
 *   certificate issued by a client CA made for the run (distribution's `http.tls.clientcas`,
 *   `RequireAndVerifyClientCert`): for `--registry-client-cert` / `--registry-client-key`;
 * - `referrers`: go-containerregistry's registry (`pkg/registry` with referrers support), built
 *   by `scripts/peers/install.ts`, for the OCI 1.1 referrers API (distribution implements none,
 *   and zot cannot be fetched through this machine's module proxy).
 *
 *     deno run -A scripts/peers/registry.ts http|basic-tls|mtls|token|referrers
 *
 * prints the host (and credentials) and runs until interrupted.
 *
 * @module
 */
import { join } from "node:path";
import { cacheRoot } from "../../tests/peers/cosign.ts";

/** The registry kinds {@link startRegistry} can run. */
export type RegistryMode = "http" | "basic-tls" | "mtls" | "token" | "referrers";

/** A running registry. */
export interface RunningRegistry {
  mode: RegistryMode;
  /** `127.0.0.1:PORT` */
  host: string;
  /** PEM of the TLS certificate to trust (`basic-tls`, `mtls`). */
  caCert?: string;
  /** That certificate's file (`basic-tls`, `mtls`). */
  caCertPath?: string;
  /** The client certificate and its key, PEM files (`mtls`). */
  clientCertPath?: string;
  clientKeyPath?: string;
  username?: string;
  password?: string;
  /** The token service (`token` mode): its URL and the requests it saw. */
  tokenService?: TokenService;
  /** Stops the registry and removes its storage. */
  stop(): Promise<void>;
}

/** The pinned go-containerregistry version of the referrers-capable registry. */
export const GGCR_VERSION = "v0.20.7";

/** Where `install.ts` puts the go-containerregistry registry binary. */
export function ggcrRegistryPath(): string {
  return join(cacheRoot(), "peers", `ggcr-registry-${GGCR_VERSION}`, "bin", "ggcr-registry");
}

/** The Debian distribution registry binary. */
export const DOCKER_REGISTRY = "/usr/bin/docker-registry";

const decoder = new TextDecoder();

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function run(cmd: string, args: string[]): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, { args, stdin: "null" }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(`Cannot start registry: ${cmd} is not installed (run deno task peers)`);
    }
    throw e;
  }
  if (!out.success) {
    throw new Error(
      `Cannot start registry: ${cmd} ${args[0]} failed: ${decoder.decode(out.stderr)}`,
    );
  }
  return decoder.decode(out.stdout);
}

/** Polls `GET /v2/` until the server answers (any status), or the process dies. */
async function waitReady(
  url: string,
  child: Deno.ChildProcess,
  caCert: string | undefined,
  logPath: string,
  clientPair?: { cert: string; key: string },
): Promise<void> {
  const client = caCert
    ? Deno.createHttpClient({ caCerts: [caCert], ...clientPair } as Deno.CreateHttpClientOptions)
    : undefined;
  let exited = false;
  child.status.then(() => exited = true);
  try {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (exited) break;
      try {
        const res = await fetch(url, { client } as RequestInit);
        await res.body?.cancel();
        return;
      } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    client?.close();
  }
  const log = await Deno.readTextFile(logPath).catch(() => "");
  throw new Error(`Cannot start registry at ${url}: ${exited ? "it exited" : "timeout"}\n${log}`);
}

/**
 * Makes a client CA (`CA:TRUE`) and a client certificate it signs (`CA:FALSE`, clientAuth) with
 * openssl, for the `mtls` mode.
 *
 * @param dir where the files go: client-ca.crt, client.crt, client.key
 * @returns their paths
 */
async function makeClientCertificate(
  dir: string,
): Promise<{ caPath: string; certPath: string; keyPath: string }> {
  const caPath = join(dir, "client-ca.crt");
  const caKey = join(dir, "client-ca.key");
  const certPath = join(dir, "client.crt");
  const keyPath = join(dir, "client.key");
  const csr = join(dir, "client.csr");
  const ext = join(dir, "client.ext");
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    caKey,
    "-out",
    caPath,
    "-days",
    "2",
    "-subj",
    "/CN=cosign-test client CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign",
  ]);
  await run("openssl", [
    "req",
    "-new",
    ...ec,
    "-keyout",
    keyPath,
    "-out",
    csr,
    "-subj",
    "/CN=client",
  ]);
  await Deno.writeTextFile(
    ext,
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
  );
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    caPath,
    "-CAkey",
    caKey,
    "-CAcreateserial",
    "-out",
    certPath,
    "-days",
    "2",
    "-extfile",
    ext,
  ]);
  return { caPath, certPath, keyPath };
}

/**
 * Starts a registry.
 *
 * @param mode which registry and auth
 * @returns the running registry
 * @throws {Error} when a binary is missing (never skips) or the registry does not come up
 */
export async function startRegistry(mode: RegistryMode): Promise<RunningRegistry> {
  const dir = await Deno.makeTempDir({ prefix: `registry-${mode}-` });
  const port = freePort();
  const host = `127.0.0.1:${port}`;
  const logPath = join(dir, "registry.log");
  let tokenService: TokenService | undefined;
  try {
    let cmd: string;
    let args: string[];
    let caCert: string | undefined;
    let caCertPath: string | undefined;
    let clientPair: { cert: string; key: string } | undefined;
    let username: string | undefined;
    let password: string | undefined;
    if (mode === "referrers") {
      cmd = ggcrRegistryPath();
      args = ["-address", host];
      try {
        await Deno.stat(cmd);
      } catch {
        throw new Error(
          `Cannot start registry: go-containerregistry registry not installed at ${cmd} (run deno task peers)`,
        );
      }
    } else {
      cmd = DOCKER_REGISTRY;
      const lines = [
        "version: 0.1",
        "log:",
        "  level: warn",
        "  accesslog:",
        "    disabled: true",
        "storage:",
        "  filesystem:",
        `    rootdirectory: ${join(dir, "data")}`,
        "  delete:",
        "    enabled: true",
        "  maintenance:",
        "    uploadpurging:",
        "      enabled: false",
        "http:",
        `  addr: ${host}`,
        `  secret: ${crypto.randomUUID()}`,
      ];
      if (mode === "basic-tls" || mode === "mtls") {
        const crt = join(dir, "tls.crt");
        const key = join(dir, "tls.key");
        await run("openssl", [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:P-256",
          "-nodes",
          "-keyout",
          key,
          "-out",
          crt,
          "-days",
          "2",
          "-subj",
          "/CN=localhost",
          "-addext",
          "basicConstraints=critical,CA:FALSE",
          "-addext",
          "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ]);
        caCert = await Deno.readTextFile(crt);
        caCertPath = crt;
        lines.push("  tls:", `    certificate: ${crt}`, `    key: ${key}`);
        if (mode === "basic-tls") {
          username = "cosign";
          password = `pw-${crypto.randomUUID()}`;
          const htpasswd = join(dir, "htpasswd");
          await run("htpasswd", ["-Bbc", htpasswd, username, password]);
          lines.push(
            "auth:",
            "  htpasswd:",
            "    realm: cosign-test",
            `    path: ${htpasswd}`,
          );
        } else {
          const client = await makeClientCertificate(dir);
          clientPair = {
            cert: await Deno.readTextFile(client.certPath),
            key: await Deno.readTextFile(client.keyPath),
          };
          lines.push("    clientcas:", `      - ${client.caPath}`);
        }
      } else if (mode === "token") {
        username = "cosign";
        password = `pw-${crypto.randomUUID()}`;
        tokenService = await startTokenService(dir, { [username]: password });
        lines.push(
          "auth:",
          "  token:",
          `    realm: ${tokenService.url}/token`,
          `    service: ${tokenService.service}`,
          `    issuer: ${tokenService.issuer}`,
          `    rootcertbundle: ${tokenService.certPath}`,
        );
      }
      const config = join(dir, "config.yml");
      await Deno.writeTextFile(config, lines.join("\n") + "\n");
      args = ["serve", config];
    }
    // One handle per stream: two pipeTo() calls into one WritableStream fail (it is locked), and
    // an undrained pipe blocks the registry once ~64 KiB of access log piled up.
    const log = await Deno.open(logPath, { write: true, create: true, append: true });
    const errLog = await Deno.open(logPath, { write: true, append: true });
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(cmd, {
        args,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        env: { OTEL_TRACES_EXPORTER: "none" },
      }).spawn();
    } catch (e) {
      log.close();
      errLog.close();
      if (e instanceof Deno.errors.NotFound) {
        throw new Error(`Cannot start registry: ${cmd} is not installed (run deno task peers)`);
      }
      throw e;
    }
    // Keep the log for failures; the pipes must be drained or the registry blocks.
    const drained = Promise.all([
      child.stdout.pipeTo(log.writable).catch(() => {}),
      child.stderr.pipeTo(errLog.writable).catch(() => {}),
    ]);
    const scheme = mode === "basic-tls" || mode === "mtls" ? "https" : "http";
    try {
      await waitReady(`${scheme}://${host}/v2/`, child, caCert, logPath, clientPair);
    } catch (e) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
      await drained;
      throw e;
    }
    return {
      mode,
      host,
      caCert,
      caCertPath,
      clientCertPath: clientPair ? join(dir, "client.crt") : undefined,
      clientKeyPath: clientPair ? join(dir, "client.key") : undefined,
      username,
      password,
      tokenService,
      async stop() {
        try {
          child.kill("SIGTERM");
        } catch { /* gone */ }
        await child.status;
        await drained;
        await tokenService?.stop();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      },
    };
  } catch (e) {
    await tokenService?.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
}

// ----------------------------------------------------------------- token service

/** A request the token service answered. */
export interface TokenRequest {
  method: string;
  /** The user whose credentials were presented (undefined: anonymous). */
  user?: string;
  scopes: string[];
  status: number;
}

/** The in-process Docker token service. */
export interface TokenService {
  url: string;
  service: string;
  issuer: string;
  certPath: string;
  /** Every request, in order. */
  requests: TokenRequest[];
  /** A refresh token accepted by the OAuth2 POST flow. */
  refreshToken: string;
  stop(): Promise<void>;
}

/**
 * The libtrust key ID distribution 2.8 uses for `kid` lookups: SHA-256 of the DER SPKI,
 * truncated to 240 bits, base32, in 12 colon-separated groups of 4 (docker/libtrust util.go
 * `keyIDFromCryptoKey`).
 *
 * @param spki the DER SubjectPublicKeyInfo
 * @returns e.g. `ABCD:EFGH:…`
 */
export async function libtrustKeyId(spki: Uint8Array): Promise<string> {
  const hash = new Uint8Array(
    await crypto.subtle.digest("SHA-256", spki as Uint8Array<ArrayBuffer>),
  ).subarray(0, 30);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  let out = "";
  for (const b of hash) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.match(/.{4}/g)!.join(":");
}

function b64url(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

/**
 * Starts the token service: `GET /token?service&scope` with Basic auth (or none: anonymous,
 * granted nothing) and `POST /token` (OAuth2 refresh-token grant). Authenticated users get every
 * action they ask for.
 *
 * @param dir where its key and certificate are written
 * @param users user → password
 * @returns the service
 */
export async function startTokenService(
  dir: string,
  users: Record<string, string>,
): Promise<TokenService> {
  const keyPath = join(dir, "token.key");
  const certPath = join(dir, "token.crt");
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    keyPath,
    "-out",
    certPath,
    "-days",
    "2",
    "-subj",
    "/CN=token-issuer",
  ]);
  const pem = await Deno.readTextFile(keyPath);
  const der = Uint8Array.fromBase64(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""));
  const key = await crypto.subtle.importKey(
    "pkcs8",
    der,
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign"],
  );
  const jwk = await crypto.subtle.exportKey("jwk", key);
  const pub = await crypto.subtle.importKey(
    "jwk",
    { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y },
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["verify"],
  );
  const kid = await libtrustKeyId(new Uint8Array(await crypto.subtle.exportKey("spki", pub)));
  const service = "cosign-test-registry";
  const issuer = "cosign-test-issuer";
  const refreshToken = `refresh-${crypto.randomUUID()}`;
  const requests: TokenRequest[] = [];

  const issue = async (user: string | undefined, scopes: string[]) => {
    const now = Math.floor(Date.now() / 1000);
    const access = user === undefined ? [] : scopes.flatMap((s) => {
      const m = /^([^:]+):(.+):([^:]+)$/.exec(s);
      return m ? [{ type: m[1], name: m[2], actions: m[3].split(",") }] : [];
    });
    const header = b64url(JSON.stringify({ typ: "JWT", alg: "ES256", kid }));
    const claims = b64url(JSON.stringify({
      iss: issuer,
      sub: user ?? "",
      aud: service,
      exp: now + 300,
      nbf: now - 5,
      iat: now,
      jti: crypto.randomUUID(),
      access,
    }));
    const sig = new Uint8Array(
      await crypto.subtle.sign(
        { name: "ECDSA", hash: "SHA-256" },
        key,
        new TextEncoder().encode(`${header}.${claims}`),
      ),
    );
    const token = `${header}.${claims}.${b64url(sig)}`;
    return Response.json({ token, access_token: token, expires_in: 300 });
  };

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const url = new URL(req.url);
      if (url.pathname !== "/token") return new Response("not found", { status: 404 });
      let user: string | undefined;
      let scopes = url.searchParams.getAll("scope").flatMap((s) => s.split(" "));
      let status = 200;
      if (req.method === "POST") {
        const form = new URLSearchParams(await req.text());
        scopes = (form.get("scope") ?? "").split(" ").filter(Boolean);
        if (
          form.get("grant_type") === "refresh_token" && form.get("refresh_token") === refreshToken
        ) {
          user = Object.keys(users)[0];
        } else status = 401;
      } else {
        const authz = req.headers.get("authorization");
        if (authz) {
          const m = /^Basic (.+)$/i.exec(authz);
          const decoded = m ? decoder.decode(Uint8Array.fromBase64(m[1])) : "";
          const colon = decoded.indexOf(":");
          const [u, p] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
          if (colon > 0 && users[u] === p) user = u;
          else status = 401;
        }
      }
      requests.push({ method: req.method, user, scopes, status });
      if (status !== 200) {
        return Response.json({ details: "invalid credentials" }, { status });
      }
      return await issue(user, scopes);
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    service,
    issuer,
    certPath,
    requests,
    refreshToken,
    stop: () => server.shutdown(),
  };
}

if (import.meta.main) {
  const mode = (Deno.args[0] ?? "http") as RegistryMode;
  if (!["http", "basic-tls", "mtls", "token", "referrers"].includes(mode)) {
    console.error("usage: registry.ts http|basic-tls|mtls|token|referrers");
    Deno.exit(2);
  }
  const reg = await startRegistry(mode);
  console.log(JSON.stringify(
    {
      mode,
      host: reg.host,
      username: reg.username,
      password: reg.password,
      caCert: reg.caCert,
    },
    null,
    2,
  ));
  Deno.addSignalListener("SIGINT", async () => {
    await reg.stop();
    Deno.exit(0);
  });
}
