/**
 * `verify-attestation --policy` against Go cosign v2.6.4: attestations made by Go cosign
 * (`attest --key … --tlog-upload=false`) in a real registry, then both tools verify them with CUE
 * and Rego policies that pass and fail. Exit codes, cosign's policy lines on stderr ("will be
 * validating against …", "There are N number of errors …", "- <error>") and the final error
 * must agree, line for line. Also: a policy of another extension, and (ours only) the one-line
 * error when the engine is not installed.
 *
 * Needs the policy engine (`deno run -A scripts/policy_engine.ts`, run by scripts/peers/install.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createRegistry } from "../../lib/registry/client.ts";
import { POLICY_ENGINE_DIR } from "../../lib/policy/policy_engine.ts";
import { parsePublicKeyPem } from "../../lib/keys/public_key.ts";
import { startRegistry } from "../peers/registry.ts";
import { startRekor } from "../peers/rekor.ts";
import { cacheRoot } from "../peers/cosign.ts";
import { pushImage } from "../registry/_helpers.ts";
import {
  describe,
  expectSuccess,
  FIXTURES,
  REPO_ROOT,
  run,
  type RunResult,
  suiteDir,
  suiteOptions,
  type Tool,
  TOOLS,
  writeTrustedRoot,
} from "./_run.ts";

const registry = await startRegistry({ mode: "http" });
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-policy-");
addEventListener("unload", () => client.close());
globalThis.addEventListener("unload", () => void registry.stop());

const CACHE = cacheRoot();
const opts = (env: Record<string, string> = {}) =>
  suiteOptions(dir, { COSIGN_DENO_CACHE: CACHE, ...env });

try {
  await Deno.stat(join(CACHE, POLICY_ENGINE_DIR));
} catch {
  throw new Error(
    `the policy engine is not installed in ${CACHE}: run deno run -A scripts/policy_engine.ts`,
  );
}

expectSuccess(await run("go", ["generate-key-pair", "--output-key-prefix", "k"], opts()), "keys");

const POLICIES: Record<string, string> = {
  "pass.cue": `import "time"

before: time.Parse(time.RFC3339, "2049-10-09T17:10:27Z")
predicateType: "https://cosign.sigstore.dev/attestation/v1"
predicate: {
	Data:      =~"^free text"
	Timestamp: <before
}
`,
  "fail.cue": `predicateType: "https://cosignnotreally.sigstore.dev/attestation/v1"
`,
  "uri.cue": `predicateType: "https://example.com/predicate/v1"
predicate: {
	b: 1
	d: y: true
}
`,
  "uri-fail.cue": `predicate: b: 2
`,
  "pass.rego": `package signature

allow {
	input.predicateType == "https://cosign.sigstore.dev/attestation/v1"
	startswith(input.predicate.Data, "free text")
}
`,
  "undefined.rego": `package signature

allow {
	input.predicate.Data == "something else"
}
`,
  "false.rego": `package signature

default allow = false

allow {
	input.predicate.Data == "something else"
}
`,
  "uri.rego": `package signature

allow {
	input.predicate.b == 1
	input.subject[0].digest.sha256 != ""
}
`,
  "slsa.rego": `package signature

allow {
	not input.predicate.zzz
	input.predicate.invocation.configSource == {}
	input.predicate.builder.id == "b"
}
`,
  "syntax.rego": `package signature

allow {
`,
  "p.txt": "not a policy\n",
};
for (const [name, text] of Object.entries(POLICIES)) {
  await Deno.writeTextFile(join(dir, name), text);
}

let counter = 0;
async function newImage(): Promise<string> {
  const repo = "interop/policy";
  const { digest } = await pushImage(
    client,
    { registry: registry.host, repository: repo },
    `t${++counter}`,
  );
  return `${registry.host}/${repo}@${digest}`;
}

async function goAttest(image: string, type: string, predicate: string): Promise<void> {
  expectSuccess(
    await run("go", [
      "attest",
      "--key",
      "k.key",
      "--tlog-upload=false",
      "--yes",
      "--type",
      type,
      "--predicate",
      predicate,
      image,
    ], opts()),
    `go attests ${type}`,
  );
}

function verify(tool: Tool, image: string, type: string, policies: string[], env = {}) {
  return run(tool, [
    "verify-attestation",
    "--key",
    "k.pub",
    "--insecure-ignore-tlog=true",
    "--type",
    type,
    ...policies.flatMap((p) => ["--policy", p]),
    image,
  ], opts(env));
}

/**
 * cosign's policy lines and its final error line, from stderr; Go's "Error: X" as our CLI words
 * every error ("error: x", cli/run.ts).
 */
