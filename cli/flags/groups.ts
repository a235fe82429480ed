/**
 * Reusable flag groups, declared as data with cosign 2's names, shorthands, defaults and help
 * texts (cmd/cosign/cli/options/*.go).
 *
 * @module
 */
import type { Flag } from "./parse.ts";

/** The public transparency log cosign 2 uses by default. */
export const DEFAULT_REKOR_URL = "https://rekor.sigstore.dev";
/** The public certificate authority cosign 2 uses by default. */
export const DEFAULT_FULCIO_URL = "https://fulcio.sigstore.dev";
/** The default OIDC issuer. */
export const DEFAULT_OIDC_ISSUER = "https://oauth2.sigstore.dev/auth";

/** Persistent flags every command inherits (options/root.go). */
export const rootFlags: Flag[] = [
  { name: "output-file", type: "string", help: "log output to a file", metavar: "FILE" },
  { name: "verbose", short: "d", type: "bool", help: "log debug output" },
  {
    name: "timeout",
    short: "t",
    type: "duration",
    default: 180_000,
    help: "timeout for commands",
  },
];

/** `--help` is accepted everywhere. */
export const helpFlag: Flag = {
  name: "help",
  short: "h",
  type: "bool",
  help: "help for this command",
};

/** Hardware security key selection (options/securitykey.go). */
export const securityKeyFlags: Flag[] = [
  { name: "sk", type: "bool", help: "whether to use a hardware security key" },
  {
    name: "slot",
    type: "string",
    help: "security key slot to use for generated key (default: signature) " +
      "(authentication|signature|card-authentication|key-management)",
  },
];

/** The transparency log location (options/rekor.go). */
export const rekorFlags: Flag[] = [
  {
    name: "rekor-url",
    type: "string",
    default: DEFAULT_REKOR_URL,
    help: "address of rekor STL server",
  },
];

/** Certificate authority flags (options/fulcio.go). */
export const fulcioFlags: Flag[] = [
  {
    name: "fulcio-url",
    type: "string",
    default: DEFAULT_FULCIO_URL,
    help: "address of sigstore PKI server",
  },
  {
    name: "identity-token",
    type: "string",
    help: "identity token to use for certificate from fulcio. the token or a path to a file " +
      "containing the token is accepted.",
  },
  {
    name: "fulcio-auth-flow",
    type: "string",
    help: "fulcio interactive oauth2 flow to use for certificate from fulcio. Defaults to " +
      "determining the flow based on the runtime environment. (options) normal|device|token|client_credentials",
  },
  {
    name: "insecure-skip-verify",
    type: "bool",
    help: "skip verifying fulcio published to the SCT (this should only be used for testing).",
  },
];

/** OIDC flags (options/oidc.go). */
export const oidcFlags: Flag[] = [
  {
    name: "oidc-issuer",
    type: "string",
    default: DEFAULT_OIDC_ISSUER,
    help: "OIDC provider to be used to issue ID token",
  },
  {
    name: "oidc-client-id",
    type: "string",
    default: "sigstore",
    help: "OIDC client ID for application",
  },
  {
    name: "oidc-client-secret-file",
    type: "string",
    help: "Path to file containing OIDC client secret for application",
  },
  {
    name: "oidc-redirect-url",
    type: "string",
    help:
      "OIDC redirect URL (Optional). The default oidc-redirect-url is 'http://localhost:0/auth/callback'.",
  },
  {
    name: "oidc-provider",
    type: "string",
    help:
      "Specify the provider to get the OIDC token from (Optional). If unset, all options will be tried. Options include: [spiffe, google, github-actions, filesystem, buildkite-agent]",
  },
  {
    name: "oidc-disable-ambient-providers",
    type: "bool",
    help: "Disable ambient OIDC providers. When true, ambient credentials will not be read",
  },
];

/** `--yes`, to skip confirmation prompts. */
export const yesFlag: Flag = {
  name: "yes",
  short: "y",
  type: "bool",
  help: "skip confirmation prompts for non-destructive operations",
};

