/**
 * Keyless verification, ours against the real Go cosign v2.6.4 on the same input: the same exit
 * code for every case, "Verified OK" from both when it passes, the same JSON on stdout for images.
 *
 * - Blobs: the committed keyless fixtures (tests/fixtures/keyless-local, made by the Go cosign
 *   with a real Fulcio, CT log and Rekor), with `--trusted-root`, with the SIGSTORE_* variables,
 *   and with a trusted root from a TUF cache (`cosign initialize` against a repository on
 *   loopback); then wrong identities, issuers, regexps, workflow values and trust material.
 * - Rekor v2: sigstore-python's bundle (no SET, an RFC 3161 timestamp) needs
 *   `--use-signed-timestamps`.
 * - Images: a live run of the keyless peers (tests/peers/keyless.ts) and a registry; the Go cosign
 *   signs and attests keylessly, and both verify (`verify` exits 12 for another identity).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { TestTufRepository } from "../helpers/tuf_repository.ts";
import { createRegistry } from "../../lib/registry/client.ts";
import { startKeylessPeers } from "../peers/keyless.ts";
import { startRegistry } from "../peers/registry.ts";
import { startTsa } from "../peers/tsa.ts";
import { pushImage } from "../registry/_helpers.ts";
import {
  type BothCase,
  describe,
  expectSuccess,
  FIXTURES,
  run,
  runCasesWithBoth,
  suiteDir,
  suiteOptions,
} from "./_run.ts";

const FX = join(FIXTURES, "keyless-local");
const PY = join(FIXTURES, "vectors", "bundles", "sigstore-python");
const expected = JSON.parse(await Deno.readTextFile(join(FX, "expected.json")));
const dir = await suiteDir("cosign-interop-keyless-verify-");
const opts = suiteOptions(dir);
const envTrust = suiteOptions(dir, {
  SIGSTORE_ROOT_FILE: join(FX, "fulcio_chain.pem"),
  SIGSTORE_REKOR_PUBLIC_KEY: join(FX, "rekor.pub"),
  SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: join(FX, "ctlog.pub"),
});
const rootOnlyTrust = suiteOptions(dir, {
  SIGSTORE_ROOT_FILE: join(FX, "fulcio_root.pem"),
  SIGSTORE_REKOR_PUBLIC_KEY: join(FX, "rekor.pub"),
  SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: join(FX, "ctlog.pub"),
});
const trustedRoot = ["--trusted-root", join(FX, "trusted_root.json")];
const blob = join(FX, "blob.txt");
const id = (who: { identity: string; issuer: string }) => [
  "--certificate-identity",
  who.identity,
  "--certificate-oidc-issuer",
  who.issuer,
];
const email = id(expected.email);
const github = id(expected.github);

/** A case: what, the arguments, the environment, whether it verifies. */
type Case = BothCase;
const both = runCasesWithBoth;

const verifyBlob = (args: string[]) => ["verify-blob", ...args, blob];

Deno.test("verify-blob keyless, v0.3 bundles with --trusted-root: identity, issuer, regexps, workflow values (sigstore-go rules)", async () => {
  const bundle = [
    "--new-bundle-format",
    "--bundle",
    join(FX, "blob.sigstore.json"),
    ...trustedRoot,
  ];
  const gh = [
    "--new-bundle-format",
    "--bundle",
    join(FX, "blob-github.sigstore.json"),
    ...trustedRoot,
  ];
  await both([
    ["email identity", verifyBlob([...bundle, ...email]), opts, true],
    [
      "identity and issuer regexps",
      verifyBlob([
        ...bundle,
        "--certificate-identity-regexp",
        "^alice@example\\.com$",
        "--certificate-oidc-issuer-regexp",
        "^http://127\\.0\\.0\\.1:[0-9]+$",
      ]),
      opts,
      true,
    ],
    [
      "another identity",
      verifyBlob([...bundle, ...id({ ...expected.email, identity: "bob@example.com" })]),
      opts,
      false,
    ],
    [
      "another issuer",
      verifyBlob([...bundle, ...id({ ...expected.email, issuer: expected.github.issuer })]),
      opts,
      false,
    ],
    [
      "an identity regexp that does not match",
      verifyBlob([
        ...bundle,
        "--certificate-identity-regexp",
        "^bob@",
        "--certificate-oidc-issuer",
        expected.email.issuer,
      ]),
      opts,
      false,
    ],
    [
      "an issuer regexp that does not match",
      verifyBlob([
        ...bundle,
        "--certificate-identity",
        expected.email.identity,
        "--certificate-oidc-issuer-regexp",
        "^https://",
      ]),
      opts,
      false,
    ],
    [
      "no identity flag",
      verifyBlob([...bundle, "--certificate-oidc-issuer", expected.email.issuer]),
      opts,
      false,
    ],
    [
      "no issuer flag",
      verifyBlob([...bundle, "--certificate-identity", expected.email.identity]),
      opts,
      false,
    ],
    [
      "every GitHub workflow flag",
      verifyBlob([
        ...gh,
        ...github,
        "--certificate-github-workflow-repository",
        expected.github.repository,
        "--certificate-github-workflow-ref",
        expected.github.ref,
        "--certificate-github-workflow-sha",
        expected.github.sha,
        "--certificate-github-workflow-trigger",
        expected.github.trigger,
        "--certificate-github-workflow-name",
        expected.github.workflowName,
      ]),
      opts,
      true,
    ],
    [
      "another workflow repository",
      verifyBlob([...gh, ...github, "--certificate-github-workflow-repository", "octo-org/other"]),
      opts,
      false,
    ],
    ["another blob", ["verify-blob", ...bundle, ...email, join(FX, "predicate.json")], opts, false],
  ]);
});

