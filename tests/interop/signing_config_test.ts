/**
 * Signing with a Sigstore signing config, on loopback: the real Go cosign v2.6.4 writes the
 * signing config (`signing-config create`) naming the local Fulcio, Rekor and OIDC issuer; our
 * cosign signs keyless with `--signing-config` (no `--fulcio-url` / `--rekor-url`), and with
 * `--use-signing-config` from a TUF repository that also serves the trusted root (no
 * `--trusted-root`: the CT log and Rekor keys come from TUF); Go cosign verifies what we wrote.
 * The flag combinations cosign refuses are refused with Go's messages.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startKeylessPeers } from "../peers/keyless.ts";
import { TestTufRepository } from "../helpers/tuf_repository.ts";
import { createRegistry } from "../../lib/registry/client.ts";
import { startRegistry } from "../peers/registry.ts";
import { startTsa } from "../peers/tsa.ts";
import { pushImage } from "../registry/_helpers.ts";
import {
  describe,
  expectSuccess,
  expectVerified,
  runGo,
  runOurs,
  type RunResult,
  suiteDir,
  suiteOptions,
} from "./_run.ts";

const tsa = await startTsa();
const peers = await startKeylessPeers({
  timestampAuthorities: [{
    uri: tsa.url,
    chainPem: tsa.certChainPem,
    subject: { organization: "local", commonName: "tsa" },
    validFor: { start: "2020-01-01T00:00:00Z" },
  }],
});
const registry = await startRegistry({ mode: "referrers" });
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-signing-config-");
addEventListener("unload", () => client.close());
globalThis.addEventListener(
  "unload",
  () => void Promise.all([peers.stop(), registry.stop(), tsa.stop()]),
);

const ALICE = "alice@example.com";
const opts = suiteOptions(dir);
const trustedRoot = ["--trusted-root", peers.trustedRootPath];
await Deno.writeTextFile(join(dir, "blob.txt"), `signing config ${crypto.randomUUID()}\n`);
await Deno.writeTextFile(
  join(dir, "predicate.json"),
  JSON.stringify({ builder: { id: "https://example.com/builder" } }),
);
const START = "2020-01-01T00:00:00Z";
const spec = (url: string, version = 1, operator = "local") =>
  `url=${url},api-version=${version},start-time=${START},operator=${operator}`;

/** Go cosign's `signing-config create` with `args`, written to `name`. */
async function goSigningConfig(name: string, args: string[]): Promise<string> {
  expectSuccess(
    await runGo(["signing-config", "create", ...args, "--out", name], opts),
    `Go signing-config create ${name}`,
  );
  return join(dir, name);
}

const LOCAL = await goSigningConfig("local.json", [
  `--fulcio=${spec(peers.fulcio.url)}`,
  `--rekor=${spec(peers.rekor.url)}`,
  "--rekor-config=ANY",
  `--oidc-provider=${spec(peers.emailIssuer)}`,
]);

/** The same services and the local timestamp authority (selected EXACT:1). */
const WITH_TSA = await goSigningConfig("local-tsa.json", [
  `--fulcio=${spec(peers.fulcio.url)}`,
  `--rekor=${spec(peers.rekor.url)}`,
  "--rekor-config=ANY",
  `--oidc-provider=${spec(peers.emailIssuer)}`,
  `--tsa=${spec(tsa.timestampUrl)}`,
  "--tsa-config=EXACT:1",
]);

const goVerifyBlob = (bundle: string, extra: string[] = []) =>
  runGo([
    "verify-blob",
    "--new-bundle-format",
    "--bundle",
    bundle,
    "--certificate-identity",
    ALICE,
    "--certificate-oidc-issuer",
    peers.emailIssuer,
    ...trustedRoot,
    ...extra,
    "blob.txt",
  ], opts);

const lastLine = (r: RunResult) => r.stderr.trimEnd().split("\n").at(-1);

Deno.test("sign-blob --signing-config (Go's config naming the local Fulcio and Rekor): Go verify-blob accepts the bundle", async () => {
  const token = await peers.oidc.emailToken(ALICE);
  const r = expectSuccess(
    await runOurs([
      "sign-blob",
      "--signing-config",
      LOCAL,
      ...trustedRoot,
      "--identity-token",
      token,
      "--yes",
      "--bundle",
      "blob.sigstore.json",
      "blob.txt",
    ], opts),
    "our sign-blob --signing-config",
  );
  // cosign's signing-config path writes the bundle only: no signature on stdout.
  assert.equal(r.stdout, "", describe(r));
  assert.equal(lastLine(r), "Wrote bundle to file blob.sigstore.json", describe(r));
  const bundle = JSON.parse(await Deno.readTextFile(join(dir, "blob.sigstore.json")));
  assert.equal(bundle.mediaType, "application/vnd.dev.sigstore.bundle.v0.3+json");
  assert.equal(bundle.verificationMaterial.tlogEntries.length, 1);
  expectVerified(await goVerifyBlob("blob.sigstore.json"), "Go verify-blob");
});

