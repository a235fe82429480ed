/**
 * The registry commands against the real Go cosign v2.6.4 on one real registry (Debian's
 * distribution): byte-for-byte equal stdout where the output is deterministic (generate,
 * triangulate, download signature, tree, upload blob/wasm digests), and round trips where one
 * tool writes and the other reads (attach → download/verify, copy → verify, upload → triangulate,
 * clean → download).
 */
import assert from "node:assert/strict";
import { createRegistry } from "../../lib/registry/client.ts";
import { startRegistry } from "../peers/registry.ts";
import { IMAGES, pushTestImages } from "../helpers/oci_images.ts";
import {
  describe,
  expectSuccess,
  run,
  type RunOptions,
  suiteDir,
  suiteOptions,
  type Tool,
  TOOLS,
} from "./_run.ts";

const registry = await startRegistry({ mode: "http" });
const R = registry.host;
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-registry-commands-");
globalThis.addEventListener("unload", () => {
  client.close();
  void registry.stop();
});

const opts = (env: Record<string, string> = {}, stdin?: Uint8Array): RunOptions => ({
  ...suiteOptions(dir, env),
  stdin,
});
const { amd64, arm64 } = IMAGES;

expectSuccess(await run("go", ["generate-key-pair"], opts()), "keys");

let counter = 0;
async function freshRepo(): Promise<string> {
  const name = `interop/c${++counter}`;
  await pushTestImages(client, { registry: R, repository: name });
  return `${R}/${name}`;
}

function sign(tool: Tool, image: string, extra: string[] = []) {
  return run(
    tool,
    ["sign", "--key", "cosign.key", "--tlog-upload=false", "-y", ...extra, image],
    opts(),
  );
}

/** Runs the same command with both tools and asserts equal exit codes and stdout bytes. */
async function same(args: string[], what: string, env: Record<string, string> = {}) {
  const [go, ours] = await Promise.all(TOOLS.map((t) => run(t, args, opts(env))));
  assert.equal(
    ours.code,
    go.code,
    `${what}: exit codes differ\n${describe(go)}\n${describe(ours)}`,
  );
  assert.equal(
    ours.stdout,
    go.stdout,
    `${what}: stdout differs\n${describe(go)}\n${describe(ours)}`,
  );
  return { go, ours };
}

Deno.test("generate and triangulate print what cosign prints", async () => {
  const repo = await freshRepo();
  await same(["generate", `${repo}:amd64`], "generate");
  await same(["generate", "-a", "z=1", "-a", "a=<&>", `${repo}@${arm64}`], "generate -a");
  // Both refuse "a=b=c" with exit code 1.
  for (const t of TOOLS) {
    const r = await run(t, ["generate", "-a", "a=b=c", `${repo}:amd64`], opts());
    assert.equal(r.code, 1, describe(r));
    assert.match(r.stderr, /rror: unable to parse annotation: a=b=c\n/);
  }
  for (const type of ["signature", "attestation", "sbom", "digest"]) {
    await same(["triangulate", "--type", type, `${repo}:amd64`], `triangulate ${type}`);
    await same(
      ["triangulate", "--type", type, "--attachment-tag-prefix", "x-", `${repo}:amd64`],
      `triangulate ${type} prefix`,
      { COSIGN_REPOSITORY: `${R}/elsewhere` },
    );
  }
});

Deno.test("download signature and tree print the same bytes for signatures of both tools", async () => {
  const repo = await freshRepo();
  await same(["download", "signature", `${repo}:amd64`], "download unsigned"); // both exit 1
  await same(["tree", `${repo}:amd64`], "tree unsigned");
  expectSuccess(await sign("go", `${repo}@${amd64}`, ["-a", "by=go"]), "go sign");
  expectSuccess(await sign("ours", `${repo}@${amd64}`, ["-a", "by=ours"]), "our sign");
  const { ours } = await same(["download", "signature", `${repo}:amd64`], "download");
  assert.equal(ours.stdout.split("\n").length, 3);
  await same(["tree", `${repo}:amd64`], "tree");
  await same(["download", "signature", `${repo}:amd64`], "download too large", {
    COSIGN_MAX_ATTACHMENT_SIZE: "10",
  });
});

Deno.test("attach signature: each tool reads what the other attached", async () => {
  const repo = await freshRepo();
  for (
    const [writer, image] of [["go", `${repo}@${amd64}`], ["ours", `${repo}@${arm64}`]] as const
  ) {
    const payload = await run("go", ["generate", image], opts());
    await Deno.writeTextFile(`${dir}/${writer}.json`, payload.stdout);
    const sig = await run(
      "go",
      ["sign-blob", "--key", "cosign.key", "--tlog-upload=false", `${writer}.json`],
      opts(),
    );
    await Deno.writeTextFile(`${dir}/${writer}.sig`, sig.stdout);
    expectSuccess(
      await run(writer, [
        "attach",
        "signature",
        "--payload",
        `${writer}.json`,
        "--signature",
        `${writer}.sig`,
        image,
      ], opts()),
      `${writer} attach`,
    );
    await same(["download", "signature", image], `download after ${writer} attach`);
    for (const reader of TOOLS) {
      expectSuccess(
        await run(
          reader,
          ["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", image],
          opts(),
        ),
        `${reader} verifies what ${writer} attached`,
      );
    }
  }
});

