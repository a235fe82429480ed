/**
 * An in-process stand-in for Google Cloud KMS (REST API v1) and Google's OAuth 2.0 token endpoint,
 * on 127.0.0.1, written from the public API reference (cloud.google.com/kms/docs/reference/rest):
 *
 * - `POST /token` takes the JWT-bearer grant (RFC 7523) of the service account the fake issued:
 *   the RS256 assertion is verified with the account's key, `iss`, `aud` (the token URI), `scope`
 *   (must contain cloudkms or cloud-platform) and `exp` are checked; it answers an access token;
 * - every `/v1/…` call needs `Authorization: Bearer <that token>` (401 `UNAUTHENTICATED`);
 * - `keyRings.get`/`create`, `cryptoKeys.get`/`create`, `cryptoKeyVersions.list` (`filter`
 *   `state=ENABLED`, `orderBy` `name desc`), `cryptoKeyVersions.get`, `getPublicKey` (with
 *   `pemCrc32c`) and `asymmetricSign` (the digest's CRC32C is checked and `verifiedDigestCrc32c`
 *   set; `signatureCrc32c` returned) with the JSON shapes and `error.status` codes of the API.
 *
 * Limits: algorithms EC_SIGN_P256_SHA256 and EC_SIGN_P384_SHA384 only; one version per key, always
 * ENABLED; no IAM, rotation, pagination, import or other purposes; any project and location.
 *
 * @module
 */
import { p256, p384 } from "@noble/curves/nist.js";
import { encodePem } from "../../lib/keys/pem.ts";
import { crc32c } from "../../lib/kms/gcp_kms.ts";

const ALGORITHMS = {
  EC_SIGN_P256_SHA256: { curve: p256, oid: "06082a8648ce3d030107", digest: "sha256", size: 32 },
  EC_SIGN_P384_SHA384: { curve: p384, oid: "06052b81040022", digest: "sha384", size: 48 },
} as const;
type Algorithm = keyof typeof ALGORITHMS;

/** A running fake. */
export interface FakeGcpKms {
  /** `http://127.0.0.1:<port>/`, for `CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS`. */
  endpoint: string;
  /** A service account key file's JSON (token_uri pointing at the fake). */
  serviceAccountJson: string;
  /** Requests seen: method, path with query, whether authorized. */
  requests: { method: string; path: string; authorized: boolean; body: unknown }[];
  /** Creates a key directly (as an operator would with gcloud). */
  createKey(name: string, algorithm?: Algorithm): void;
  stop(): Promise<void>;
}

function spkiPem(algorithm: Algorithm, point: Uint8Array): string {
  const alg = Uint8Array.fromHex(`06072a8648ce3d0201${ALGORITHMS[algorithm].oid}`);
  const algSeq = Uint8Array.of(0x30, alg.length, ...alg);
  const bits = Uint8Array.of(0x03, point.length + 1, 0, ...point);
  const body = [...algSeq, ...bits];
  return encodePem("PUBLIC KEY", Uint8Array.of(0x30, body.length, ...body));
}

function error(code: number, status: string, message: string): Response {
  return Response.json({ error: { code, message, status } }, { status: code });
}

/**
 * Starts the fake on a free loopback port.
 *
 * @returns the running fake
 */
