import assert from "node:assert/strict";
import { cosign } from "./_test_io.ts";

Deno.test("run() prints help with examples first, for every command", async () => {
  for (
    const argv of [["--help"], ["sign-blob", "--help"], ["help", "verify-blob"], [
      "generate-key-pair",
      "-h",
    ]]
  ) {
    const { code, io } = await cosign(argv);
    assert.equal(code, 0, argv.join(" "));
    const out = io.out();
    assert.ok(out.indexOf("Examples:") < out.indexOf("Usage:"), `examples first for ${argv}`);
    assert.match(out, /Flags:\n/);
  }
});

Deno.test("run() lists the subcommands in the root help", async () => {
  const { io } = await cosign([]);
  for (
    const name of [
      "generate-key-pair",
      "import-key-pair",
      "public-key",
      "sign-blob",
      "verify-blob",
      "version",
      "env",
      "completion",
    ]
  ) {
    assert.match(io.out(), new RegExp(`\\n  ${name} `));
  }
});

Deno.test("run() rejects usage errors with exit code 1, as cosign, and one error line", async () => {
  const cases: [string[], string][] = [
    [["frobnicate"], `error: unknown command "frobnicate" for "cosign"\n`],
    [["sign-blob", "--nope"], "error: unknown flag: --nope\n"],
    [["sign-blob"], "error: requires at least 1 arg(s), only received 0\n"],
    [["verify-blob", "--key", "k.pub", "a", "b"], "error: accepts 1 arg(s), received 2\n"],
    [
      ["verify-blob", "a"],
      "error: provide a key with --key or --sk, a certificate to verify against with --certificate, or a bundle with --bundle\n",
    ],
    [["verify-blob", "--key", "k.pub", "a"], "error: missing flag '--signature'\n"],
    [
      ["sign-blob", "--b64=maybe", "x"],
      `error: invalid argument "maybe" for "--b64" flag: strconv.ParseBool: parsing "maybe": invalid syntax\n`,
    ],
    [["import-key-pair"], `error: required flag "key" not set\n`],
    [
      ["public-key"],
      "error: exactly one of: key reference (--key), or hardware token (--sk) must be provided\n",
    ],
    [
      ["completion", "tcsh"],
      `error: invalid argument "tcsh" for "cosign completion": use bash, zsh, fish or powershell\n`,
    ],
  ];
  for (const [argv, stderr] of cases) {
    const { code, io } = await cosign(argv);
    assert.equal(io.err(), stderr, argv.join(" "));
    assert.equal(code, 1, argv.join(" "));
    assert.equal(io.out(), "");
  }
});

