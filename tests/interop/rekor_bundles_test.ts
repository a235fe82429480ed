/**
 * Blob bundles with a real local Rekor (MariaDB + Trillian + rekor-server on loopback): the Go
 * cosign signs with `--bundle`, our `verify-blob --bundle` verifies them offline, and a bundle with
 * a field changed or an entry spliced in from another signature is rejected by both tools.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startRekor } from "../peers/rekor.ts";
import {
  describe,
  expectSameFailure,
  expectSuccess,
  expectVerified,
  run,
  suiteDir,
  suiteOptions,
  TOOLS,
} from "./_run.ts";

const rekor = await startRekor();
const dir = await suiteDir("cosign-interop-rekor-");
globalThis.addEventListener("unload", () => void rekor.stop());

const opts = suiteOptions(dir, { SIGSTORE_REKOR_PUBLIC_KEY: rekor.publicKeyPath });
expectSuccess(await run("go", ["generate-key-pair"], opts), "keys");
await Deno.writeTextFile(join(dir, "a.txt"), "artifact a\n");
await Deno.writeTextFile(join(dir, "b.txt"), "artifact b\n");
for (const name of ["a", "b"]) {
  expectSuccess(
    await run("go", [
      "sign-blob",
      "--key",
      "cosign.key",
      "--rekor-url",
      rekor.url,
      "--yes",
      "--bundle",
      `${name}.bundle`,
      `${name}.txt`,
    ], opts),
    `go signs ${name} with a Rekor entry`,
  );
}

const verify = (tool: "go" | "ours", bundle: string, blob = "a.txt") =>
  run(tool, [
    "verify-blob",
    "--key",
    "cosign.pub",
    "--bundle",
    bundle,
    "--rekor-url",
    rekor.url,
    blob,
  ], opts);

Deno.test("a bundle made by the Go cosign with a real Rekor verifies offline with ours", async () => {
  const results = [];
  for (const tool of TOOLS) {
    results.push(expectVerified(await verify(tool, "a.bundle"), `${tool} verifies`));
  }
  // The same words on stderr: no "Skipping tlog verification" warning when the log was checked.
  assert.deepEqual(results.map((r) => r.stderr), results.map(() => "Verified OK\n"));
});

Deno.test("a bundle with a field changed is rejected by both tools", async () => {
  const original = JSON.parse(await Deno.readTextFile(join(dir, "a.bundle")));
  const flip = (b64: string) => {
    const bytes = Uint8Array.fromBase64(b64);
    bytes[Math.floor(bytes.length / 2)] ^= 1;
    return bytes.toBase64();
  };
  const cases: [string, (b: typeof original) => void][] = [
    ["SET", (b) => (b.rekorBundle.SignedEntryTimestamp = flip(b.rekorBundle.SignedEntryTimestamp))],
    ["integrated time", (b) => (b.rekorBundle.Payload.integratedTime += 1)],
    ["log index", (b) => (b.rekorBundle.Payload.logIndex += 1)],
    ["log ID", (b) => (b.rekorBundle.Payload.logID = "00" + b.rekorBundle.Payload.logID.slice(2))],
    ["signature", (b) => (b.base64Signature = flip(b.base64Signature))],
  ];
  for (const [what, change] of cases) {
    const b = structuredClone(original);
    change(b);
    await Deno.writeTextFile(join(dir, "changed.bundle"), JSON.stringify(b));
    const results = await Promise.all(TOOLS.map((t) => verify(t, "changed.bundle")));
    for (const r of results) assert.notEqual(r.code, 0, `${what}: ${describe(r)}`);
  }
});

Deno.test("a valid entry spliced in from another signature is rejected by both tools", async () => {
  const a = JSON.parse(await Deno.readTextFile(join(dir, "a.bundle")));
  const b = JSON.parse(await Deno.readTextFile(join(dir, "b.bundle")));
  // a's signature (valid for a.txt) with b's genuine, correctly signed log entry.
  await Deno.writeTextFile(
    join(dir, "spliced.bundle"),
    JSON.stringify({ ...a, rekorBundle: b.rekorBundle }),
  );
  const results = await Promise.all(TOOLS.map((t) => verify(t, "spliced.bundle")));
  expectSameFailure(results, "spliced entry");
  assert.match(results[1].stderr, /signature in bundle does not match signature being verified/);
});

Deno.test("our verify-blob --bundle needs the log key and says so", async () => {
  const r = await run("ours", [
    "verify-blob",
    "--key",
    "cosign.pub",
    "--bundle",
    "a.bundle",
    "a.txt",
  ], { ...opts, env: { ...opts.env, SIGSTORE_REKOR_PUBLIC_KEY: "" } });
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr.trim().split("\n").at(-1),
    "error: cannot verify the transparency log entries: set SIGSTORE_REKOR_PUBLIC_KEY to the log's public key, or pass --insecure-ignore-tlog=true to verify without the log",
  );
});

Deno.test("ours uploads to the real Rekor and writes a bundle both tools verify", async () => {
  await Deno.writeTextFile(join(dir, "c.txt"), "artifact c\n");
  const signed = expectSuccess(
    await run("ours", [
      "sign-blob",
      "--key",
      "cosign.key",
      "--rekor-url",
      rekor.url,
      "--yes",
      "--bundle",
      "c.bundle",
      "c.txt",
    ], opts),
    "ours signs c with a Rekor entry",
  );
  assert.match(signed.stderr, /tlog entry created with index: \d+\n/);
  const bundle = JSON.parse(await Deno.readTextFile(join(dir, "c.bundle")));
  assert.deepEqual(Object.keys(bundle), ["base64Signature", "rekorBundle"]);
  assert.deepEqual(Object.keys(bundle.rekorBundle.Payload), [
    "body",
    "integratedTime",
    "logIndex",
    "logID",
  ]);
  for (const tool of TOOLS) {
    expectVerified(await verify(tool, "c.bundle", "c.txt"), `${tool} verifies our bundle`);
  }
  // The entry is about c.txt: the same bundle does not verify a.txt, in either tool.
  expectSameFailure(
    await Promise.all(TOOLS.map((t) => verify(t, "c.bundle", "a.txt"))),
    "our bundle with another blob",
  );
});
