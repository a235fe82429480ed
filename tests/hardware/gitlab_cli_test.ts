/**
 * `gitlab://<project>` key storage end to end against a loopback stub of GitLab's project
 * variables API (tests/helpers/fake_gitlab.ts, which checks the token and the request shapes):
 * `generate-key-pair gitlab://…` by each cosign, then signing with `--key gitlab://…` by one and
 * verifying with `--key gitlab://…` by the other (the real Go cosign v2.6.4 talks to the same stub).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeGitlab } from "../helpers/fake_gitlab.ts";
import {
  describe,
  expectSuccess,
  expectVerified,
  run,
  suiteDir,
  suiteOptions,
  TOOLS,
} from "../interop/_run.ts";

const dir = await suiteDir("cosign-gitlab-");
const gitlab = startFakeGitlab(["group/by-go", "group/by-ours"]);
addEventListener("unload", () => void gitlab.stop());
await Deno.writeTextFile(join(dir, "blob"), "a blob signed with a key kept in GitLab\n");
const opts = (env: Record<string, string> = {}) =>
  suiteOptions(dir, { GITLAB_HOST: gitlab.host, GITLAB_TOKEN: gitlab.token, ...env });

for (const tool of TOOLS) {
  const ref = `gitlab://group/by-${tool}`;
  Deno.test(`generate-key-pair ${ref} (${tool}) writes three variables and cosign.pub`, async () => {
    const cwd = join(dir, tool);
    await Deno.mkdir(cwd);
    const r = expectSuccess(
      await run(tool, ["generate-key-pair", ref], { ...opts(), cwd, password: "s3cret" }),
      "generate-key-pair",
    );
    if (tool === "ours") {
      assert.equal(
        r.stderr,
        'Password written to "COSIGN_PASSWORD" variable\n' +
          'Private key written to "COSIGN_PRIVATE_KEY" variable\n' +
          'Public key written to "COSIGN_PUBLIC_KEY" variable\n' +
          "Public key also written to cosign.pub\n",
      );
    }
    const vars = gitlab.projects.get(`group/by-${tool}`)!;
    assert.deepEqual([...vars.keys()], [
      "COSIGN_PASSWORD",
      "COSIGN_PRIVATE_KEY",
      "COSIGN_PUBLIC_KEY",
    ]);
    assert.equal(vars.get("COSIGN_PASSWORD")!.value, "s3cret");
    assert.equal(vars.get("COSIGN_PASSWORD")!.environment_scope, "*");
    assert.match(
      vars.get("COSIGN_PRIVATE_KEY")!.value,
      /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/,
    );
    for (const v of vars.values()) {
      assert.deepEqual([v.variable_type, v.protected, v.masked], ["env_var", false, false]);
    }
    assert.equal(
      await Deno.readTextFile(join(cwd, "cosign.pub")),
      vars.get("COSIGN_PUBLIC_KEY")!.value,
    );
  });
}

Deno.test("a key in GitLab signs with one cosign and verifies with the other, both with --key gitlab://", async () => {
  for (const [signer, verifier] of [["ours", "go"], ["go", "ours"]] as const) {
    for (const owner of TOOLS) {
      const ref = `gitlab://group/by-${owner}`;
      const sig = `blob.${signer}.${owner}.sig`;
      expectSuccess(
        await run(signer, [
          "sign-blob",
          "--key",
          ref,
          "--tlog-upload=false",
          "--output-signature",
          sig,
          "blob",
        ], opts()),
        `${signer} sign-blob --key ${ref}`,
      );
      expectVerified(
        await run(verifier, [
          "verify-blob",
          "--key",
          ref,
          "--signature",
          sig,
          "--insecure-ignore-tlog=true",
          "blob",
        ], opts()),
        `${verifier} verify-blob --key ${ref}`,
      );
    }
  }
});

Deno.test("GitLab failures end in one line", async () => {
  const cases: [string[], Record<string, string>, number, string][] = [
    [
      ["public-key", "--key", "gitlab://group/by-ours"],
      { GITLAB_TOKEN: "wrong" },
      1,
      `error: cannot read variable COSIGN_PRIVATE_KEY in GitLab project group/by-ours: GET ${gitlab.host}/api/v4/projects/group%2Fby-ours/variables/COSIGN_PRIVATE_KEY: 401 401 Unauthorized\n`,
    ],
    [
      [
        "verify-blob",
        "--key",
        "gitlab://group/none",
        "--signature",
        "blob.ours.ours.sig",
        "--insecure-ignore-tlog=true",
        "blob",
      ],
      {},
      1,
      `error: cannot read variable COSIGN_PUBLIC_KEY in GitLab project group/none: GET ${gitlab.host}/api/v4/projects/group%2Fnone/variables/COSIGN_PUBLIC_KEY: 404 404 Project Not Found\n`,
    ],
    [
      ["generate-key-pair", "gitlab://group/by-ours"],
      {},
      1,
      'WARNING: If you are using a self-hosted gitlab please set the "GITLAB_HOST" your server name.\n' +
      `error: cannot create variable COSIGN_PASSWORD in GitLab project group/by-ours: POST ${gitlab.host}/api/v4/projects/group%2Fby-ours/variables: 400 {"key":["(COSIGN_PASSWORD) has already been taken"]}\n`,
    ],
    [["generate-key-pair", "nope://x"], {}, 1, "error: undefined provider: nope\n"],
  ];
  for (const [args, env, code, stderr] of cases) {
    const r = await run("ours", args, { ...opts(env), password: "" });
    assert.equal(r.code, code, describe(r));
    assert.equal(
      r.stderr.replace(/^WARNING: Skipping tlog verification .*\n/m, ""),
      stderr,
      describe(r),
    );
  }
});