Deno.test("run() never skips the transparency log silently", async () => {
  // sign-blob uploads by default: cosign's privacy statement, then its question (declined here).
  const dir = await Deno.makeTempDir();
  try {
    const blob = `${dir}/blob`;
    await Deno.writeTextFile(blob, "x");
    const gen = await cosign(["generate-key-pair", "--output-key-prefix", `${dir}/k`], {
      env: { COSIGN_PASSWORD: "" },
    });
    assert.equal(gen.code, 0);
    const declined = await cosign(["sign-blob", "--key", `${dir}/k.key`, blob], {
      env: { COSIGN_PASSWORD: "" },
    });
    assert.equal(declined.code, 1);
    assert.match(declined.io.err(), /^\n\tThe sigstore service, hosted by sigstore/);
    assert.match(
      declined.io.err(),
      /Are you sure you would like to continue\? \[y\/N\] \nerror: user declined the prompt\n$/,
    );
    assert.equal(declined.io.out(), "");
    // With --yes, an unreachable log is an error naming it; nothing is printed as a signature.
    const unreachable = await cosign(
      ["sign-blob", "--key", `${dir}/k.key`, "--yes", "--rekor-url", "http://127.0.0.1:1", blob],
      { env: { COSIGN_PASSWORD: "" } },
    );
    assert.equal(unreachable.code, 1);
    assert.match(
      unreachable.io.err(),
      /\nerror: cannot upload to the transparency log http:\/\/127\.0\.0\.1:1: /,
    );
    assert.equal(unreachable.io.out(), "");
    // verify-blob without a bundle looks the signature up in the log, which needs its key.
    const signed = await cosign(
      [
        "sign-blob",
        "--key",
        `${dir}/k.key`,
        "--tlog-upload=false",
        "--output-signature",
        `${dir}/sig`,
        blob,
      ],
      { env: { COSIGN_PASSWORD: "" } },
    );
    assert.equal(signed.code, 0);
    const verify = await cosign(
      ["verify-blob", "--key", `${dir}/k.pub`, "--signature", `${dir}/sig`, blob],
    );
    assert.equal(verify.code, 1);
    assert.equal(
      verify.io.err(),
      "error: cannot verify the transparency log entries: set SIGSTORE_REKOR_PUBLIC_KEY to the " +
        "log's public key, or pass --insecure-ignore-tlog=true to verify without the log\n",
    );
    // verify refuses before touching the registry when it has no way to trust a log.
    const image = await cosign(["verify", "--key", `${dir}/k.pub`, "127.0.0.1:1/app:v1"]);
    assert.equal(image.code, 1);
    assert.equal(
      image.io.err(),
      "error: cannot verify the transparency log entries: set SIGSTORE_REKOR_PUBLIC_KEY to the " +
        "log's public key or pass --trusted-root, or pass --insecure-ignore-tlog=true to verify " +
        "without the log\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run() binds COSIGN_<FLAG> variables to unset flags", async () => {
  // COSIGN_TLOG_UPLOAD=false lets sign-blob get past the transparency check to the missing key.
  const { code, io } = await cosign(["sign-blob", "--key", "missing.key", "blob"], {
    env: { COSIGN_TLOG_UPLOAD: "false" },
  });
  assert.equal(code, 1);
  assert.equal(io.err(), "error: cannot read blob blob: no such file or directory\n");
});

Deno.test("run() shows the cause chain with --verbose", async () => {
  const { code, io } = await cosign([
    "sign-blob",
    "--verbose",
    "--tlog-upload=false",
    "--key",
    "k",
    "/nonexistent/blob",
  ]);
  assert.equal(code, 1);
  const lines = io.err().trimEnd().split("\n");
  assert.equal(lines[0], "error: cannot read blob /nonexistent/blob: no such file or directory");
  assert.match(lines[1], /^ {2}caused by: NotFound: /);
});

Deno.test("run() warns about single-dash long flags and still runs", async () => {
  const { code, io } = await cosign(["-version"]);
  assert.equal(code, 0);
  assert.match(
    io.err(),
    /WARNING: the -version flag is deprecated.*Please use the version subcommand instead\./,
  );
  assert.match(io.out(), /GitVersion:\s+v\d+\.\d+\.\d+/);
});

Deno.test("version --json prints cosign's fields", async () => {
  const { code, io } = await cosign(["version", "--json"]);
  assert.equal(code, 0);
  const v = JSON.parse(io.out());
  assert.deepEqual(Object.keys(v), [
    "gitVersion",
    "gitCommit",
    "gitTreeState",
    "buildDate",
    "goVersion",
    "compiler",
    "platform",
    "cosignCompat",
  ]);
  assert.equal(v.gitVersion, "v2.6.4+deno.0.1.0");
  assert.equal(v.cosignCompat, "v2.6.4");
  assert.equal(v.compiler, "deno");
});

Deno.test("version prints cosign's text, GitVersion ≥ 2 for scripts, and CosignCompat", async () => {
  const { code, io } = await cosign(["version"]);
  assert.equal(code, 0);
  const lines = io.out().split("\n");
  const fields = lines.filter((l) => /^[A-Z][A-Za-z]+: /.test(l));
  assert.deepEqual(fields.map((l) => l.split(":")[0]), [
    "GitVersion",
    "GitCommit",
    "GitTreeState",
    "BuildDate",
    "GoVersion",
    "Compiler",
    "Platform",
    "CosignCompat",
  ]);
  assert.equal(fields[0], "GitVersion:    v2.6.4+deno.0.1.0");
  assert.equal(fields[7], "CosignCompat:  v2.6.4");
  // A script's "cosign version | grep GitVersion" major-version check.
  const major = Number(/GitVersion:\s+v(\d+)\./.exec(io.out())![1]);
  assert.ok(major >= 2);
  assert.match(io.out(), /^cosign: A tool for Container Signing/m);
});

Deno.test("env lists registered variables, masking sensitive values", async () => {
  const { code, io } = await cosign(["env"], {
    env: { COSIGN_PASSWORD: "hunter2", COSIGN_REPOSITORY: "r.example/sigs", COSIGN_CUSTOM: "x" },
  });
  assert.equal(code, 0);
  const out = io.out();
  assert.match(out, /^# COSIGN_PASSWORD overrides password inputs with this value\n# Expects: /m);
  assert.match(out, /^COSIGN_PASSWORD=\*\*\*\*\*\*$/m);
  assert.match(out, /^COSIGN_REPOSITORY=r\.example\/sigs$/m);
  assert.match(out, /^COSIGN_CUSTOM=\*\*\*\*\*\*$/m);
  assert.ok(!out.includes("hunter2"));
  const shown = await cosign(["env", "--show-descriptions=false", "--show-sensitive-values"], {
    env: { COSIGN_PASSWORD: "hunter2" },
  });
  assert.match(shown.io.out(), /^COSIGN_PASSWORD=hunter2$/m);
  assert.ok(!shown.io.out().includes("#"));
});

Deno.test("completion prints a script for each shell that names the commands", async () => {
  for (const shell of ["bash", "zsh", "fish"]) {
    const { code, io } = await cosign(["completion", shell]);
    assert.equal(code, 0);
    assert.match(io.out(), /sign-blob/);
    assert.match(io.out(), /output-signature/);
  }
  const bash = (await cosign(["completion", "bash"])).io.out();
  const check = new Deno.Command("bash", { args: ["-n"], stdin: "piped" }).spawn();
  const w = check.stdin.getWriter();
  await w.write(new TextEncoder().encode(bash));
  await w.close();
  assert.equal((await check.status).code, 0, "bash -n accepts the script");
});

Deno.test("run() --output-file writes standard output to the file, and only on success", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/version.txt`;
    const ok = await cosign(["version", "--json", "--output-file", out]);
    assert.equal(ok.code, 0);
    assert.equal(ok.io.out(), "");
    assert.match(await Deno.readTextFile(out), /"gitVersion"/);
    const failed = `${dir}/failed.txt`;
    const bad = await cosign([
      "verify-blob",
      "--key",
      `${dir}/missing.pub`,
      "--output-file",
      failed,
      "x",
    ]);
    assert.notEqual(bad.code, 0);
    await assert.rejects(Deno.stat(failed), Deno.errors.NotFound);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["version.txt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
