/**
 * An in-process stand-in for HashiCorp Vault's transit secrets engine, on 127.0.0.1: neither
 * Vault nor OpenBao can be built with `go install` here (their go.mod has `replace` lines). It
 * follows the transit HTTP API (Vault docs, "Transit secrets engine (API)"):
 *
 * - `POST|PUT /v1/<mount>/keys/<name>` `{"type": …}` creates a key (an existing one is kept);
 *   `GET /v1/<mount>/keys/<name>` returns `data.type`, `data.latest_version` and
 *   `data.keys["<n>"].{name, public_key, creation_time}`;
 * - `POST|PUT /v1/<mount>/sign/<name>[/<hash_algorithm>]` with `input` (base64), `prehashed`,
 *   `key_version` (0 = latest), `hash_algorithm`, `marshaling_algorithm` (`asn1` or `jws`)
 *   returns `data.signature` = `vault:v<n>:<base64>` and `data.key_version`;
 * - `POST|PUT /v1/<mount>/verify/<name>[/<hash_algorithm>]` with `input`, `prehashed`,
 *   `signature` returns `data.valid`;
 * - every request needs `X-Vault-Token` (403 `{"errors":["permission denied"]}` otherwise);
 *   unknown keys are 404 `{"errors":[]}`, bad input 400 `{"errors":["…"]}`.
 *
 * Limits: key types `ecdsa-p256` and `ecdsa-p384` only (no RSA, Ed25519, rotation, key
 * configuration, batch input, namespaces or policies); one mount whose name the test picks.
 *
 * @module
 */
import { p256, p384 } from "@noble/curves/nist.js";
import { encodePem } from "../../lib/keys/pem.ts";

interface VaultKey {
  type: "ecdsa-p256" | "ecdsa-p384";
  versions: { secret: Uint8Array; publicPem: string; created: string }[];
}

/** A running fake Vault. */
export interface FakeVault {
  /** `http://127.0.0.1:<port>` (`VAULT_ADDR`). */
  address: string;
  token: string;
  /** Every request seen: method, path, token header, body. */
  requests: { method: string; path: string; token: string | null; body: unknown }[];
  /** Creates a key directly (as an operator would with the CLI). */
  createKey(name: string, type?: VaultKey["type"]): void;
  stop(): Promise<void>;
}

const CURVES = {
  "ecdsa-p256": { curve: p256, name: "P-256", oid: "06082a8648ce3d030107", size: 32 },
  "ecdsa-p384": { curve: p384, name: "P-384", oid: "06052b81040022", size: 48 },
} as const;

const HASH_BYTES: Record<string, number> = {
  "sha2-224": 28,
  "sha2-256": 32,
  "sha2-384": 48,
  "sha2-512": 64,
};

function spkiPem(type: VaultKey["type"], point: Uint8Array): string {
  const { oid } = CURVES[type];
  const alg = Uint8Array.fromHex(`06072a8648ce3d0201${oid}`);
  const algSeq = Uint8Array.of(0x30, alg.length, ...alg);
  const bits = Uint8Array.of(0x03, point.length + 1, 0, ...point);
  const body = [...algSeq, ...bits];
  return encodePem("PUBLIC KEY", Uint8Array.of(0x30, body.length, ...body));
}

