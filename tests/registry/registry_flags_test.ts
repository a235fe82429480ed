/**
 * cosign's registry TLS flags against a real registry (Debian's distribution 2.8) that requires a
 * client certificate: `--registry-cacert` + `--registry-client-cert` + `--registry-client-key`
 * work in ours as in the Go cosign v2.6.4 (each reads what the other wrote); without the client
 * certificate both fail; `--allow-insecure-registry` cannot skip verification in Deno and says so.
 */
import assert from "node:assert/strict";
import { startRegistry } from "../peers/registry.ts";
import { describe, expectSuccess, run, suiteDir, suiteOptions, TOOLS } from "../interop/_run.ts";

const registry = await startRegistry({ mode: "mtls" });
const R = registry.host;
const dir = await suiteDir("cosign-registry-flags-");
globalThis.addEventListener("unload", () => void registry.stop());
await Deno.writeTextFile(`${dir}/artifact.txt`, "hello mtls\n");

const TLS = [
  "--registry-cacert",
  registry.caCertPath!,
  "--registry-client-cert",
  registry.clientCertPath!,
  "--registry-client-key",
  registry.clientKeyPath!,
];

Deno.test("--registry-client-cert/-key: mutual TLS works in both tools, each reads the other's", async () => {
  const digests: string[] = [];
  for (const writer of TOOLS) {
    const image = `${R}/mtls/by-${writer}:v1`;
    const up = expectSuccess(
      await run(writer, ["upload", "blob", ...TLS, "-f", "artifact.txt", image], suiteOptions(dir)),
      `${writer} upload blob over mutual TLS`,
    );
    digests.push(up.stdout.trim().split("@").at(-1)!);
    for (const reader of TOOLS) {
      const tri = expectSuccess(
        await run(reader, ["triangulate", "--type", "digest", ...TLS, image], suiteOptions(dir)),
        `${reader} triangulate over mutual TLS`,
      );
      assert.match(tri.stdout, new RegExp(`@sha256:[0-9a-f]{64}\\n$`), describe(tri));
    }
  }
  assert.equal(digests[1], digests[0], "same upload, same digest");
});

Deno.test("without the client certificate both tools fail (exit 1)", async () => {
  for (const t of TOOLS) {
    const r = await run(
      t,
      ["triangulate", "--registry-cacert", registry.caCertPath!, `${R}/mtls/by-go:v1`],
      suiteOptions(dir),
    );
    assert.equal(r.code, 1, describe(r));
  }
});

Deno.test("--allow-insecure-registry: ours says why it cannot skip verification, exit 1", async () => {
  const r = await run(
    "ours",
    ["triangulate", "--allow-insecure-registry", `${R}/mtls/by-go:v1`],
    suiteOptions(dir),
  );
  assert.equal(r.code, 1, describe(r));
  assert.match(
    r.stderr,
    /--allow-insecure-registry cannot switch TLS verification off per registry in Deno: pass --registry-cacert with the registry's CA, or run deno with --unsafely-ignore-certificate-errors=127\.0\.0\.1\n$/,
  );
  assert.equal(r.stderr.split("\n").length, 2, "one line");
});
