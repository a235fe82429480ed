/**
 * The cosign command tree: a table naming every command with its one-line help, each command's
 * module imported only when that command runs or shows its help (start-up evaluates one command,
 * not all of them). One entry per command; `mod_test.ts` checks each against its module.
 *
 * @module
 */
import { type Command, lazyCommand as lazy } from "../command.ts";
import { rootFlags } from "../flags/groups.ts";

/** The root `cosign` command. */
export const cosignCommand: Command = {
  name: "cosign",
  short: "A tool for Container Signing, Verification and Storage in an OCI registry.",
  example: `  # create a key pair, sign a file, verify it
  cosign generate-key-pair
  cosign sign-blob --key cosign.key --tlog-upload=false --output-signature app.sig app.tar.gz
  cosign verify-blob --key cosign.pub --signature app.sig --insecure-ignore-tlog=true app.tar.gz`,
  // One entry per command, one line each, in no particular order (help sorts them).
  // deno-fmt-ignore
  subcommands: [
    lazy("attach", "Provides utilities for attaching artifacts to other artifacts in a registry", async () => (await import("./attach.ts")).attachCommand),
    lazy("clean", "Remove all signatures from an image.", async () => (await import("./clean.ts")).cleanCommand),
    lazy("copy", "Copy the supplied container image and signatures.", async () => (await import("./copy.ts")).copyCommand),
    { ...lazy("debug", "Debugging utilities.", async () => (await import("./debug.ts")).debugCommand), hidden: true },
    lazy("download", "Provides utilities for downloading artifacts and attached artifacts in a registry", async () => (await import("./download.ts")).downloadCommand),
    lazy("generate", "Generates (unsigned) signature payloads from the supplied container image.", async () => (await import("./generate.ts")).generateCommand),
    lazy("tree", "Display supply chain security related artifacts for an image such as signatures, SBOMs and attestations", async () => (await import("./tree.ts")).treeCommand),
    lazy("triangulate", "Outputs the located cosign image reference. This is the location where cosign stores the specified artifact type.", async () => (await import("./triangulate.ts")).triangulateCommand),
    lazy("upload", "Provides utilities for uploading artifacts to a registry", async () => (await import("./upload.ts")).uploadCommand),
    lazy("attest", "Attest the supplied container image.", async () => (await import("./attest.ts")).attestCommand),
    lazy("attest-blob", "Attest the supplied blob.", async () => (await import("./attest_blob.ts")).attestBlobCommand),
    lazy("completion", "Generate completion script", async () => (await import("./completion.ts")).completionCommand(() => cosignCommand, rootFlags)),
    lazy("env", "Prints Cosign environment variables", async () => (await import("./env.ts")).envCommand),
    lazy("generate-key-pair", "Generates a key-pair.", async () => (await import("./generate_key_pair.ts")).generateKeyPairCommand),
    lazy("import-key-pair", "Imports a PEM-encoded RSA or EC private key.", async () => (await import("./import_key_pair.ts")).importKeyPairCommand),
    lazy("initialize", "Initializes SigStore root to retrieve trusted certificate and key targets for verification.", async () => (await import("./initialize.ts")).initializeCommand),
    lazy("load", "Load a signed image on disk to a remote registry", async () => (await import("./load.ts")).loadCommand),
    lazy("login", "Log in to a registry", async () => (await import("./login.ts")).loginCommand),
    lazy("piv-tool", "Provides utilities for managing a hardware token", async () => (await import("./piv_tool.ts")).pivToolCommand),
    lazy("pkcs11-tool", "Provides utilities for retrieving information from a PKCS11 token.", async () => (await import("./pkcs11_tool.ts")).pkcs11ToolCommand),
    lazy("public-key", "Gets a public key from the key-pair.", async () => (await import("./public_key.ts")).publicKeyCommand),
    lazy("save", "Save the container image and associated signatures to disk at the specified directory.", async () => (await import("./save.ts")).saveCommand),
    lazy("sign", "Sign the supplied container image.", async () => (await import("./sign.ts")).signCommand),
    lazy("sign-blob", "Sign the supplied blob, outputting the base64-encoded signature to stdout.", async () => (await import("./sign_blob.ts")).signBlobCommand),
    lazy("verify", "Verify a signature on the supplied container image", async () => (await import("./verify.ts")).verifyCommand),
    lazy("verify-attestation", "Verify an attestation on the supplied container image", async () => (await import("./verify_attestation.ts")).verifyAttestationCommand),
    lazy("verify-blob", "Verify a signature on the supplied blob", async () => (await import("./verify_blob.ts")).verifyBlobCommand),
    lazy("verify-blob-attestation", "Verify an attestation on the supplied blob", async () => (await import("./verify_blob_attestation.ts")).verifyBlobAttestationCommand),
    lazy("version", "Prints the version", async () => (await import("./version.ts")).versionCommand),
    lazy("trusted-root", "Interact with a Sigstore protobuf trusted root", async () => (await import("./trusted_root.ts")).trustedRootCommand),
    lazy("signing-config", "Interact with a Sigstore protobuf signing config", async () => (await import("./signing_config.ts")).signingConfigCommand),
    lazy("dockerfile", "Provides utilities for discovering images in and performing operations on Dockerfiles", async () => (await import("./dockerfile.ts")).dockerfileCommand),
    lazy("manifest", "Provides utilities for discovering images in and performing operations on Kubernetes manifests", async () => (await import("./manifest.ts")).manifestCommand),
    lazy("bundle", "Interact with a Sigstore protobuf bundle", async () => (await import("./bundle.ts")).bundleCommand),
  ],
};
