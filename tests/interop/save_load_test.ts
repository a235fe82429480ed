/**
 * `cosign save`, `cosign load` and `cosign verify --local-image` against the real Go cosign
 * v2.6.4 and a real registry: both save the same layout byte for byte, each loads and verifies
 * what the other saved, and both fail alike on an unsigned or wrongly signed saved image (exit 1:
 * cosign maps --local-image failures to no special exit code).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fakeIo } from "../../cli/_test_io.ts";
import type { Command } from "../../cli/command.ts";
import { cosignCommand } from "../../cli/commands/mod.ts";
import { loadCommand } from "../../cli/commands/load.ts";
import { saveCommand } from "../../cli/commands/save.ts";
import { run as runCli } from "../../cli/run.ts";
import { createRegistry } from "../../lib/registry/client.ts";
import { pushTestImages } from "../helpers/oci_images.ts";
import { startRegistry } from "../peers/registry.ts";
import {
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
const dir = await suiteDir("cosign-interop-save-");
addEventListener("unload", () => client.close());
globalThis.addEventListener("unload", () => void registry.stop());

const KEY = join(FIXTURES, "cosign-oci", "cosign.key");
const PUB = join(FIXTURES, "cosign-oci", "cosign.pub");
const OTHER_PUB = join(FIXTURES, "attest", "cosign.pub");
const opts = suiteOptions(dir);
await Deno.writeTextFile(join(dir, "predicate.json"), '{"built":"here"}');

/** Our cosign with save and load, whether or not the command tree registers them yet. */
const root: Command = cosignCommand.subcommands!.some((c) => c.name === "save")
  ? cosignCommand
  : { ...cosignCommand, subcommands: [...cosignCommand.subcommands!, saveCommand, loadCommand] };

/** Runs save/load with our cosign (in-process) or Go's. */
async function saveOrLoad(tool: Tool, args: string[]) {
  if (tool === "go") return expectSuccess(await run("go", args, opts), `go ${args.join(" ")}`);
  const io = fakeIo({ env: { COSIGN_PASSWORD: "" } });
  const code = await runCli(root, args, io, { normalize: true });
  assert.equal(code, 0, `ours ${args.join(" ")}: ${io.err()}`);
}

let counter = 0;

/** Pushes the test images to a fresh repository; signs (and attests) with Go. */
async function signedImages(attest: boolean) {
  const repository = `save/app${++counter}`;
  const digests = await pushTestImages(client, { registry: registry.host, repository });
  const at = (d: string) => `${registry.host}/${repository}@${d}`;
  for (const d of [digests.amd64, digests.index]) {
    expectSuccess(
      await run("go", ["sign", "--key", KEY, "--tlog-upload=false", "--yes", at(d)], opts),
      "go sign",
    );
  }
  if (attest) {
    expectSuccess(
      await run("go", [
        "attest",
        "--key",
        KEY,
        "--tlog-upload=false",
        "--yes",
        "--type",
        "custom",
        "--predicate",
        join(dir, "predicate.json"),
        at(digests.amd64),
      ], opts),
      "go attest",
    );
  }
  return {
    image: `${registry.host}/${repository}:amd64`,
    unsigned: `${registry.host}/${repository}:arm64`,
    index: `${registry.host}/${repository}:multi`,
    repository,
  };
}

/** Every file of a folder with its bytes, by relative path. */
async function tree(path: string, prefix = ""): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const e of Deno.readDir(join(path, prefix))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) { for (const [k, v] of await tree(path, rel)) out.set(k, v); }
    else out.set(rel, new Uint8Array(await Deno.readFile(join(path, rel))).toBase64());
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

function verifyLocal(tool: Tool, layout: string, key = PUB) {
  return run(tool, [
    "verify",
    "--key",
    key,
    "--insecure-ignore-tlog=true",
    "--local-image",
    layout,
  ], opts);
}

Deno.test("cosign save writes the same layout as Go's, and both verify it with --local-image", async () => {
  const images = await signedImages(true);
  for (const [name, ref] of [["image", images.image], ["index", images.index]]) {
    const goDir = join(dir, `go-${name}-${counter}`);
    const ourDir = join(dir, `ours-${name}-${counter}`);
    await saveOrLoad("go", ["save", "--dir", goDir, ref]);
    await saveOrLoad("ours", ["save", "--dir", ourDir, ref]);
    const [goTree, ourTree] = [await tree(goDir), await tree(ourDir)];
    assert.deepEqual([...ourTree.keys()], [...goTree.keys()], name);
    assert.deepEqual(ourTree, goTree, name);

    const outputs = [];
    for (const tool of TOOLS) {
      for (const layout of [goDir, ourDir]) {
        const r = expectSuccess(await verifyLocal(tool, layout), `${tool} verifies ${layout}`);
        assert.match(r.stderr, /The signatures were verified against the specified public key/);
        outputs.push(r.stdout);
      }
    }
    assert.equal(new Set(outputs).size, 1, outputs.join("\n"));
  }
});

Deno.test("each cosign loads what the other saved; both verify the loaded image", async () => {
  const images = await signedImages(true);
  for (const [saver, loader] of [["go", "ours"], ["ours", "go"]] as const) {
    const layout = join(dir, `${saver}-saved-${counter}`);
    await saveOrLoad(saver, ["save", "--dir", layout, images.image]);
    const target = `${registry.host}/loaded/${saver}-to-${loader}:v1`;
    await saveOrLoad(loader, ["load", "--dir", layout, target]);
    for (const tool of TOOLS) {
      expectSuccess(
        await run(tool, ["verify", "--key", PUB, "--insecure-ignore-tlog=true", target], opts),
        `${tool} verifies ${target}`,
      );
    }
    expectSuccess(
      await run("go", [
        "verify-attestation",
        "--key",
        PUB,
        "--insecure-ignore-tlog=true",
        "--type",
        "custom",
        target,
      ], opts),
      `go verifies the attestation of ${target}`,
    );
  }
  // An index, loaded by ours, verifies with Go.
  const layout = join(dir, `go-saved-index-${counter}`);
  await saveOrLoad("go", ["save", "--dir", layout, images.index]);
  const target = `${registry.host}/loaded/index:v1`;
  await saveOrLoad("ours", ["load", "--dir", layout, target]);
  expectSuccess(
    await run("go", ["verify", "--key", PUB, "--insecure-ignore-tlog=true", target], opts),
    "go verifies the loaded index",
  );
});

Deno.test("verify --local-image fails alike: unsigned, another key, not a layout", async () => {
  const images = await signedImages(false);
  const unsigned = join(dir, `unsigned-${counter}`);
  await saveOrLoad("go", ["save", "--dir", unsigned, images.unsigned]);
  const signed = join(dir, `signed-${counter}`);
  await saveOrLoad("go", ["save", "--dir", signed, images.image]);
  const cases: [string, string, string, number][] = [
    ["unsigned", unsigned, PUB, 1],
    ["another key", signed, OTHER_PUB, 1],
    ["not a layout", join(dir, "predicate.json"), PUB, 1],
  ];
  for (const [what, layout, key, code] of cases) {
    const results = [];
    for (const tool of TOOLS) results.push(await verifyLocal(tool, layout, key));
    expectSameFailure(results, what);
    assert.equal(results[0].code, code, results.map(describe).join("\n"));
    assert.equal(results[1].stdout, "", what);
  }
  const ours = await verifyLocal("ours", unsigned);
  assert.match(ours.stderr, /^error: no signatures associated with the image saved in /m);
});