function json(status: number, body?: unknown): Response {
  return body === undefined ? new Response(null, { status }) : new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/**
 * Starts the fake on a free loopback port.
 *
 * @param options `mount` (default "transit") and `token` (default "root-token")
 * @returns the running fake
 */
export function startFakeVault(options: { mount?: string; token?: string } = {}): FakeVault {
  const mount = options.mount ?? "transit";
  const token = options.token ?? "root-token";
  const keys = new Map<string, VaultKey>();
  const requests: FakeVault["requests"] = [];

  const createKey = (name: string, type: VaultKey["type"] = "ecdsa-p256") => {
    if (keys.has(name)) return;
    const { curve } = CURVES[type];
    const secret = curve.utils.randomSecretKey();
    const point = curve.getPublicKey(secret, false);
    keys.set(name, {
      type,
      versions: [{ secret, publicPem: spkiPem(type, point), created: new Date().toISOString() }],
    });
  };

  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const text = await req.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      return json(400, { errors: ["failed to parse JSON input"] });
    }
    requests.push({
      method: req.method,
      path: url.pathname,
      token: req.headers.get("x-vault-token"),
      body,
    });
    if (req.headers.get("x-vault-token") !== token) {
      return json(403, { errors: ["permission denied"] });
    }
    // Vault cleans the request path ("verify/k//sha2-256" is "verify/k/sha2-256").
    const parts = url.pathname.split("/").filter((p) => p !== "");
    if (parts[0] !== "v1" || parts[1] !== mount) {
      return json(404, {
        errors: [`no handler for route "${parts.slice(1).join("/")}". route entry not found.`],
      });
    }
    const [, , op, name, hashInPath] = parts;
    const write = req.method === "POST" || req.method === "PUT";
    if (op === "keys" && name && req.method === "GET") {
      const key = keys.get(name);
      if (!key) return json(404, { errors: [] });
      const versions: Record<string, unknown> = {};
      key.versions.forEach((v, i) => {
        versions[String(i + 1)] = {
          creation_time: v.created,
          name: CURVES[key.type].name,
          public_key: v.publicPem,
        };
      });
      return json(200, {
        request_id: crypto.randomUUID(),
        data: {
          name,
          type: key.type,
          latest_version: key.versions.length,
          min_decryption_version: 1,
          supports_signing: true,
          keys: versions,
        },
      });
    }
    if (op === "keys" && name && write) {
      const type = (body.type ?? "aes256-gcm96") as string;
      if (!(type in CURVES)) {
        return json(400, { errors: [`unsupported key type ${type} in this fake`] });
      }
      createKey(name, type as VaultKey["type"]);
      return json(204);
    }
    if ((op === "sign" || op === "verify") && name && write) {
      const key = keys.get(name);
      if (!key) return json(400, { errors: ["signing key not found"] });
      const hash = hashInPath ?? (body.hash_algorithm as string | undefined) ?? "sha2-256";
      if (!(hash in HASH_BYTES)) {
        return json(400, { errors: [`unsupported hash algorithm ${hash}`] });
      }
      let input: Uint8Array;
      try {
        input = Uint8Array.fromBase64(String(body.input ?? ""));
      } catch {
        return json(400, { errors: ["unable to decode input as base64"] });
      }
      if (body.prehashed !== true) {
        const sub = { "sha2-256": "SHA-256", "sha2-384": "SHA-384", "sha2-512": "SHA-512" }[hash];
        if (!sub) return json(400, { errors: ["unsupported hash algorithm for this fake"] });
        input = new Uint8Array(await crypto.subtle.digest(sub, input as Uint8Array<ArrayBuffer>));
      } else if (input.length !== HASH_BYTES[hash]) {
        return json(400, { errors: ["input is not a digest of the hash algorithm"] });
      }
      const { curve, size } = CURVES[key.type];
      const marshaling = (body.marshaling_algorithm as string | undefined) ?? "asn1";
      if (op === "sign") {
        const requested = Number(body.key_version ?? 0);
        const version = requested === 0 ? key.versions.length : requested;
        const v = key.versions[version - 1];
        if (!v) return json(400, { errors: ["requested version for signing does not exist"] });
        const raw = curve.sign(input, v.secret, { prehash: false, format: "compact" });
        const sig = marshaling === "jws"
          ? raw.toBase64({ alphabet: "base64url", omitPadding: true })
          : curve.Signature.fromBytes(raw, "compact").toBytes("der").toBase64();
        return json(200, { data: { signature: `vault:v${version}:${sig}`, key_version: version } });
      }
      const m = /^vault:v(\d+):(.*)$/.exec(String(body.signature ?? ""));
      if (!m) return json(400, { errors: ["invalid signature format"] });
      const v = key.versions[Number(m[1]) - 1];
      if (!v) return json(400, { errors: ["invalid key version"] });
      let valid = false;
      try {
        const sig = marshaling === "jws"
          ? Uint8Array.fromBase64(m[2], { alphabet: "base64url" })
          : Uint8Array.fromBase64(m[2]);
        const point = curve.getPublicKey(v.secret, false);
        valid = curve.verify(sig, input, point, {
          prehash: false,
          lowS: false,
          format: marshaling === "jws" ? "compact" : "der",
        });
        void size;
      } catch {
        valid = false;
      }
      return json(200, { data: { valid } });
    }
    return json(405, { errors: ["unsupported operation"] });
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  const address = `http://127.0.0.1:${server.addr.port}`;
  return { address, token, requests, createKey, stop: () => server.shutdown() };
}
