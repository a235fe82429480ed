import assert from "node:assert/strict";
import { REPO_ROOT } from "./peers/run.ts";

Deno.test("the README's quick start (deno task demo) signs and verifies a file and an image", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "demo"],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  assert.match(text, /Verified OK/);
  assert.match(text, /error: cannot verify signature: invalid signature/);
  assert.match(text, /The signatures were verified against the specified public key/);
  assert.match(text, /Demo complete: a file and an image signed and verified/);
});
