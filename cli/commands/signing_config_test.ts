/**
 * `cosign signing-config create`, in-process: the signing configs the real Go cosign v2.6.4
 * wrote for the same flags (tests/fixtures/trust-create/go/sc_*.json, compared as parsed JSON),
 * `--base-config` over the public-good signing config, help, and bad input with its one-line
 * error and exit code.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cosign } from "../_test_io.ts";
import { parseSigningConfig } from "../../lib/trust/signing_config.ts";

const F = join(import.meta.dirname!, "..", "..", "tests", "fixtures", "trust-create");
const BASE = join(F, "public-good_signing_config.v0.2.json");

/** The flags of each case; tests/fixtures/trust-create/go/sc_<case>.json is Go's output. */
export const SIGNING_CONFIG_CASES: Record<string, string[]> = {
  A: [
    "--fulcio=url=https://fulcio.sigstore.dev,api-version=1,start-time=2024-01-01T00:00:00Z,end-time=2025-01-01T00:00:00Z,operator=sigstore.dev",
    "--rekor=url=https://rekor.sigstore.dev,api-version=1,start-time=2024-01-01T00:00:00Z,operator=sigstore.dev",
    "--rekor-config=ANY",
    "--oidc-provider=url=https://oauth2.sigstore.dev/auth,api-version=1,start-time=2024-01-01T00:00:00Z,operator=sigstore.dev",
    "--tsa=url=https://timestamp.sigstore.dev/api/v1/timestamp,api-version=1,start-time=2024-01-01T00:00:00Z,operator=sigstore.dev",
    "--tsa-config=EXACT:1",
  ],
  B: [
    "--rekor=url=https://log2.example,api-version=2,start-time=2025-09-23T00:00:00.25+05:30,operator=a",
    "--rekor=url=https://log1.example,api-version=1,start-time=2021-01-01T00:00:00Z,operator=b,end-time=2026-01-01T00:00:00.000000001Z",
    "--rekor-config=exact:2",
    "--tsa=url=https://t.example,api-version=0,start-time=2024-01-01T00:00:00Z,operator=t",
    "--tsa-config=all",
  ],
  C: [],
  D: [
    "--fulcio=url=https://f.example,api-version=4294967295,start-time=2024-02-29T00:00:00Z,operator=x",
    "--oidc-provider=url=https://o.example,api-version=1,start-time=2024-01-01T00:00:00Z,operator=x",
    "--oidc-provider=url=https://o2.example,api-version=1,start-time=2023-01-01T00:00:00Z,operator=y",
    "--rekor-config=any",
  ],
};

async function goOutput(name: string): Promise<string> {
  return JSON.stringify(JSON.parse(await Deno.readTextFile(join(F, "go", `sc_${name}.json`))));
}

for (const [name, args] of Object.entries(SIGNING_CONFIG_CASES)) {
  Deno.test(`signing-config create: case ${name} matches Go cosign's signing config`, async () => {
    const { code, io } = await cosign(["signing-config", "create", ...args]);
    assert.equal(code, 0, io.err());
    assert.equal(io.out(), (await goOutput(name)) + "\n");
    assert.equal(
      parseSigningConfig(io.outBytes()).mediaType,
      "application/vnd.dev.sigstore.signingconfig.v0.2+json",
    );
  });
}

Deno.test("signing-config create: --base-config keeps the base's services and selections", async () => {
  const { code, io } = await cosign(["signing-config", "create", "--base-config", BASE]);
  assert.equal(code, 0, io.err());
  // The public-good file is protojson's output re-indented; .000Z becomes Z, as sigstore-go writes.
  const expected = JSON.stringify(JSON.parse(await Deno.readTextFile(BASE))).replaceAll(
    ".000Z",
    "Z",
  );
  const reordered = JSON.parse(expected);
  assert.deepEqual(Object.keys(JSON.parse(io.out())), [
    "mediaType",
    "caUrls",
    "oidcUrls",
    "rekorTlogUrls",
    "rekorTlogConfig",
    "tsaUrls",
    "tsaConfig",
  ]);
  assert.deepEqual(JSON.parse(io.out()), reordered);
});

Deno.test("signing-config create: service flags replace the base's services of that kind only", async () => {
  const { code, io } = await cosign([
    "signing-config",
    "create",
    "--base-config",
    BASE,
    "--oidc-provider=url=https://custom-oidc.example.com,api-version=1,start-time=2024-01-01T00:00:00Z,operator=example.com",
    "--no-default-tsa",
    "--rekor-config=ALL",
  ]);
  assert.equal(code, 0, io.err());
  const out = JSON.parse(io.out());
  assert.deepEqual(out.oidcUrls, [{
    url: "https://custom-oidc.example.com",
    majorApiVersion: 1,
    validFor: { start: "2024-01-01T00:00:00Z" },
    operator: "example.com",
  }]);
  assert.equal(out.caUrls[0].url, "https://fulcio.sigstore.dev");
  assert.equal(out.rekorTlogUrls[0].url, "https://rekor.sigstore.dev");
  assert.deepEqual(out.rekorTlogConfig, { selector: "ALL" });
  assert.equal(out.tsaUrls, undefined);
  assert.deepEqual(out.tsaConfig, {});
});

