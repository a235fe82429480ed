import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { callerDirectory, TASK_MARKER } from "./task_cwd.ts";

const ENTRY = new URL("./cosign.ts", import.meta.url).href;
const PROJECT = join(fileURLToPath(new URL(".", import.meta.url)), "..");

Deno.test("callerDirectory() picks INIT_CWD only when our deno task started us", () => {
  const cases: {
    name: string;
    env: Record<string, string>;
    cwd: string;
    entryUrl?: string;
    want: string | undefined;
  }[] = [
    {
      name: "deno task cosign, called from /home/u/app",
      env: { [TASK_MARKER]: "1", INIT_CWD: "/home/u/app" },
      cwd: PROJECT,
      want: "/home/u/app",
    },
    {
      name: "deno task cosign, the project folder spelled with a trailing separator and ..",
      env: { [TASK_MARKER]: "1", INIT_CWD: "/home/u/app" },
      cwd: `${PROJECT}/cli/../`,
      want: "/home/u/app",
    },
    {
      name: "a folder inside the project",
      env: { [TASK_MARKER]: "1", INIT_CWD: "/home/u/app" },
      cwd: `${PROJECT}/cli`,
      want: undefined,
    },
    {
      name: "deno run cli/cosign.ts with INIT_CWD inherited from an outer npm script",
      env: { INIT_CWD: "/home/u/app" },
      cwd: PROJECT,
      want: undefined,
    },
    {
      name: "the marker, but not running in the project folder",
      env: { [TASK_MARKER]: "1", INIT_CWD: "/home/u/app" },
      cwd: "/somewhere/else",
      want: undefined,
    },
    {
      name: "a relative INIT_CWD",
      env: { [TASK_MARKER]: "1", INIT_CWD: "app" },
      cwd: PROJECT,
      want: undefined,
    },
    {
      name: "no INIT_CWD",
      env: { [TASK_MARKER]: "1" },
      cwd: PROJECT,
      want: undefined,
    },
    {
      name: "a marker other than 1",
      env: { [TASK_MARKER]: "true", INIT_CWD: "/home/u/app" },
      cwd: PROJECT,
      want: undefined,
    },
    {
      name: "deno run <url>",
      env: { [TASK_MARKER]: "1", INIT_CWD: "/home/u/app" },
      cwd: PROJECT,
      entryUrl: "http://127.0.0.1:8000/cli/cosign.ts",
      want: undefined,
    },
  ];
  for (const c of cases) {
    const got = callerDirectory({
      getEnv: (n) => c.env[n],
      cwd: c.cwd,
      entryUrl: c.entryUrl ?? ENTRY,
    });
    assert.equal(got, c.want, c.name);
  }
});

const decoder = new TextDecoder();

/** Spawns `deno task <task> …` (the project's deno.json) from `cwd`, as a user would. */
/** The environment a shell would pass on: everything but what an outer task runner set. */
function inherited(): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.INIT_CWD;
  delete env.COSIGN_DENO_TASK;
  return env;
}

async function task(cwd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "--config", join(PROJECT, "deno.json"), ...args],
    cwd,
    // As from a user's shell: no INIT_CWD inherited from the `deno task test` running this test
    // (deno task keeps an inherited INIT_CWD, the documented limitation).
    clearEnv: true,
    env: { ...inherited(), COSIGN_PASSWORD: "", NO_COLOR: "1", ...env },
    stdin: "null",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("deno task cosign resolves relative paths against the caller's directory", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "cosign-task-" }));
  try {
    await Deno.mkdir(join(dir, "keys"));
    const prefix = `task-cwd-${crypto.randomUUID()}`;
    const gen = await task(dir, [
      "cosign",
      "generate-key-pair",
      "--output-key-prefix",
      `keys/${prefix}`,
    ]);
    assert.equal(gen.code, 0, gen.stderr);
    assert.equal(
      gen.stderr,
      `Private key written to keys/${prefix}.key\nPublic key written to keys/${prefix}.pub\n`,
    );
    assert.equal(await exists(join(dir, "keys", `${prefix}.key`)), true);
    assert.equal(await exists(join(dir, "keys", `${prefix}.pub`)), true);
    assert.equal(await exists(join(PROJECT, "keys")), false, "nothing written in the project");

    // A file argument and a flag value, both relative, both read from the caller's directory.
    await Deno.writeTextFile(join(dir, "blob.txt"), "hello\n");
    const signed = await task(dir, [
      "cosign",
      "sign-blob",
      "--key",
      `keys/${prefix}.key`,
      "--tlog-upload=false",
      "--output-signature",
      "blob.sig",
      "blob.txt",
    ]);
    assert.equal(signed.code, 0, signed.stderr);
    const verified = await task(dir, [
      "cosign",
      "verify-blob",
      "--key",
      `keys/${prefix}.pub`,
      "--signature",
      "blob.sig",
      "--insecure-ignore-tlog=true",
      "blob.txt",
    ]);
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stderr, /Verified OK\n$/);
    assert.equal(await exists(join(PROJECT, "blob.sig")), false);

    // The sget task goes through the same entry-point code.
    const sget = await task(dir, ["sget", "version"]);
    assert.equal(sget.code, 0, sget.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno run cli/cosign.ts keeps its working directory even with INIT_CWD set", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "cosign-run-" }));
  const elsewhere = await Deno.realPath(await Deno.makeTempDir({ prefix: "cosign-init-" }));
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        join(PROJECT, "cli", "cosign.ts"),
        "generate-key-pair",
      ],
      cwd: dir,
      env: { COSIGN_PASSWORD: "", INIT_CWD: elsewhere, NO_COLOR: "1" },
      stdin: "null",
    }).output();
    assert.equal(out.code, 0, decoder.decode(out.stderr));
    assert.equal(await exists(join(dir, "cosign.key")), true);
    assert.equal(await exists(join(elsewhere, "cosign.key")), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(elsewhere, { recursive: true });
  }
});

Deno.test("deno task cosign with an INIT_CWD that does not exist fails with one line", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "cosign-task-" }));
  try {
    const missing = join(dir, "gone");
    const r = await task(dir, ["cosign", "version"], { INIT_CWD: missing });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `^error: cannot change into the directory deno task was run from \\(INIT_CWD=${missing}\\): .+\\n$`,
      ),
    );
    assert.equal(r.stdout, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
