/**
 * Image attestations in a real registry (Debian's distribution), both directions: for every
 * `--type`, what one cosign attests the other verifies, with both tools attesting the same image;
 * `--replace` by each tool as the other sees it; the `.att` manifest, config and layer shapes
 * against Go's for the same input; and the failures (none attached, missing tag, other key, wrong
 * type), which both tools report with exit 1.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createRegistry } from "../../lib/registry/client.ts";
import type { ImageManifest } from "../../lib/registry/types.ts";
import { startRegistry } from "../peers/registry.ts";
import { pushImage } from "../registry/_helpers.ts";
import {
  checkAll,
  describe,
  expectSameFailure,
  expectSuccess,
  FIXTURES,
  run,
  suiteDir,
  suiteOptions,
  type Tool,
  TOOLS,
} from "./_run.ts";

const registry = await startRegistry({ mode: "http" });
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-att-");
addEventListener("unload", () => client.close());
globalThis.addEventListener("unload", () => void registry.stop());

const A = join(FIXTURES, "attest");
const opts = (env: Record<string, string> = {}) => suiteOptions(dir, env);

for (const name of ["a", "b"]) {
  expectSuccess(
    await run("go", ["generate-key-pair", "--output-key-prefix", name], opts()),
    `keys ${name}`,
  );
}

/** Every --type with its predicate fixture. */
const TYPES: [string, string][] = [
  ["custom", "custom.txt"],
  ["slsaprovenance", "slsaprovenance.json"],
  ["slsaprovenance02", "slsaprovenance.json"],
  ["slsaprovenance1", "slsaprovenance1.json"],
  ["link", "link.json"],
  ["spdx", "spdx.txt"],
  ["spdxjson", "spdxjson.json"],
  ["cyclonedx", "cyclonedx.json"],
  ["vuln", "vuln.json"],
  ["openvex", "openvex.json"],
  ["https://example.com/predicate/v1", "predicate.json"],
];

let counter = 0;
async function newImage(repo = "interop/att"): Promise<{ image: string; repo: string }> {
  const { digest } = await pushImage(
    client,
    { registry: registry.host, repository: repo },
    `t${++counter}`,
  );
  return { image: `${registry.host}/${repo}@${digest}`, repo };
}

function attest(
  tool: Tool,
  key: string,
  image: string,
  type: string,
  predicate: string,
  extra: string[] = [],
  env: Record<string, string> = {},
) {
  return run(tool, [
    "attest",
    "--key",
    `${key}.key`,
    "--tlog-upload=false",
    "--yes",
    "--type",
    type,
    "--predicate",
    join(A, predicate),
    ...extra,
    image,
  ], opts(env));
}

function verify(
  tool: Tool,
  key: string,
  image: string,
  type: string,
  extra: string[] = [],
  env: Record<string, string> = {},
) {
  return run(tool, [
    "verify-attestation",
    "--key",
    `${key}.pub`,
    "--insecure-ignore-tlog=true",
    "--type",
    type,
    ...extra,
    image,
  ], opts(env));
}

/** The statements of the envelopes a verify-attestation run printed, one per line. */
function statements(stdout: string): { predicateType: string; subject: unknown }[] {
  return stdout.trimEnd().split("\n").filter((l) => l !== "").map((l) =>
    JSON.parse(new TextDecoder().decode(Uint8Array.fromBase64(JSON.parse(l).payload)))
  );
}

Deno.test("for every --type, each cosign verifies the other's attestation of the same image", async () => {
  await checkAll(TYPES, ([type]) => type, async ([type, predicate]) => {
    const { image } = await newImage();
    expectSuccess(await attest("ours", "a", image, type, predicate), `ours attests ${type}`);
    expectSuccess(await attest("go", "b", image, type, predicate), `go attests ${type}`);
    const outputs: string[] = [];
    for (const tool of TOOLS) {
      for (const key of ["a", "b"]) {
        const v = expectSuccess(
          await verify(tool, key, image, type),
          `${tool} verifies ${key}'s ${type}`,
        );
        const st = statements(v.stdout);
        assert.equal(st.length, 1, describe(v));
        assert.deepEqual(st[0].subject, [{
          name: image.split("@")[0],
          digest: { sha256: image.split("@sha256:")[1] },
        }]);
        assert.match(v.stderr, /The signatures were verified against the specified public key/);
        outputs.push(`${key}:${v.stdout}`);
      }
    }
    // Both tools print the same bytes for the same key.
    assert.deepEqual(outputs.slice(0, 2), outputs.slice(2));
    // And sign the same statement bytes (custom's Timestamp aside): Go-exact JSON.
    if (type !== "custom") {
      const payload = (o: string) => JSON.parse(o.slice(2).trimEnd()).payload;
      assert.equal(payload(outputs[0]), payload(outputs[1]), `${type} statements differ`);
    }
  });
});

