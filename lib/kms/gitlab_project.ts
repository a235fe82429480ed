/**
 * A cosign key pair kept in a GitLab project's CI/CD variables (`gitlab://<project>`), as cosign's
 * GitLab provider keeps it (pkg/cosign/git/gitlab): `COSIGN_PRIVATE_KEY`, `COSIGN_PASSWORD` and
 * `COSIGN_PUBLIC_KEY`, written with `POST /projects/:id/variables` and read with
 * `GET /projects/:id/variables/:key` of the GitLab REST API v4 (`PRIVATE-TOKEN` header).
 *
 * Configuration as cosign: `GITLAB_TOKEN` (required), `GITLAB_HOST` (default `https://gitlab.com`;
 * `/api/v4/` is appended unless present, as the Go client does). Not a KMS, but like one a place
 * keys are named by URI, hence this folder.
 *
 * @module
 */
import { KeyError } from "../errors.ts";
import { field, kmsRequest } from "./_request.ts";
import type { KmsDeps } from "./kms_key.ts";

/** One variable to create (cosign's `CreateProjectVariableOptions`). */
export interface GitlabVariable {
  key: string;
  value: string;
  /** Only cosign's `COSIGN_PASSWORD` sets one (`*`). */
  environmentScope?: string;
}

/** A project's variables. */
export interface GitlabProject {
  /** The project path or id, as in the URI. */
  readonly project: string;
  /**
   * Reads a variable's value.
   *
   * @throws {KeyError} `KEY_NOT_FOUND` when the project or variable does not exist,
   *   `KMS_REQUEST_FAILED` otherwise
   */
  getVariable(key: string): Promise<string>;
  /**
   * Creates an `env_var` variable, neither protected nor masked (as cosign does).
   *
   * @throws {KeyError} `KMS_REQUEST_FAILED` (e.g. "has already been taken")
   */
  createVariable(variable: GitlabVariable): Promise<void>;
}

/**
 * The project of a `gitlab://` reference (cosign splits at `://`).
 *
 * @throws {TypeError} "Cannot parse GitLab reference: could not parse scheme, use <scheme>://<ref>
 *   format" for an empty project
 */
export function gitlabProjectRef(ref: string): string {
  const project = ref.startsWith("gitlab://") ? ref.slice("gitlab://".length) : "";
  if (project === "") {
    throw new TypeError(
      "Cannot parse GitLab reference: could not parse scheme, use <scheme>://<ref> format",
    );
  }
  return project;
}

/**
 * Opens a project's variables.
 *
 * @param ref `gitlab://<group>/<project>` (or a numeric project id)
 * @param deps environment (`GITLAB_TOKEN`, `GITLAB_HOST`), network
 * @returns the project
 * @throws {TypeError} for a malformed reference
 * @throws {KeyError} `KMS_CREDENTIALS_MISSING` 'Cannot use GitLab: could not find "GITLAB_TOKEN"'
 */
export function gitlabProject(ref: string, deps: KmsDeps): GitlabProject {
  const project = gitlabProjectRef(ref);
  const token = deps.getEnv("GITLAB_TOKEN");
  if (token === undefined) {
    throw new KeyError(
      "KMS_CREDENTIALS_MISSING",
      'Cannot use GitLab: could not find "GITLAB_TOKEN"',
    );
  }
  const host = deps.getEnv("GITLAB_HOST") ?? "https://gitlab.com";
  const base = new URL(host.includes("://") ? host : `https://${host}`);
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  if (!base.pathname.endsWith("/api/v4/")) base.pathname += "api/v4/";
  const projectUrl = `${base.href}projects/${encodeURIComponent(project)}/variables`;

  async function call(step: string, method: string, url: string, body?: unknown) {
    const res = await kmsRequest(deps, {
      url,
      method,
      headers: {
        "private-token": token!,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body)),
      retry: method === "GET",
    });
    if (res.status >= 200 && res.status < 300) return res.body;
    const message = field(res.body, "message") ?? field(res.body, "error") ??
      res.text.slice(0, 200);
    throw new KeyError(
      res.status === 404 ? "KEY_NOT_FOUND" : "KMS_REQUEST_FAILED",
      `Cannot ${step} in GitLab project ${project}: ${method} ${url}: ${res.status} ${
        typeof message === "string" ? message : JSON.stringify(message)
      }`,
    );
  }

  return {
    project,
    async getVariable(key) {
      const out = await call(
        `read variable ${key}`,
        "GET",
        `${projectUrl}/${encodeURIComponent(key)}`,
      );
      const value = field(out, "value");
      if (typeof value !== "string") {
        throw new KeyError(
          "KMS_REQUEST_FAILED",
          `Cannot read variable ${key} in GitLab project ${project}: no value`,
        );
      }
      return value;
    },
    async createVariable(v) {
      await call(`create variable ${v.key}`, "POST", projectUrl, {
        key: v.key,
        value: v.value,
        variable_type: "env_var",
        protected: false,
        masked: false,
        ...(v.environmentScope ? { environment_scope: v.environmentScope } : {}),
      });
    },
  };
}