Deno.test("verify-blob keyless, v0.3 bundle against trusted roots lacking the CA, the CT log or the log", async () => {
  const input = JSON.parse(await Deno.readTextFile(join(FX, "trusted_root.json")));
  const variant = async (name: string, patch: Record<string, unknown>) => {
    await Deno.writeTextFile(join(dir, name), JSON.stringify({ ...input, ...patch }));
    return ["--trusted-root", join(dir, name)];
  };
  const bundle = ["--new-bundle-format", "--bundle", join(FX, "blob.sigstore.json"), ...email];
  const later = structuredClone(input.certificateAuthorities);
  later[0].validFor = { start: "2099-01-01T00:00:00Z" };
  await both([
    [
      "no CA",
      verifyBlob([...bundle, ...await variant("no-ca.json", { certificateAuthorities: [] })]),
      opts,
      false,
    ],
    [
      "a CA valid only later",
      verifyBlob([...bundle, ...await variant("later-ca.json", { certificateAuthorities: later })]),
      opts,
      false,
    ],
    [
      "no CT log",
      verifyBlob([...bundle, ...await variant("no-ct.json", { ctlogs: [] })]),
      opts,
      false,
    ],
    [
      "no CT log, --insecure-ignore-sct",
      verifyBlob([
        ...bundle,
        ...await variant("no-ct2.json", { ctlogs: [] }),
        "--insecure-ignore-sct",
      ]),
      opts,
      true,
    ],
    [
      "no Rekor",
      verifyBlob([...bundle, ...await variant("no-rekor.json", { tlogs: [] })]),
      opts,
      false,
    ],
    [
      "a CT log key as the only CT log: SCT from an unknown log",
      verifyBlob([...bundle, ...await variant("ct-is-rekor.json", { ctlogs: input.tlogs })]),
      opts,
      false,
    ],
  ]);
});

