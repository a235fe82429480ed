/**
 * What scripts written for cosign rely on, checked against the real Go cosign v2.6.4: usage errors
 * exit 1 (with the same message after "error: "), `debug providers` prints the same list,
 * `version` passes a "cosign ≥ 2" check, `completion powershell` exists.
 */
import assert from "node:assert/strict";
import { describe, run, type RunResult, TOOLS, withTempDir } from "./_run.ts";

/** Go's "Error: x" + "error during command execution: x" as our one line. */
function goError(stderr: string): string {
  const m = /(?:^|\n)Error: (.*)\n/.exec(stderr);
  return m ? m[1] : "";
}

Deno.test("interop: usage errors exit 1 in both, with cosign's message", async () => {
  await withTempDir(async (dir) => {
    const cases: { args: string[]; sameMessage: boolean }[] = [
      { args: ["frobnicate"], sameMessage: true },
      { args: ["sign-blob", "--nope", "x"], sameMessage: true },
      { args: ["public-key", "--key"], sameMessage: true },
      { args: ["verify-blob"], sameMessage: true },
      { args: ["copy", "a"], sameMessage: true },
      { args: ["triangulate", "a", "b"], sameMessage: true },
      { args: ["completion", "tcsh"], sameMessage: false },
      { args: ["sign-blob", "--b64=maybe", "x"], sameMessage: true },
      // pflag names the flag "-t, --timeout"; ours says "--timeout".
      { args: ["verify-blob", "--timeout=xyz", "a"], sameMessage: false },
      { args: ["generate-key-pair", "--yes"], sameMessage: true },
    ];
    for (const c of cases) {
      const [go, ours]: RunResult[] = await Promise.all(
        TOOLS.map((t) => run(t, c.args, { cwd: dir, password: "" })),
      );
      const what = `${c.args.join(" ")}\n${describe(go)}\n${describe(ours)}`;
      assert.equal(go.code, 1, what);
      assert.equal(ours.code, 1, what);
      assert.match(ours.stderr, /^error: .+\n$/, what);
      if (c.sameMessage) assert.equal(ours.stderr, `error: ${goError(go.stderr)}\n`, what);
    }
  });
});

Deno.test("interop: debug providers prints what Go prints, for the same environment", async () => {
  await withTempDir(async (dir) => {
    const socket = `${dir}/spire.sock`;
    await Deno.writeTextFile(socket, "");
    const envs: Record<string, string>[] = [
      {},
      { SIGSTORE_ID_TOKEN: "" },
      {
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t",
        ACTIONS_ID_TOKEN_REQUEST_URL: "https://token.example",
      },
      { ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t" },
      { BUILDKITE_AGENT_ACCESS_TOKEN: "t", GOOGLE_SERVICE_ACCOUNT_NAME: "sa@p.example" },
      { SPIFFE_ENDPOINT_SOCKET: socket },
      { SPIFFE_ENDPOINT_SOCKET: `${dir}/missing.sock` },
    ];
    for (const env of envs) {
      const [go, ours] = await Promise.all(
        TOOLS.map((t) => run(t, ["debug", "providers"], { cwd: dir, env })),
      );
      const what = `${JSON.stringify(env)}\n${describe(go)}\n${describe(ours)}`;
      assert.equal(go.code, 0, what);
      assert.equal(ours.code, 0, what);
      assert.equal(ours.stdout, go.stdout, what);
      assert.equal(go.stdout.split("\n").length, 8, what);
    }
  });
});

Deno.test("interop: version passes a cosign >= 2 check in both; ours adds CosignCompat", async () => {
  await withTempDir(async (dir) => {
    const [go, ours] = await Promise.all(TOOLS.map((t) => run(t, ["version"], { cwd: dir })));
    const [goJson, oursJson] = await Promise.all(
      TOOLS.map((t) => run(t, ["version", "--json"], { cwd: dir })),
    );
    for (const r of [go, ours]) {
      const m = /^GitVersion:\s+v(\d+)\.(\d+)\.(\d+)/m.exec(r.stdout);
      assert.ok(m && Number(m[1]) >= 2, describe(r));
    }
    const g = JSON.parse(goJson.stdout);
    const o = JSON.parse(oursJson.stdout);
    // Every field cosign prints is there, in cosign's order, then ours.
    assert.deepEqual(Object.keys(o), [...Object.keys(g), "cosignCompat"]);
    assert.equal(o.cosignCompat, g.gitVersion);
    assert.match(o.gitVersion, new RegExp(`^${g.gitVersion.replaceAll(".", "\\.")}\\+deno\\.`));
    // The text lines line up the same way (release-utils' tabwriter).
    const labels = (s: string) =>
      s.split("\n").filter((l) => /^Git|^Go|^Compiler|^Platform/.test(l))
        .map((l) => l.replace(/\S+$/, ""));
    assert.deepEqual(labels(ours.stdout), labels(go.stdout));
  });
});

Deno.test("interop: completion powershell exists in both", async () => {
  await withTempDir(async (dir) => {
    for (const t of TOOLS) {
      const r = await run(t, ["completion", "powershell"], { cwd: dir });
      assert.equal(r.code, 0, describe(r));
      assert.match(r.stdout, /Register-ArgumentCompleter .*-CommandName '?cosign'?/, describe(r));
    }
  });
});
