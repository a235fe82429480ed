/**
 * The ambient OIDC token providers cosign 2.6.4 knows, in the order it registers them, and whether
 * each one is enabled on this machine (cosign `debug providers`).
 *
 * Each check is cosign's `Enabled()` (pkg/providers/…): a file or socket that exists, or
 * environment variables that are set. Detection only: this implementation does not fetch tokens
 * from them yet (keyless signing is not supported), so the list answers "what would cosign use
 * here".
 *
 * @module
 */

/** cosign pkg/providers/filesystem `FilesystemTokenPath`. */
export const FILESYSTEM_TOKEN_PATH = "/var/run/sigstore/cosign/oidc-token";
/** cosign pkg/providers/spiffe: the SPIRE agent socket unless `SPIFFE_ENDPOINT_SOCKET` is set. */
export const DEFAULT_SPIFFE_SOCKET = "/tmp/spire-agent/public/api.sock";
/** cosign pkg/providers/google: where GCE names its hardware. */
export const GCE_PRODUCT_NAME_FILE = "/sys/class/dmi/id/product_name";
/** The GCE metadata server's identity endpoint (what Google's token source asks on GCE). */
export const GCE_IDENTITY_URL =
  "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/identity?audience=garbage";

/** What the checks read from the machine. */
export interface AmbientProviderDeps {
  /** One environment variable; `undefined` when unset. */
  getEnv(name: string): string | undefined;
  /** Whether a path exists (Go's `os.Stat` succeeding). */
  exists(path: string): Promise<boolean>;
  /** A small text file, or `undefined` when it cannot be read. */
  readText(path: string): Promise<string | undefined>;
  /** For the GCE metadata server, asked only on Google hardware. */
  fetch(input: string, init?: RequestInit): Promise<Response>;
}

/** One provider and whether it is enabled. */
export interface AmbientProvider {
  name: string;
  enabled: boolean;
}

/**
 * Lists cosign's OIDC providers with whether each is enabled, in the order `cosign debug providers`
 * prints them: filesystem, envvar, github-actions, buildkite-agent, spiffe,
 * google-workload-identity, google-impersonate.
 *
 * @param deps how to read the environment, files and the GCE metadata server
 * @returns the providers, in cosign's order
 */
export async function ambientProviders(deps: AmbientProviderDeps): Promise<AmbientProvider[]> {
  const nonEmpty = (name: string) => (deps.getEnv(name) ?? "") !== "";
  const spiffeSocket = nonEmpty("SPIFFE_ENDPOINT_SOCKET")
    ? deps.getEnv("SPIFFE_ENDPOINT_SOCKET")!
    : DEFAULT_SPIFFE_SOCKET;
  return [
    { name: "filesystem", enabled: await deps.exists(FILESYSTEM_TOKEN_PATH) },
    // os.LookupEnv: set, even to "", enables it.
    { name: "envvar", enabled: deps.getEnv("SIGSTORE_ID_TOKEN") !== undefined },
    {
      name: "github-actions",
      enabled: nonEmpty("ACTIONS_ID_TOKEN_REQUEST_TOKEN") &&
        nonEmpty("ACTIONS_ID_TOKEN_REQUEST_URL"),
    },
    { name: "buildkite-agent", enabled: nonEmpty("BUILDKITE_AGENT_ACCESS_TOKEN") },
    { name: "spiffe", enabled: await deps.exists(spiffeSocket) },
    { name: "google-workload-identity", enabled: await googleWorkloadIdentity(deps) },
    { name: "google-impersonate", enabled: nonEmpty("GOOGLE_SERVICE_ACCOUNT_NAME") },
  ];
}

/**
 * cosign's googleWorkloadIdentity.Enabled: on Google hardware only, and only when an identity
 * token can actually be obtained (cosign asks for one with the audience "garbage").
 */
async function googleWorkloadIdentity(deps: AmbientProviderDeps): Promise<boolean> {
  const name = (await deps.readText(GCE_PRODUCT_NAME_FILE))?.trim();
  if (name !== "Google" && name !== "Google Compute Engine") return false;
  try {
    const res = await deps.fetch(GCE_IDENTITY_URL, {
      headers: { "Metadata-Flavor": "Google" },
      signal: AbortSignal.timeout(5000),
    });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}
