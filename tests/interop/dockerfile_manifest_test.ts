/**
 * `cosign dockerfile verify` and `cosign manifest verify`: the real Go cosign v2.6.4 and ours
 * extract the same images from every Dockerfile and manifest of tests/helpers/image_list_cases.ts
 * (the "Extracted image(s): …" line and the notes before it, or the same error and exit code),
 * with `--base-image-only` and build args from the environment. Both then go on to verify
 * (against no registry here: the proxy is dead), which is not what this suite checks; the
 * verification of extracted images is in tests/interop/images_dockerfile_test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DOCKERFILE_CASES, MANIFEST_CASES } from "../helpers/image_list_cases.ts";
import { describe, run, type RunResult, TOOLS, withTempDir } from "./_run.ts";

const KEY = join(import.meta.dirname!, "..", "fixtures", "trust-create", "rekor.pub");

/** What a run says about extraction: the lines up to "Extracted image(s)", or the error. */
function extraction(r: RunResult): string {
  const lines = r.stderr.split("\n");
  const at = lines.findIndex((l) => l.startsWith("Extracted image(s): "));
  if (at >= 0) return lines.slice(0, at + 1).filter((l) => !l.startsWith("WARNING")).join("\n");
  const err = lines.find((l) => /^(Error|error): /.test(l));
  return `${(err ?? "").replace(/^(Error|error): /, "")} (exit ${r.code})`;
}

async function both(args: string[], cwd: string, env?: Record<string, string>) {
  const results = [];
  for (const tool of TOOLS) results.push(await run(tool, args, { cwd, env }));
  return results;
}

for (const c of DOCKERFILE_CASES.filter((c) => c.go !== false)) {
  Deno.test(`dockerfile verify: Go cosign and ours extract the same images: ${c.name}`, async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, "Dockerfile");
      await Deno.writeTextFile(file, c.text);
      for (const extra of [[], ["--base-image-only"]]) {
        const [go, ours] = await both(
          ["dockerfile", "verify", "--key", KEY, "--insecure-ignore-tlog=true", ...extra, file],
          dir,
          c.env,
        );
        assert.equal(extraction(ours), extraction(go), `${describe(go)}\n${describe(ours)}`);
        const expected = c.error
          ? `failed extracting images from Dockerfile: ${c.error} (exit 1)`
          : c.images.length === 0
          ? "no images found in Dockerfile (exit 1)"
          : [
            ...(c.notes ?? []),
            `Extracted image(s): ${(extra.length ? c.images.slice(-1) : c.images).join(", ")}`,
          ].join("\n");
        assert.equal(extraction(ours), expected);
      }
    });
  });
}

for (const c of MANIFEST_CASES.filter((c) => c.go !== false)) {
  Deno.test(`manifest verify: Go cosign and ours extract the same images: ${c.name}`, async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, "manifest.yaml");
      await Deno.writeTextFile(file, c.text);
      const [go, ours] = await both(
        ["manifest", "verify", "--key", KEY, "--insecure-ignore-tlog=true", file],
        dir,
      );
      assert.equal(extraction(ours), extraction(go), `${describe(go)}\n${describe(ours)}`);
      const expected = c.error
        ? "unable to extract the container image references in the manifest unable to decode the manifest (exit 1)"
        : c.images.length === 0
        ? "no images found in manifest (exit 1)"
        : `Extracted image(s): ${c.images.join(", ")}`;
      assert.equal(extraction(ours), expected);
    });
  });
}

Deno.test("manifest verify: both refuse a file that is not .yaml or .yml, and a missing one", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "pod.json"), "{}");
    for (
      const [file, message] of [
        [
          "pod.json",
          "check if extension is valid: only [.yaml .yml] manifests are supported at this time",
        ],
        ["missing.YML", `could not read manifest: open missing.YML: no such file or directory`],
      ]
    ) {
      const [go, ours] = await both(["manifest", "verify", "--key", KEY, file], dir);
      assert.equal(extraction(go), `${message} (exit 1)`, describe(go));
      assert.equal(extraction(ours), `${message} (exit 1)`, describe(ours));
    }
  });
});
