/**
 * An in-process stand-in for Azure Key Vault (keys API 7.6) and the Microsoft identity platform's
 * token endpoint, on 127.0.0.1 over HTTPS (sigstore always talks `https://` to a vault), written
 * from the public REST reference (learn.microsoft.com/rest/api/keyvault/keys):
 *
 * - `POST /<tenant>/oauth2/v2.0/token` takes the client-credentials grant: `client_id`,
 *   `client_secret` and `scope=https://vault.azure.net/.default` are checked; it answers an
 *   access token;
 * - every `/keys/…` call needs `Authorization: Bearer <that token>` and `api-version=7.6`
 *   (401 `Unauthorized`, 400 `BadParameter`);
 * - `GET /keys/<name>/<version>` (empty version: the latest) answers the key bundle with its JSON
 *   Web Key; `POST /keys/<name>/create` creates an EC key (`crv` default P-256, `key_ops`, `tags`);
 *   `POST /keys/<name>/<version>/sign` with `alg` ES256/ES384 and a base64url digest of the right
 *   length answers `r ‖ s` in base64url; unknown keys are 404 `KeyNotFound`.
 *
 * Limits: EC keys on P-256 and P-384 only (no RSA, HSM types, versions beyond one, rotation,
 * deletion, RBAC, or the 401 challenge round trip of the real service).
 *
 * @module
 */
import { join } from "node:path";
import { p256, p384 } from "@noble/curves/nist.js";
import { opensslCa, opensslIssue } from "./openssl_ca.ts";

const CURVES = {
  "P-256": { curve: p256, alg: "ES256", size: 32 },
  "P-384": { curve: p384, alg: "ES384", size: 48 },
} as const;
type Curve = keyof typeof CURVES;

/** A running fake. */
export interface FakeAzureKeyVault {
  /** `localhost:<port>`: the vault host of `azurekms://localhost:<port>/<key>`. */
  host: string;
  /** `https://localhost:<port>/`: `AZURE_AUTHORITY_HOST`. */
  authority: string;
  /** The CA certificate (PEM) to trust (`DENO_CERT`, or `Deno.createHttpClient`). */
  caPem: string;
  caPath: string;
  /** The service principal the token endpoint accepts. */
  tenant: string;
  clientId: string;
  clientSecret: string;
  /** Requests seen. */
  requests: { method: string; path: string; authorized: boolean; body: unknown }[];
  createKey(name: string, curve?: Curve): void;
  /** A `fetch` that trusts the fake's CA (for in-process clients). */
  fetch: typeof fetch;
  stop(): Promise<void>;
}