/** Verification flags shared by verify-blob and friends (options/verify.go CommonVerifyOptions). */
export const commonVerifyFlags: Flag[] = [
  { name: "offline", type: "bool", help: "only allow offline verification" },
  {
    name: "timestamp-certificate-chain",
    type: "string",
    help: "path to PEM-encoded certificate chain file for the RFC3161 timestamp authority. Must " +
      "contain the root CA certificate. Optionally may contain intermediate CA certificates, and " +
      "may contain the leaf TSA certificate if not present in the timestamp",
  },
  { name: "use-signed-timestamps", type: "bool", help: "verify rfc3161 timestamps" },
  {
    name: "insecure-ignore-tlog",
    type: "bool",
    help: "ignore transparency log verification, to be used when an artifact signature has not " +
      "been uploaded to the transparency log. Artifacts cannot be publicly verified when not " +
      "included in a log",
  },
  {
    name: "private-infrastructure",
    type: "bool",
    help:
      "skip transparency log verification when verifying artifacts in a privately deployed infrastructure",
  },
  {
    name: "experimental-oci11",
    type: "bool",
    help: "set to true to enable experimental OCI 1.1 behaviour (unrelated to bundle format)",
  },
  {
    name: "max-workers",
    type: "int",
    default: 10,
    help: "the amount of maximum workers for parallel executions",
  },
  {
    name: "trusted-root",
    type: "string",
    help: "Path to a Sigstore TrustedRoot JSON file. Requires --new-bundle-format to be set.",
  },
  {
    name: "new-bundle-format",
    type: "bool",
    help: "expect the signature/attestation to be packaged in a Sigstore bundle",
  },
];

/** Certificate identity flags (options/certificate.go), accepted now, used with keyless. */
export const certVerifyFlags: Flag[] = [
  {
    name: "certificate",
    type: "string",
    help:
      "path to the public certificate. The certificate will be verified against the Fulcio roots if the --certificate-chain option is not passed.",
  },
  {
    name: "certificate-identity",
    type: "string",
    help:
      "The identity expected in a valid Fulcio certificate. Valid values include email address, DNS names, IP addresses, and URIs. Either --certificate-identity or --certificate-identity-regexp must be set for keyless flows.",
  },
  {
    name: "certificate-identity-regexp",
    type: "string",
    help: "A regular expression alternative to --certificate-identity.",
  },
  {
    name: "certificate-oidc-issuer",
    type: "string",
    help:
      "The OIDC issuer expected in a valid Fulcio certificate, e.g. https://token.actions.githubusercontent.com or https://oauth2.sigstore.dev/auth. Either --certificate-oidc-issuer or --certificate-oidc-issuer-regexp must be set for keyless flows.",
  },
  {
    name: "certificate-oidc-issuer-regexp",
    type: "string",
    help: "A regular expression alternative to --certificate-oidc-issuer.",
  },
  // Fulcio's extensions (fulcio docs/oid-info.md), compared exactly when given.
  {
    name: "certificate-github-workflow-trigger",
    type: "string",
    help:
      "contains the event_name claim from the GitHub OIDC Identity token that contains the name of the event that triggered the workflow run",
  },
  {
    name: "certificate-github-workflow-sha",
    type: "string",
    help:
      "contains the sha claim from the GitHub OIDC Identity token that contains the commit SHA that the workflow run was based upon.",
  },
  {
    name: "certificate-github-workflow-name",
    type: "string",
    help:
      "contains the workflow claim from the GitHub OIDC Identity token that contains the name of the executed workflow.",
  },
  {
    name: "certificate-github-workflow-repository",
    type: "string",
    help:
      "contains the repository claim from the GitHub OIDC Identity token that contains the repository that the workflow run was based upon",
  },
  {
    name: "certificate-github-workflow-ref",
    type: "string",
    help:
      "contains the ref claim from the GitHub OIDC Identity token that contains the git ref that the workflow run was based upon.",
  },
  {
    name: "certificate-chain",
    type: "string",
    help:
      "path to a list of CA certificates in PEM format which will be needed when building the certificate chain for the signing certificate. Must start with the parent intermediate CA certificate of the signing certificate and end with the root certificate",
  },
  {
    name: "ca-roots",
    type: "string",
    help:
      "path to a bundle file of CA certificates in PEM format which will be needed when building the certificate chains for the signing certificate. Conflicts with --certificate-chain.",
  },
  {
    name: "ca-intermediates",
    type: "string",
    help:
      "path to a file of intermediate CA certificates in PEM format which will be needed when building the certificate chains for the signing certificate. Conflicts with --certificate-chain.",
  },
  {
    name: "sct",
    type: "string",
    help:
      "path to a detached Signed Certificate Timestamp, formatted as a RFC6962 AddChainResponse struct. If a certificate contains an SCT, verification will check both the detached and embedded SCTs.",
  },
  {
    name: "insecure-ignore-sct",
    type: "bool",
    help:
      "when set, verification will not check that a certificate contains an embedded SCT, a proof of inclusion in a certificate transparency log",
  },
];

/** The digest used to process a signature (options/signature_digest.go). */
export const signatureDigestFlags: Flag[] = [
  {
    name: "signature-digest-algorithm",
    type: "string",
    default: "sha256",
    help: "digest algorithm to use when processing a signature (sha224|sha256|sha384|sha512)",
  },
];