Deno.test("attest-blob --signing-config: Go verify-blob-attestation accepts the bundle", async () => {
  const token = await peers.oidc.emailToken(ALICE);
  expectSuccess(
    await runOurs([
      "attest-blob",
      "--signing-config",
      LOCAL,
      ...trustedRoot,
      "--identity-token",
      token,
      "--yes",
      "--predicate",
      "predicate.json",
      "--type",
      "custom",
      "--bundle",
      "att.sigstore.json",
      "blob.txt",
    ], opts),
    "our attest-blob --signing-config",
  );
  expectVerified(
    await runGo([
      "verify-blob-attestation",
      "--new-bundle-format",
      "--bundle",
      "att.sigstore.json",
      "--type",
      "custom",
      "--certificate-identity",
      ALICE,
      "--certificate-oidc-issuer",
      peers.emailIssuer,
      ...trustedRoot,
      "blob.txt",
    ], opts),
    "Go verify-blob-attestation",
  );
});

Deno.test("sign-blob --use-signing-config: signing config, CT log key and Rekor key from the TUF cache (no --trusted-root)", async () => {
  const repo = await TestTufRepository.create();
  repo.targets.set("trusted_root.json", await Deno.readFile(peers.trustedRootPath));
  repo.targets.set("signing_config.v0.2.json", await Deno.readFile(LOCAL));
  await repo.publish();
  const url = repo.serve();
  try {
    await Deno.writeFile(join(dir, "tuf-root.json"), repo.initialRoot);
    const cache = suiteOptions(dir, { TUF_ROOT: join(dir, "tuf-cache") });
    expectSuccess(
      await runOurs(["initialize", "--mirror", url, "--root", join(dir, "tuf-root.json")], cache),
      "our initialize",
    );
    const token = await peers.oidc.emailToken(ALICE);
    const r = expectSuccess(
      await runOurs([
        "sign-blob",
        "--use-signing-config",
        "--identity-token",
        token,
        "--yes",
        "--bundle",
        "tuf.sigstore.json",
        "blob.txt",
      ], cache),
      "our sign-blob --use-signing-config",
    );
    assert.ok(r.stderr.includes("Successfully verified SCT..."), describe(r));
    // The log's answer was checked with the TUF trusted root's Rekor key, not the served one.
    assert.ok(!r.stderr.includes("using the key the log serves"), describe(r));
    assert.ok(
      repo.requests.includes("/targets/signing_config.v0.2.json") ||
        repo.requests.some((p) => p.endsWith(".signing_config.v0.2.json")),
      repo.requests.join(),
    );
    expectVerified(
      await goVerifyBlob("tuf.sigstore.json"),
      "Go verify-blob of the TUF-configured bundle",
    );
  } finally {
    await repo.close();
  }
});

Deno.test("sign --signing-config without --new-bundle-format is refused, as Go", async () => {
  const args = [
    "sign",
    "--signing-config",
    LOCAL,
    "--yes",
    "127.0.0.1:1/x@sha256:" + "0".repeat(64),
  ];
  for (const tool of ["go", "ours"] as const) {
    const r = await (tool === "go" ? runGo(args, opts) : runOurs(args, opts));
    assert.equal(r.code, 1, describe(r));
    assert.match(
      r.stderr,
      /must provide --new-bundle-format with --signing-config or --use-signing-config/,
      describe(r),
    );
  }
});

