/**
 * `download attestation` and `attach attestation`, ours against the Go cosign on the real
 * registry: identical download output, and envelopes attached by one tool verify with the other.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createRegistry } from "../../lib/registry/client.ts";
import { startRegistry } from "../peers/registry.ts";
import { pushImage } from "../registry/_helpers.ts";
import { describe, expectSuccess, run, suiteDir, suiteOptions, type Tool, TOOLS } from "./_run.ts";

const registry = await startRegistry({ mode: "http" });
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-att-dl-");
addEventListener("unload", () => client.close());
globalThis.addEventListener("unload", () => void registry.stop());

const opts = suiteOptions(dir);
expectSuccess(await run("go", ["generate-key-pair"], opts), "keys");
await Deno.writeTextFile(join(dir, "predicate.json"), '{"builder":{"id":"https://example/ci"}}');

let n = 0;
async function image(): Promise<string> {
  const repo = `att/app${++n}`;
  const { digest } = await pushImage(client, { registry: registry.host, repository: repo }, "v1");
  return `${registry.host}/${repo}@${digest}`;
}

const download = (tool: Tool, ref: string, extra: string[] = []) =>
  run(tool, ["download", "attestation", ...extra, ref], opts);

Deno.test("download attestation prints the same lines in both tools", async () => {
  const ref = await image();
  expectSuccess(
    await run("go", [
      "attest",
      "--key",
      "cosign.key",
      "--type",
      "custom",
      "--predicate",
      "predicate.json",
      "--tlog-upload=false",
      "--yes",
      ref,
    ], opts),
    "go attests",
  );
  const [go, ours] = await Promise.all(TOOLS.map((t) => download(t, ref)));
  expectSuccess(go, "go downloads");
  expectSuccess(ours, "ours downloads");
  assert.equal(ours.stdout, go.stdout, describe(ours));
  assert.equal(ours.stdout.trim().split("\n").length, 1);
  const filtered = await Promise.all(
    TOOLS.map((t) => download(t, ref, ["--predicate-type", "https://slsa.dev/provenance/v0.2"])),
  );
  assert.equal(filtered[1].code, filtered[0].code, describe(filtered[1]));
});

Deno.test("an envelope attached by one tool verifies with the other", async () => {
  const source = await image();
  expectSuccess(
    await run("ours", [
      "attest",
      "--key",
      "cosign.key",
      "--type",
      "custom",
      "--predicate",
      "predicate.json",
      "--tlog-upload=false",
      "--yes",
      source,
    ], opts),
    "ours attests",
  );
  const line = expectSuccess(await download("ours", source), "download").stdout;
  await Deno.writeTextFile(join(dir, "envelope.json"), line);
  for (const attacher of TOOLS) {
    // The statement's subject is the source image, so the envelope goes back onto it.
    const target = source;
    expectSuccess(
      await run(
        attacher,
        ["attach", "attestation", "--attestation", "envelope.json", target],
        opts,
      ),
      `${attacher} attaches`,
    );
    for (const verifier of TOOLS) {
      const v = await run(verifier, [
        "verify-attestation",
        "--key",
        "cosign.pub",
        "--type",
        "custom",
        "--insecure-ignore-tlog=true",
        target,
      ], opts);
      expectSuccess(v, `${verifier} verifies what ${attacher} attached`);
    }
  }
});
