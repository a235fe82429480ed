import assert from "node:assert/strict";
import { join } from "node:path";
import { SigstoreError } from "../errors.ts";
import { evaluatePolicies, policyEngineFor, type PolicySet } from "./evaluate_policies.ts";
import {
  loadPolicyEngine,
  POLICY_ENGINE_DIR,
  POLICY_ENGINE_GLUE,
  POLICY_ENGINE_WASM,
  type PolicyEngine,
  policyEngineDir,
  type PolicyFile,
} from "./policy_engine.ts";

// The real engine, as scripts/policy_engine.ts installs it (scripts/peers/install.ts runs it).
const ENGINE_DIR = policyEngineDir({
  COSIGN_DENO_CACHE: Deno.env.get("COSIGN_DENO_CACHE"),
  HOME: Deno.env.get("HOME"),
})!;
let engine: Promise<PolicyEngine> | undefined;
const getEngine = () => engine ??= loadPolicyEngine(ENGINE_DIR, "deno task policy-engine");

const file = (path: string, source: string): PolicyFile => ({ path, abs: `/p/${path}`, source });

const CUSTOM = "https://cosign.sigstore.dev/attestation/v1";
const statement = (predicateType: string, predicate: unknown) =>
  JSON.stringify({
    _type: "https://in-toto.io/Statement/v0.1",
    predicateType,
    subject: [{ name: "img", digest: { sha256: "ab".repeat(32) } }],
    predicate,
  });
const GOOD = statement(CUSTOM, { Data: "hello", Timestamp: "2026-01-02T03:04:05Z" });
const OTHER = statement("https://example.com/other", { Data: "bye", n: 3 });

const CUE_TYPE = file("type.cue", `predicateType: "${CUSTOM}"\n`);
const CUE_TIME = file(
  "time.cue",
  `import "time"\nbefore: time.Parse(time.RFC3339, "2049-10-09T17:10:27Z")\n` +
    `predicate: Timestamp: <before\n`,
);
const REGO_ALLOW = file(
  "allow.rego",
  `package signature\n\nallow {\n\tinput.predicate.Data == "hello"\n}\n`,
);
const REGO_FALSE = file(
  "false.rego",
  `package signature\n\ndefault allow = false\n\nallow {\n\tinput.predicate.Data == "hello"\n}\n`,
);
const REGO_V1 = file("v1.rego", `package signature\n\nallow if {\n\ttrue\n}\n`);
const REGO_OBJECT = file("object.rego", `package signature\n\nallow = {"result": true}\n`);

Deno.test("policyEngineFor: the engine by Go's filepath.Ext, else cosign's error", () => {
  const cases: [string, "cue" | "rego" | undefined][] = [
    ["p.cue", "cue"],
    ["dir/p.rego", "rego"],
    ["/abs/x.y.cue", "cue"],
    [".rego", "rego"],
    ["p.CUE", undefined],
    ["p.cue.txt", undefined],
    ["dir.cue/p", undefined],
    ["p", undefined],
    ["p.json", undefined],
  ];
  for (const [path, want] of cases) {
    if (want) {
      assert.equal(policyEngineFor(path), want, path);
      continue;
    }
    assert.throws(() => policyEngineFor(path), (e: unknown) => {
      assert.ok(e instanceof SigstoreError, path);
      assert.equal(e.code, "POLICY_FORMAT_INVALID");
      assert.equal(e.message, "invalid policy format, expected .cue or .rego");
      return true;
    });
  }
});