function policyLines(r: RunResult): string[] {
  return r.stderr.split("\n")
    .filter((l) => /^(will be validating|There are \d+ number|- |\t|Error: |error: )/.test(l))
    .map((l) =>
      l.startsWith("Error: ")
        ? `error: ${/^[A-Z][a-z]/.test(l.slice(7)) ? l[7].toLowerCase() + l.slice(8) : l.slice(7)}`
        : l
    );
}

const custom = await newImage();
await goAttest(custom, "custom", join(FIXTURES, "attest", "custom.txt"));
const uri = await newImage();
await goAttest(uri, "https://example.com/predicate/v1", join(FIXTURES, "attest", "predicate.json"));
// Two attestations of the type: one passes the policy, one does not.
const two = await newImage();
await goAttest(two, "https://example.com/predicate/v1", join(FIXTURES, "attest", "predicate.json"));
await Deno.writeTextFile(join(dir, "other.json"), `{"b":2,"d":{"y":true}}`);
await goAttest(two, "https://example.com/predicate/v1", join(dir, "other.json"));

// SLSA v0.2 provenance attested under its URI (kept as is, unknown "zzz" too): verified with
// --type slsaprovenance, the policy sees it through Go's ProvenanceStatementSLSA02 struct.
const slsa = await newImage();
await goAttest(
  slsa,
  "https://slsa.dev/provenance/v0.2",
  join(FIXTURES, "attest", "slsaprovenance.json"),
);

