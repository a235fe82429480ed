/**
 * `cosign sign` and `cosign verify` (ours, in-process) against a real registry behind a fault
 * proxy: each fault gives one exact error line and exit code, and a failed sign leaves no
 * signature tag behind.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cosign } from "../../cli/_test_io.ts";
import { createRegistry } from "../../lib/registry/client.ts";
import { startFaultProxy } from "../peers/fault_proxy.ts";
import { startRegistry } from "../peers/registry.ts";
import { pushImage } from "./_helpers.ts";

const registry = await startRegistry({ mode: "http" });
const proxy = startFaultProxy(`http://${registry.host}`);
const direct = createRegistry({});
const dir = await Deno.makeTempDir({ prefix: "cosign-cli-faults-" });
addEventListener("unload", () => {
  direct.close();
  Deno.removeSync(dir, { recursive: true });
});
globalThis.addEventListener("unload", () => void proxy.stop().then(() => registry.stop()));

const ENV = { COSIGN_PASSWORD: "" };
const prefix = join(dir, "k");
assert.equal(
  (await cosign(["generate-key-pair", "--output-key-prefix", prefix], { env: ENV })).code,
  0,
);

let n = 0;
async function image(): Promise<{ ref: string; digest: string; repo: string }> {
  const repo = `faults/app${++n}`;
  const { digest } = await pushImage(direct, { registry: registry.host, repository: repo }, "v1");
  return { ref: `${proxy.host}/${repo}@${digest}`, digest, repo };
}

const sign = (ref: string) =>
  cosign(["sign", "--key", `${prefix}.key`, "--tlog-upload=false", ref], { env: ENV });
const verify = (ref: string) =>
  cosign(["verify", "--key", `${prefix}.pub`, "--insecure-ignore-tlog=true", ref], { env: ENV });

function lastLine(text: string): string {
  const lines = text.trimEnd().split("\n");
  return lines[lines.length - 1];
}

Deno.test("a malformed image reference is a usage error (exit 1, as cosign)", async () => {
  const { code, io } = await verify("Not A Reference!!");
  assert.equal(code, 1);
  assert.match(lastLine(io.err()), /^error: could not parse reference: Not A Reference!!/);
});

Deno.test("verify retries a 500 and a 429 with Retry-After, then succeeds", async () => {
  const { ref, repo } = await image();
  assert.equal((await sign(ref)).code, 0);
  const manifests = new RegExp(`^/v2/${repo}/manifests/`);
  proxy.rules.splice(
    0,
    proxy.rules.length,
    { method: "GET", path: manifests, times: 1, action: { status: 500 } },
    {
      method: "GET",
      path: manifests,
      times: 1,
      action: { status: 429, headers: { "Retry-After": "1" } },
    },
  );
  const ok = await verify(ref);
  assert.equal(proxy.rules.every((r) => r.times === 0), true, "both faults were served");
  assert.equal(ok.code, 0, ok.io.err());
  assert.equal(JSON.parse(ok.io.out()).length, 1);
});

Deno.test("verify gives up on a registry that keeps failing, with the status in one error line", async () => {
  const { ref, repo } = await image();
  proxy.rules.splice(0, proxy.rules.length, {
    path: new RegExp(`^/v2/${repo}/manifests/`),
    action: { status: 503 },
  });
  const { code, io } = await verify(ref);
  proxy.rules.length = 0;
  assert.equal(code, 1);
  assert.match(lastLine(io.err()), /^error: .*HTTP 503/);
  assert.equal(io.out(), "");
});

Deno.test("verify rejects a garbled signature manifest and an endless one", async () => {
  const { ref, repo, digest } = await image();
  assert.equal((await sign(ref)).code, 0);
  const sigTag = `${digest.replace(":", "-")}.sig`;
  for (
    const [action, pattern] of [
      [{ kind: "garbage" }, /^error: /],
      [{ kind: "endless" }, /larger than \d+ bytes|TOO_LARGE|too large/i],
    ] as const
  ) {
    proxy.rules.splice(0, proxy.rules.length, {
      method: "GET",
      path: new RegExp(`^/v2/${repo}/manifests/${sigTag}`),
      action,
    });
    const { code, io } = await verify(ref);
    assert.notEqual(code, 0, JSON.stringify(action));
    assert.match(lastLine(io.err()), pattern, io.err());
    assert.equal(io.out(), "");
  }
  proxy.rules.length = 0;
});

Deno.test("sign fails cleanly when the registry refuses the signature manifest: no tag is left", async () => {
  const { ref, repo, digest } = await image();
  proxy.rules.splice(0, proxy.rules.length, {
    method: "PUT",
    path: new RegExp(`^/v2/${repo}/manifests/`),
    action: { status: 500, body: '{"errors":[{"code":"UNKNOWN","message":"boom"}]}' },
  });
  const { code, io } = await sign(ref);
  proxy.rules.length = 0;
  assert.equal(code, 1);
  assert.match(lastLine(io.err()), /^error: .*HTTP 500/);
  const tags = await direct.listTags({ registry: registry.host, repository: repo });
  assert.ok(!tags.includes(`${digest.replace(":", "-")}.sig`), `tags: ${tags}`);
});