Deno.test("verify-blob keyless, the old bundle and --signature/--certificate with SIGSTORE_* trust (cosign rules)", async () => {
  const old = ["--bundle", join(FX, "blob.bundle")];
  await both([
    ["old bundle", verifyBlob([...old, ...email]), envTrust, true],
    [
      "old bundle, identity regexp",
      verifyBlob([
        ...old,
        "--certificate-identity-regexp",
        "^alice@",
        "--certificate-oidc-issuer",
        expected.email.issuer,
      ]),
      envTrust,
      true,
    ],
    [
      "signature and certificate, offline with the old bundle's entry",
      verifyBlob([
        "--signature",
        join(FX, "blob.sig"),
        "--certificate",
        join(FX, "blob.crt"),
        ...old,
        "--offline",
        ...email,
      ]),
      envTrust,
      true,
    ],
    [
      "--certificate-chain instead of SIGSTORE_ROOT_FILE",
      verifyBlob([
        ...old,
        ...email,
        "--certificate",
        join(FX, "blob.crt"),
        "--certificate-chain",
        join(FX, "fulcio_chain.pem"),
      ]),
      suiteOptions(dir, {
        SIGSTORE_REKOR_PUBLIC_KEY: join(FX, "rekor.pub"),
        SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: join(FX, "ctlog.pub"),
      }),
      true,
    ],
    [
      "--ca-roots and --ca-intermediates",
      verifyBlob([
        ...old,
        ...email,
        "--ca-roots",
        join(FX, "fulcio_root.pem"),
        "--ca-intermediates",
        join(FX, "fulcio_chain.pem"),
      ]),
      suiteOptions(dir, {
        SIGSTORE_REKOR_PUBLIC_KEY: join(FX, "rekor.pub"),
        SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: join(FX, "ctlog.pub"),
      }),
      true,
    ],
    [
      "another identity",
      verifyBlob([...old, ...id({ ...expected.email, identity: "bob@example.com" })]),
      envTrust,
      false,
    ],
    [
      "another issuer",
      verifyBlob([...old, ...id({ ...expected.email, issuer: expected.github.issuer })]),
      envTrust,
      false,
    ],
    ["the root without the intermediate", verifyBlob([...old, ...email]), rootOnlyTrust, false],
    [
      "--trusted-root with an old bundle",
      verifyBlob([...old, ...email, ...trustedRoot]),
      opts,
      false,
    ],
    [
      "an SCT from a log SIGSTORE_CT_LOG_PUBLIC_KEY_FILE does not name",
      verifyBlob([...old, ...email]),
      suiteOptions(dir, {
        SIGSTORE_ROOT_FILE: join(FX, "fulcio_chain.pem"),
        SIGSTORE_REKOR_PUBLIC_KEY: join(FX, "rekor.pub"),
        SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: join(FX, "rekor.pub"),
      }),
      false,
    ],
    [
      "--insecure-ignore-sct with the wrong CT key",
      verifyBlob([...old, ...email, "--insecure-ignore-sct"]),
      suiteOptions(dir, {
        SIGSTORE_ROOT_FILE: join(FX, "fulcio_chain.pem"),
        SIGSTORE_REKOR_PUBLIC_KEY: join(FX, "rekor.pub"),
        SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: join(FX, "rekor.pub"),
      }),
      true,
    ],
    [
      "--insecure-ignore-tlog: the certificate has expired and nothing says when it signed",
      verifyBlob([...old, ...email, "--insecure-ignore-tlog"]),
      envTrust,
      false,
    ],
  ]);
});

Deno.test("verify-blob-attestation keyless: the v0.3 bundle with --trusted-root, the old bundle with SIGSTORE_* trust", async () => {
  const attest = (
    args: string[],
  ) => ["verify-blob-attestation", "--type", "slsaprovenance", ...args, blob];
  const v3 = [
    "--new-bundle-format",
    "--bundle",
    join(FX, "attestation.sigstore.json"),
    ...trustedRoot,
  ];
  const old = ["--bundle", join(FX, "attestation.bundle")];
  await both([
    ["v0.3", attest([...v3, ...email]), opts, true],
    [
      "v0.3, another identity",
      attest([...v3, ...id({ ...expected.email, identity: "bob@example.com" })]),
      opts,
      false,
    ],
    ["old bundle", attest([...old, ...email]), envTrust, true],
    [
      "old bundle, another issuer",
      attest([...old, ...id({ ...expected.email, issuer: expected.github.issuer })]),
      envTrust,
      false,
    ],
  ]);
});

Deno.test("verify-blob keyless with the trusted root of a TUF cache (cosign initialize), no --trusted-root", async () => {
  const repo = await TestTufRepository.create();
  repo.targets.set("trusted_root.json", await Deno.readFile(join(FX, "trusted_root.json")));
  await repo.publish();
  const url = repo.serve();
  try {
    await Deno.writeFile(join(dir, "tuf-root.json"), repo.initialRoot);
    const cache = suiteOptions(dir, { TUF_ROOT: join(dir, "tuf-cache") });
    expectSuccess(
      await run("go", ["initialize", "--mirror", url, "--root", join(dir, "tuf-root.json")], cache),
      "initialize",
    );
    const bundle = ["--new-bundle-format", "--bundle", join(FX, "blob.sigstore.json")];
    await both([
      ["from the TUF cache", verifyBlob([...bundle, ...email]), cache, true],
      [
        "from the TUF cache, another identity",
        verifyBlob([...bundle, ...id({ ...expected.email, identity: "bob@example.com" })]),
        cache,
        false,
      ],
      ["no TUF cache and no trusted root", verifyBlob([...bundle, ...email]), opts, false],
    ]);
  } finally {
    await repo.close();
  }
});

