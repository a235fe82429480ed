import assert from "node:assert/strict";
import { join } from "node:path";
import { SigstoreError } from "../errors.ts";
import { parseSigningConfig, type SigningConfig } from "./signing_config.ts";
import {
  selectService,
  selectServices,
  selectSigningServices,
  serviceValidAt,
} from "./select_signing_services.ts";

const F = join(import.meta.dirname!, "..", "..", "tests", "fixtures");
const load = (...path: string[]) => parseSigningConfig(Deno.readFileSync(join(F, ...path)));
/** The public-good signing config (sigstore/root-signing targets/signing_config.v0.2.json). */
const PUBLIC_GOOD = load("vectors", "roots", "public-good_signing_config.v0.2.json");
/** Its Rekor v2 variant: a v2 log from 2026-01-01 and the v1 log. */
const REKOR_V2 = load("vectors", "roots", "public-good_signing_config_rekor_v2.v0.2.json");
const STAGING = load("vectors", "roots", "staging_signing_config.v0.2.json");
/** Made by Go cosign v2.6.4 `signing-config create` (tests/fixtures/trust-create/SOURCE.md). */
const GO_B = load("trust-create", "go", "sc_B.json");
const GO_C = load("trust-create", "go", "sc_C.json");
const GO_D = load("trust-create", "go", "sc_D.json");

const NOW = new Date("2026-12-04T12:00:00Z");
const first = () => 0;
const last = () => 0.999;

Deno.test("selectSigningServices() picks the public-good services", () => {
  assert.deepEqual(selectSigningServices(PUBLIC_GOOD, NOW), {
    fulcioUrl: "https://fulcio.sigstore.dev",
    oidcUrl: "https://oauth2.sigstore.dev/auth",
    rekorUrls: ["https://rekor.sigstore.dev"],
    tsaUrls: ["https://timestamp.sigstore.dev/api/v1/timestamp"],
  });
  assert.deepEqual(selectSigningServices(STAGING, NOW), {
    fulcioUrl: "https://fulcio.sigstage.dev",
    oidcUrl: "https://oauth2.sigstage.dev/auth",
    rekorUrls: ["https://rekor.sigstage.dev"],
    tsaUrls: ["https://timestamp.sigstage.dev/api/v1/timestamp"],
  });
});

Deno.test("selectSigningServices() uses the v1 log of a config that also offers Rekor v2", () => {
  // Go cosign would pick the v2 log (highest version first); we upload only to Rekor v1.
  assert.deepEqual(selectSigningServices(REKOR_V2, NOW).rekorUrls, ["https://rekor.sigstore.dev"]);
});

Deno.test("selectSigningServices() refuses a config whose only valid logs are Rekor v2", () => {
  const onlyV2: SigningConfig = {
    ...REKOR_V2,
    rekorTlogUrls: REKOR_V2.rekorTlogUrls.filter((s) => s.majorApiVersion === 2),
  };
  assert.throws(() => selectSigningServices(onlyV2, NOW), (e: unknown) => {
    assert.ok(e instanceof SigstoreError);
    assert.equal(e.code, "SIGNING_SERVICE_UNSUPPORTED");
    assert.equal(
      e.message,
      "Cannot select a Rekor log from the signing config: it offers only Rekor API version 2 logs (https://log2025-1.rekor.sigstore.dev); only Rekor v1 is supported",
    );
    return true;
  });
  // Before the v2 log's start, nothing is valid at all: Go's "no matching services" message.
  assert.throws(
    () => selectSigningServices(onlyV2, new Date("2025-06-01T00:00:00Z")),
    (e: unknown) => {
      assert.ok(e instanceof SigstoreError);
      assert.equal(e.code, "SIGNING_SERVICE_NOT_FOUND");
      assert.equal(
        e.message,
        "Cannot select a Rekor log from the signing config: no matching service found for API versions [1] and current time 2025-06-01T00:00:00.000Z",
      );
      return true;
    },
  );
});

Deno.test("selectSigningServices() leaves out kinds the config does not name", () => {
  assert.deepEqual(selectSigningServices(GO_C, NOW), { rekorUrls: [], tsaUrls: [] });
});

Deno.test("selectSigningServices() on Go's sc_B: the v1 log expired, so only v2 is valid", () => {
  // log1 (v1) ended 2026-01-01T00:00:00.000000001Z; log2 is v2.
  assert.throws(() => selectSigningServices(GO_B, NOW), {
    name: "SigstoreError",
    code: "SIGNING_SERVICE_UNSUPPORTED",
  });
  // Before it ended, EXACT:2 asks for two operators but there is one v1 log.
  assert.throws(
    () => selectSigningServices(GO_B, new Date("2025-12-31T00:00:00Z")),
    {
      code: "SIGNING_SERVICE_NOT_FOUND",
      message:
        "Cannot select a Rekor log from the signing config: service selector count 2 must be less than or equal to the slice length 1",
    },
  );
});

