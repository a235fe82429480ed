/**
 * In-process tests of the commands added for drop-in use: attach sbom, download sbom, debug
 * providers, completion powershell (help, bad input, output). Their registry behaviour is tested
 * in lib/oci/sbom_test.ts and against Go cosign in tests/interop/sbom_test.ts and drop_in_test.ts.
 */
import assert from "node:assert/strict";
import { cosign } from "../_test_io.ts";
import { cosignCommand } from "./mod.ts";
import { powershellCompletion } from "./completion.ts";
import { rootFlags } from "../flags/groups.ts";
import { type Command, loadCommandTree } from "../command.ts";

const DEPRECATION =
  "WARNING: SBOM attachments are deprecated and support will be removed in a Cosign release soon after 2024-02-22 (see https://github.com/sigstore/cosign/issues/2755). Instead, please use SBOM attestations.\n";

Deno.test("attach sbom, download sbom, debug providers, completion: help with examples", async () => {
  const cases: [string[], RegExp[]][] = [
    [["attach", "sbom", "--help"], [
      /^Attach sbom to the supplied container image\n\nWARNING: SBOM attachments are deprecated/,
      /\nExamples:\n {2}cosign attach sbom <image uri>\n/,
      /\n +--type string +type of sbom \(spdx\|cyclonedx\|syft\) \(default "spdx"\)\n/,
      /\n +--input-format string /,
      /\n +--registry-referrers-mode registryReferrersMode /,
    ]],
    [["download", "sbom", "--help"], [
      /^Download SBOMs from the supplied container image\n\nWARNING: SBOM attachments/,
      /\nExamples:\n {2}cosign download sbom <image uri>\n/,
      /\n +--platform string +download SBOM for a specific platform image\n/,
    ]],
    [["debug", "providers", "--help"], [/^Show enabled\/disabled OIDC providers/, /Examples:/]],
    [["debug"], [/Available Commands:\n {2}providers +Show enabled\/disabled OIDC providers\.\n/]],
    [["completion", "--help"], [/cosign completion powershell \| Out-String \| Invoke-Expression/]],
    [["attach", "--help"], [
      /\n {2}sbom +DEPRECATED: Attach sbom to the supplied container image\n/,
    ]],
    [["download", "--help"], [
      /\n {2}sbom +DEPRECATED: Download SBOMs from the supplied container image\n/,
    ]],
  ];
  for (const [argv, patterns] of cases) {
    const { code, io } = await cosign(argv);
    assert.equal(code, 0, argv.join(" "));
    for (const p of patterns) assert.match(io.out(), p, argv.join(" "));
  }
  // debug is hidden from the top-level list, as in cosign.
  const top = await cosign(["--help"]);
  assert.doesNotMatch(top.io.out(), /\n {2}debug /);
});

Deno.test("attach sbom and download sbom refuse bad input with cosign's messages, exit 1", async () => {
  const img = "127.0.0.1:1/never/contacted:v1";
  const warnAttach = (p: string) =>
    `WARNING: Attaching SBOMs this way does not sign them. To sign them, use 'cosign attest --predicate ${p} --key <key path>'.\n`;
  const cases: [string[], Record<string, string>, string][] = [
    [["attach", "sbom", "--sbom", "x.json"], {}, "error: accepts 1 arg(s), received 0\n"],
    [["download", "sbom"], {}, "error: accepts 1 arg(s), received 0\n"],
    [
      ["attach", "sbom", "--type", "bogus", "--sbom", "x.json", img],
      {},
      DEPRECATION + 'error: unknown SBOM type: "bogus", expected (spdx|cyclonedx|syft)\n',
    ],
    [
      ["attach", "sbom", "--type", "cyclonedx", "--input-format", "text", "--sbom", "x", img],
      {},
      DEPRECATION + 'error: invalid SBOM input format: "text", expected (json|xml)\n',
    ],
    [
      ["attach", "sbom", "--sbom", "/nonexistent/sbom.json", img],
      {},
      DEPRECATION + warnAttach("/nonexistent/sbom.json") +
      "error: open /nonexistent/sbom.json: no such file or directory\n",
    ],
    [
      ["attach", "sbom", "--registry-referrers-mode", "bogus", "--sbom", "x", img],
      {},
      `error: invalid argument "bogus" for "--registry-referrers-mode" flag: must be one of "legacy", "oci-1-1"\n`,
    ],
    [
      ["attach", "sbom", "--registry-referrers-mode", "oci-1-1", "--sbom", "x", img],
      {},
      `error: invalid argument "oci-1-1" for "--registry-referrers-mode" flag: in order to use  mode "oci-1-1", you must set COSIGN_EXPERIMENTAL=1\n`,
    ],
    [
      ["attach", "sbom", "--registry-referrers-mode", "oci-1-1", "--sbom", "x", img],
      { COSIGN_EXPERIMENTAL: "1" },
      "error: cannot use --registry-referrers-mode=oci-1-1 with attach sbom: OCI 1.1 referrers are not supported yet, only the legacy tag layout\n",
    ],
    [
      ["attach", "sbom", "--sbom", "x", "Not A Ref"],
      {},
      DEPRECATION + warnAttach("x") + "error: could not parse reference: Not A Ref\n",
    ],
    [["debug", "nosuch"], {}, `error: unknown command "nosuch" for "cosign debug"\n`],
  ];
  for (const [argv, env, err] of cases) {
    const { code, io } = await cosign(argv, { env });
    assert.equal(io.err(), err, argv.join(" "));
    assert.equal(code, 1, argv.join(" "));
    assert.equal(io.out(), "", argv.join(" "));
  }
});

