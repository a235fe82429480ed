/**
 * A loopback stand-in for the GitLab REST API v4's project CI/CD variables
 * (docs.gitlab.com/api/project_level_variables), as cosign's GitLab provider uses them:
 *
 * - every request needs `PRIVATE-TOKEN: <token>` (401 `{"message":"401 Unauthorized"}`);
 * - `POST /api/v4/projects/:id/variables` (`:id` a URL-encoded path or a number) with `key`
 *   (letters, digits, `_`, at most 255), `value`, `variable_type` (`env_var` or `file`),
 *   `protected`, `masked`, `environment_scope`: 201 with the variable; a key taken in the same
 *   scope is 400 `{"message":{"key":["(KEY) has already been taken"]}}`;
 * - `GET /api/v4/projects/:id/variables/:key`: 200 with the variable, or 404
 *   `{"message":"404 Variable Not Found"}`; unknown projects are 404 `Project Not Found`.
 *
 * Limits: only the projects the test creates; no masking rules, `filter[environment_scope]`,
 * updates, deletes, pagination or group variables.
 *
 * @module
 */

interface Variable {
  variable_type: string;
  key: string;
  value: string;
  protected: boolean;
  masked: boolean;
  raw: boolean;
  environment_scope: string;
  description: string | null;
}

/** A running stub. */
export interface FakeGitlab {
  /** `http://127.0.0.1:<port>` (`GITLAB_HOST`). */
  host: string;
  token: string;
  /** Variables by project path. */
  projects: Map<string, Map<string, Variable>>;
  requests: { method: string; path: string; token: string | null; body: unknown }[];
  stop(): Promise<void>;
}

/**
 * Starts the stub with the given projects (no variables yet).
 *
 * @param projects project paths, e.g. `["group/project"]`
 * @returns the stub
 */
export function startFakeGitlab(projects: string[]): FakeGitlab {
  const token = "glpat-fake-token";
  const store = new Map(projects.map((p) => [p, new Map<string, Variable>()]));
  const requests: FakeGitlab["requests"] = [];
  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const text = await req.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      return Response.json({ error: "body is not JSON" }, { status: 400 });
    }
    requests.push({
      method: req.method,
      path: url.pathname,
      token: req.headers.get("private-token"),
      body,
    });
    if (req.headers.get("private-token") !== token) {
      return Response.json({ message: "401 Unauthorized" }, { status: 401 });
    }
    const m = /^\/api\/v4\/projects\/([^/]+)\/variables(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) return Response.json({ error: "404 Not Found" }, { status: 404 });
    const variables = store.get(decodeURIComponent(m[1]));
    if (!variables) return Response.json({ message: "404 Project Not Found" }, { status: 404 });
    if (req.method === "GET" && m[2]) {
      const v = variables.get(decodeURIComponent(m[2]));
      return v
        ? Response.json(v)
        : Response.json({ message: "404 Variable Not Found" }, { status: 404 });
    }
    if (req.method === "POST" && !m[2]) {
      const key = String(body.key ?? "");
      if (!/^[a-zA-Z0-9_]{1,255}$/.test(key)) {
        return Response.json({ message: { key: ["can contain only letters, digits and '_'."] } }, {
          status: 400,
        });
      }
      if (typeof body.value !== "string") {
        return Response.json({ error: "value is missing" }, { status: 400 });
      }
      const type = String(body.variable_type ?? "env_var");
      if (type !== "env_var" && type !== "file") {
        return Response.json({ error: "variable_type does not have a valid value" }, {
          status: 400,
        });
      }
      if (variables.has(key)) {
        return Response.json({ message: { key: [`(${key}) has already been taken`] } }, {
          status: 400,
        });
      }
      const v: Variable = {
        variable_type: type,
        key,
        value: body.value,
        protected: body.protected === true,
        masked: body.masked === true,
        raw: false,
        environment_scope: String(body.environment_scope ?? "*"),
        description: null,
      };
      variables.set(key, v);
      return Response.json(v, { status: 201 });
    }
    return Response.json({ error: "405 Method Not Allowed" }, { status: 405 });
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  return {
    host: `http://127.0.0.1:${server.addr.port}`,
    token,
    projects: store,
    requests,
    stop: () => server.shutdown(),
  };
}