Deno.test("loadPolicyEngine: a missing engine is one line naming the installer", async () => {
  const empty = await Deno.makeTempDir();
  try {
    const dir = join(empty, POLICY_ENGINE_DIR);
    await assert.rejects(loadPolicyEngine(dir, "deno task policy-engine"), (e: unknown) => {
      assert.ok(e instanceof SigstoreError);
      assert.equal(e.code, "POLICY_ENGINE_MISSING");
      assert.equal(
        e.message,
        `Cannot evaluate policies: the policy engine is not installed (${dir}); ` +
          "install it with: deno task policy-engine",
      );
      return true;
    });
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("policyEngineDir: COSIGN_DENO_CACHE, else HOME's cache, else nothing", () => {
  assert.equal(policyEngineDir({ COSIGN_DENO_CACHE: "/c", HOME: "/h" }), `/c/${POLICY_ENGINE_DIR}`);
  assert.equal(policyEngineDir({ HOME: "/h" }), `/h/.cache/cosign-deno/${POLICY_ENGINE_DIR}`);
  assert.equal(policyEngineDir({}), undefined);
});

/** Each case: policies, inputs, the engines that ran per input and every error (cosign's text). */
const CASES: {
  name: string;
  set: PolicySet;
  inputs: string[];
  engines: ("cue" | "rego")[][];
  errors: string[];
}[] = [
  {
    name: "CUE passes (two files of one instance, a builtin import)",
    set: { cue: [CUE_TYPE, CUE_TIME], rego: [] },
    inputs: [GOOD],
    engines: [["cue"]],
    errors: [],
  },
  {
    name: "CUE fails: the conflicting values",
    set: { cue: [CUE_TYPE], rego: [] },
    inputs: [OTHER],
    engines: [["cue"]],
    errors: [`predicateType: conflicting values "https://example.com/other" and "${CUSTOM}"`],
  },
  {
    name: "CUE fails: a bound",
    set: { cue: [CUE_TIME], rego: [] },
    inputs: [statement(CUSTOM, { Timestamp: "2050-01-01T00:00:00Z" })],
    engines: [["cue"]],
    errors: [
      `predicate.Timestamp: invalid value "2050-01-01T00:00:00Z" (out of bound <"2049-10-09T17:10:27Z")`,
    ],
  },
  {
    name: "Rego allows",
    set: { cue: [], rego: [REGO_ALLOW] },
    inputs: [GOOD],
    engines: [["rego"]],
    errors: [],
  },
  {
    name: "Rego undefined",
    set: { cue: [], rego: [REGO_ALLOW] },
    inputs: [OTHER],
    engines: [["rego"]],
    errors: ["result is undefined for query 'data.signature.allow'"],
  },
  {
    name: "Rego false",
    set: { cue: [], rego: [REGO_FALSE] },
    inputs: [OTHER],
    engines: [["rego"]],
    errors: ["expression value, false, is not true"],
  },
  {
    name: "Rego: an object is not true",
    set: { cue: [], rego: [REGO_OBJECT] },
    inputs: [GOOD],
    engines: [["rego"]],
    errors: ["expression value, map[result:true], is not true"],
  },
  {
    name: "Rego is parsed as v0 (cosign's SetRegoVersion(RegoV0)): `if` is not a keyword",
    set: { cue: [], rego: [REGO_V1] },
    inputs: [GOOD],
    engines: [["rego"]],
    errors: [
      "1 error occurred during loading: v1.rego:3: rego_parse_error: var cannot be used for rule name",
    ],
  },
  {
    name: "missing files: what the loaders say of a file missing on disk",
    set: {
      cue: [{ path: "gone.cue", abs: "/p/gone.cue", source: null }],
      rego: [{ path: "gone.rego", abs: "/p/gone.rego", source: null }],
    },
    inputs: [GOOD],
    engines: [["cue"]],
    errors: ["stat /p/gone.cue: no such file or directory"],
  },
  {
    name: "a missing Rego file",
    set: { cue: [], rego: [REGO_ALLOW, { path: "gone.rego", abs: "/p/gone.rego", source: null }] },
    inputs: [GOOD],
    engines: [["rego"]],
    errors: ["1 error occurred during loading: stat gone.rego: no such file or directory"],
  },
  {
    name: "a CUE failure skips Rego; each input on its own",
    set: { cue: [CUE_TYPE], rego: [REGO_FALSE] },
    inputs: [GOOD, OTHER, GOOD],
    engines: [["cue", "rego"], ["cue"], ["cue", "rego"]],
    errors: [`predicateType: conflicting values "https://example.com/other" and "${CUSTOM}"`],
  },
];

for (const c of CASES) {
  Deno.test(`evaluatePolicies (real CUE v0.14.1 and OPA v1.8.0): ${c.name}`, async () => {
    const out = await evaluatePolicies(await getEngine(), c.set, c.inputs, "/p");
    assert.deepEqual(out.evaluations.map((e) => e.engines), c.engines);
    assert.deepEqual(out.errors, c.errors);
    assert.deepEqual(out.evaluations.flatMap((e) => e.errors), c.errors);
  });
}

Deno.test("evaluatePolicies: no input runs nothing", async () => {
  const engine: PolicyEngine = {
    evaluate: () => Promise.reject(new Error("must not run")),
  };
  assert.deepEqual(
    await evaluatePolicies(engine, { cue: [CUE_TYPE], rego: [] }, [], "/p"),
    { evaluations: [], errors: [] },
  );
});

Deno.test("the engine: concurrent evaluations each get their own answer", async () => {
  const e = await getEngine();
  const set = { dir: "/p", cue: [CUE_TYPE], rego: [] };
  const [a, b] = await Promise.all([
    e.evaluate({ ...set, inputs: [GOOD] }),
    e.evaluate({ ...set, inputs: [OTHER, GOOD] }),
  ]);
  assert.deepEqual(a, [{ cue: null, rego: null }]);
  assert.deepEqual(b, [
    {
      cue: `predicateType: conflicting values "https://example.com/other" and "${CUSTOM}"`,
      rego: null,
    },
    { cue: null, rego: null },
  ]);
});

Deno.test("loadPolicyEngine: a damaged engine is POLICY_ENGINE_FAILED", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.copyFile(join(ENGINE_DIR, POLICY_ENGINE_GLUE), join(dir, POLICY_ENGINE_GLUE));
    await Deno.writeFile(join(dir, POLICY_ENGINE_WASM), new Uint8Array([0, 0x61, 0x73, 0x6d, 9]));
    await assert.rejects(loadPolicyEngine(dir, "x"), (e: unknown) => {
      assert.ok(e instanceof SigstoreError);
      assert.equal(e.code, "POLICY_ENGINE_FAILED");
      assert.match(e.message, /^Cannot load the policy engine: /);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
