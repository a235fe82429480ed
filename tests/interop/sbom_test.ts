/**
 * `attach sbom` and `download sbom` (deprecated in cosign, still used by scripts) against the real
 * Go cosign v2.6.4 on one real registry: what one attaches the other downloads, byte for byte; both
 * write the same SBOM image (same digest); the same warnings, messages and exit codes for bad
 * input (registry error texts aside, which are each tool's own).
 */
import assert from "node:assert/strict";
import { createRegistry } from "../../lib/registry/client.ts";
import { startRegistry } from "../peers/registry.ts";
import { IMAGES, pushTestImages } from "../helpers/oci_images.ts";
import {
  describe,
  expectSuccess,
  run,
  type RunResult,
  suiteDir,
  suiteOptions,
  TOOLS,
} from "./_run.ts";

const registry = await startRegistry({ mode: "http" });
const R = registry.host;
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-sbom-");
globalThis.addEventListener("unload", () => {
  client.close();
  void registry.stop();
});
const opts = (env: Record<string, string> = {}, stdin?: Uint8Array) => ({
  ...suiteOptions(dir, env),
  stdin,
});
const { amd64 } = IMAGES;
const hex = (d: string) => d.slice("sha256:".length);

const SPDX = '{"spdxVersion":"SPDX-2.3","name":"app"}\n';
const CYCLONEDX_XML = '<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5"/>\n';
await Deno.writeTextFile(`${dir}/sbom.spdx.json`, SPDX);
await Deno.writeTextFile(`${dir}/bom.xml`, CYCLONEDX_XML);

const DEPRECATION =
  "WARNING: SBOM attachments are deprecated and support will be removed in a Cosign release soon after 2024-02-22 (see https://github.com/sigstore/cosign/issues/2755). Instead, please use SBOM attestations.\n";
const DOWNLOAD_WARNING =
  "WARNING: Downloading SBOMs this way does not ensure its authenticity. If you want to ensure a tamper-proof SBOM, download it using 'cosign download attestation <image uri>'.\n";

let counter = 0;
async function freshRepo(): Promise<string> {
  const name = `interop/sbom${++counter}`;
  await pushTestImages(client, { registry: R, repository: name });
  return `${R}/${name}`;
}

/** Go's two error lines ("Error: x", "error during command execution: x") as our one. */
function normalize(stderr: string): string {
  return stderr.replace(/Error: (.*)\nerror during command execution: .*\n$/, "error: $1\n");
}

Deno.test("attach sbom: both write the same SBOM image; the other tool downloads it", async () => {
  const cases = [
    { args: ["--sbom", "sbom.spdx.json"], type: "text/spdx+json", body: SPDX },
    {
      args: ["--type", "cyclonedx", "--sbom", "-"],
      stdin: CYCLONEDX_XML,
      type: "application/vnd.cyclonedx+xml",
      body: CYCLONEDX_XML,
    },
  ];
  for (const c of cases) {
    const digests: string[] = [];
    for (const attacher of TOOLS) {
      const repo = await freshRepo();
      const stdin = c.stdin === undefined ? undefined : new TextEncoder().encode(c.stdin);
      const attached = expectSuccess(
        await run(attacher, ["attach", "sbom", ...c.args, `${repo}:amd64`], opts({}, stdin)),
        `${attacher} attach sbom ${c.args.join(" ")}`,
      );
      const path = c.args.at(-1) === "-" ? "-" : c.args.at(-1);
      assert.equal(
        attached.stderr,
        DEPRECATION +
          `WARNING: Attaching SBOMs this way does not sign them. To sign them, use 'cosign attest --predicate ${path} --key <key path>'.\n` +
          `Uploading SBOM file for [${repo}:amd64] to [${repo}:sha256-${
            hex(amd64)
          }.sbom] with mediaType [${c.type}].\n\n`,
        describe(attached),
      );
      const repository = repo.slice(R.length + 1);
      digests.push(
        (await client.getManifest({ registry: R, repository }, `sha256-${hex(amd64)}.sbom`)).digest,
      );
      for (const downloader of TOOLS) {
        for (const image of [`${repo}:amd64`, `${repo}@${amd64}`]) {
          const got = expectSuccess(
            await run(downloader, ["download", "sbom", image], opts()),
            `${downloader} download sbom after ${attacher} attach sbom`,
          );
          assert.equal(got.stdout, c.body, describe(got));
          assert.equal(
            got.stderr,
            DEPRECATION + DOWNLOAD_WARNING + `Found SBOM of media type: ${c.type}\n`,
            describe(got),
          );
        }
      }
    }
    assert.equal(digests[1], digests[0], "the SBOM images' digests differ (go, ours)");
  }
});

