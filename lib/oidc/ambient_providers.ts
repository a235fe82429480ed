/**
 * cosign's ambient providers in cosign's order, and the search through them (cosign
 * pkg/providers `Enabled`, `Provide`, `ProvideFrom`).
 *
 * The order is the one cosign v2.6.4 runs them in, which is its providers' Go package
 * initialisation order (Go ≥ 1.21 initialises packages sorted by import path, each after its
 * dependencies), not the order of `pkg/providers/all`'s imports: `envvar`, `filesystem`,
 * `github-actions`, `buildkite-agent`, `spiffe`, `google-workload-identity`,
 * `google-impersonate`. Observed with the real cosign v2.6.4: with `SIGSTORE_ID_TOKEN` set no
 * GitHub or Buildkite request is made; with the GitHub, Buildkite, SPIFFE and Google variables set
 * and each failing, GitHub is asked first, then Buildkite, then the SPIFFE socket, and the Google
 * error is the one reported.
 *
 * @module
 */
import { IdentityError } from "../errors.ts";
import type { AmbientContext, AmbientProvider, AmbientProviderName } from "./ambient_provider.ts";
import { buildkiteAgentProvider } from "./providers/buildkite_agent.ts";
import { envvarProvider } from "./providers/envvar.ts";
import { filesystemProvider } from "./providers/filesystem.ts";
import { githubActionsProvider } from "./providers/github_actions.ts";
import { googleImpersonateProvider } from "./providers/google_impersonate.ts";
import { googleWorkloadIdentityProvider } from "./providers/google_workload_identity.ts";
import { spiffeProvider } from "./providers/spiffe.ts";

/** Every provider, in the order cosign tries them. */
export const AMBIENT_PROVIDERS: readonly AmbientProvider[] = [
  envvarProvider,
  filesystemProvider,
  githubActionsProvider,
  buildkiteAgentProvider,
  spiffeProvider,
  googleWorkloadIdentityProvider,
  googleImpersonateProvider,
];

/** The names `--oidc-provider` accepts. */
export const AMBIENT_PROVIDER_NAMES: readonly AmbientProviderName[] = AMBIENT_PROVIDERS.map((p) =>
  p.name
);

/**
 * Whether any provider is enabled here (cosign `providers.Enabled`).
 *
 * @param ctx environment, files, network
 * @param providers the providers to ask (default all, in cosign's order)
 */
export async function anyAmbientProviderEnabled(
  ctx: AmbientContext,
  providers: readonly AmbientProvider[] = AMBIENT_PROVIDERS,
): Promise<boolean> {
  for (const p of providers) {
    if (await p.enabled(ctx).catch(() => false)) return true;
  }
  return false;
}

/** A token an ambient provider gave. */
export interface AmbientToken {
  token: string;
  provider: AmbientProviderName;
}

/**
 * Gets a token from the first enabled provider that succeeds (cosign `providers.Provide`), or
 * from the one named (cosign `providers.ProvideFrom`: it is asked even when not enabled).
 *
 * @param ctx environment, files, network
 * @param options `audience` (cosign asks for `sigstore`); `provider`: one name of
 *   {@link AMBIENT_PROVIDER_NAMES}; `providers`: the list to search
 * @returns the token and the provider that gave it
 * @throws {IdentityError} `OIDC_PROVIDER_FAILED` with the last provider's error when all enabled
 *   ones failed, when none is enabled, or when `provider` is not a valid name
 */
export async function provideAmbientToken(
  ctx: AmbientContext,
  options: { audience: string; provider?: string; providers?: readonly AmbientProvider[] },
): Promise<AmbientToken> {
  const providers = options.providers ?? AMBIENT_PROVIDERS;
  if (options.provider !== undefined) {
    const p = providers.find((x) => x.name === options.provider);
    if (!p) {
      throw new IdentityError(
        "OIDC_PROVIDER_FAILED",
        `Cannot get provider: ${options.provider} is not a valid provider (one of ${
          providers.map((x) => x.name).join(", ")
        })`,
      );
    }
    return { token: await p.provide(ctx, options.audience), provider: p.name };
  }
  let last: unknown;
  for (const p of providers) {
    if (!await p.enabled(ctx).catch(() => false)) continue;
    try {
      return { token: await p.provide(ctx, options.audience), provider: p.name };
    } catch (e) {
      if (ctx.signal?.aborted) throw e;
      last = e;
    }
  }
  if (last) throw last;
  throw new IdentityError(
    "OIDC_PROVIDER_FAILED",
    "Cannot fetch ambient OIDC credentials: no providers are enabled",
  );
}
