/**
 * Keys held by key management services (AWS KMS, Google Cloud KMS, Azure Key Vault, HashiCorp
 * Vault transit), named by sigstore's KMS URIs.
 *
 * @module
 */
export { awsKms, parseAwsKmsUri } from "./aws_kms.ts";
export type { AwsKmsUri } from "./aws_kms.ts";
export { azureKms, parseAzureKmsUri } from "./azure_kms.ts";
export type { AzureKmsUri } from "./azure_kms.ts";
export { crc32c, gcpKms, parseGcpKmsUri } from "./gcp_kms.ts";
export type { GcpKmsUri } from "./gcp_kms.ts";
export { hashivaultKms, parseHashivaultUri } from "./hashivault_kms.ts";
export { openKmsKey } from "./kms_key.ts";
export type { KmsDeps, KmsKey } from "./kms_key.ts";
export { openKmsSigner } from "./kms_signer.ts";
export { gitlabProject, gitlabProjectRef } from "./gitlab_project.ts";
export type { GitlabProject, GitlabVariable } from "./gitlab_project.ts";
export { loadKubeConfig, SERVICE_ACCOUNT_DIR } from "./kube_config.ts";
export type { KubeConfigDeps, KubeConnection } from "./kube_config.ts";
export {
  generateKubernetesKeyPair,
  kubernetesClient,
  kubernetesClientFor,
  parseKubernetesRef,
  readKubernetesSecret,
  SECRET_KEYS,
  secretEntry,
  supportsImmutableSecrets,
} from "./kubernetes_secret.ts";
export type {
  GenerateKubernetesKeyPairOptions,
  KubernetesClient,
  KubernetesDeps,
  KubernetesKeyPairResult,
  KubernetesSecret,
} from "./kubernetes_secret.ts";
export { githubSecrets } from "./github_secrets.ts";
export type { GithubSecrets } from "./github_secrets.ts";
export { sealedBox } from "./sealed_box.ts";
