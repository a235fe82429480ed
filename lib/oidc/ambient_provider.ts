/**
 * Ambient identity: a CI system or cloud platform that hands the running job an OIDC token, as
 * cosign's `pkg/providers` detects them. A provider says whether it is enabled here (environment
 * variables, a file, a socket) and provides a token for an audience (`sigstore` when cosign asks).
 *
 * Everything a provider touches comes through {@link AmbientContext}: environment, files, the
 * network, fixed paths and endpoints (tests point them at loopback stubs).
 *
 * @module
 */
import { describeFsError } from "../atomic_file.ts";
import { IdentityError } from "../errors.ts";
import { readFileBounded } from "../keys/key_ref.ts";
import type { OidcHttpOptions } from "./_http.ts";

/** The names cosign registers its providers under (`--oidc-provider` takes one). */
export type AmbientProviderName =
  | "envvar"
  | "filesystem"
  | "github-actions"
  | "buildkite-agent"
  | "spiffe"
  | "google-workload-identity"
  | "google-impersonate";

/** What providers read and talk to. */
export interface AmbientContext extends OidcHttpOptions {
  /** An environment variable, `undefined` when unset (the CLI passes its environment lookup). */
  getEnv(name: string): string | undefined;
  /** Reads a file (default: at most 1 MiB with `Deno.open`). */
  readFile?(path: string): Promise<Uint8Array>;
  /** Whether a path exists (default `Deno.stat` succeeds). */
  exists?(path: string): Promise<boolean>;
  /** Writes a warning line (cosign writes these to stderr), e.g. a GitHub retry. */
  warn?(line: string): void;
  /** Waits between retries (default a timer). */
  sleep?(ms: number): Promise<void>;
  /** Fixed paths and endpoints, replaced in tests. */
  overrides?: AmbientOverrides;
}

/** The fixed places cosign's providers look at, each with cosign's value as the default. */
export interface AmbientOverrides {
  /** The filesystem provider's token file (`/var/run/sigstore/cosign/oidc-token`). */
  filesystemTokenPath?: string;
  /** The SPIFFE Workload API socket when `SPIFFE_ENDPOINT_SOCKET` is unset
   * (`/tmp/spire-agent/public/api.sock`). */
  spiffeSocketPath?: string;
  /** Where the DMI product name says whether this is a Google machine
   * (`/sys/class/dmi/id/product_name`). */
  gceProductNamePath?: string;
  /** The metadata server when `GCE_METADATA_HOST` is unset (`169.254.169.254`). */
  gceMetadataHost?: string;
  /** Google's IAM Credentials API (`https://iamcredentials.googleapis.com`). */
  iamCredentialsUrl?: string;
  /** Google's OAuth token endpoint for credentials that name none (`https://oauth2.googleapis.com/token`). */
  googleTokenUrl?: string;
}

/** One source of ambient OIDC tokens (cosign `providers.Interface`). */
export interface AmbientProvider {
  readonly name: AmbientProviderName;
  /** Whether this environment offers the provider's tokens. Never throws. */
  enabled(ctx: AmbientContext): Promise<boolean>;
  /**
   * Gets a token for `audience`.
   *
   * @throws {IdentityError} `OIDC_PROVIDER_FAILED` naming the provider and the reason
   */
  provide(ctx: AmbientContext, audience: string): Promise<string>;
}

/** Reads a file through the context, or the default bounded reader. */
export function readContextFile(ctx: AmbientContext, path: string): Promise<Uint8Array> {
  return (ctx.readFile ?? readFileBounded)(path);
}

/** Whether a path exists, through the context or `Deno.stat`. */
export async function contextPathExists(ctx: AmbientContext, path: string): Promise<boolean> {
  if (ctx.exists) return await ctx.exists(path);
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** An `OIDC_PROVIDER_FAILED` error naming the provider. */
export function providerError(name: string, why: string, cause?: unknown): IdentityError {
  return new IdentityError(
    "OIDC_PROVIDER_FAILED",
    `Cannot fetch ambient OIDC credentials: ${name}: ${why}`,
    cause === undefined ? undefined : { cause },
  );
}

/** A file error in words ("no such file or directory"). */
export function fileProblem(e: unknown): string {
  return describeFsError(e);
}
