/**
 * `generate-key-pair github://<owner>/<repo>` against a loopback stub of GitHub's Actions secrets
 * API (tests/helpers/fake_github.ts, which checks the token and key id and opens each sealed box):
 * the real Go cosign v2.6.4 and ours each store a key pair, and what the stub decrypts is a
 * working cosign key pair. Go cosign's sealed boxes opening with our X25519/HSalsa20/BLAKE2b
 * primitives is the check that our sealed boxes are libsodium's.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeGithub } from "../helpers/fake_github.ts";
import { loadPrivateKey } from "../../lib/keys/private_key.ts";
import { marshalPublicKeyPem } from "../../lib/keys/public_key.ts";
import { describe, expectSuccess, run, suiteDir, suiteOptions, TOOLS } from "../interop/_run.ts";

const dir = await suiteDir("cosign-github-");
const github = startFakeGithub(["owner/by-go", "owner/by-ours"]);
addEventListener("unload", () => void github.stop());
const opts = (cwd: string, env: Record<string, string> = {}) => ({
  ...suiteOptions(cwd, { GITHUB_HOST: github.host, GITHUB_TOKEN: github.token, ...env }),
  password: "s3cret",
});
const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

for (const tool of TOOLS) {
  Deno.test(`generate-key-pair github://owner/by-${tool} (${tool}) stores a working key pair`, async () => {
    const cwd = join(dir, tool);
    await Deno.mkdir(cwd);
    const r = expectSuccess(
      await run(tool, ["generate-key-pair", `github://owner/by-${tool}`], opts(cwd)),
      "generate-key-pair github://",
    );
    assert.equal(
      r.stderr,
      "Password written to COSIGN_PASSWORD github actions secret\n" +
        "Private key written to COSIGN_PRIVATE_KEY github actions secret\n" +
        "Public key written to COSIGN_PUBLIC_KEY github actions secret\n" +
        "Public key also written to cosign.pub\n",
    );
    const secrets = github.secrets(`owner/by-${tool}`);
    assert.deepEqual([...secrets.keys()], [
      "COSIGN_PASSWORD",
      "COSIGN_PRIVATE_KEY",
      "COSIGN_PUBLIC_KEY",
    ]);
    assert.equal(text(secrets.get("COSIGN_PASSWORD")), "s3cret");
    const key = await loadPrivateKey(
      secrets.get("COSIGN_PRIVATE_KEY")!,
      new TextEncoder().encode("s3cret"),
    );
    assert.equal(marshalPublicKeyPem(key.publicKey), text(secrets.get("COSIGN_PUBLIC_KEY")));
    assert.equal(
      await Deno.readTextFile(join(cwd, "cosign.pub")),
      text(secrets.get("COSIGN_PUBLIC_KEY")),
    );
  });
}

Deno.test("generate-key-pair github:// fails in one line without a token, with a bad one, or an unknown repository", async () => {
  const cwd = join(dir, "failures");
  await Deno.mkdir(cwd);
  const cases: [string, Record<string, string>, string][] = [
    [
      "github://owner/by-ours",
      { GITHUB_TOKEN: "wrong" },
      `error: cannot get the repository public key: GET ${github.host}/api/v3/repos/owner/by-ours/actions/secrets/public-key: 401 Bad credentials\n`,
    ],
    [
      "github://owner/none",
      {},
      `error: cannot get the repository public key: GET ${github.host}/api/v3/repos/owner/none/actions/secrets/public-key: 404 Not Found\n`,
    ],
    [
      "github://a/b/c",
      {},
      "error: cannot parse GitHub reference: could not parse scheme, use github://<owner> or github://<owner>/<repo> format\n",
    ],
  ];
  for (const [ref, env, stderr] of cases) {
    const r = await run("ours", ["generate-key-pair", ref], opts(cwd, env));
    assert.equal(r.code, 1, describe(r));
    assert.equal(r.stderr, stderr, describe(r));
  }
  const noToken = await run("ours", ["generate-key-pair", "github://owner/by-ours"], {
    ...suiteOptions(cwd, { GITHUB_HOST: github.host }),
    password: "",
  });
  assert.equal(noToken.code, 1, describe(noToken));
  assert.equal(
    noToken.stderr,
    'error: cannot use GitHub: could not find "GITHUB_TOKEN" environment variable\n',
  );
});