/** Each case: image, type, policies, the expected exit code and policy lines (Go's, checked). */
const CASES: {
  name: string;
  image: () => string;
  type: string;
  policies: string[];
  code: number;
  lines: string[];
}[] = [
  {
    name: "a passing CUE policy",
    image: () => custom,
    type: "custom",
    policies: ["pass.cue"],
    code: 0,
    lines: ["will be validating against CUE policies: [pass.cue]"],
  },
  {
    name: "a failing CUE policy",
    image: () => custom,
    type: "custom",
    policies: ["fail.cue"],
    code: 1,
    lines: [
      "will be validating against CUE policies: [fail.cue]",
      "There are 1 number of errors occurred during the validation:",
      `- predicateType: conflicting values "https://cosign.sigstore.dev/attestation/v1" and ` +
      `"https://cosignnotreally.sigstore.dev/attestation/v1"`,
      "error: 1 validation errors occurred",
    ],
  },
  {
    name: "a passing Rego policy",
    image: () => custom,
    type: "custom",
    policies: ["pass.rego"],
    code: 0,
    lines: ["will be validating against Rego policies: [pass.rego]"],
  },
  {
    name: "a Rego policy whose allow is undefined",
    image: () => custom,
    type: "custom",
    policies: ["undefined.rego"],
    code: 1,
    lines: [
      "will be validating against Rego policies: [undefined.rego]",
      "There are 1 number of errors occurred during the validation:",
      "- result is undefined for query 'data.signature.allow'",
      "error: 1 validation errors occurred",
    ],
  },
  {
    name: "a Rego policy whose allow is false",
    image: () => custom,
    type: "custom",
    policies: ["false.rego"],
    code: 1,
    lines: [
      "will be validating against Rego policies: [false.rego]",
      "There are 1 number of errors occurred during the validation:",
      "- expression value, false, is not true",
      "error: 1 validation errors occurred",
    ],
  },
  {
    name: "CUE and Rego both passing",
    image: () => custom,
    type: "custom",
    policies: ["pass.rego", "pass.cue"],
    code: 0,
    lines: [
      "will be validating against CUE policies: [pass.cue]",
      "will be validating against Rego policies: [pass.rego]",
    ],
  },
  {
    name: "a CUE failure skips the Rego policies",
    image: () => custom,
    type: "custom",
    policies: ["fail.cue", "false.rego"],
    code: 1,
    lines: [
      "will be validating against CUE policies: [fail.cue]",
      "There are 1 number of errors occurred during the validation:",
      `- predicateType: conflicting values "https://cosign.sigstore.dev/attestation/v1" and ` +
      `"https://cosignnotreally.sigstore.dev/attestation/v1"`,
      "error: 1 validation errors occurred",
    ],
  },
  {
    name: "policies on a predicate type URI",
    image: () => uri,
    type: "https://example.com/predicate/v1",
    policies: ["uri.cue", "uri.rego"],
    code: 0,
    lines: [
      "will be validating against CUE policies: [uri.cue]",
      "will be validating against Rego policies: [uri.rego]",
    ],
  },
  {
    name: "two attestations of the type, one failing",
    image: () => two,
    type: "https://example.com/predicate/v1",
    policies: ["uri-fail.cue"],
    code: 1,
    lines: [
      "will be validating against CUE policies: [uri-fail.cue]",
      "will be validating against CUE policies: [uri-fail.cue]",
      "There are 1 number of errors occurred during the validation:",
      "- predicate.b: conflicting values 1 and 2",
      "error: 1 validation errors occurred",
    ],
  },
  {
    name: "--type slsaprovenance: the statement through Go's typed struct",
    image: () => slsa,
    type: "slsaprovenance",
    policies: ["slsa.rego"],
    code: 0,
    lines: ["will be validating against Rego policies: [slsa.rego]"],
  },
  {
    name: "--type <the SLSA v0.2 URI>: the statement as signed",
    image: () => slsa,
    type: "https://slsa.dev/provenance/v0.2",
    policies: ["slsa.rego"],
    code: 1,
    lines: [
      "will be validating against Rego policies: [slsa.rego]",
      "There are 1 number of errors occurred during the validation:",
      "- result is undefined for query 'data.signature.allow'",
      "error: 1 validation errors occurred",
    ],
  },
  {
    name: "a missing Rego file",
    image: () => custom,
    type: "custom",
    policies: ["missing.rego"],
    code: 1,
    lines: [
      "will be validating against Rego policies: [missing.rego]",
      "There are 1 number of errors occurred during the validation:",
      "- 1 error occurred during loading: stat missing.rego: no such file or directory",
      "error: 1 validation errors occurred",
    ],
  },
  {
    name: "a missing CUE file",
    image: () => custom,
    type: "custom",
    policies: ["missing.cue"],
    code: 1,
    lines: [
      "will be validating against CUE policies: [missing.cue]",
      "There are 1 number of errors occurred during the validation:",
      `- stat ${join(dir, "missing.cue")}: no such file or directory`,
      "error: 1 validation errors occurred",
    ],
  },
  {
    name: "a policy of another extension",
    image: () => custom,
    type: "custom",
    policies: ["p.txt"],
    code: 1,
    lines: ["error: invalid policy format, expected .cue or .rego"],
  },
  {
    name: "a policy of another extension and no attestation of the type",
    image: () => custom,
    type: "vuln",
    policies: ["pass.cue", "p.txt"],
    code: 1,
    lines: ["error: invalid policy format, expected .cue or .rego"],
  },
];