Deno.test("upload blob and wasm make the same images as cosign", async () => {
  await Deno.writeTextFile(`${dir}/a.txt`, "some text\n");
  await Deno.writeFile(`${dir}/b.bin`, new Uint8Array([0, 1, 2, 3, 0xff, 0x1f, 0x8b]));
  await Deno.writeFile(`${dir}/m.wasm`, new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  const digestOf = (s: string) => s.trim().split("@")[1];
  for (const files of [["a.txt"], ["b.bin"], ["a.txt:linux/amd64", "b.bin:darwin/arm64"]]) {
    const args = files.flatMap((f) => ["-f", f]);
    const [go, ours] = await Promise.all(
      TOOLS.map((t) =>
        run(t, ["upload", "blob", "-a", "k=v", ...args, `${R}/interop/up-${t}:t`], opts())
      ),
    );
    expectSuccess(go, "go upload");
    expectSuccess(ours, "our upload");
    const pick = (r: typeof go) =>
      files.length > 1 ? /index to \S+@(\S+)/.exec(r.stderr)![1] : digestOf(r.stdout);
    assert.equal(pick(ours), pick(go), `${files.join(" ")}\n${describe(go)}\n${describe(ours)}`);
    // What ours uploaded, Go resolves to the digest ours printed.
    const tri = await run(
      "go",
      ["triangulate", "--type", "digest", `${R}/interop/up-ours:t`],
      opts(),
    );
    assert.equal(tri.stdout.trim().split("@")[1], pick(ours));
  }
  await Promise.all(
    TOOLS.map((t) => run(t, ["upload", "wasm", "-f", "m.wasm", `${R}/interop/wasm-${t}`], opts())),
  );
  const [g, o] = await Promise.all(
    TOOLS.map((t) =>
      client.headManifest({ registry: R, repository: `interop/wasm-${t}` }, "latest")
    ),
  );
  assert.equal(o?.digest, g?.digest);
});

Deno.test("copy: what one tool copies the other verifies at the destination", async () => {
  const repo = await freshRepo();
  expectSuccess(await sign("go", `${repo}:multi`, ["--recursive"]), "sign");
  for (const [copier, verifier] of [["ours", "go"], ["go", "ours"]] as const) {
    const dst = `${R}/interop/copied-by-${copier}`;
    expectSuccess(
      await run(copier, ["copy", `${repo}:multi`, `${dst}:v1`], opts()),
      `${copier} copy`,
    );
    for (const image of [`${dst}:v1`, `${dst}@${amd64}`, `${dst}@${arm64}`]) {
      expectSuccess(
        await run(
          verifier,
          ["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", image],
          opts(),
        ),
        `${verifier} verifies ${image}`,
      );
    }
  }
  const [a, b] = await Promise.all(
    ["ours", "go"].map((t) =>
      client.listTags({ registry: R, repository: `interop/copied-by-${t}` })
    ),
  );
  assert.deepEqual(a.sort(), b.sort());
  // Both refuse to overwrite a different image.
  for (const t of TOOLS) {
    const r = await run(t, ["copy", `${repo}:amd64`, `${R}/interop/copied-by-${t}:v1`], opts());
    assert.equal(r.code, 1, describe(r));
    assert.match(r.stderr, /already exists\. Use `-f` to overwrite/);
  }
});

Deno.test("copy --only=sig|att: both tools copy the image manifest too, pullable by digest", async () => {
  const repo = await freshRepo();
  expectSuccess(await sign("go", `${repo}@${amd64}`), "sign");
  await Deno.writeTextFile(`${dir}/only-predicate.json`, '{"hello":"world"}');
  expectSuccess(
    await run("go", [
      "attest",
      "--key",
      "cosign.key",
      "--tlog-upload=false",
      "-y",
      "--predicate",
      "only-predicate.json",
      `${repo}@${amd64}`,
    ], opts()),
    "attest",
  );
  for (const only of ["sig", "att"]) {
    const tagsBy: Record<string, string[]> = {};
    for (const t of TOOLS) {
      const name = `interop/only-${only}-by-${t}`;
      const dst = `${R}/${name}`;
      const r = expectSuccess(
        await run(t, ["copy", `--only=${only}`, `${repo}:amd64`, `${dst}:v1`], opts()),
        `${t} copy --only=${only}`,
      );
      assert.match(r.stderr, new RegExp(`Copying ${repo}@${amd64} to ${dst}:sha256-`));
      tagsBy[t] = (await client.listTags({ registry: R, repository: name })).sort();
      // The image itself is at the destination: pullable by digest, not tagged v1.
      const m = await client.getManifest({ registry: R, repository: name }, amd64);
      assert.equal(m.digest, amd64);
      assert.equal(await client.headManifest({ registry: R, repository: name }, "v1"), undefined);
      // And the other tool verifies what was copied, by digest.
      const verifier = t === "go" ? "ours" : "go";
      const verify = only === "sig"
        ? ["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", `${dst}@${amd64}`]
        : [
          "verify-attestation",
          "--key",
          "cosign.pub",
          "--insecure-ignore-tlog",
          `${dst}@${amd64}`,
        ];
      expectSuccess(await run(verifier, verify, opts()), `${verifier} ${verify[0]} after ${t}`);
    }
    const hex = amd64.slice("sha256:".length);
    assert.deepEqual(tagsBy.go, [`sha256-${hex}`, `sha256-${hex}.${only}`]);
    assert.deepEqual(tagsBy.ours, tagsBy.go);
  }
});

Deno.test("clean: after ours cleans, cosign finds no signatures", async () => {
  const repo = await freshRepo();
  expectSuccess(await sign("go", `${repo}@${amd64}`), "sign");
  const r = expectSuccess(await run("ours", ["clean", "-f", `${repo}:amd64`], opts()), "clean");
  assert.match(r.stderr, /^Removed \S+\.sig from /);
  const d = await run("go", ["download", "signature", `${repo}:amd64`], opts());
  assert.equal(d.code, 1);
  assert.match(d.stderr, /no signatures associated/);
});
