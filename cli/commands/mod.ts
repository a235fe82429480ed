/** The cosign command tree. Command modules import their lib/ code lazily. @module */
import type { Command } from "../command.ts";
import { attachCommand } from "./attach.ts";
import { cleanCommand } from "./clean.ts";
import { copyCommand } from "./copy.ts";
import { debugCommand } from "./debug.ts";
import { downloadCommand } from "./download.ts";
import { generateCommand } from "./generate.ts";
import { treeCommand } from "./tree.ts";
import { triangulateCommand } from "./triangulate.ts";
import { uploadCommand } from "./upload.ts";
import { rootFlags } from "../flags/groups.ts";
import { attestCommand } from "./attest.ts";
import { attestBlobCommand } from "./attest_blob.ts";
import { completionCommand } from "./completion.ts";
import { envCommand } from "./env.ts";
import { generateKeyPairCommand } from "./generate_key_pair.ts";
import { importKeyPairCommand } from "./import_key_pair.ts";
import { initializeCommand } from "./initialize.ts";
import { loadCommand } from "./load.ts";
import { loginCommand } from "./login.ts";
import { pivToolCommand } from "./piv_tool.ts";
import { pkcs11ToolCommand } from "./pkcs11_tool.ts";
import { publicKeyCommand } from "./public_key.ts";
import { saveCommand } from "./save.ts";
import { signCommand } from "./sign.ts";
import { signBlobCommand } from "./sign_blob.ts";
import { verifyCommand } from "./verify.ts";
import { verifyAttestationCommand } from "./verify_attestation.ts";
import { verifyBlobCommand } from "./verify_blob.ts";
import { verifyBlobAttestationCommand } from "./verify_blob_attestation.ts";
import { versionCommand } from "./version.ts";
import { trustedRootCommand } from "./trusted_root.ts";
import { signingConfigCommand } from "./signing_config.ts";
import { dockerfileCommand } from "./dockerfile.ts";
import { manifestCommand } from "./manifest.ts";
import { bundleCommand } from "./bundle.ts";

/** The root `cosign` command. */
export const cosignCommand: Command = {
  name: "cosign",
  short: "A tool for Container Signing, Verification and Storage in an OCI registry.",
  example: `  # create a key pair, sign a file, verify it
  cosign generate-key-pair
  cosign sign-blob --key cosign.key --tlog-upload=false --output-signature app.sig app.tar.gz
  cosign verify-blob --key cosign.pub --signature app.sig --insecure-ignore-tlog=true app.tar.gz`,
  subcommands: [
    attachCommand,
    cleanCommand,
    copyCommand,
    debugCommand,
    downloadCommand,
    generateCommand,
    treeCommand,
    triangulateCommand,
    uploadCommand,
    attestCommand,
    attestBlobCommand,
    completionCommand(() => cosignCommand, rootFlags),
    envCommand,
    generateKeyPairCommand,
    importKeyPairCommand,
    initializeCommand,
    loadCommand,
    loginCommand,
    pivToolCommand,
    pkcs11ToolCommand,
    publicKeyCommand,
    saveCommand,
    signCommand,
    signBlobCommand,
    verifyCommand,
    verifyAttestationCommand,
    verifyBlobCommand,
    verifyBlobAttestationCommand,
    versionCommand,
    trustedRootCommand,
    signingConfigCommand,
    dockerfileCommand,
    manifestCommand,
    bundleCommand,
  ],
};