Deno.test("selectSigningServices() refuses a Fulcio CA of an API version we do not speak", () => {
  // sc_D's CA is majorApiVersion 4294967295.
  assert.throws(() => selectSigningServices(GO_D, NOW), {
    code: "SIGNING_SERVICE_NOT_FOUND",
    message:
      "Cannot select a Fulcio CA from the signing config: no matching service found for API versions [1] and current time 2026-12-04T12:00:00.000Z",
  });
});

Deno.test("selectService() takes the newest valid service of the highest version", () => {
  // sc_D: two OIDC providers, o.example started 2024, o2.example 2023.
  assert.equal(selectService(GO_D.oidcUrls, [1], NOW).url, "https://o.example");
  assert.equal(
    selectService(GO_D.oidcUrls, [1], new Date("2023-06-01T00:00:00Z")).url,
    "https://o2.example",
  );
  assert.equal(
    selectService(REKOR_V2.rekorTlogUrls, [1, 2], NOW).url,
    REKOR_V2.rekorTlogUrls[0].url,
  );
  assert.equal(
    selectService(REKOR_V2.rekorTlogUrls, [1, 2], new Date("2025-12-31T23:59:59Z")).url,
    "https://rekor.sigstore.dev",
  );
});

Deno.test("serviceValidAt() includes both bounds and treats absent ones as open", () => {
  const log1 = GO_B.rekorTlogUrls[1];
  assert.equal(serviceValidAt(log1, new Date("2021-01-01T00:00:00Z")), true);
  assert.equal(serviceValidAt(log1, new Date("2020-12-31T23:59:59.999Z")), false);
  // The end is 1 ns after midnight: the millisecond clock's midnight is still inside.
  assert.equal(serviceValidAt(log1, new Date("2026-01-01T00:00:00Z")), true);
  assert.equal(serviceValidAt(log1, new Date("2026-01-01T00:00:00.001Z")), false);
  assert.equal(serviceValidAt({ ...log1, validFor: {} }, new Date(0)), true);
});

/** Three operators, one of them with two logs; all Rekor v1. */
const MULTI: SigningConfig = {
  ...PUBLIC_GOOD,
  rekorTlogUrls: [
    { ...PUBLIC_GOOD.rekorTlogUrls[0], url: "https://a-old", operator: "a" },
    {
      ...PUBLIC_GOOD.rekorTlogUrls[0],
      url: "https://a-new",
      operator: "a",
      validFor: { start: { seconds: 1_700_000_000, nanos: 0 } },
    },
    { ...PUBLIC_GOOD.rekorTlogUrls[0], url: "https://b", operator: "b" },
    { ...PUBLIC_GOOD.rekorTlogUrls[0], url: "https://c", operator: "c" },
  ],
};

Deno.test("selectServices() takes one (the newest) service per operator", () => {
  const all = selectServices(MULTI.rekorTlogUrls, { selector: "ALL", count: 0 }, [1], NOW);
  assert.deepEqual(all.map((s) => s.url), ["https://a-new", "https://c", "https://b"]);
});

Deno.test("selectServices() ANY and EXACT pick at random without repeats", () => {
  const any = { selector: "ANY", count: 0 } as const;
  assert.deepEqual(
    selectServices(MULTI.rekorTlogUrls, any, [1], NOW, "log", first)[0].url,
    "https://a-new",
  );
  assert.deepEqual(
    selectServices(MULTI.rekorTlogUrls, any, [1], NOW, "log", last)[0].url,
    "https://b",
  );
  const exact = { selector: "EXACT", count: 2 } as const;
  assert.deepEqual(
    selectServices(MULTI.rekorTlogUrls, exact, [1], NOW, "log", first).map((s) => s.url),
    ["https://a-new", "https://c"],
  );
  assert.deepEqual(
    selectServices(MULTI.rekorTlogUrls, { selector: "EXACT", count: 3 }, [1], NOW, "log", last)
      .map((s) => s.url).sort(),
    ["https://a-new", "https://b", "https://c"],
  );
});

Deno.test("selectServices() refusals", () => {
  const cases: [SigningConfig["rekorTlogConfig"], string][] = [
    [{ selector: "EXACT", count: 0 }, "service selector count must be greater than 0"],
    [
      { selector: "EXACT", count: 4 },
      "service selector count 4 must be less than or equal to the slice length 3",
    ],
    [{ selector: "SERVICE_SELECTOR_UNDEFINED", count: 0 }, "invalid service selector"],
  ];
  for (const [config, detail] of cases) {
    assert.throws(() => selectServices(MULTI.rekorTlogUrls, config, [1], NOW, "Rekor log"), {
      name: "SigstoreError",
      code: "SIGNING_SERVICE_NOT_FOUND",
      message: `Cannot select a Rekor log from the signing config: ${detail}`,
    });
  }
});
