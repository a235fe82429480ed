/**
 * Key pairs made by one cosign load, print and sign in the other, both ways.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkAll,
  describe,
  expectSameFailure,
  expectSuccess,
  expectVerified,
  other,
  randomBlob,
  readText,
  run,
  type Tool,
  TOOLS,
  withTempDir,
} from "./_run.ts";

const PASSWORDS = ["", "s3cret"];

const PRIVATE_PEM =
  /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n(?:[A-Za-z0-9+/=]{1,64}\n)+-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n$/;
const PUBLIC_PEM =
  /^-----BEGIN PUBLIC KEY-----\n(?:[A-Za-z0-9+/=]{1,64}\n)+-----END PUBLIC KEY-----\n$/;

/**
 * `maker` generates a pair; the other tool prints its public key, signs with it, and both verify;
 * a wrong password fails in both with the same exit code.
 */
function keysLoadInTheOtherTool(maker: Tool): Promise<void> {
  const reader = other(maker);
  return checkAll(
    PASSWORDS,
    (p) => `password ${JSON.stringify(p)}`,
    (password) =>
      withTempDir(async (dir) => {
        const opts = { cwd: dir, password };
        expectSuccess(await run(maker, ["generate-key-pair"], opts), `${maker} generate-key-pair`);
        const key = await readText(join(dir, "cosign.key"));
        const pub = await readText(join(dir, "cosign.pub"));
        assert.match(key, PRIVATE_PEM, `${maker} cosign.key is not an encrypted sigstore key PEM`);
        assert.match(pub, PUBLIC_PEM, `${maker} cosign.pub is not a PUBLIC KEY PEM`);

        const printed = expectSuccess(
          await run(reader, ["public-key", "--key", "cosign.key"], opts),
          `${reader} public-key of ${maker}'s key`,
        );
        assert.equal(
          printed.stdout,
          pub,
          `public key differs from cosign.pub\n${describe(printed)}`,
        );

        const outfile = expectSuccess(
          await run(reader, ["public-key", "--key", "cosign.key", "--outfile", "out.pub"], opts),
          `${reader} public-key --outfile`,
        );
        assert.equal(await readText(join(dir, "out.pub")), pub, describe(outfile));

        await Deno.writeFile(join(dir, "blob"), randomBlob(4096));
        expectSuccess(
          await run(reader, [
            "sign-blob",
            "--key",
            "cosign.key",
            "--tlog-upload=false",
            "--yes",
            "--output-signature",
            "blob.sig",
            "blob",
          ], opts),
          `${reader} sign-blob with ${maker}'s key`,
        );
        for (const verifier of TOOLS) {
          expectVerified(
            await run(verifier, [
              "verify-blob",
              "--key",
              "cosign.pub",
              "--signature",
              "blob.sig",
              "--insecure-ignore-tlog=true",
              "blob",
            ], { cwd: dir }),
            `${verifier} verify-blob of ${reader}'s signature`,
          );
        }

        const wrong = await Promise.all(
          TOOLS.map((t) =>
            run(t, ["public-key", "--key", "cosign.key"], { cwd: dir, password: `${password}x` })
          ),
        );
        expectSameFailure(wrong, `public-key of ${maker}'s key with a wrong password`);
      }),
  );
}

Deno.test("interop: keys from Go generate-key-pair load, print and sign in ours", async () => {
  await keysLoadInTheOtherTool("go");
});

Deno.test("interop: keys from our generate-key-pair load, print and sign in Go", async () => {
  await keysLoadInTheOtherTool("ours");
});

Deno.test("interop: generate-key-pair --output-key-prefix writes the same files with the same modes", async () => {
  await withTempDir(async (root) => {
    const made = await Promise.all(TOOLS.map(async (tool) => {
      const dir = join(root, tool);
      await Deno.mkdir(dir);
      const result = expectSuccess(
        await run(tool, ["generate-key-pair", "--output-key-prefix", "release"], {
          cwd: dir,
          home: root,
          password: "",
        }),
        `${tool} generate-key-pair --output-key-prefix release`,
      );
      const files: string[] = [];
      for await (const entry of Deno.readDir(dir)) {
        const mode = (await Deno.stat(join(dir, entry.name))).mode! & 0o777;
        files.push(`${entry.name} ${mode.toString(8)}`);
      }
      return { result, files: files.sort() };
    }));
    const [go, ours] = made;
    assert.deepEqual(go.files, ["release.key 600", "release.pub 644"], describe(go.result));
    assert.deepEqual(ours.files, go.files, describe(ours.result));
    assert.equal(ours.result.stdout, go.result.stdout, describe(ours.result));
  });
});