Deno.test("signing-config create: --out writes mode 0600; help lists cosign 3's flags", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "sc.json");
    const { code } = await cosign([
      "signing-config",
      "create",
      ...SIGNING_CONFIG_CASES.A,
      "--out",
      out,
    ]);
    assert.equal(code, 0);
    assert.equal(await Deno.readTextFile(out), await goOutput("A"));
    assert.equal((await Deno.stat(out)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const { io } = await cosign(["signing-config", "create", "--help"]);
  for (
    const flag of [
      "--base-config string",
      "--fulcio stringArray",
      "--oidc-provider stringArray",
      "--rekor-config string",
      "--tsa-config string",
      "--with-default-rekor-v2",
      "--no-default-oidc",
    ]
  ) {
    assert.ok(io.out().includes(flag), flag);
  }
});

const svc = "url=https://r.example,api-version=1,start-time=2024-01-01T00:00:00Z,operator=me";
const BAD: [string, string[], string, number][] = [
  [
    "--rekor without --rekor-config",
    [`--rekor=${svc}`],
    "--rekor-config must be provided when --rekor is specified",
    1,
  ],
  [
    "--tsa without --tsa-config",
    [`--tsa=${svc}`],
    "--tsa-config must be provided when --tsa is specified",
    1,
  ],
  [
    "a spec without operator",
    ["--fulcio=url=https://f.example,api-version=1,start-time=2024-01-01T00:00:00Z"],
    "parsing fulcio spec: missing required key 'operator' in service spec",
    1,
  ],
  [
    "a negative api-version",
    ["--oidc-provider=url=https://o.example,api-version=-1,start-time=2024-01-01T00:00:00Z,operator=x"],
    'parsing oidc-provider spec: parsing api-version: strconv.ParseUint: parsing "-1": invalid syntax',
    1,
  ],
  [
    "an api-version above uint32",
    ["--fulcio=url=https://f.example,api-version=4294967296,start-time=2024-01-01T00:00:00Z,operator=x"],
    'parsing fulcio spec: parsing api-version: strconv.ParseUint: parsing "4294967296": value out of range',
    1,
  ],
  [
    "a bad end-time",
    [`--tsa=${svc},end-time=tomorrow`, "--tsa-config=ANY"],
    'parsing tsa spec: parsing end-time: cannot parse "tomorrow" as an RFC 3339 time',
    1,
  ],
  [
    "ANY with a count",
    [`--rekor=${svc}`, "--rekor-config=ANY:1"],
    "parsing rekor-config: mode ANY does not accept a count",
    1,
  ],
  [
    "EXACT without a count",
    ["--tsa-config=exact"],
    "parsing tsa-config: mode EXACT requires a count, e.g. EXACT:2",
    1,
  ],
  [
    "EXACT with a bad count",
    ["--rekor-config=EXACT:two"],
    'parsing rekor-config: invalid count for EXACT mode: strconv.ParseUint: parsing "two": invalid syntax',
    1,
  ],
  [
    "an unknown mode",
    ["--rekor-config=some"],
    "parsing rekor-config: invalid service config mode: SOME",
    1,
  ],
  [
    "a base config of another version",
    [`--base-config=${join(F, "..", "vectors", "roots", "public-good_signing_config.json")}`],
    `loading base config from ${
      join(F, "..", "vectors", "roots", "public-good_signing_config.json")
    }: unknown field "caUrl" in SigningConfig`,
    1,
  ],
  [
    "a missing base config",
    ["--base-config=/nonexistent/sc.json"],
    "loading base config from /nonexistent/sc.json: open /nonexistent/sc.json: no such file or directory",
    1,
  ],
  [
    "--base-config with --with-default-services",
    [`--base-config=${BASE}`, "--with-default-services"],
    "if any flags in the group [base-config with-default-services] are set none of the others can be; [base-config with-default-services] were all set",
    1,
  ],
];

for (const [name, args, message, exit] of BAD) {
  Deno.test(`signing-config create refuses ${name}`, async () => {
    const { code, io } = await cosign(["signing-config", "create", ...args]);
    assert.equal(io.err(), `error: ${message}\n`);
    assert.equal(code, exit);
    assert.equal(io.out(), "");
  });
}