/** Registry connection and credential flags (options/registry.go RegistryOptions). */
export const registryFlags: Flag[] = [
  {
    name: "allow-insecure-registry",
    type: "bool",
    help:
      "whether to allow insecure connections to registries (e.g., with expired or self-signed " +
      "TLS certificates). Don't use this for anything but testing",
  },
  {
    name: "allow-http-registry",
    type: "bool",
    help:
      "whether to allow using HTTP protocol while connecting to registries. Don't use this for anything but testing",
  },
  {
    name: "k8s-keychain",
    type: "bool",
    help:
      "whether to use the kubernetes keychain instead of the default keychain (supports workload identity).",
  },
  { name: "registry-username", type: "string", help: "registry basic auth username" },
  { name: "registry-password", type: "string", help: "registry basic auth password" },
  { name: "registry-token", type: "string", help: "registry bearer auth token" },
  {
    name: "registry-cacert",
    type: "string",
    help:
      "path to the X.509 CA certificate file in PEM format to be used for the connection to the registry",
  },
  {
    name: "registry-client-cert",
    type: "string",
    help:
      "path to the X.509 certificate file in PEM format to be used for the connection to the registry",
  },
  {
    name: "registry-client-key",
    type: "string",
    help: "path to the X.509 private key file in PEM format to be used, together with the " +
      "'registry-client-cert' value, for the connection to the registry",
  },
  {
    name: "registry-server-name",
    type: "string",
    help:
      "SAN name to use as the 'ServerName' tls.Config field to verify the mTLS connection to the registry",
  },
  {
    name: "attachment-tag-prefix",
    type: "string",
    help:
      "optional custom prefix to use for attached image tags. Attachment images are tagged as: " +
      "`[AttachmentTagPrefix]sha256-[TargetImageDigest].[AttachmentName]`",
  },
];

/** `--key` of the signing commands: the private key (options/key.go, sign.go, attest.go …). */
export const signingKeyFlag: Flag = {
  name: "key",
  type: "string",
  help: "path to the private key file, KMS URI or Kubernetes Secret",
};

/** The certificate and chain a signing command stores with the signature (options/sign.go …). */
export const signingCertificateFlags: Flag[] = [
  {
    name: "certificate",
    type: "string",
    help: "path to the X.509 certificate in PEM format to include in the OCI Signature",
  },
  {
    name: "certificate-chain",
    type: "string",
    help: "path to a list of CA X.509 certificates in PEM format which will be needed when " +
      "building the certificate chain for the signing certificate. Must start with the parent " +
      "intermediate CA certificate of the signing certificate and end with the root " +
      "certificate. Included in the OCI Signature",
  },
];

/** `-a key=value` annotations (options/annotations.go). */
export const annotationFlags: Flag[] = [
  { name: "annotations", short: "a", type: "strings", help: "extra key=value pairs to sign" },
];

/** `--tlog-upload` (default true, as in cosign 2). */
export const tlogUploadFlag: Flag = {
  name: "tlog-upload",
  type: "bool",
  default: true,
  help: "whether or not to upload to the tlog",
};

/** `--rekor-entry-type` of the attest commands (options/attest.go, attest_blob.go). */
export const rekorEntryTypeFlag: Flag = {
  name: "rekor-entry-type",
  type: "string",
  default: "dsse",
  help: "specifies the type to be used for a rekor entry upload (dsse|intoto)",
};

/** The RFC 3161 timestamp authority client flags (options/sign.go, attest.go). */
export const timestampClientFlags: Flag[] = [
  {
    name: "timestamp-client-cacert",
    type: "string",
    help: "path to the X.509 CA certificate file in PEM format to be used for the connection " +
      "to the TSA Server",
  },
  {
    name: "timestamp-client-cert",
    type: "string",
    help: "path to the X.509 certificate file in PEM format to be used for the connection to " +
      "the TSA Server",
  },
  {
    name: "timestamp-client-key",
    type: "string",
    help: "path to the X.509 private key file in PEM format to be used, together with the " +
      "'timestamp-client-cert' value, for the connection to the TSA Server",
  },
  {
    name: "timestamp-server-name",
    type: "string",
    help: "SAN name to use as the 'ServerName' tls.Config field to verify the mTLS " +
      "connection to the TSA Server",
  },
  {
    name: "timestamp-server-url",
    type: "string",
    help: "url to the Timestamp RFC3161 server, default none. Must be the path to the API to " +
      "request timestamp responses, e.g. https://freetsa.org/tsr",
  },
];

/** `--type` of the attestation commands: the predicate type (options/predicate.go). */
export const predicateTypeFlag: Flag = {
  name: "type",
  type: "string",
  default: "custom",
  help: "specify a predicate type (slsaprovenance|slsaprovenance02|slsaprovenance1|link|spdx|" +
    "spdxjson|cyclonedx|vuln|openvex|custom) or an URI",
};

