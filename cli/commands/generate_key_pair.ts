/** `cosign generate-key-pair`. @module */
import type { Command, Context } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { confirmContinue, readPassword, writeAll } from "../io.ts";
import { PromptDeclinedError } from "../../lib/errors.ts";
import { confirmOverwrite } from "./_shared.ts";
import { keyRefDeps } from "../options/key_options.ts";

/**
 * cosign's Kubernetes provider: the secret's cosign.key, cosign.pub and cosign.password, then
 * cosign.pub. Unlike cosign, an existing secret is replaced only after an explicit "y".
 */
async function generateIntoKubernetes(ctx: Context, ref: string): Promise<void> {
  const { generateKubernetesKeyPair } = await import("../../lib/kms/kubernetes_secret.ts");
  const stdinIsPassword = ctx.io.getEnv("COSIGN_PASSWORD") === undefined &&
    !ctx.io.isTerminal.stdin;
  const result = await generateKubernetesKeyPair(ref, {
    getPassword: () => readPassword(ctx.io, true),
    async confirmReplace(namespace, name) {
      await ctx.warn(
        `Secret ${name} in namespace ${namespace} already exists. Overwrite its cosign.key, cosign.pub and cosign.password?`,
      );
      const declined = () =>
        new PromptDeclinedError(
          `Cannot update secret ${name} in namespace ${namespace}: it exists and replacing was declined`,
        );
      if (stdinIsPassword) {
        // Standard input carries the password: it cannot also carry the answer.
        await writeAll(ctx.io.stderr, "Are you sure you would like to continue? [y/N] \n");
        throw declined();
      }
      try {
        await confirmContinue(ctx.io);
      } catch (e) {
        if (e instanceof PromptDeclinedError) throw declined();
        throw e;
      }
      return true;
    },
  }, keyRefDeps(ctx));
  await ctx.info(`Successfully created secret ${result.name} in namespace ${result.namespace}`);
  const { writeFileAtomic } = await import("../../lib/atomic_file.ts");
  await writeFileAtomic("cosign.pub", result.publicPem, { mode: 0o600 });
  await ctx.info("Public key written to cosign.pub");
}

/** cosign's GitHub provider: three Actions secrets (sealed boxes), then cosign.pub. */
async function generateIntoGithub(ctx: Context, ref: string): Promise<void> {
  const { githubSecrets } = await import("../../lib/kms/github_secrets.ts");
  // cosign checks the token before asking for the password.
  const secrets = githubSecrets(ref, keyRefDeps(ctx));
  const password = await readPassword(ctx.io, true);
  const { generateKeyPair } = await import("../../lib/keys/generate_key_pair.ts");
  let pair;
  try {
    pair = await generateKeyPair(password);
    await secrets.putSecret("COSIGN_PASSWORD", password);
    await ctx.info("Password written to COSIGN_PASSWORD github actions secret");
  } finally {
    password.fill(0);
  }
  const enc = new TextEncoder();
  await secrets.putSecret("COSIGN_PRIVATE_KEY", enc.encode(pair.privatePem));
  await ctx.info("Private key written to COSIGN_PRIVATE_KEY github actions secret");
  await secrets.putSecret("COSIGN_PUBLIC_KEY", enc.encode(pair.publicPem));
  await ctx.info("Public key written to COSIGN_PUBLIC_KEY github actions secret");
  const { writeFileAtomic } = await import("../../lib/atomic_file.ts");
  await writeFileAtomic("cosign.pub", pair.publicPem, { mode: 0o600 });
  await ctx.info("Public key also written to cosign.pub");
}

