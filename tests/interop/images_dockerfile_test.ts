/**
 * `cosign dockerfile verify` and `cosign manifest verify` end to end, in a real registry
 * (Debian's distribution): images signed by the Go cosign, named by a Dockerfile (build args from
 * the environment, a stage, `COPY --from`) and by a Deployment + CronJob manifest, verify in the
 * Go cosign v2.6.4 and in ours alike — same payloads on stdout, same exit code 10 when one image
 * is unsigned, and `--base-image-only` checking the last image only.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createRegistry } from "../../lib/registry/client.ts";
import { startRegistry } from "../peers/registry.ts";
import { pushImage } from "../registry/_helpers.ts";
import {
  describe,
  expectSameFailure,
  expectSuccess,
  run,
  suiteDir,
  suiteOptions,
  TOOLS,
} from "./_run.ts";

const registry = await startRegistry({ mode: "http" });
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-dockerfile-");
addEventListener("unload", () => client.close());
globalThis.addEventListener("unload", () => void registry.stop());

const opts = (env: Record<string, string> = {}) => suiteOptions(dir, env);

expectSuccess(await run("go", ["generate-key-pair"], opts()), "key pair");

async function image(repo: string, signed: boolean): Promise<string> {
  const { digest } = await pushImage(client, { registry: registry.host, repository: repo }, "v1", {
    content: repo,
  });
  const ref = `${registry.host}/${repo}@${digest}`;
  if (signed) {
    expectSuccess(
      await run("go", ["sign", "--key", "cosign.key", "--tlog-upload=false", "--yes", ref], opts()),
      `sign ${repo}`,
    );
  }
  return ref;
}

const base = await image("df/base", true);
const tools = await image("df/tools", true);
const unsigned = await image("df/unsigned", false);
const digestOf = (ref: string) => ref.slice(ref.indexOf("@") + 1);

const dockerfile = async (name: string, text: string) => {
  await Deno.writeTextFile(join(dir, name), text);
  return name;
};
const verifyArgs = (cmd: string, file: string, extra: string[] = []) => [
  cmd,
  "verify",
  "--key",
  "cosign.pub",
  "--insecure-ignore-tlog=true",
  ...extra,
  file,
];

/** The manifest digests in the payloads of a successful verify (one JSON array per image). */
function verifiedDigests(stdout: string): string[] {
  return stdout.trim().split("\n").filter((l) => l !== "").flatMap((line) =>
    (JSON.parse(line) as { critical: { image: { "docker-manifest-digest": string } } }[]).map(
      (p) => p.critical.image["docker-manifest-digest"],
    )
  );
}

Deno.test("dockerfile verify: every FROM and COPY --from image verifies in both tools", async () => {
  const file = await dockerfile(
    "Dockerfile",
    `ARG REG
FROM \${REG}/df/base@${digestOf(base)} AS build
RUN make
FROM ${tools}
COPY --from=build /out /out
`,
  );
  const results = [];
  for (const tool of TOOLS) {
    const r = expectSuccess(
      await run(tool, verifyArgs("dockerfile", file), opts({ REG: registry.host })),
      `${tool} dockerfile verify`,
    );
    assert.ok(r.stderr.includes(`Extracted image(s): ${base}, ${tools}\n`), describe(r));
    assert.deepEqual(verifiedDigests(r.stdout), [digestOf(base), digestOf(tools)]);
    results.push(r);
  }
  assert.equal(results[1].stdout, results[0].stdout);
});

Deno.test("dockerfile verify: an unsigned image fails with 10 in both tools, unless --base-image-only skips it", async () => {
  const file = await dockerfile("Dockerfile.unsigned", `FROM ${unsigned} AS a\nFROM ${base}\n`);
  const failed = [];
  for (const tool of TOOLS) failed.push(await run(tool, verifyArgs("dockerfile", file), opts()));
  expectSameFailure(failed, "one unsigned image");
  assert.equal(failed[1].code, 10, describe(failed[1]));
  for (const tool of TOOLS) {
    const r = expectSuccess(
      await run(tool, verifyArgs("dockerfile", file, ["--base-image-only"]), opts()),
      `${tool} --base-image-only`,
    );
    assert.ok(r.stderr.includes(`Extracted image(s): ${base}\n`), describe(r));
    assert.deepEqual(verifiedDigests(r.stdout), [digestOf(base)]);
  }
});

Deno.test("manifest verify: a Deployment and a CronJob verify in both tools; an unsigned init container fails with 10", async () => {
  const deployment = (init: string) =>
    `apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      initContainers:
      - name: init
        image: ${init}
      containers:
      - name: app
        image: ${base}
---
apiVersion: batch/v1
kind: CronJob
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - image: ${tools}
`;
  await Deno.writeTextFile(join(dir, "ok.yaml"), deployment(tools));
  await Deno.writeTextFile(join(dir, "bad.yml"), deployment(unsigned));
  const outs = [];
  for (const tool of TOOLS) {
    const r = expectSuccess(await run(tool, verifyArgs("manifest", "ok.yaml"), opts()), tool);
    assert.deepEqual(verifiedDigests(r.stdout), [tools, base, tools].map(digestOf));
    outs.push(r.stdout);
  }
  assert.equal(outs[1], outs[0]);
  const failed = [];
  for (const tool of TOOLS) failed.push(await run(tool, verifyArgs("manifest", "bad.yml"), opts()));
  expectSameFailure(failed, "unsigned init container");
  assert.equal(failed[1].code, 10, describe(failed[1]));
});