Deno.test("debug providers prints every provider with whether it is enabled", async () => {
  const { code, io } = await cosign(["debug", "providers"], {
    env: { SIGSTORE_ID_TOKEN: "", BUILDKITE_AGENT_ACCESS_TOKEN: "t" },
  });
  assert.equal(code, 0, io.err());
  const out = io.out();
  assert.match(out, /^filesystem: (true|false)\n/);
  assert.equal(
    out.replace(/^filesystem: (true|false)\n/, "").replace(/\nspiffe: (true|false)\n/, "\n"),
    "envvar: true\ngithub-actions: false\nbuildkite-agent: true\n" +
      "google-workload-identity: false\ngoogle-impersonate: false\n",
  );
});

function paths(cmd: Command, path: string[] = []): string[] {
  return [
    path.join(" "),
    ...(cmd.subcommands ?? []).filter((c) => !c.hidden).flatMap((c) => paths(c, [...path, c.name])),
  ];
}

Deno.test("completion powershell offers every visible command and its flags", async () => {
  const { code, io } = await cosign(["completion", "powershell"]);
  assert.equal(code, 0);
  const script = io.out();
  const tree = await loadCommandTree(cosignCommand);
  assert.equal(script, powershellCompletion(tree, rootFlags));
  assert.match(script, /^# powershell completion for cosign; load with: /);
  assert.match(
    script,
    /\nRegister-ArgumentCompleter -Native -CommandName 'cosign' -ScriptBlock \{\n/,
  );
  for (const p of paths(tree)) {
    assert.ok(script.includes(`\n    '${p}' = @(`), `missing '${p}'`);
  }
  assert.match(script, /\n {4}'attach sbom' = @\([^\n]*'--sbom', '--type', '--input-format'/);
  assert.match(script, /\n {4}'generate-key-pair' = @\('--kms', '--output-key-prefix', /);
  assert.doesNotMatch(script, /\n {4}'debug'/, "hidden commands are not offered");
  // Balanced braces and parentheses: the script at least parses as a block structure.
  for (const [open, close] of [["{", "}"], ["(", ")"]]) {
    assert.equal(script.split(open).length, script.split(close).length, `${open}${close}`);
  }
});

Deno.test("tree --registry-referrers-mode: oci-1-1 needs COSIGN_EXPERIMENTAL=1, as in cosign", async () => {
  const img = "127.0.0.1:1/never/contacted:v1";
  const cases: [string, Record<string, string>, string][] = [
    [
      "oci-1-1",
      {},
      `error: invalid argument "oci-1-1" for "--registry-referrers-mode" flag: in order to use  mode "oci-1-1", you must set COSIGN_EXPERIMENTAL=1\n`,
    ],
    [
      "bogus",
      { COSIGN_EXPERIMENTAL: "1" },
      `error: invalid argument "bogus" for "--registry-referrers-mode" flag: must be one of "legacy", "oci-1-1"\n`,
    ],
  ];
  for (const [mode, env, err] of cases) {
    const { code, io } = await cosign(["tree", "--registry-referrers-mode", mode, img], { env });
    assert.equal(code, 1, mode);
    assert.equal(io.err(), err, mode);
  }
});