function bad(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

/**
 * Starts the fake on a free loopback port, with a fresh CA and a certificate for localhost.
 *
 * @returns the running fake
 */
export async function startFakeAzureKeyVault(): Promise<FakeAzureKeyVault> {
  const dir = await Deno.makeTempDir({ prefix: "fake-azure-" });
  await opensslCa(dir, "/CN=fake azure CA");
  await opensslIssue(
    dir,
    "tls",
    "/CN=localhost",
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n" +
      "extendedKeyUsage=serverAuth\n",
  );
  const caPem = await Deno.readTextFile(join(dir, "ca.pem"));

  const tenant = "11111111-2222-3333-4444-555555555555";
  const clientId = "66666666-7777-8888-9999-000000000000";
  const clientSecret = "fake-client-secret";
  const tokens = new Set<string>();
  const keys = new Map<
    string,
    { curve: Curve; secret: Uint8Array; version: string; tags: unknown }
  >();
  const requests: FakeAzureKeyVault["requests"] = [];
  let host = "";

  const createKey = (name: string, curve: Curve = "P-256", tags: unknown = {}) => {
    keys.set(name, {
      curve,
      secret: CURVES[curve].curve.utils.randomSecretKey(),
      version: crypto.randomUUID().replaceAll("-", ""),
      tags,
    });
  };

  const bundle = (name: string) => {
    const k = keys.get(name)!;
    const point = CURVES[k.curve].curve.getPublicKey(k.secret, false);
    const size = CURVES[k.curve].size;
    const enc = (b: Uint8Array) => b.toBase64({ alphabet: "base64url", omitPadding: true });
    return {
      key: {
        kid: `https://${host}/keys/${name}/${k.version}`,
        kty: "EC",
        key_ops: ["sign", "verify"],
        crv: k.curve,
        x: enc(point.subarray(1, 1 + size)),
        y: enc(point.subarray(1 + size)),
      },
      attributes: { enabled: true, recoveryLevel: "Recoverable+Purgeable" },
      tags: k.tags,
    };
  };

  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const text = await req.text();
    if (req.method === "POST" && url.pathname === `/${tenant}/oauth2/v2.0/token`) {
      const form = new URLSearchParams(text);
      if (
        form.get("grant_type") !== "client_credentials" || form.get("client_id") !== clientId ||
        form.get("client_secret") !== clientSecret ||
        form.get("scope") !== "https://vault.azure.net/.default"
      ) {
        return Response.json({
          error: "invalid_client",
          error_description: "AADSTS7000215: Invalid client secret provided.",
        }, { status: 401 });
      }
      const token = `eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.${crypto.randomUUID()}.`;
      tokens.add(token);
      return Response.json({
        token_type: "Bearer",
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: token,
      });
    }
    let body: Record<string, unknown> = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      return bad(400, "BadParameter", "The request body is not JSON.");
    }
    const auth = req.headers.get("authorization") ?? "";
    const authorized = auth.startsWith("Bearer ") && tokens.has(auth.slice(7));
    requests.push({ method: req.method, path: url.pathname + url.search, authorized, body });
    if (!authorized) {
      return bad(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.");
    }
    if (url.searchParams.get("api-version") !== "7.6") {
      return bad(400, "BadParameter", "The specified version of the API is not supported.");
    }
    const parts = url.pathname.split("/").slice(1);
    if (parts[0] !== "keys" || !parts[1]) return bad(404, "NotFound", "Not found.");
    const name = decodeURIComponent(parts[1]);
    if (req.method === "POST" && parts[2] === "create" && parts.length === 3) {
      const curve = (body.crv ?? "P-256") as Curve;
      if (body.kty !== "EC" || !(curve in CURVES)) {
        return bad(400, "BadParameter", "Unsupported key in this fake.");
      }
      createKey(name, curve, body.tags ?? {});
      return Response.json(bundle(name));
    }
    const key = keys.get(name);
    const version = parts[2] ?? "";
    if (!key || (version !== "" && version !== key.version)) {
      return bad(
        404,
        "KeyNotFound",
        `A key with (name/id) ${name} was not found in this key vault.`,
      );
    }
    if (req.method === "GET" && parts.length <= 3) return Response.json(bundle(name));
    if (req.method === "POST" && parts[3] === "sign" && parts.length === 4) {
      const { curve, alg, size } = CURVES[key.curve];
      if (body.alg !== alg) {
        return bad(400, "BadParameter", `Invalid algorithm ${body.alg} for the key.`);
      }
      const digest = Uint8Array.fromBase64(String(body.value ?? ""), { alphabet: "base64url" });
      if (digest.length !== size) return bad(400, "BadParameter", "Invalid digest length.");
      const sig = curve.sign(digest, key.secret, { prehash: false, format: "compact" });
      return Response.json({
        kid: bundle(name).key.kid,
        value: sig.toBase64({ alphabet: "base64url", omitPadding: true }),
      });
    }
    return bad(400, "BadParameter", "Unsupported operation in this fake.");
  };

  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(join(dir, "tls.pem")),
    key: await Deno.readTextFile(join(dir, "tls.key")),
    onListen: () => {},
  }, handler);
  host = `localhost:${server.addr.port}`;
  const client = Deno.createHttpClient({ caCerts: [caPem] });
  return {
    host,
    authority: `https://${host}/`,
    caPem,
    caPath: join(dir, "ca.pem"),
    tenant,
    clientId,
    clientSecret,
    requests,
    createKey: (n, c) => createKey(n, c),
    fetch: (input, init) => fetch(input, { ...init, client }),
    stop: async () => {
      await server.shutdown();
      client.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