Deno.test("sign-blob refusals with a signing config (Go's messages where Go refuses too)", async () => {
  const v2only = await goSigningConfig("v2only.json", [
    `--fulcio=${spec(peers.fulcio.url)}`,
    `--rekor=${spec(peers.rekor.url, 2)}`,
    "--rekor-config=ANY",
  ]);
  const noFulcio = await goSigningConfig("nofulcio.json", [
    `--rekor=${spec(peers.rekor.url)}`,
    "--rekor-config=ANY",
  ]);
  const token = await peers.oidc.emailToken(ALICE);
  const base = ["sign-blob", ...trustedRoot, "--identity-token", token, "--yes"];
  const cases: [string, string[], string | RegExp, boolean][] = [
    [
      "both flags",
      ["--signing-config", LOCAL, "--use-signing-config", "--bundle", "x.json"],
      "if any flags in the group [use-signing-config signing-config] are set none of the others can be; [signing-config use-signing-config] were all set",
      true,
    ],
    [
      "--rekor-url too",
      ["--signing-config", LOCAL, "--rekor-url", peers.rekor.url, "--bundle", "x.json"],
      "cannot specify service URLs and use signing config",
      true,
    ],
    [
      "--fulcio-url too",
      ["--signing-config", LOCAL, "--fulcio-url", peers.fulcio.url, "--bundle", "x.json"],
      "cannot specify service URLs and use signing config",
      true,
    ],
    [
      "no --bundle",
      ["--signing-config", LOCAL],
      "must provide --bundle with --signing-config or --use-signing-config",
      true,
    ],
    [
      "a missing file",
      ["--signing-config", "missing.json", "--bundle", "x.json"],
      /^error: error reading signing config from file: /,
      false,
    ],
    [
      "--tlog-upload=false (cosign 3 refuses it; v2.6.4 uploads anyway)",
      ["--signing-config", LOCAL, "--tlog-upload=false", "--bundle", "x.json"],
      /^error: --tlog-upload=false is not supported with --signing-config/,
      false,
    ],
    [
      "only Rekor v2 logs",
      ["--signing-config", v2only, "--bundle", "x.json"],
      `error: cannot select a Rekor log from the signing config: it offers only Rekor API version 2 logs (${peers.rekor.url}); only Rekor v1 is supported`,
      false,
    ],
    [
      "no Fulcio CA for keyless signing",
      ["--signing-config", noFulcio, "--bundle", "x.json"],
      "error: no fulcio URLs provided in signing config",
      false,
    ],
  ];
  for (const [name, extra, expected, goToo] of cases) {
    const r = await runOurs([...base, ...extra, "blob.txt"], opts);
    assert.equal(r.code, 1, `${name}\n${describe(r)}`);
    const line = lastLine(r)!;
    if (typeof expected === "string") {
      assert.equal(line, expected.startsWith("error: ") ? expected : `error: ${expected}`, name);
    } else assert.match(line, expected, name);
    assert.equal(r.stdout, "", name);
    if (goToo) {
      const g = await runGo([...base, ...extra, "blob.txt"], opts);
      assert.equal(g.code, 1, `${name}\n${describe(g)}`);
      assert.ok(g.stderr.includes(expected as string), `${name}\n${describe(g)}`);
    }
  }
  assert.equal(await Deno.stat(join(dir, "x.json")).then(() => true, () => false), false);
});

Deno.test("sign --new-bundle-format --signing-config (keyless image): Go verify --new-bundle-format accepts it", async () => {
  const repo = "sc/app";
  const { digest } = await pushImage(client, { registry: registry.host, repository: repo }, "v1");
  const ref = `${registry.host}/${repo}@${digest}`;
  const token = await peers.oidc.emailToken(ALICE);
  expectSuccess(
    await runOurs([
      "sign",
      "--signing-config",
      LOCAL,
      ...trustedRoot,
      "--identity-token",
      token,
      "--yes",
      "--new-bundle-format",
      ref,
    ], opts),
    "our sign --signing-config",
  );
  const verified = expectSuccess(
    await runGo([
      "verify",
      "--new-bundle-format",
      "--certificate-identity",
      ALICE,
      "--certificate-oidc-issuer",
      peers.emailIssuer,
      ...trustedRoot,
      ref,
    ], opts),
    "Go verify of the keyless image bundle",
  );
  assert.match(verified.stderr, /The code-signing certificate was verified/, describe(verified));
});

Deno.test("attest --new-bundle-format --signing-config naming a timestamp authority (keyless image): the bundle carries the config's timestamp; Go verify-attestation accepts it", async () => {
  const repo = "sc/attested";
  const { digest } = await pushImage(client, { registry: registry.host, repository: repo }, "v1");
  const ref = `${registry.host}/${repo}@${digest}`;
  const token = await peers.oidc.emailToken(ALICE);
  const signed = expectSuccess(
    await runOurs([
      "attest",
      "--signing-config",
      WITH_TSA,
      ...trustedRoot,
      "--identity-token",
      token,
      "--yes",
      "--new-bundle-format",
      "--predicate",
      "predicate.json",
      "--type",
      "custom",
      ref,
    ], opts),
    "our attest --signing-config",
  );
  assert.match(signed.stderr, /Timestamp fetched with time: /, describe(signed));
  const bundles = await client.referrers({ registry: registry.host, repository: repo }, digest);
  assert.equal(bundles.length, 1);
  const manifest = await client.getManifest(
    { registry: registry.host, repository: repo },
    bundles[0].digest,
  );
  const layer = (manifest.manifest as { layers: { digest: string }[] }).layers[0];
  const bundle = JSON.parse(
    new TextDecoder().decode(
      await client.getBlobBytes(
        { registry: registry.host, repository: repo },
        layer.digest,
        1 << 20,
      ),
    ),
  );
  assert.equal(bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps.length, 1);
  assert.equal(bundle.verificationMaterial.tlogEntries.length, 1);
  const verified = expectSuccess(
    await runGo([
      "verify-attestation",
      "--new-bundle-format",
      "--type",
      "custom",
      "--certificate-identity",
      ALICE,
      "--certificate-oidc-issuer",
      peers.emailIssuer,
      ...trustedRoot,
      "--use-signed-timestamps",
      ref,
    ], opts),
    "Go verify-attestation of the keyless attestation bundle",
  );
  assert.match(verified.stderr, /The code-signing certificate was verified/, describe(verified));
});