Deno.test("verify-blob keyless on sigstore-python's Rekor v2 bundle: needs --use-signed-timestamps (its RFC 3161 timestamp)", async () => {
  const args = (extra: string[]) => [
    "verify-blob",
    "--new-bundle-format",
    "--bundle",
    join(PY, "staging-rekor-v2.txt.sigstore.json"),
    "--trusted-root",
    join(PY, "trusted_root.staging.json"),
    "--certificate-identity-regexp",
    ".*",
    "--certificate-oidc-issuer-regexp",
    ".*",
    ...extra,
    join(PY, "staging-rekor-v2.txt"),
  ];
  const root = JSON.parse(await Deno.readTextFile(join(PY, "trusted_root.staging.json")));
  for (const a of root.timestampAuthorities) {
    a.validFor = { start: "2020-01-01T00:00:00Z", end: "2021-01-01T00:00:00Z" };
  }
  await Deno.writeTextFile(join(dir, "tsa-ended.json"), JSON.stringify(root));
  const ended = args(["--use-signed-timestamps"]);
  ended[ended.indexOf(join(PY, "trusted_root.staging.json"))] = join(dir, "tsa-ended.json");
  await both([
    ["without --use-signed-timestamps (no SET: no signing time)", args([]), opts, false],
    ["with --use-signed-timestamps", args(["--use-signed-timestamps"]), opts, true],
    ["a timestamp authority no longer valid then", ended, opts, false],
  ]);
});

// ---- Images: a live keyless run ----