Deno.test("interop: generate-key-pair asks before overwriting cosign.key, like Go", async () => {
  await withTempDir(async (root) => {
    const answers: [string, Uint8Array | undefined][] = [
      ["no stdin", undefined],
      ['"n"', new TextEncoder().encode("n\n")],
      ['"y"', new TextEncoder().encode("y\n")],
    ];
    await checkAll(answers, ([name]) => `answer ${name}`, async ([name, stdin]) => {
      const results = await Promise.all(TOOLS.map(async (tool) => {
        const dir = join(root, `${tool}-${name.replace(/\W/g, "")}`);
        await Deno.mkdir(dir);
        const opts = { cwd: dir, home: root, password: "" };
        expectSuccess(
          await run(tool, ["generate-key-pair"], opts),
          `${tool} first generate-key-pair`,
        );
        const before = await readText(join(dir, "cosign.key"));
        const again = await run(tool, ["generate-key-pair"], { ...opts, stdin });
        const after = await readText(join(dir, "cosign.key"));
        return { again, replaced: before !== after };
      }));
      const [go, ours] = results;
      if (stdin && name === '"y"') {
        expectSuccess(go.again, "Go overwrites on y");
        expectSuccess(ours.again, "ours overwrites on y");
        assert.equal(
          ours.replaced,
          true,
          `ours did not replace cosign.key\n${describe(ours.again)}`,
        );
      } else {
        expectSameFailure([go.again, ours.again], `existing cosign.key, answer ${name}`);
        assert.equal(go.replaced, false);
        assert.equal(ours.replaced, false, `ours replaced cosign.key\n${describe(ours.again)}`);
      }
    });
  });
});

Deno.test("interop: COSIGN_YES=true never overwrites cosign.key without a terminal, like Go", async () => {
  await withTempDir(async (root) => {
    // cosign's own test scripts export COSIGN_YES=true; Go's generate-key-pair has no --yes, so
    // only an answer on standard input may replace a key.
    const cases: { name: string; args: string[]; password?: string; stdin?: string }[] = [
      { name: "COSIGN_YES=true, nothing on stdin", args: [], password: "" },
      { name: "COSIGN_YES=true, password piped", args: [], stdin: "pw\n" },
      { name: "COSIGN_YES=true, y piped as the password", args: [], stdin: "y\n" },
      { name: "--yes", args: ["--yes"], password: "" },
    ];
    await checkAll(cases, (c) => c.name, async (c) => {
      const results = await Promise.all(TOOLS.map(async (tool) => {
        const dir = join(root, `${tool}-${c.name.replace(/\W/g, "")}`);
        await Deno.mkdir(dir);
        expectSuccess(
          await run(tool, ["generate-key-pair"], { cwd: dir, home: root, password: "" }),
          `${tool} first generate-key-pair`,
        );
        const before = [
          await readText(join(dir, "cosign.key")),
          await readText(join(dir, "cosign.pub")),
        ];
        const again = await run(tool, ["generate-key-pair", ...c.args], {
          cwd: dir,
          home: root,
          password: c.password,
          stdin: c.stdin === undefined ? undefined : new TextEncoder().encode(c.stdin),
          env: { COSIGN_YES: "true" },
        });
        const after = [
          await readText(join(dir, "cosign.key")),
          await readText(join(dir, "cosign.pub")),
        ];
        return { again, kept: before[0] === after[0] && before[1] === after[1] };
      }));
      const [go, ours] = results;
      expectSameFailure([go.again, ours.again], c.name);
      assert.equal(go.kept, true, describe(go.again));
      assert.equal(ours.kept, true, describe(ours.again));
      if (c.args.length === 0) {
        assert.match(go.again.stderr, /WARNING: File cosign\.key already exists\. Overwrite\?\n/);
        assert.match(ours.again.stderr, /WARNING: File cosign\.key already exists\. Overwrite\?\n/);
        assert.match(
          ours.again.stderr,
          /\nerror: cannot write cosign\.key: file exists and overwriting was declined\n$/,
        );
      } else {
        assert.match(ours.again.stderr, /^error: unknown flag: --yes\n$/);
      }
    });
  });
});
