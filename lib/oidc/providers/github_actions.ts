/**
 * The `github-actions` provider (cosign pkg/providers/github): a workflow with `permissions:
 * id-token: write` gets `ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`; a GET
 * of the URL with `&audience=<aud>` appended, authorized by the request token, answers
 * `{"value": "<jwt>"}`.
 *
 * @module
 */
import { httpRequest, readBodyBounded } from "../../http.ts";
import { oidcHttpOptions } from "../_http.ts";
import { type AmbientProvider, providerError } from "../ambient_provider.ts";

/** The variables GitHub Actions sets (cosign `env.VariableGitHubRequest*`). */
export const ACTIONS_ID_TOKEN_REQUEST_URL = "ACTIONS_ID_TOKEN_REQUEST_URL";
export const ACTIONS_ID_TOKEN_REQUEST_TOKEN = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

/** cosign tries three times, a second apart, when the request fails to get an answer. */
const ATTEMPTS = 3;

/** Enabled when both variables are non-empty. */
export const githubActionsProvider: AmbientProvider = {
  name: "github-actions",
  enabled: (ctx) =>
    Promise.resolve(
      !!ctx.getEnv(ACTIONS_ID_TOKEN_REQUEST_URL) && !!ctx.getEnv(ACTIONS_ID_TOKEN_REQUEST_TOKEN),
    ),
  async provide(ctx, audience) {
    // Appended as is, like cosign: the URL GitHub gives already has a query (`?api-version=2.0`).
    const url = (ctx.getEnv(ACTIONS_ID_TOKEN_REQUEST_URL) ?? "") + "&audience=" + audience;
    const bearer = ctx.getEnv(ACTIONS_ID_TOKEN_REQUEST_TOKEN) ?? "";
    let res: Response | undefined;
    for (let attempt = 1; !res; attempt++) {
      try {
        res = await httpRequest({
          url,
          headers: { authorization: `bearer ${bearer}` },
          retry: false,
        }, oidcHttpOptions(ctx));
      } catch (e) {
        if (ctx.signal?.aborted || attempt >= ATTEMPTS) {
          throw providerError("github-actions", (e as Error).message, e);
        }
        ctx.warn?.(`error fetching GitHub OIDC token (will retry): ${(e as Error).message}`);
        await (ctx.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(1000);
      }
    }
    let payload: unknown;
    try {
      const body = await readBodyBounded(res, 1024 * 1024, "the GitHub OIDC token answer");
      payload = JSON.parse(new TextDecoder().decode(body));
    } catch (e) {
      throw providerError("github-actions", `HTTP ${res.status}: ${(e as Error).message}`, e);
    }
    const value = (payload as { value?: unknown })?.value;
    if (typeof value !== "string" || value === "") {
      throw providerError("github-actions", `HTTP ${res.status}: the answer has no "value"`);
    }
    return value;
  },
};