export async function startFakeGcpKms(): Promise<FakeGcpKms> {
  const account = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: Uint8Array.of(1, 0, 1),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", account.privateKey));
  const rings = new Set<string>();
  const keys = new Map<string, { algorithm: Algorithm; secret: Uint8Array; created: string }>();
  const tokens = new Set<string>();
  const requests: FakeGcpKms["requests"] = [];
  const email = "cosign@test-project.iam.gserviceaccount.com";

  const createKey = (name: string, algorithm: Algorithm = "EC_SIGN_P256_SHA256") => {
    keys.set(name, {
      algorithm,
      secret: ALGORITHMS[algorithm].curve.utils.randomSecretKey(),
      created: new Date().toISOString(),
    });
  };

  let tokenUri = "";
  const version = (name: string) => {
    const k = keys.get(name)!;
    return {
      name: `${name}/cryptoKeyVersions/1`,
      state: "ENABLED",
      protectionLevel: "SOFTWARE",
      algorithm: k.algorithm,
      createTime: k.created,
      generateTime: k.created,
    };
  };

  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const text = await req.text();
    if (url.pathname === "/token" && req.method === "POST") {
      const form = new URLSearchParams(text);
      if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return Response.json({ error: "unsupported_grant_type" }, { status: 400 });
      }
      const [h, p, s] = (form.get("assertion") ?? "").split(".");
      const ok = s !== undefined && await crypto.subtle.verify(
        "RSASSA-PKCS1-v1_5",
        account.publicKey,
        Uint8Array.fromBase64(s, { alphabet: "base64url" }),
        new TextEncoder().encode(`${h}.${p}`),
      ).catch(() => false);
      const claims = ok
        ? JSON.parse(new TextDecoder().decode(Uint8Array.fromBase64(p, { alphabet: "base64url" })))
        : {};
      const header = ok
        ? JSON.parse(new TextDecoder().decode(Uint8Array.fromBase64(h, { alphabet: "base64url" })))
        : {};
      const now = Date.now() / 1000;
      if (
        !ok || header.alg !== "RS256" || claims.iss !== email || claims.aud !== tokenUri ||
        !/cloudkms|cloud-platform/.test(claims.scope ?? "") || !(claims.exp > now) ||
        claims.iat > now + 60
      ) {
        return Response.json({
          error: "invalid_grant",
          error_description: "Invalid JWT Signature.",
        }, { status: 400 });
      }
      const token = `ya29.${crypto.randomUUID()}`;
      tokens.add(token);
      return Response.json({ access_token: token, expires_in: 3599, token_type: "Bearer" });
    }
    let body: Record<string, unknown> = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      return error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
    }
    const auth = req.headers.get("authorization") ?? "";
    const authorized = auth.startsWith("Bearer ") && tokens.has(auth.slice(7));
    requests.push({ method: req.method, path: url.pathname + url.search, authorized, body });
    if (!authorized) {
      return error(
        401,
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
      );
    }
    if (!url.pathname.startsWith("/v1/")) return error(404, "NOT_FOUND", "Not found");
    let path = decodeURIComponent(url.pathname.slice(4));
    let method = "";
    const colon = path.lastIndexOf(":");
    if (colon > path.lastIndexOf("/")) {
      method = path.slice(colon + 1);
      path = path.slice(0, colon);
    }
    const parts = path.split("/");
    // projects/P/locations/L/keyRings[/R[/cryptoKeys[/K[/cryptoKeyVersions[/V[/publicKey]]]]]]
    if (parts[0] !== "projects" || parts[2] !== "locations" || parts[4] !== "keyRings") {
      return error(404, "NOT_FOUND", "Requested entity was not found.");
    }
    const location = parts.slice(0, 4).join("/");
    if (parts.length === 5 && req.method === "POST") {
      const id = url.searchParams.get("keyRingId") ?? "";
      const name = `${location}/keyRings/${id}`;
      if (rings.has(name)) return error(409, "ALREADY_EXISTS", `KeyRing ${name} already exists.`);
      rings.add(name);
      return Response.json({ name, createTime: new Date().toISOString() });
    }
    const ring = parts.slice(0, 6).join("/");
    if (!rings.has(ring)) return error(404, "NOT_FOUND", `KeyRing ${ring} not found.`);
    if (parts.length === 6 && req.method === "GET") return Response.json({ name: ring });
    if (parts.length === 7 && parts[6] === "cryptoKeys" && req.method === "POST") {
      const name = `${ring}/cryptoKeys/${url.searchParams.get("cryptoKeyId")}`;
      if (keys.has(name)) return error(409, "ALREADY_EXISTS", `CryptoKey ${name} already exists.`);
      const algorithm = (body.versionTemplate as Record<string, string> | undefined)
        ?.algorithm as Algorithm;
      if (body.purpose !== "ASYMMETRIC_SIGN" || !(algorithm in ALGORITHMS)) {
        return error(400, "INVALID_ARGUMENT", "The request is not supported by this fake.");
      }
      createKey(name, algorithm);
      return Response.json({
        name,
        purpose: "ASYMMETRIC_SIGN",
        versionTemplate: { algorithm, protectionLevel: "SOFTWARE" },
      });
    }
    const keyName = parts.slice(0, 8).join("/");
    const key = keys.get(keyName);
    if (parts[6] !== "cryptoKeys" || !key) {
      return error(404, "NOT_FOUND", `CryptoKey ${keyName} not found.`);
    }
    if (parts.length === 8 && req.method === "GET") {
      return Response.json({
        name: keyName,
        purpose: "ASYMMETRIC_SIGN",
        createTime: key.created,
        versionTemplate: { algorithm: key.algorithm, protectionLevel: "SOFTWARE" },
      });
    }
    if (parts.length === 9 && parts[8] === "cryptoKeyVersions" && req.method === "GET") {
      const filter = url.searchParams.get("filter");
      const enabled = filter === null || filter === "state=ENABLED";
      const list = enabled ? [version(keyName)] : [];
      return Response.json({ cryptoKeyVersions: list, totalSize: list.length });
    }
    if (parts[8] !== "cryptoKeyVersions" || parts[9] !== "1") {
      return error(404, "NOT_FOUND", `CryptoKeyVersion ${path} not found.`);
    }
    const alg = ALGORITHMS[key.algorithm];
    if (parts.length === 10 && req.method === "GET" && method === "") {
      return Response.json(version(keyName));
    }
    if (parts.length === 11 && parts[10] === "publicKey" && req.method === "GET") {
      const pem = spkiPem(key.algorithm, alg.curve.getPublicKey(key.secret, false));
      return Response.json({
        pem,
        algorithm: key.algorithm,
        pemCrc32c: String(crc32c(new TextEncoder().encode(pem))),
        name: `${keyName}/cryptoKeyVersions/1`,
        protectionLevel: "SOFTWARE",
      });
    }
    if (parts.length === 10 && method === "asymmetricSign" && req.method === "POST") {
      const digestB64 = (body.digest as Record<string, string> | undefined)?.[alg.digest];
      if (!digestB64) {
        return error(
          400,
          "INVALID_ARGUMENT",
          `Digest type must match the key algorithm (${alg.digest}).`,
        );
      }
      const digest = Uint8Array.fromBase64(digestB64);
      if (digest.length !== alg.size) {
        return error(400, "INVALID_ARGUMENT", "Digest has the wrong length.");
      }
      if (body.digestCrc32c !== undefined && String(body.digestCrc32c) !== String(crc32c(digest))) {
        return error(
          400,
          "INVALID_ARGUMENT",
          "The checksum in field digest_crc32c did not match the data in field digest.",
        );
      }
      const raw = alg.curve.sign(digest, key.secret, { prehash: false, format: "compact" });
      const der = alg.curve.Signature.fromBytes(raw, "compact").toBytes("der");
      return Response.json({
        signature: der.toBase64(),
        signatureCrc32c: String(crc32c(der)),
        verifiedDigestCrc32c: body.digestCrc32c !== undefined,
        name: `${keyName}/cryptoKeyVersions/1`,
        protectionLevel: "SOFTWARE",
      });
    }
    return error(400, "INVALID_ARGUMENT", "Unsupported request in this fake.");
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  const base = `http://127.0.0.1:${server.addr.port}/`;
  tokenUri = `${base}token`;
  const serviceAccountJson = JSON.stringify({
    type: "service_account",
    project_id: "test-project",
    private_key_id: "0123456789abcdef",
    private_key: encodePem("PRIVATE KEY", pkcs8),
    client_email: email,
    client_id: "1234567890",
    token_uri: tokenUri,
  });
  return { endpoint: base, serviceAccountJson, requests, createKey, stop: () => server.shutdown() };
}