/** `--type`, `--predicate`, `--statement` (options/predicate.go PredicateLocalOptions). */
export const predicateLocalFlags: Flag[] = [
  predicateTypeFlag,
  { name: "predicate", type: "string", help: "path to the predicate file." },
  { name: "statement", type: "string", help: "path to the statement file." },
];

/** `--key` of the verify commands: the public key (options/verify.go …). */
export const publicKeyFlag: Flag = {
  name: "key",
  type: "string",
  help: "path to the public key file, KMS URI or Kubernetes Secret",
};

/**
 * The flags every verify command has (cosign's SecurityKeyOptions, RekorOptions,
 * CertVerifyOptions, CommonVerifyOptions, SignatureDigestOptions and `--key`); the command adds
 * its own. cli/options/verify_options.ts turns them into a policy.
 */
export const verifyFamilyFlags: Flag[] = [
  ...securityKeyFlags,
  ...rekorFlags,
  ...certVerifyFlags,
  ...commonVerifyFlags,
  ...signatureDigestFlags,
  publicKeyFlag,
];

/** `--check-claims` of `verify` and `verify-attestation`. */
export const checkClaimsFlag: Flag = {
  name: "check-claims",
  type: "bool",
  default: true,
  help: "whether to check the claims found",
};

/** `-o` of `verify` and `verify-attestation`. */
export const verifyOutputFlag: Flag = {
  name: "output",
  short: "o",
  type: "string",
  default: "json",
  help: "output format for the signing image information (json|text)",
};

/** `--local-image` of `verify` and `verify-attestation`. */
export const localImageFlag: Flag = {
  name: "local-image",
  type: "bool",
  help: "whether the specified image is a path to an image saved locally via 'cosign save'",
};

/** `--bundle` and `--rfc3161-timestamp` of the blob verify commands. */
export const blobVerifyFileFlags: Flag[] = [
  { name: "bundle", type: "string", help: "path to bundle FILE" },
  { name: "rfc3161-timestamp", type: "string", help: "path to RFC3161 timestamp FILE" },
];

/** `--issue-certificate` of the signing commands. */
export const issueCertificateFlag: Flag = {
  name: "issue-certificate",
  type: "bool",
  help: "issue a code signing certificate from Fulcio, even if a key is provided",
};

/**
 * The flags every signing command has (cosign's KeyOpts: Rekor, Fulcio, OIDC, security key, the
 * private key, `--yes`, `--tlog-upload`, `--issue-certificate`); the command adds its own.
 * cli/options/sign_options.ts reads them.
 */
export const signFamilyFlags: Flag[] = [
  ...rekorFlags,
  ...fulcioFlags,
  ...oidcFlags,
  ...securityKeyFlags,
  signingKeyFlag,
  yesFlag,
  tlogUploadFlag,
  issueCertificateFlag,
];

/** `--trusted-root` of the signing commands. */
export const signTrustedRootFlag: Flag = {
  name: "trusted-root",
  type: "string",
  help: "optional path to a TrustedRoot JSON file to verify a signature after signing",
};

/** `--output-signature` and `--output-certificate` of the signing commands. */
export const signOutputFlags: Flag[] = [
  { name: "output-signature", type: "string", help: "write the signature to FILE" },
  { name: "output-certificate", type: "string", help: "write the certificate to FILE" },
];

/** The flags of the attestation signing commands beyond {@link signFamilyFlags}. */
export const attestFamilyFlags: Flag[] = [
  ...predicateLocalFlags,
  ...signingCertificateFlags,
  rekorEntryTypeFlag,
  ...timestampClientFlags,
  signTrustedRootFlag,
];

/** The flags of the image verify commands beyond {@link verifyFamilyFlags}. */
export const imageVerifyFlags: Flag[] = [
  ...verifyFamilyFlags,
  ...registryFlags,
  checkClaimsFlag,
  verifyOutputFlag,
  localImageFlag,
];

/** `--bundle` and `--new-bundle-format` of `sign-blob` and `attest-blob`. */
export const blobBundleOutputFlags: Flag[] = [
  {
    name: "bundle",
    type: "string",
    help: "write everything required to verify the blob to a FILE",
  },
  {
    name: "new-bundle-format",
    type: "bool",
    help: "output bundle in new format that contains all verification material",
  },
];

/** `--digest` and `--digestAlg` of `verify-blob-attestation`: the subject instead of a blob. */
export const subjectDigestFlags: Flag[] = [
  {
    name: "digest",
    type: "string",
    help: "Digest to use for verifying in-toto subject (instead of providing a blob)",
  },
  {
    name: "digestAlg",
    type: "string",
    help: "Digest algorithm to use for verifying in-toto subject (instead of providing a blob)",
  },
];
