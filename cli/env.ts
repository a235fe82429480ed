/**
 * The registry of every environment variable cosign reads, with cosign 2's descriptions
 * (pkg/cosign/env/env.go), for `cosign env`. `COSIGN_<FLAG>` flag bindings are not listed, as in
 * cosign.
 *
 * @module
 */

/** One registered environment variable. */
export interface EnvVariable {
  name: string;
  description: string;
  expects: string;
  /** Its value is masked unless `--show-sensitive-values`. */
  sensitive: boolean;
}

/** Every registered variable, sorted by name. */
export const ENV_VARIABLES: readonly EnvVariable[] = [
  {
    name: "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    description: "is bearer token for the request to the OIDC provider",
    expects: "string with a bearer token",
    sensitive: true,
  },
  {
    name: "ACTIONS_ID_TOKEN_REQUEST_URL",
    description: "is the URL for GitHub's OIDC provider",
    expects: "string with the URL for the OIDC provider",
    sensitive: false,
  },
  {
    name: "BUILDKITE_AGENT_ACCESS_TOKEN",
    description: "is an access token used to identify the Buildkite agent",
    expects: "string with an access token",
    sensitive: true,
  },
  {
    name: "BUILDKITE_AGENT_ENDPOINT",
    description: "the Buildkite agent endpoint",
    expects: "string with an endpoint",
    sensitive: false,
  },
  {
    name: "BUILDKITE_AGENT_LOG_LEVEL",
    description: "the log level for the Buildkite agent",
    expects:
      "string with log level, either debug, notice, info, error, warn, fatal (default: notice)",
    sensitive: false,
  },
  {
    name: "BUILDKITE_JOB_ID",
    description: "the Buildkite job ID to claim in the OIDC token",
    expects: "string with a job ID",
    sensitive: false,
  },
  {
    name: "COSIGN_DOCKER_MEDIA_TYPES",
    description: "to be used with registries that do not support OCI media types",
    expects: "1 to fallback to legacy OCI media types equivalents (0 by default)",
    sensitive: false,
  },
  {
    name: "COSIGN_EXPERIMENTAL",
    description: "enables experimental cosign features",
    expects: "1 if experimental features should be enabled (0 by default)",
    sensitive: false,
  },
  {
    name: "COSIGN_MAX_ATTACHMENT_SIZE",
    description: "maximum attachment size to download (default 128MiB)",
    expects: "human-readable unit of memory, e.g. 5120, 20K, 3M, 45MiB, 1GB",
    sensitive: false,
  },
  {
    name: "COSIGN_PASSWORD",
    description: "overrides password inputs with this value",
    expects: "string with a password (asks on stdin by default)",
    sensitive: true,
  },
  {
    name: "COSIGN_PKCS11_IGNORE_CERTIFICATE",
    description: "disables loading certificates with PKCS11",
    expects: "1 if loading certificates should be disabled (0 by default)",
    sensitive: false,
  },
  {
    name: "COSIGN_PKCS11_MODULE_PATH",
    description: "is PKCS11 module-path",
    expects: "string with a module-path",
    sensitive: false,
  },
  {
    name: "COSIGN_PKCS11_PIN",
    description: "to be used if PKCS11 PIN is not provided",
    expects: "string with a PIN",
    sensitive: true,
  },
  {
    name: "COSIGN_REPOSITORY",
    description: "can be used to store signatures in an alternate location",
    expects: "string with a repository",
    sensitive: false,
  },
  {
    name: "GITHUB_HOST",
    description: "is URL of the GitHub Enterprise instance",
    expects: "string with the URL of GitHub Enterprise instance",
    sensitive: false,
  },
  {
    name: "GITHUB_TOKEN",
    description: "is a token used to authenticate with GitHub",
    expects: "token generated on GitHub",
    sensitive: true,
  },
  {
    name: "GITLAB_HOST",
    description: "is URL of the GitLab instance",
    expects: "string with the URL of GitLab instance",
    sensitive: false,
  },
  {
    name: "GITLAB_TOKEN",
    description: "is a token used to authenticate with GitLab",
    expects: "string with a token",
    sensitive: true,
  },
  {
    name: "GOOGLE_SERVICE_ACCOUNT_NAME",
    description: "is a service account name to be used with the Google provider",
    expects: "string with the service account's name",
    sensitive: false,
  },
  {
    name: "SIGSTORE_CT_LOG_PUBLIC_KEY_FILE",
    description: "overrides what is used to validate the SCT coming back from Fulcio",
    expects: "path to the public key file",
    sensitive: false,
  },
  {
    name: "SIGSTORE_ID_TOKEN",
    description: "is a OIDC token used to authenticate to Fulcio",
    expects: "string with a OIDC token",
    sensitive: true,
  },
  {
    name: "SIGSTORE_REKOR_PUBLIC_KEY",
    description: "if specified, you can specify an oob Public Key that Rekor uses",
    expects: "path to the public key",
    sensitive: false,
  },
  {
    name: "SIGSTORE_ROOT_FILE",
    description: "overrides the public good instance root CA",
    expects: "path to the root CA",
    sensitive: false,
  },
  {
    name: "SIGSTORE_TSA_CERTIFICATE_FILE",
    description:
      "path to the concatenated PEM-encoded TSA certificate file (leaf, intermediate(s), root) used by Sigstore",
    expects: "path to the TSA certificate file",
    sensitive: false,
  },
  {
    name: "SOURCE_DATE_EPOCH",
    description:
      "overrides current time for reproducible builds, see https://reproducible-builds.org/docs/source-date-epoch/",
    expects: "number of seconds since unix epoch",
    sensitive: false,
  },
  {
    name: "SPIFFE_ENDPOINT_SOCKET",
    description: "allows you to specify non-default SPIFFE socket to use.",
    expects: "string with SPIFFE socket path",
    sensitive: false,
  },
  {
    name: "TUF_MIRROR",
    description:
      "URL of the TUF mirror. Use with TUF_ROOT_JSON to refresh TUF metadata during signing and verification commands. Setting this will cause cosign to attempt to use trusted_root.json if available and will ignore custom TUF metadata.",
    expects: "URL of the TUF mirror",
    sensitive: false,
  },
  {
    name: "TUF_ROOT",
    description: "path to the TUF cache directory",
    expects: "path to the TUF cache directory",
    sensitive: false,
  },
  {
    name: "TUF_ROOT_JSON",
    description:
      "path to the TUF root.json file used to initialize and update a local TUF repository. Use with TUF_MIRROR to refresh TUF metadata during signing and verification commands. Setting this will cause cosign to attempt to use trusted_root.json if available and will ignore custom TUF metadata.",
    expects: "path to root.json",
    sensitive: false,
  },
];