Deno.test("several attestations per image from both tools: both tools list the same envelopes", async () => {
  const { image } = await newImage();
  expectSuccess(await attest("ours", "a", image, "link", "link.json"), "ours link");
  expectSuccess(await attest("go", "a", image, "link", "link.json"), "go link");
  expectSuccess(await attest("go", "a", image, "vuln", "vuln.json"), "go vuln");
  expectSuccess(await attest("ours", "b", image, "link", "link.json"), "ours link b");
  const byTool = [];
  for (const tool of TOOLS) {
    const v = expectSuccess(await verify(tool, "a", image, "link"), `${tool} link a`);
    assert.equal(statements(v.stdout).length, 2, describe(v));
    byTool.push(v.stdout);
    const vuln = expectSuccess(await verify(tool, "a", image, "vuln"), `${tool} vuln`);
    assert.equal(statements(vuln.stdout).length, 1);
  }
  assert.equal(byTool[0], byTool[1]);
});

Deno.test("--replace by each tool is seen by the other, with the same stderr lines", async () => {
  const { image } = await newImage();
  expectSuccess(await attest("go", "a", image, "link", "link.json"), "go link a");
  expectSuccess(await attest("ours", "a", image, "vuln", "vuln.json"), "ours vuln a");
  const goReplace = expectSuccess(
    await attest("go", "b", image, "link", "link.json", ["--replace"]),
    "go replaces link with b",
  );
  const replaceLines = (s: string) => s.split("\n").filter((l) => /replacing/i.test(l)).join("\n");
  for (const tool of TOOLS) {
    expectSameFailure(
      [await verify(tool, "a", image, "link")],
      `${tool}: link by a was replaced`,
    );
    expectSuccess(await verify(tool, "b", image, "link"), `${tool} sees go's replacement`);
    expectSuccess(await verify(tool, "a", image, "vuln"), `${tool} still sees vuln`);
  }
  const oursReplace = expectSuccess(
    await attest("ours", "a", image, "link", "link.json", ["--replace"]),
    "ours replaces link with a",
  );
  assert.equal(replaceLines(oursReplace.stderr), replaceLines(goReplace.stderr));
  for (const tool of TOOLS) {
    expectSameFailure([await verify(tool, "b", image, "link")], `${tool}: b's link replaced`);
    expectSuccess(await verify(tool, "a", image, "link"), `${tool} sees ours`);
    expectSuccess(await verify(tool, "a", image, "vuln"), `${tool} still sees vuln`);
  }
});

/** The `.att` image of a repository's image, with digests and sizes masked. */
async function attShape(repo: string, image: string) {
  const r = { registry: registry.host, repository: repo };
  const m = await client.getManifest(r, `${image.split("@")[1].replace(":", "-")}.att`);
  const man = m.manifest as ImageManifest;
  const config = new TextDecoder().decode(await client.getBlobBytes(r, man.config.digest, 65536));
  const mask = (s: string) =>
    s.replace(/sha256:[0-9a-f]{64}/g, "sha256:X").replace(/"size":\d+/g, '"size":N');
  return {
    mediaType: m.mediaType,
    manifest: mask(new TextDecoder().decode(m.bytes)),
    config: mask(config),
  };
}

Deno.test("the .att image ours writes has Go's shape: manifest, config and layer annotations", async () => {
  const envs: Record<string, string>[] = [{}, { COSIGN_DOCKER_MEDIA_TYPES: "1" }];
  for (const env of envs) {
    const shapes = [];
    for (const tool of TOOLS) {
      const { image, repo } = await newImage(`interop/att-shape-${tool}-${counter}`);
      expectSuccess(await attest(tool, "a", image, "link", "link.json", [], env), `${tool} 1`);
      expectSuccess(await attest(tool, "a", image, "vuln", "vuln.json", [], env), `${tool} 2`);
      const appended = await attShape(repo, image);
      expectSuccess(
        await attest(tool, "b", image, "link", "link.json", ["--replace"], env),
        `${tool} replace`,
      );
      shapes.push({ appended, replaced: await attShape(repo, image) });
    }
    assert.deepEqual(shapes[1], shapes[0], JSON.stringify(env));
  }
});

Deno.test("none attached, missing tag, other key and wrong type fail alike (exit 1) in both tools", async () => {
  const { image: unsigned } = await newImage();
  const none = await Promise.all(TOOLS.map((t) => verify(t, "a", unsigned, "custom")));
  expectSameFailure(none, "no attestations");
  assert.equal(none[0].code, 1);

  const missing = `${registry.host}/interop/att:no-such-tag`;
  expectSameFailure(
    await Promise.all(TOOLS.map((t) => verify(t, "a", missing, "custom"))),
    "missing tag",
  );

  const { image } = await newImage();
  expectSuccess(await attest("go", "b", image, "link", "link.json"), "go attests with b");
  expectSameFailure(
    await Promise.all(TOOLS.map((t) => verify(t, "a", image, "link"))),
    "another key only",
  );
  const wrongType = await Promise.all(TOOLS.map((t) => verify(t, "b", image, "spdx")));
  expectSameFailure(wrongType, "wrong --type");
  for (const r of wrongType) {
    assert.match(
      r.stderr,
      /none of the attestations matched the predicate type: spdx, found: https:\/\/in-toto.io\/Link\/v1/,
    );
  }
});