Deno.test("verify and verify-attestation keyless on images signed by the Go cosign: the same output, exit 12 for another identity", async () => {
  const peers = await startKeylessPeers();
  const registry = await startRegistry({ mode: "http" });
  const client = createRegistry({});
  try {
    const repo = "keyless/verify";
    const { digest } = await pushImage(client, { registry: registry.host, repository: repo }, "v1");
    const ref = `${registry.host}/${repo}@${digest}`;
    const root = ["--trusted-root", peers.trustedRootPath];
    const token = await peers.oidc.emailToken("alice@example.com");
    const live = suiteOptions(dir);
    expectSuccess(await run("go", ["sign", ...peers.signArgs(token), ...root, ref], live), "sign");
    await Deno.writeTextFile(
      join(dir, "pred.json"),
      '{"builder":{"id":"https://example.com/b"},"buildType":"https://example.com/t"}',
    );
    expectSuccess(
      await run("go", [
        "attest",
        ...peers.signArgs(token),
        ...root,
        "--predicate",
        join(dir, "pred.json"),
        "--type",
        "slsaprovenance",
        ref,
      ], live),
      "attest",
    );
    const env = suiteOptions(dir, {
      SIGSTORE_ROOT_FILE: peers.files.fulcioChain,
      SIGSTORE_REKOR_PUBLIC_KEY: peers.files.rekorKey,
      SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: peers.files.ctLogKey!,
    });
    const who = [
      "--certificate-identity",
      "alice@example.com",
      "--certificate-oidc-issuer",
      peers.emailIssuer,
    ];
    const bob = [
      "--certificate-identity",
      "bob@example.com",
      "--certificate-oidc-issuer",
      peers.emailIssuer,
    ];
    const [[goRoot, oursRoot], [goEnv, oursEnv]] = await both(
      [
        ["verify --trusted-root", ["verify", ...who, ...root, ref], live, true],
        ["verify with SIGSTORE_* trust", ["verify", ...who, ref], env, true],
      ],
      "The code-signing certificate was verified using trusted certificate authority certificates",
    );
    assert.equal(oursRoot.stdout, goRoot.stdout, `${describe(goRoot)}\n${describe(oursRoot)}`);
    assert.equal(oursRoot.stderr, goRoot.stderr);
    assert.equal(oursEnv.stdout, goEnv.stdout);
    const [payload] = JSON.parse(goRoot.stdout);
    assert.equal(payload.optional.Subject, "alice@example.com");
    assert.equal(payload.optional.Issuer, peers.emailIssuer);
    const refused = await both([
      ["verify, another identity", ["verify", ...bob, ...root, ref], live, false],
      [
        "verify, another issuer",
        [
          "verify",
          "--certificate-identity",
          "alice@example.com",
          "--certificate-oidc-issuer",
          peers.githubIssuer,
          ...root,
          ref,
        ],
        live,
        false,
      ],
      ["verify --output text", ["verify", ...who, ...root, "--output", "text", ref], live, true],
    ], "");
    assert.equal(refused[0][0].code, 12);
    assert.equal(refused[2][1].stdout, refused[2][0].stdout);
    assert.equal(refused[2][1].stderr, refused[2][0].stderr);
    const [[goAtt, oursAtt]] = await both([
      [
        "verify-attestation with SIGSTORE_* trust",
        ["verify-attestation", "--type", "slsaprovenance", ...who, ref],
        env,
        true,
      ],
      [
        "verify-attestation, another identity",
        ["verify-attestation", "--type", "slsaprovenance", ...bob, ref],
        env,
        false,
      ],
    ], "");
    assert.equal(oursAtt.stdout, goAtt.stdout);
    assert.equal(oursAtt.stderr, goAtt.stderr);
    // Sigstore bundles attached as referrers (attest --new-bundle-format), on another image.
    const { digest: digest2 } = await pushImage(
      client,
      { registry: registry.host, repository: "keyless/bundles" },
      "v1",
    );
    const ref2 = `${registry.host}/keyless/bundles@${digest2}`;
    expectSuccess(
      await run("go", [
        "attest",
        ...peers.signArgs(token),
        ...root,
        "--new-bundle-format",
        "--predicate",
        join(dir, "pred.json"),
        "--type",
        "slsaprovenance",
        ref2,
      ], live),
      "attest --new-bundle-format",
    );
    const nb = ["--new-bundle-format", ...root];
    const [[goNb, oursNb], , [goV, oursV]] = await both([
      [
        "verify-attestation --new-bundle-format",
        ["verify-attestation", ...nb, "--type", "slsaprovenance", ...who, ref2],
        live,
        true,
      ],
      [
        "verify-attestation --new-bundle-format, another identity",
        ["verify-attestation", ...nb, "--type", "slsaprovenance", ...bob, ref2],
        live,
        false,
      ],
      ["verify --new-bundle-format", ["verify", ...nb, ...who, ref2], live, true],
      [
        "verify --new-bundle-format, another identity",
        ["verify", ...nb, ...bob, ref2],
        live,
        false,
      ],
    ], "");
    assert.equal(oursNb.stdout, goNb.stdout);
    assert.equal(oursNb.stderr, goNb.stderr);
    assert.equal(oursV.stdout, goV.stdout);
  } finally {
    client.close();
    await registry.stop();
    await peers.stop();
  }
});

