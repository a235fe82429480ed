/**
 * A loopback stand-in for the GitHub REST API's Actions secrets (docs.github.com/rest/actions/secrets),
 * as cosign's GitHub provider uses it through go-github:
 *
 * - every request needs `Authorization: Bearer <token>` (401 `Bad credentials`);
 * - `GET /api/v3/repos/:owner/:repo/actions/secrets/public-key` (and `/orgs/:org/…`) answers the
 *   repository's X25519 key as `{key_id, key}` (base64);
 * - `PUT …/actions/secrets/:name` with `{encrypted_value, key_id}` checks the name (letters,
 *   digits, `_`, not starting with a digit or `GITHUB_`) and the key id (422 otherwise), opens the
 *   libsodium sealed box with the repository's secret key (422 when it does not open), stores the
 *   plaintext, and answers 201 (created) or 204 (updated); unknown repositories are 404.
 *
 * Limits: only the repositories and organisations the test names; no secret listing, deletion,
 * environments, Dependabot or Codespaces secrets, visibility rules or rate limits.
 *
 * @module
 */
import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { boxKey, sealNonce } from "../../lib/kms/sealed_box.ts";

interface Store {
  secret: Uint8Array;
  public: Uint8Array;
  keyId: string;
  secrets: Map<string, Uint8Array>;
}

/** A running stub. */
export interface FakeGithub {
  /** `http://127.0.0.1:<port>` (`GITHUB_HOST`). */
  host: string;
  token: string;
  /** Decrypted secrets by `owner/repo` (or org). */
  secrets(scope: string): Map<string, Uint8Array>;
  requests: { method: string; path: string; authorization: string | null; body: unknown }[];
  stop(): Promise<void>;
}

/** Opens a sealed box (`crypto_box_seal_open`). */
function openSealed(box: Uint8Array, pub: Uint8Array, secret: Uint8Array): Uint8Array {
  const epk = box.subarray(0, 32);
  return xsalsa20poly1305(boxKey(secret, epk), sealNonce(epk, pub)).decrypt(box.subarray(32));
}

/**
 * Starts the stub for the given scopes (`owner/repo` or `org`).
 *
 * @returns the stub
 */
export function startFakeGithub(scopes: string[]): FakeGithub {
  const token = "ghp_fake";
  const stores = new Map<string, Store>();
  for (const s of scopes) {
    const secret = x25519.utils.randomSecretKey();
    stores.set(s, {
      secret,
      public: x25519.getPublicKey(secret),
      keyId: String(568250167242549743 + stores.size),
      secrets: new Map(),
    });
  }
  const requests: FakeGithub["requests"] = [];
  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const text = await req.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      return Response.json({ message: "Problems parsing JSON" }, { status: 400 });
    }
    requests.push({
      method: req.method,
      path: url.pathname,
      authorization: req.headers.get("authorization"),
      body,
    });
    if (req.headers.get("authorization") !== `Bearer ${token}`) {
      return Response.json({
        message: "Bad credentials",
        documentation_url: "https://docs.github.com/rest",
      }, { status: 401 });
    }
    const m = /^\/api\/v3\/(?:repos\/([^/]+)\/([^/]+)|orgs\/([^/]+))\/actions\/secrets\/([^/]+)$/
      .exec(url.pathname);
    const scope = m
      ? (m[3]
        ? decodeURIComponent(m[3])
        : `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}`)
      : "";
    const store = stores.get(scope);
    if (!m || !store) return Response.json({ message: "Not Found" }, { status: 404 });
    const name = decodeURIComponent(m[4]);
    if (req.method === "GET" && name === "public-key") {
      return Response.json({ key_id: store.keyId, key: store.public.toBase64() });
    }
    if (req.method === "PUT") {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || name.toUpperCase().startsWith("GITHUB_")) {
        return Response.json({ message: "Invalid secret name" }, { status: 422 });
      }
      if (body.key_id !== store.keyId) {
        return Response.json({ message: "Invalid key_id" }, { status: 422 });
      }
      let value: Uint8Array;
      try {
        value = openSealed(
          Uint8Array.fromBase64(String(body.encrypted_value)),
          store.public,
          store.secret,
        );
      } catch {
        return Response.json({ message: "Could not decrypt the secret value" }, { status: 422 });
      }
      const existed = store.secrets.has(name);
      store.secrets.set(name, value);
      return new Response(existed ? null : "{}", { status: existed ? 204 : 201 });
    }
    return Response.json({ message: "Not Found" }, { status: 404 });
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  return {
    host: `http://127.0.0.1:${server.addr.port}`,
    token,
    secrets: (s) => stores.get(s)!.secrets,
    requests,
    stop: () => server.shutdown(),
  };
}