export const generateKeyPairCommand: Command = {
  name: "generate-key-pair",
  short: "Generates a key-pair.",
  long: "Generates a key-pair for signing.",
  example: `  # generate key-pair and write to cosign.key and cosign.pub files
  cosign generate-key-pair

  # generate key-pair and write to custom named my-name.key and my-name.pub files
  cosign generate-key-pair --output-key-prefix my-name

  # non-interactively, with the password from the environment, replacing existing files
  # (as in cosign there is no --yes here, and COSIGN_YES does not apply: answer the prompt)
  echo y | COSIGN_PASSWORD=s3cret cosign generate-key-pair

  # generate a key-pair in AWS KMS (local-kms or another endpoint: AWS_ENDPOINT_URL)
  cosign generate-key-pair --kms awskms:///alias/cosign

  # generate a key-pair in Hashicorp Vault (VAULT_ADDR, VAULT_TOKEN)
  cosign generate-key-pair --kms hashivault://cosign

  # generate a key-pair in a Kubernetes secret (kube config from KUBECONFIG or ~/.kube/config,
  # else the pod's service account); asks before replacing an existing secret's cosign entries
  cosign generate-key-pair k8s://[NAMESPACE]/[NAME]

CAVEATS:
  This command interactively prompts for a password. You can use
  the COSIGN_PASSWORD environment variable to provide one.`,
  maxArgs: 1,
  argsUsage: "[k8s://NAMESPACE/NAME]",
  bindEnv: true,
  flags: [
    { name: "kms", type: "string", help: "create key pair in KMS service to use for signing" },
    {
      name: "output-key-prefix",
      type: "string",
      default: "cosign",
      help: "name used for generated .pub and .key files",
    },
  ],
  async run(ctx) {
    const prefix = ctx.flags["output-key-prefix"] as string;
    if (prefix === "") throw new UsageError("--output-key-prefix must not be empty");
    const kms = ctx.flags.kms as string;
    if (kms !== "") {
      // cosign: create the key (or keep an existing one) with the service's default algorithm and
      // write only its public key, <prefix>.pub, mode 0600, without asking.
      const { openKmsKey } = await import("../../lib/kms/kms_key.ts");
      const { marshalPublicKeyPem } = await import("../../lib/keys/public_key.ts");
      const { writeFileAtomic } = await import("../../lib/atomic_file.ts");
      const publicKey = await (await openKmsKey(kms, keyRefDeps(ctx))).createKey();
      const publicPath = `${prefix}.pub`;
      await writeFileAtomic(publicPath, marshalPublicKeyPem(publicKey), { mode: 0o600 });
      await ctx.info(`Public key written to ${publicPath}`);
      return;
    }
    if (ctx.args.length > 0) {
      const ref = ctx.args[0];
      if (!ref.includes("://")) {
        throw new UsageError("could not parse scheme, use <scheme>://<ref> format");
      }
      const scheme = ref.slice(0, ref.indexOf("://"));
      if (scheme === "github") return await generateIntoGithub(ctx, ref);
      if (scheme === "k8s") return await generateIntoKubernetes(ctx, ref);
      if (scheme !== "gitlab") throw new UsageError(`undefined provider: ${scheme}`);
      // cosign's GitLab provider: three project variables, then cosign.pub.
      const { gitlabProject } = await import("../../lib/kms/gitlab_project.ts");
      const project = gitlabProject(ref, keyRefDeps(ctx));
      const password = await readPassword(ctx.io, true);
      const { generateKeyPair } = await import("../../lib/keys/generate_key_pair.ts");
      let pair;
      const passwordText = new TextDecoder().decode(password);
      try {
        pair = await generateKeyPair(password);
      } finally {
        password.fill(0);
      }
      try {
        await project.createVariable({
          key: "COSIGN_PASSWORD",
          value: passwordText,
          environmentScope: "*",
        });
      } catch (e) {
        await ctx.warn(
          'If you are using a self-hosted gitlab please set the "GITLAB_HOST" your server name.',
        );
        throw e;
      }
      await ctx.info('Password written to "COSIGN_PASSWORD" variable');
      await project.createVariable({ key: "COSIGN_PRIVATE_KEY", value: pair.privatePem });
      await ctx.info('Private key written to "COSIGN_PRIVATE_KEY" variable');
      await project.createVariable({ key: "COSIGN_PUBLIC_KEY", value: pair.publicPem });
      await ctx.info('Public key written to "COSIGN_PUBLIC_KEY" variable');
      const { writeFileAtomic } = await import("../../lib/atomic_file.ts");
      await writeFileAtomic("cosign.pub", pair.publicPem, { mode: 0o600 });
      await ctx.info("Public key also written to cosign.pub");
      return;
    }
    // Ask about overwriting before the password, so nobody types a password for nothing. cosign
    // has no --yes here (so COSIGN_YES cannot replace a key): only an explicit "y" on standard
    // input does, and not when standard input is the password.
    const overwrite = await confirmOverwrite(ctx, prefix, {
      stdinIsPassword: ctx.io.getEnv("COSIGN_PASSWORD") === undefined && !ctx.io.isTerminal.stdin,
    });
    const password = await readPassword(ctx.io, true);
    const { generateKeyPair } = await import("../../lib/keys/generate_key_pair.ts");
    const { writeKeyPair } = await import("../../lib/keys/write_key_pair.ts");
    let pair;
    try {
      pair = await generateKeyPair(password);
    } finally {
      password.fill(0);
    }
    const { privatePath, publicPath } = await writeKeyPair(prefix, pair, overwrite);
    await ctx.info(`Private key written to ${privatePath}`);
    await ctx.info(`Public key written to ${publicPath}`);
  },
};