Deno.test("keyless with RFC 3161 timestamps from a live timestamp authority: v0.3 bundles, old bundles with --rfc3161-timestamp, no log entry, image annotations", async () => {
  const tsa = await startTsa();
  const otherTsa = await startTsa();
  const peers = await startKeylessPeers({
    timestampAuthorities: [{
      uri: tsa.url,
      chainPem: tsa.certChainPem,
      subject: { organization: "local", commonName: "tsa" },
      validFor: { start: "2020-01-01T00:00:00Z" },
    }],
  });
  const registry = await startRegistry({ mode: "http" });
  const client = createRegistry({});
  try {
    const live = suiteOptions(dir);
    const root = ["--trusted-root", peers.trustedRootPath];
    const token = await peers.oidc.emailToken("alice@example.com");
    const ts = ["--timestamp-server-url", tsa.timestampUrl];
    const file = (name: string) => join(dir, name);
    await Deno.writeTextFile(file("tsa-blob.txt"), `timestamped ${crypto.randomUUID()}\n`);
    const sign = async (extra: string[], what: string) =>
      expectSuccess(
        await run("go", [
          "sign-blob",
          ...peers.signArgs(token),
          ...root,
          ...ts,
          ...extra,
          file("tsa-blob.txt"),
        ], live),
        what,
      );
    await sign(["--new-bundle-format", "--bundle", file("tsa.sigstore.json")], "v0.3 with TSA");
    await sign(
      ["--bundle", file("tsa.bundle"), "--rfc3161-timestamp", file("tsa.ts.json")],
      "old bundle with TSA",
    );
    await sign([
      "--tlog-upload=false",
      "--bundle",
      file("nolog.bundle"),
      "--rfc3161-timestamp",
      file("nolog.ts.json"),
    ], "no log entry, TSA only");
    const v3 = await Deno.readTextFile(file("tsa.sigstore.json"));
    assert.equal(
      JSON.parse(v3).verificationMaterial.timestampVerificationData.rfc3161Timestamps.length,
      1,
    );
    const who = [
      "--certificate-identity",
      "alice@example.com",
      "--certificate-oidc-issuer",
      peers.emailIssuer,
    ];
    const env = (more: Record<string, string> = {}) =>
      suiteOptions(dir, {
        SIGSTORE_ROOT_FILE: peers.files.fulcioChain,
        SIGSTORE_REKOR_PUBLIC_KEY: peers.files.rekorKey,
        SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: peers.files.ctLogKey!,
        ...more,
      });
    const blob = (args: string[]) => ["verify-blob", ...who, ...args, file("tsa-blob.txt")];
    const v3args = ["--new-bundle-format", "--bundle", file("tsa.sigstore.json"), ...root];
    const oldArgs = (bundle: string, stamp: string) => [
      "--bundle",
      file(bundle),
      "--rfc3161-timestamp",
      file(stamp),
    ];
    await both([
      ["v0.3, the log's time", blob(v3args), live, true],
      ["v0.3, --use-signed-timestamps", blob([...v3args, "--use-signed-timestamps"]), live, true],
      [
        "v0.3, the timestamp alone (--insecure-ignore-tlog)",
        blob([...v3args, "--use-signed-timestamps", "--insecure-ignore-tlog"]),
        live,
        true,
      ],
      [
        "old bundle, --timestamp-certificate-chain",
        blob([
          ...oldArgs("tsa.bundle", "tsa.ts.json"),
          "--timestamp-certificate-chain",
          tsa.certChainPath,
        ]),
        env(),
        true,
      ],
      [
        "old bundle, SIGSTORE_TSA_CERTIFICATE_FILE",
        blob([...oldArgs("tsa.bundle", "tsa.ts.json"), "--use-signed-timestamps"]),
        env({ SIGSTORE_TSA_CERTIFICATE_FILE: tsa.certChainPath }),
        true,
      ],
      [
        "old bundle, another authority's chain",
        blob([
          ...oldArgs("tsa.bundle", "tsa.ts.json"),
          "--timestamp-certificate-chain",
          otherTsa.certChainPath,
        ]),
        env(),
        false,
      ],
      [
        "old bundle, the timestamp of another signature",
        blob([
          ...oldArgs("tsa.bundle", "nolog.ts.json"),
          "--timestamp-certificate-chain",
          tsa.certChainPath,
        ]),
        env(),
        false,
      ],
      [
        "no log entry, the timestamp alone",
        blob([
          ...oldArgs("nolog.bundle", "nolog.ts.json"),
          "--timestamp-certificate-chain",
          tsa.certChainPath,
          "--insecure-ignore-tlog",
        ]),
        env(),
        true,
      ],
      [
        "--rfc3161-timestamp without --use-signed-timestamps",
        blob(oldArgs("tsa.bundle", "tsa.ts.json")),
        env(),
        false,
      ],
    ]);
    // An image signed with a timestamp: verified with --use-signed-timestamps and the trusted root.
    const repo = "keyless/tsa";
    const { digest } = await pushImage(client, { registry: registry.host, repository: repo }, "v1");
    const ref = `${registry.host}/${repo}@${digest}`;
    expectSuccess(
      await run("go", ["sign", ...peers.signArgs(token), ...root, ...ts, ref], live),
      "sign with TSA",
    );
    const [[go, ours]] = await both([
      [
        "verify --use-signed-timestamps",
        ["verify", ...who, ...root, "--use-signed-timestamps", ref],
        live,
        true,
      ],
      [
        "verify with SIGSTORE_* trust and --timestamp-certificate-chain",
        ["verify", ...who, "--timestamp-certificate-chain", tsa.certChainPath, ref],
        env(),
        true,
      ],
      [
        "verify, another authority's chain",
        ["verify", ...who, "--timestamp-certificate-chain", otherTsa.certChainPath, ref],
        env(),
        false,
      ],
    ], "");
    assert.equal(ours.stdout, go.stdout);
    assert.ok(JSON.parse(go.stdout)[0].optional.RFC3161Timestamp);
  } finally {
    client.close();
    await registry.stop();
    await peers.stop();
    await otherTsa.stop();
    await tsa.stop();
  }
});

