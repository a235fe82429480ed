/**
 * The `buildkite-agent` provider (cosign pkg/providers/buildkite): a job's agent token asks the
 * Buildkite agent API for an OIDC token, `POST <endpoint>/jobs/<job>/oidc/tokens` with
 * `{"audience": …}`, authorized as `Token <agent access token>` (the request the agent's own
 * `buildkite-agent oidc request-token` makes; github.com/buildkite/agent api/oidc.go).
 *
 * @module
 */
import { httpRequest, readBodyBounded } from "../../http.ts";
import { oidcHttpOptions } from "../_http.ts";
import { type AmbientProvider, providerError } from "../ambient_provider.ts";

/** The variables cosign reads (`env.VariableBuildkite*`). */
export const BUILDKITE_AGENT_ACCESS_TOKEN = "BUILDKITE_AGENT_ACCESS_TOKEN";
export const BUILDKITE_AGENT_ENDPOINT = "BUILDKITE_AGENT_ENDPOINT";
export const BUILDKITE_JOB_ID = "BUILDKITE_JOB_ID";

/** The agent API when `BUILDKITE_AGENT_ENDPOINT` is unset. */
export const DEFAULT_BUILDKITE_ENDPOINT = "https://agent.buildkite.com/v3";

/** Enabled when `BUILDKITE_AGENT_ACCESS_TOKEN` is non-empty. */
export const buildkiteAgentProvider: AmbientProvider = {
  name: "buildkite-agent",
  enabled: (ctx) => Promise.resolve(!!ctx.getEnv(BUILDKITE_AGENT_ACCESS_TOKEN)),
  async provide(ctx, audience) {
    const endpoint = (ctx.getEnv(BUILDKITE_AGENT_ENDPOINT) || DEFAULT_BUILDKITE_ENDPOINT)
      .replace(/\/+$/, "");
    const job = ctx.getEnv(BUILDKITE_JOB_ID) ?? "";
    const url = `${endpoint}/jobs/${job}/oidc/tokens`;
    let res: Response;
    try {
      res = await httpRequest({
        url,
        method: "POST",
        headers: {
          authorization: `Token ${ctx.getEnv(BUILDKITE_AGENT_ACCESS_TOKEN)}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ audience }),
        retry: false,
      }, oidcHttpOptions(ctx));
    } catch (e) {
      throw providerError("buildkite-agent", (e as Error).message, e);
    }
    let body: Uint8Array;
    try {
      body = await readBodyBounded(res, 1024 * 1024, "the Buildkite OIDC token answer");
    } catch (e) {
      throw providerError("buildkite-agent", (e as Error).message, e);
    }
    const text = new TextDecoder().decode(body);
    if (res.status < 200 || res.status > 299) {
      throw providerError(
        "buildkite-agent",
        `buildkite agent request failed with status: ${res.status} ${res.statusText}`,
      );
    }
    let token: unknown;
    try {
      token = (JSON.parse(text) as { token?: unknown })?.token;
    } catch (e) {
      throw providerError("buildkite-agent", "the answer is not JSON", e);
    }
    if (typeof token !== "string" || token === "") {
      throw providerError("buildkite-agent", 'the answer has no "token"');
    }
    return token;
  },
};
