/**
 * GitHub Actions secrets of a repository or an organisation (`github://<owner>[/<repo>]`), as
 * cosign's GitHub provider writes a key pair into them (pkg/cosign/git/github): the secrets'
 * public key from `GET …/actions/secrets/public-key`, then `PUT …/actions/secrets/<name>` with the
 * value in a libsodium sealed box. Secrets cannot be read back (cosign cannot sign or verify with
 * `github://` either; it only generates).
 *
 * Configuration as cosign: `GITHUB_TOKEN` (required), `GITHUB_HOST` for GitHub Enterprise
 * (`/api/v3/` is appended as go-github's `WithEnterpriseURLs` does).
 *
 * @module
 */
import { KeyError } from "../errors.ts";
import { field, kmsRequest, stringField } from "./_request.ts";
import type { KmsDeps } from "./kms_key.ts";
import { sealedBox } from "./sealed_box.ts";

/** Where secrets go. */
export interface GithubSecrets {
  owner: string;
  /** Absent for organisation secrets. */
  repo?: string;
  /**
   * Encrypts and stores one secret (created or replaced).
   *
   * @throws {KeyError} `KMS_REQUEST_FAILED` (or `KEY_NOT_FOUND` for an unknown repository)
   */
  putSecret(name: string, value: Uint8Array): Promise<void>;
}

/**
 * Opens the secrets of `github://<owner>/<repo>` (or `github://<org>`).
 *
 * @param ref the reference
 * @param deps environment (`GITHUB_TOKEN`, `GITHUB_HOST`), network
 * @returns the secrets store
 * @throws {KeyError} `KMS_CREDENTIALS_MISSING` when `GITHUB_TOKEN` is unset
 * @throws {TypeError} for a reference with more than two parts
 */
export function githubSecrets(ref: string, deps: KmsDeps): GithubSecrets {
  const token = deps.getEnv("GITHUB_TOKEN");
  if (token === undefined) {
    throw new KeyError(
      "KMS_CREDENTIALS_MISSING",
      'Cannot use GitHub: could not find "GITHUB_TOKEN" environment variable',
    );
  }
  const parts = ref.slice(ref.indexOf("://") + 3).split("/");
  if (parts.length > 2) {
    throw new TypeError(
      "Cannot parse GitHub reference: could not parse scheme, use github://<owner> or github://<owner>/<repo> format",
    );
  }
  const [owner, repo] = parts;
  const host = deps.getEnv("GITHUB_HOST");
  let base = new URL("https://api.github.com/");
  if (host !== undefined) {
    base = new URL(host.endsWith("/") ? host : `${host}/`);
    if (
      !base.pathname.endsWith("/api/v3/") && !base.host.startsWith("api.") &&
      !base.host.includes(".api.")
    ) base.pathname += "api/v3/";
  }
  const scope = repo
    ? `${base.href}repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/actions/secrets`
    : `${base.href}orgs/${encodeURIComponent(owner)}/actions/secrets`;
  const headers = {
    authorization: `Bearer ${token}`,
    accept: "application/vnd.github.v3+json",
    "x-github-api-version": "2022-11-28",
  };

  async function call(step: string, method: string, url: string, body?: unknown) {
    const res = await kmsRequest(deps, {
      url,
      method,
      headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
      body: body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body)),
      retry: true,
    });
    if (res.status >= 200 && res.status < 300) return res.body;
    throw new KeyError(
      res.status === 404 ? "KEY_NOT_FOUND" : "KMS_REQUEST_FAILED",
      `Cannot ${step}: ${method} ${url}: ${res.status} ${
        String(field(res.body, "message") ?? res.text.slice(0, 200))
      }`,
    );
  }

  let publicKey: Promise<{ keyId: string; key: Uint8Array }> | undefined;
  const loadPublicKey = () =>
    publicKey ??= call("get the repository public key", "GET", `${scope}/public-key`).then(
      (out) => ({
        keyId: stringField(out, "GitHub secrets key", "key_id"),
        key: Uint8Array.fromBase64(stringField(out, "GitHub secrets key", "key")).subarray(0, 32),
      }),
    );

  return {
    owner,
    ...(repo ? { repo } : {}),
    async putSecret(name, value) {
      const { keyId, key } = await loadPublicKey();
      await call(
        `create the "${name}" github actions secret`,
        "PUT",
        `${scope}/${encodeURIComponent(name)}`,
        {
          key_id: keyId,
          encrypted_value: sealedBox(value, key).toBase64(),
        },
      );
    },
  };
}
