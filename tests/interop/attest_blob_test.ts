/**
 * Blob attestations made by one cosign verify in the other, for every --type, and both build the
 * same statement from the same predicate (the custom type's Timestamp aside). Failures (tampered
 * envelope, other blob, other --type) fail in both with the same exit code.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkAll,
  describe,
  expectSameFailure,
  expectSuccess,
  expectVerified,
  FIXTURES,
  other,
  run,
  type Tool,
  TOOLS,
  withTempDir,
} from "./_run.ts";

const F = join(FIXTURES, "attest");

const TYPES: [string, string][] = [
  ["custom", "custom.txt"],
  ["slsaprovenance", "slsaprovenance.json"],
  ["slsaprovenance02", "slsaprovenance.json"],
  ["slsaprovenance1", "slsaprovenance1.json"],
  ["link", "link.json"],
  ["spdx", "spdx.txt"],
  ["spdxjson", "spdxjson.json"],
  ["cyclonedx", "cyclonedx.json"],
  ["vuln", "vuln.json"],
  ["openvex", "openvex.json"],
  ["https://example.com/predicate/v1", "predicate.json"],
];

const payloadOf = (envelope: string) =>
  new TextDecoder().decode(Uint8Array.fromBase64(JSON.parse(envelope).payload))
    .replace(/"Timestamp":"[^"]*"/, '"Timestamp":""');

async function setUp(dir: string): Promise<void> {
  for (const name of ["cosign.key", "cosign.pub", "blob"]) {
    await Deno.copyFile(join(F, name), join(dir, name));
  }
  for (const [, p] of TYPES) await Deno.copyFile(join(F, p), join(dir, p)).catch(() => {});
  await Deno.writeTextFile(join(dir, "other-blob"), "other\n");
}

const attest = (tool: Tool, dir: string, type: string, predicate: string, out: string) =>
  run(tool, [
    "attest-blob",
    "--key",
    "cosign.key",
    "--type",
    type,
    "--predicate",
    predicate,
    "--tlog-upload=false",
    "--yes",
    "--output-signature",
    out,
    "blob",
  ], { cwd: dir, password: "" });

const verify = (tool: Tool, dir: string, envelope: string, extra: string[]) =>
  run(tool, [
    "verify-blob-attestation",
    "--key",
    "cosign.pub",
    "--signature",
    envelope,
    "--insecure-ignore-tlog=true",
    ...extra,
  ], { cwd: dir });

for (const signer of TOOLS) {
  Deno.test({
    name: `attest-blob by ${signer} verifies in ${other(signer)} for every --type`,
    fn: () =>
      withTempDir(async (dir) => {
        await setUp(dir);
        await checkAll(TYPES, ([t]) => t, async ([type, predicate]) => {
          const out = `${signer}-${type.replace(/\W/g, "_")}.json`;
          expectSuccess(await attest(signer, dir, type, predicate, out), `${signer} attest-blob`);
          expectVerified(
            await verify(other(signer), dir, out, ["--type", type, "blob"]),
            `${other(signer)} verify-blob-attestation`,
          );
          for (
            const [what, extra] of [
              ["other blob", ["--type", type, "other-blob"]],
              ["other --type", ["--type", type === "vuln" ? "link" : "vuln", "blob"]],
            ] as const
          ) {
            expectSameFailure(
              await Promise.all(TOOLS.map((t) => verify(t, dir, out, [...extra]))),
              `${type}: ${what}`,
            );
          }
        });
      }),
  });
}

Deno.test({
  name: "attest-blob: ours and Go build the same statement for every --type",
  fn: () =>
    withTempDir(async (dir) => {
      await setUp(dir);
      await checkAll(TYPES, ([t]) => t, async ([type, predicate]) => {
        const [go, ours] = await Promise.all(
          TOOLS.map((tool) =>
            attest(tool, dir, type, predicate, `${tool}-${type.replace(/\W/g, "_")}.json`)
          ),
        );
        expectSuccess(go, "go attest-blob");
        expectSuccess(ours, "ours attest-blob");
        // Same messages on stderr, the output file names aside.
        assert.equal(
          ours.stderr.replaceAll("ours-", "OUT-"),
          go.stderr.replaceAll("go-", "OUT-"),
          describe(ours),
        );
        const read = (tool: Tool) =>
          Deno.readTextFile(join(dir, `${tool}-${type.replace(/\W/g, "_")}.json`));
        assert.equal(payloadOf(await read("ours")), payloadOf(await read("go")));
      });
    }),
});

Deno.test({
  name: "verify-blob-attestation: a tampered envelope fails in both",
  fn: () =>
    withTempDir(async (dir) => {
      await setUp(dir);
      const env = JSON.parse(await Deno.readTextFile(join(F, "go-link.intoto.json")));
      const body = new TextDecoder().decode(Uint8Array.fromBase64(env.payload)).replace(
        '"name":"n"',
        '"name":"m"',
      );
      env.payload = new TextEncoder().encode(body).toBase64();
      await Deno.writeTextFile(join(dir, "tampered.json"), JSON.stringify(env));
      expectSameFailure(
        await Promise.all(
          TOOLS.map((t) => verify(t, dir, "tampered.json", ["--type", "link", "blob"])),
        ),
        "tampered envelope",
      );
    }),
});