for (const c of CASES) {
  Deno.test(`verify-attestation --policy: ${c.name}: both tools agree`, async () => {
    const results: RunResult[] = [];
    for (const tool of TOOLS) results.push(await verify(tool, c.image(), c.type, c.policies));
    const [go, ours] = results;
    assert.equal(go.code, c.code, describe(go));
    assert.equal(ours.code, go.code, `${describe(go)}\n${describe(ours)}`);
    // Go's lines are the reference; the case's table records them, so a change in either shows.
    const goLines = policyLines(go);
    assert.deepEqual(goLines, c.lines, describe(go));
    assert.deepEqual(policyLines(ours), goLines, `${describe(go)}\n${describe(ours)}`);
    if (c.code === 0) assert.equal(ours.stdout, go.stdout);
    else assert.equal(ours.stdout, "");
  });
}

Deno.test("verify-attestation --policy: a Rego syntax error fails both tools", async () => {
  const results: RunResult[] = [];
  for (const tool of TOOLS) {
    results.push(await verify(tool, custom, "custom", ["syntax.rego"]));
  }
  const [go, ours] = results;
  assert.equal(go.code, 1, describe(go));
  assert.equal(ours.code, 1, describe(ours));
  // OPA's parse error, from the same OPA version: identical text.
  assert.deepEqual(policyLines(ours), policyLines(go), `${describe(go)}\n${describe(ours)}`);
  assert.match(
    ours.stderr,
    /- 1 error occurred during loading: syntax\.rego:4: rego_parse_error: unexpected eof token\n\tallow {\n/,
  );
});

Deno.test("verify-attestation --policy: without the engine, one line names the installer", async () => {
  const empty = await Deno.makeTempDir({ dir });
  const r = await verify("ours", custom, "custom", ["pass.cue"], { COSIGN_DENO_CACHE: empty });
  assert.equal(r.code, 1, describe(r));
  const line = r.stderr.split("\n").find((l) => l.startsWith("error: "));
  assert.equal(
    line,
    `error: cannot evaluate policies: the policy engine is not installed (${
      join(empty, POLICY_ENGINE_DIR)
    }); install it with: deno run -A ${join(REPO_ROOT, "scripts", "policy_engine.ts")}`,
    describe(r),
  );
});

Deno.test("policies apply to Sigstore bundles attached as referrers (Go attest --new-bundle-format): both tools agree, with and without --new-bundle-format for ours", async () => {
  const referrers = await startRegistry({ mode: "referrers" });
  const rekor = await startRekor();
  try {
    await writeTrustedRoot(join(dir, "trusted_root.json"), {
      baseUrl: rekor.url,
      spki: parsePublicKeyPem(rekor.publicKeyPem).spki,
    });
    const repo = { registry: referrers.host, repository: "interop/policy-bundles" };
    const { digest } = await pushImage(client, repo, "v1");
    const image = `${referrers.host}/${repo.repository}@${digest}`;
    expectSuccess(
      await run("go", [
        "attest",
        "--key",
        "k.key",
        "--rekor-url",
        rekor.url,
        "--yes",
        "--new-bundle-format",
        "--type",
        "custom",
        "--predicate",
        join(FIXTURES, "attest", "custom.txt"),
        image,
      ], opts()),
      "go attests into a bundle",
    );
    const verifyBundle = (tool: Tool, policy: string, flag: string[]) =>
      run(tool, [
        "verify-attestation",
        "--key",
        "k.pub",
        ...flag,
        "--trusted-root",
        "trusted_root.json",
        "--type",
        "custom",
        "--policy",
        policy,
        image,
      ], opts());
    for (const [policy, code] of [["pass.cue", 0], ["fail.cue", 1], ["pass.rego", 0]] as const) {
      const go = await verifyBundle("go", policy, ["--new-bundle-format"]);
      assert.equal(go.code, code, `go, ${policy}\n${describe(go)}`);
      for (const flag of [["--new-bundle-format"], []]) {
        const ours = await verifyBundle("ours", policy, flag);
        assert.equal(ours.code, code, `ours ${flag.join(" ")}, ${policy}\n${describe(ours)}`);
        assert.deepEqual(policyLines(ours), policyLines(go), `${policy} ${flag.join(" ")}`);
      }
    }
  } finally {
    await rekor.stop();
    await referrers.stop();
  }
});
