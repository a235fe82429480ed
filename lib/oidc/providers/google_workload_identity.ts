/**
 * The `google-workload-identity` provider (cosign pkg/providers/google): on a Google machine,
 * an ID token for the audience from the default credentials, as google.golang.org/api/idtoken's
 * `NewTokenSource` gets it — a service-account key file (JWT bearer grant with
 * `target_audience`, answered with an `id_token`), else the metadata server's
 * `instance/service-accounts/default/identity?audience=…&format=full`.
 *
 * @module
 */
import type { AmbientProvider } from "../ambient_provider.ts";
import { providerError } from "../ambient_provider.ts";
import {
  isGoogleMachine,
  loadCredentialsFile,
  metadataGet,
  onGce,
  serviceAccountGrant,
} from "./_google_credentials.ts";

const NAME = "google-workload-identity";

/**
 * Enabled on a machine whose DMI product name is `Google` or `Google Compute Engine` where a
 * token can actually be had (cosign asks for one with the audience `garbage` to find out).
 */
export const googleWorkloadIdentityProvider: AmbientProvider = {
  name: NAME,
  async enabled(ctx) {
    if (!await isGoogleMachine(ctx)) return false;
    try {
      await googleWorkloadIdentityProvider.provide(ctx, "garbage");
      return true;
    } catch {
      return false;
    }
  },
  async provide(ctx, audience) {
    const file = await loadCredentialsFile(ctx, NAME);
    if (file) {
      if (file.type === "service_account") {
        const answer = await serviceAccountGrant(ctx, NAME, file, { target_audience: audience });
        if (typeof answer.id_token !== "string" || answer.id_token === "") {
          throw providerError(NAME, "oauth2: server response missing id_token");
        }
        return answer.id_token;
      }
      if (file.type === "impersonated_service_account" || file.type === "external_account") {
        throw providerError(
          NAME,
          `idtoken: credentials of type ${file.type} are not supported here`,
        );
      }
      throw providerError(NAME, "idtoken: unsupported credentials type");
    }
    if (!await onGce(ctx)) throw providerError(NAME, "idtoken: couldn't find any credentials");
    const token = (await metadataGet(
      ctx,
      NAME,
      `instance/service-accounts/default/identity?${new URLSearchParams({
        audience,
        format: "full",
      })}`,
    )).trim();
    if (!token) throw providerError(NAME, "idtoken: invalid response from metadata service");
    return token;
  },
};