Deno.test("download sbom: --platform, indexes and missing SBOMs fail alike in both", async () => {
  const repo = await freshRepo();
  expectSuccess(
    await run("go", ["attach", "sbom", "--sbom", "sbom.spdx.json", `${repo}:arm64`], opts()),
    "attach",
  );
  const cases: { args: string[]; code: number; stdout?: string }[] = [
    { args: ["--platform", "linux/arm64", `${repo}:multi`], code: 0, stdout: SPDX },
    { args: [`${repo}:multi`], code: 1 },
    { args: [`${repo}:amd64`], code: 1 },
    { args: [`${repo}@sha256:${"0".repeat(64)}`], code: 1 },
    { args: ["--platform", "linux/s390x", `${repo}:multi`], code: 1 },
    { args: ["--platform", "linux/arm64", `${repo}:arm64`], code: 1 },
    { args: [], code: 1 },
  ];
  for (const c of cases) {
    const [go, ours] = await Promise.all(
      TOOLS.map((t) => run(t, ["download", "sbom", ...c.args], opts())),
    );
    const what = `download sbom ${c.args.join(" ")}\n${describe(go)}\n${describe(ours)}`;
    assert.equal(go.code, c.code, what);
    assert.equal(ours.code, go.code, what);
    assert.equal(ours.stdout, go.stdout, what);
    assert.equal(ours.stderr, normalize(go.stderr), what);
  }
});

Deno.test("attach sbom: bad input fails alike in both, and nothing is attached", async () => {
  const repo = await freshRepo();
  const cases: string[][] = [
    ["--sbom", "missing.json", `${repo}:amd64`],
    [`${repo}:amd64`],
    ["--type", "bogus", "--sbom", "sbom.spdx.json", `${repo}:amd64`],
    ["--type", "syft", "--input-format", "xml", "--sbom", "sbom.spdx.json", `${repo}:amd64`],
    ["--type", "spdx", "--input-format", "xml", "--sbom", "sbom.spdx.json", `${repo}:amd64`],
    ["--registry-referrers-mode", "oci-1-1", "--sbom", "sbom.spdx.json", `${repo}:amd64`],
    ["--registry-referrers-mode", "bogus", "--sbom", "sbom.spdx.json", `${repo}:amd64`],
    ["--sbom", "sbom.spdx.json"],
  ];
  for (const args of cases) {
    const [go, ours]: RunResult[] = await Promise.all(
      TOOLS.map((t) => run(t, ["attach", "sbom", ...args], opts())),
    );
    const what = `attach sbom ${args.join(" ")}\n${describe(go)}\n${describe(ours)}`;
    assert.equal(go.code, 1, what);
    assert.equal(ours.code, 1, what);
    assert.equal(ours.stderr, normalize(go.stderr), what);
  }
  const tags = await client.listTags({ registry: R, repository: repo.slice(R.length + 1) });
  assert.deepEqual(tags.filter((t) => t.endsWith(".sbom")), []);
});

Deno.test("attach sbom --registry-referrers-mode=oci-1-1: ours refuses it clearly (not supported)", async () => {
  const repo = await freshRepo();
  const r = await run("ours", [
    "attach",
    "sbom",
    "--registry-referrers-mode=oci-1-1",
    "--sbom",
    "sbom.spdx.json",
    `${repo}:amd64`,
  ], opts({ COSIGN_EXPERIMENTAL: "1" }));
  assert.equal(r.code, 1, describe(r));
  assert.equal(
    r.stderr,
    "error: cannot use --registry-referrers-mode=oci-1-1 with attach sbom: OCI 1.1 referrers are not supported yet, only the legacy tag layout\n",
  );
});
