/**
 * KMS keys end to end with our real entry point: `generate-key-pair --kms`, `public-key`,
 * `sign-blob`, `sign`, `attest-blob` and our verify commands with `--key awskms://…` (against
 * nsmithuk/local-kms, reached through `AWS_ENDPOINT_URL`), `--key hashivault://…` (the transit
 * API fake, `VAULT_ADDR`), `--key gcpkms://…` (the Cloud KMS REST fake, a service account file and
 * `CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS`) and `--key azurekms://localhost:<port>/…` (the Key
 * Vault fake over HTTPS, `AZURE_*` and `DENO_CERT`), and the real Go cosign v2.6.4 verifying what
 * we signed with the public key `generate-key-pair --kms` wrote.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createRegistry } from "../../lib/registry/client.ts";
import { startFakeAzureKeyVault } from "../helpers/fake_azure_key_vault.ts";
import { startFakeGcpKms } from "../helpers/fake_gcp_kms.ts";
import { startFakeVault } from "../helpers/fake_vault.ts";
import { startLocalKms } from "../peers/local_kms.ts";
import { startRegistry } from "../peers/registry.ts";
import { pushImage } from "../registry/_helpers.ts";
import { REPO_ROOT } from "../peers/run.ts";
import {
  describe,
  expectSuccess,
  expectVerified,
  run,
  suiteDir,
  suiteOptions,
} from "../interop/_run.ts";

const dir = await suiteDir("cosign-kms-cli-");
const localKms = await startLocalKms();
const vault = startFakeVault();
const gcp = await startFakeGcpKms();
const azure = await startFakeAzureKeyVault();
const registry = await startRegistry({ mode: "http" });
const client = createRegistry({});
addEventListener("unload", () => {
  client.close();
  void registry.stop();
  void localKms.stop();
  void vault.stop();
  void gcp.stop();
  void azure.stop();
});
await Deno.writeTextFile(join(dir, "gcp-sa.json"), gcp.serviceAccountJson);
await Deno.writeTextFile(join(dir, "blob"), "a blob signed with a KMS key\n");
await Deno.copyFile(
  join(REPO_ROOT, "tests/fixtures/attest/predicate.json"),
  join(dir, "predicate.json"),
);

const PROVIDERS = [
  { name: "aws", ref: "awskms:///alias/cosign-test", env: localKms.env },
  {
    name: "vault",
    ref: "hashivault://cosign-test",
    env: { VAULT_ADDR: vault.address, VAULT_TOKEN: vault.token },
  },
  {
    name: "gcp",
    ref: "gcpkms://projects/test-project/locations/global/keyRings/cosign/cryptoKeys/cosign-test",
    env: {
      GOOGLE_APPLICATION_CREDENTIALS: join(dir, "gcp-sa.json"),
      CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS: gcp.endpoint,
    },
  },
  {
    name: "azure",
    ref: `azurekms://${azure.host}/cosign-test`,
    env: {
      AZURE_TENANT_ID: azure.tenant,
      AZURE_CLIENT_ID: azure.clientId,
      AZURE_CLIENT_SECRET: azure.clientSecret,
      AZURE_AUTHORITY_HOST: azure.authority,
      // Deno's extra trusted CA certificates: the fake's (the vault URL is always https).
      DENO_CERT: azure.caPath,
    },
  },
] as const;

for (const p of PROVIDERS) {
  const opts = () => suiteOptions(dir, { ...p.env });
  Deno.test(`${p.name}: generate-key-pair --kms, then public-key prints the same key`, async () => {
    const r = expectSuccess(
      await run(
        "ours",
        ["generate-key-pair", "--kms", p.ref, "--output-key-prefix", p.name],
        opts(),
      ),
      "generate-key-pair --kms",
    );
    assert.equal(r.stderr, `Public key written to ${p.name}.pub\n`);
    const pem = await Deno.readTextFile(join(dir, `${p.name}.pub`));
    assert.match(pem, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.equal((await Deno.stat(join(dir, `${p.name}.pub`))).mode! & 0o777, 0o600);
    const pub = expectSuccess(
      await run("ours", ["public-key", "--key", p.ref], opts()),
      "public-key",
    );
    assert.equal(pub.stdout, pem);
    // Once more: the key is kept, not replaced.
    expectSuccess(
      await run(
        "ours",
        ["generate-key-pair", "--kms", p.ref, "--output-key-prefix", `${p.name}2`],
        opts(),
      ),
      "generate-key-pair again",
    );
    assert.equal(await Deno.readTextFile(join(dir, `${p.name}2.pub`)), pem);
  });

  Deno.test(`${p.name}: sign-blob and attest-blob with --key ${p.ref}; Go cosign verifies with the .pub`, async () => {
    expectSuccess(
      await run("ours", [
        "sign-blob",
        "--key",
        p.ref,
        "--tlog-upload=false",
        "--output-signature",
        `blob.${p.name}.sig`,
        "blob",
      ], opts()),
      "sign-blob",
    );
    expectSuccess(
      await run("ours", [
        "attest-blob",
        "--key",
        p.ref,
        "--type",
        "custom",
        "--predicate",
        "predicate.json",
        "--tlog-upload=false",
        "--yes",
        "--output-signature",
        `blob.${p.name}.att`,
        "blob",
      ], opts()),
      "attest-blob",
    );
    for (
      const [tool, key] of [["go", `${p.name}.pub`], ["ours", `${p.name}.pub`], [
        "ours",
        p.ref,
      ]] as const
    ) {
      expectVerified(
        await run(tool, [
          "verify-blob",
          "--key",
          key,
          "--signature",
          `blob.${p.name}.sig`,
          "--insecure-ignore-tlog=true",
          "blob",
        ], opts()),
        `${tool} verify-blob --key ${key}`,
      );
      expectVerified(
        await run(tool, [
          "verify-blob-attestation",
          "--key",
          key,
          "--type",
          "custom",
          "--signature",
          `blob.${p.name}.att`,
          "--insecure-ignore-tlog=true",
          "blob",
        ], opts()),
        `${tool} verify-blob-attestation --key ${key}`,
      );
    }
  });

  Deno.test(`${p.name}: sign an image with --key ${p.ref}; Go cosign verifies it`, async () => {
    const { digest } = await pushImage(client, {
      registry: registry.host,
      repository: `kms/${p.name}`,
    }, "v1");
    const image = `${registry.host}/kms/${p.name}@${digest}`;
    expectSuccess(
      await run("ours", ["sign", "--key", p.ref, "--tlog-upload=false", "--yes", image], opts()),
      "sign",
    );
    for (const [tool, key] of [["go", `${p.name}.pub`], ["ours", p.ref]] as const) {
      expectSuccess(
        await run(tool, ["verify", "--key", key, "--insecure-ignore-tlog=true", image], opts()),
        `${tool} verify --key ${key}`,
      );
    }
  });
}

// Go cosign's GCP client speaks gRPC and its Azure client expects the identity platform's
// discovery documents and Key Vault's 401 challenge, which the REST fakes do not serve.
for (const p of PROVIDERS.slice(0, 2)) {
  Deno.test(`${p.name}: Go cosign's own KMS client and ours sign and verify each other's blobs with --key ${p.ref}`, async () => {
    const opts = () => suiteOptions(dir, { ...p.env });
    for (const [signer, verifier] of [["go", "ours"], ["ours", "go"]] as const) {
      const sig = `blob.${p.name}.${signer}.sig`;
      expectSuccess(
        await run(signer, [
          "sign-blob",
          "--key",
          p.ref,
          "--tlog-upload=false",
          "--output-signature",
          sig,
          "blob",
        ], opts()),
        `${signer} sign-blob`,
      );
      expectVerified(
        await run(verifier, [
          "verify-blob",
          "--key",
          p.ref,
          "--signature",
          sig,
          "--insecure-ignore-tlog=true",
          "blob",
        ], opts()),
        `${verifier} verify-blob of ${signer}'s signature`,
      );
    }
  });
}

Deno.test("KMS failures end in one line and exit 1", async () => {
  const cases: [string[], Record<string, string>, string][] = [
    [
      ["sign-blob", "--key", "awskms:///alias/none", "--tlog-upload=false", "blob"],
      localKms.env,
      "error: cannot GetPublicKey with AWS KMS key alias/none: NotFoundException: Alias arn:aws:kms:us-east-1:111122223333:alias/none is not found.\n",
    ],
    [
      ["public-key", "--key", "awskms:///alias/cosign-test"],
      { AWS_ENDPOINT_URL: localKms.url },
      "error: cannot use AWS KMS: no region (set AWS_REGION or a region in ~/.aws/config)\n",
    ],
    [
      ["public-key", "--key", "hashivault://cosign-test"],
      { VAULT_ADDR: vault.address, VAULT_TOKEN: "wrong" },
      "error: cannot read Vault transit key cosign-test: HTTP 403 permission denied\n",
    ],
    [
      ["generate-key-pair", "--kms", "awskms://bad"],
      localKms.env,
      "error: cannot parse AWS KMS URI: kms specification should be in the format awskms://[ENDPOINT]/[ID/ALIAS/ARN] (endpoint optional)\n",
    ],
    [
      [
        "verify-blob",
        "--key",
        "hashivault://",
        "--signature",
        "blob.aws.sig",
        "--insecure-ignore-tlog=true",
        "blob",
      ],
      {},
      "error: cannot parse Vault URI: kms specification should be in the format hashivault://<key>\n",
    ],
  ];
  for (const [args, env, stderr] of cases) {
    const r = await run("ours", args, suiteOptions(dir, env));
    assert.equal(r.code, 1, describe(r));
    assert.equal(r.stderr.replace(/^WARNING: .*\n/gm, ""), stderr, describe(r));
  }
});