Deno.test("our keyless signatures, verified by both: old and Sigstore blob bundles, --signature/--certificate online, images and attestations", async () => {
  const peers = await startKeylessPeers();
  const registry = await startRegistry({ mode: "http" });
  const client = createRegistry({});
  try {
    const live = suiteOptions(dir);
    const root = ["--trusted-root", peers.trustedRootPath];
    const env = suiteOptions(dir, {
      SIGSTORE_ROOT_FILE: peers.files.fulcioChain,
      SIGSTORE_REKOR_PUBLIC_KEY: peers.files.rekorKey,
      SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: peers.files.ctLogKey!,
    });
    const token = await peers.oidc.emailToken("alice@example.com");
    const file = (name: string) => join(dir, name);
    await Deno.writeTextFile(file("ours-blob.txt"), `ours ${crypto.randomUUID()}\n`);
    const ours = async (args: string[], what: string) =>
      expectSuccess(await run("ours", [...args, ...peers.signArgs(token), ...root], live), what);
    await ours([
      "sign-blob",
      "--bundle",
      file("ours.bundle"),
      "--output-signature",
      file("ours.sig"),
      "--output-certificate",
      file("ours.crt"),
      file("ours-blob.txt"),
    ], "our sign-blob");
    await ours([
      "sign-blob",
      "--new-bundle-format",
      "--bundle",
      file("ours.sigstore.json"),
      file("ours-blob.txt"),
    ], "our sign-blob --new-bundle-format");
    const who = [
      "--certificate-identity",
      "alice@example.com",
      "--certificate-oidc-issuer",
      peers.emailIssuer,
    ];
    const bob = [
      "--certificate-identity",
      "bob@example.com",
      "--certificate-oidc-issuer",
      peers.emailIssuer,
    ];
    const blob = (args: string[]) => ["verify-blob", ...args, file("ours-blob.txt")];
    await both([
      ["old bundle", blob([...who, "--bundle", file("ours.bundle")]), env, true],
      ["old bundle, another identity", blob([...bob, "--bundle", file("ours.bundle")]), env, false],
      [
        "--signature and --certificate, found in the log online",
        blob([
          ...who,
          "--signature",
          file("ours.sig"),
          "--certificate",
          file("ours.crt"),
          "--rekor-url",
          peers.rekor.url,
        ]),
        env,
        true,
      ],
      [
        "--signature and --certificate, offline without a bundle",
        blob([
          ...who,
          "--signature",
          file("ours.sig"),
          "--certificate",
          file("ours.crt"),
          "--offline",
        ]),
        env,
        false,
      ],
      ["v0.3", blob([...who, "--bundle", file("ours.sigstore.json"), ...root]), live, true],
      [
        "v0.3, another identity",
        blob([...bob, "--bundle", file("ours.sigstore.json"), ...root]),
        live,
        false,
      ],
    ]);
    const repo = "keyless/ours";
    const { digest } = await pushImage(client, { registry: registry.host, repository: repo }, "v1");
    const ref = `${registry.host}/${repo}@${digest}`;
    await ours(["sign", ref], "our sign");
    await Deno.writeTextFile(
      file("ours-pred.json"),
      '{"builder":{"id":"https://example.com/b"},"buildType":"https://example.com/t"}',
    );
    await ours(
      ["attest", "--predicate", file("ours-pred.json"), "--type", "slsaprovenance", ref],
      "our attest",
    );
    const [[go, mine]] = await both([
      ["verify", ["verify", ...who, ...root, ref], live, true],
      ["verify, another identity", ["verify", ...bob, ...root, ref], live, false],
      [
        "verify-attestation",
        ["verify-attestation", "--type", "slsaprovenance", ...who, ref],
        env,
        true,
      ],
      [
        "verify-attestation, another identity",
        ["verify-attestation", "--type", "slsaprovenance", ...bob, ref],
        env,
        false,
      ],
    ], "");
    assert.equal(mine.stdout, go.stdout);
    assert.equal(mine.stderr, go.stderr);
  } finally {
    client.close();
    await registry.stop();
    await peers.stop();
  }
});
