/**
 * `deno run <url>/cli/cosign.ts`: the program runs straight from a web server, as the README says,
 * with the project's `deno.json` as its import map (`--import-map <url>/deno.json`; Deno reads no
 * configuration file for remote modules, and the npm dependencies are bare specifiers). The
 * repository is served over loopback HTTP with TypeScript content types; the commands exercise the
 * lazily and statically imported npm modules (`@noble/hashes` on the transparency-log path).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "./peers/run.ts";

const TYPES: Record<string, string> = {
  ".ts": "application/typescript",
  ".json": "application/json",
};

Deno.test("cosign runs from a URL with deno.json as its import map", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.includes("..")) return new Response("no", { status: 400 });
    try {
      const body = await Deno.readFile(join(REPO_ROOT, path));
      const type = TYPES[path.slice(path.lastIndexOf("."))] ?? "application/octet-stream";
      return new Response(body, { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const fixtures = join(REPO_ROOT, "tests", "fixtures", "new_bundle");
  const cosign = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--reload=${base}`,
        "--import-map",
        `${base}/deno.json`,
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-net",
        "--allow-run",
        "--allow-sys",
        `${base}/cli/cosign.ts`,
        ...args,
      ],
      cwd: fixtures,
      env: { NO_PROXY: "127.0.0.1,localhost", no_proxy: "127.0.0.1,localhost" },
      stdin: "null",
    }).output();
  try {
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    const version = await cosign(["version", "--json"]);
    assert.equal(version.code, 0, decode(version.stderr));
    assert.equal(JSON.parse(decode(version.stdout)).gitVersion !== undefined, true);
    const verified = await cosign([
      "verify-blob",
      "--key",
      "cosign.pub",
      "--bundle",
      "a.sigstore.json",
      "--trusted-root",
      "trusted_root.json",
      "a.txt",
    ]);
    assert.equal(verified.code, 0, decode(verified.stderr));
    assert.match(decode(verified.stderr), /Verified OK\n$/);
  } finally {
    await server.shutdown();
  }
});
