/**
 * The `envvar` provider: a token placed in `SIGSTORE_ID_TOKEN` (cosign pkg/providers/envvar).
 * GitLab CI hands jobs their ID token this way (`id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore`).
 *
 * @module
 */
import type { AmbientProvider } from "../ambient_provider.ts";

/** The variable cosign reads (`env.VariableSigstoreIDToken`). */
export const SIGSTORE_ID_TOKEN = "SIGSTORE_ID_TOKEN";

/**
 * Enabled when `SIGSTORE_ID_TOKEN` is set, even to the empty string (cosign's `LookupEnv`); the
 * token is the variable's value, whatever the audience asked.
 */
export const envvarProvider: AmbientProvider = {
  name: "envvar",
  enabled: (ctx) => Promise.resolve(ctx.getEnv(SIGSTORE_ID_TOKEN) !== undefined),
  provide: (ctx) => Promise.resolve((ctx.getEnv(SIGSTORE_ID_TOKEN) ?? "").trim()),
};
