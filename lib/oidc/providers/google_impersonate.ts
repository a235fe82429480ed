/**
 * The `google-impersonate` provider (cosign pkg/providers/google): an ID token of the service
 * account named by `GOOGLE_SERVICE_ACCOUNT_NAME`, minted by the IAM Service Account Credentials
 * API (`POST /v1/projects/-/serviceAccounts/<name>:generateIdToken` with `{"audience": …,
 * "includeEmail": true}`), authorized by an access token of the default credentials — what
 * google.golang.org/api/impersonate's `IDTokenSource` does.
 *
 * @module
 */
import { IdentityError } from "../../errors.ts";
import { excerpt, jsonObject, oidcRequest } from "../_http.ts";
import { type AmbientProvider, providerError } from "../ambient_provider.ts";
import { defaultAccessToken } from "./_google_credentials.ts";

/** The variable naming the service account (`env.VariableGoogleServiceAccountName`). */
export const GOOGLE_SERVICE_ACCOUNT_NAME = "GOOGLE_SERVICE_ACCOUNT_NAME";

const NAME = "google-impersonate";
const IAM_CREDENTIALS = "https://iamcredentials.googleapis.com";

/** Enabled when `GOOGLE_SERVICE_ACCOUNT_NAME` is non-empty. */
export const googleImpersonateProvider: AmbientProvider = {
  name: NAME,
  enabled: (ctx) => Promise.resolve(!!ctx.getEnv(GOOGLE_SERVICE_ACCOUNT_NAME)),
  async provide(ctx, audience) {
    const target = ctx.getEnv(GOOGLE_SERVICE_ACCOUNT_NAME) ?? "";
    const accessToken = await defaultAccessToken(ctx, NAME);
    const base = (ctx.overrides?.iamCredentialsUrl ?? IAM_CREDENTIALS).replace(/\/+$/, "");
    const url = `${base}/v1/projects/-/serviceAccounts/${target}:generateIdToken`;
    const what = `fetch ambient OIDC credentials: ${NAME}`;
    const res = await oidcRequest(what, url, {
      method: "POST",
      headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ audience, includeEmail: true }),
    }, ctx);
    if (res.status !== 200) {
      throw providerError(
        NAME,
        `impersonate: unable to generate ID token: ${res.status} ${res.statusText}: ${
          excerpt(res.text())
        }`,
      );
    }
    const token = jsonObject(what, res).token;
    if (typeof token !== "string" || token === "") {
      throw new IdentityError("OIDC_PROVIDER_FAILED", `Cannot ${what}: the answer has no "token"`);
    }
    return token;
  },
};
