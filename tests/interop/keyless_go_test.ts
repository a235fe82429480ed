/**
 * Keyless signing for real, on loopback: the Go cosign v2.6.4 gets an ID token from our OIDC
 * issuer (tests/peers/oidc_issuer.ts), a certificate from a real Fulcio v1.8.8 whose
 * precertificate went through a real CT log (`ct_server`, so the certificate embeds a real SCT),
 * logs to a real Rekor, and then verifies its own output with `--certificate-identity` /
 * `--certificate-oidc-issuer` and either `--trusted-root` (tests/peers/trusted_root.ts) or the
 * SIGSTORE_* variables. Wrong identities, issuers, trust material and tokens are refused with
 * cosign's own messages and exit codes. The committed fixtures in tests/fixtures/keyless-local/
 * (scripts/make_keyless_fixtures.ts) are verified offline the same way.
 *
 * What cosign v2.6.4 needs, learnt here (see each test):
 * - signing: `--fulcio-url --rekor-url --identity-token <jwt> --yes`, plus `--trusted-root` (or
 *   SIGSTORE_CT_LOG_PUBLIC_KEY_FILE) to verify Fulcio's SCT; without a CT log,
 *   `--insecure-skip-verify`.
 * - verify-blob with an old bundle and verify-attestation with old-format attestations refuse
 *   `--trusted-root` unless `--new-bundle-format`: they need SIGSTORE_ROOT_FILE (the chain, with the
 *   intermediate), SIGSTORE_REKOR_PUBLIC_KEY and SIGSTORE_CT_LOG_PUBLIC_KEY_FILE instead;
 *   `verify` (images) accepts `--trusted-root` for old-format signatures.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { createRegistry } from "../../lib/registry/client.ts";
import { startFulcio } from "../peers/fulcio.ts";
import { startKeylessPeers } from "../peers/keyless.ts";
import { startOidcIssuer } from "../peers/oidc_issuer.ts";
import { startRegistry } from "../peers/registry.ts";
import { pemBlocks, writeTrustedRootFile } from "../peers/trusted_root.ts";
import { pushImage } from "../registry/_helpers.ts";
import {
  describe,
  expectSuccess,
  expectVerified,
  FIXTURES,
  runGo,
  type RunResult,
  suiteDir,
  suiteOptions,
} from "./_run.ts";

const peers = await startKeylessPeers();
const registry = await startRegistry({ mode: "http" });
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-keyless-");
addEventListener("unload", () => client.close());
globalThis.addEventListener("unload", () => void Promise.all([peers.stop(), registry.stop()]));

const ALICE = "alice@example.com";
const WORKFLOW =
  "https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main";
const opts = suiteOptions(dir);
/** The SIGSTORE_* trust of cosign's pre-trusted-root code paths. */
const envTrust = suiteOptions(dir, {
  SIGSTORE_ROOT_FILE: peers.files.fulcioChain,
  SIGSTORE_REKOR_PUBLIC_KEY: peers.files.rekorKey,
  SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: peers.files.ctLogKey!,
});
const trustedRoot = ["--trusted-root", peers.trustedRootPath];
const sha256 = async (bytes: Uint8Array) =>
  new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
const rekorLogId = await sha256(pemBlocks(peers.rekor.publicKeyPem, "PUBLIC KEY")[0]);
const ctLogId = await sha256(pemBlocks(peers.ctLog!.publicKeyPem, "PUBLIC KEY")[0]);

const blobText = `keyless ${crypto.randomUUID()}\n`;
await Deno.writeTextFile(join(dir, "blob.txt"), blobText);
await Deno.writeTextFile(join(dir, "other.txt"), "another blob\n");
await Deno.writeTextFile(
  join(dir, "predicate.json"),
  '{"builder":{"id":"https://example.com/b"},"buildType":"https://example.com/t"}',
);

/** Whether `haystack` contains `needle` as a contiguous run of bytes. */
function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** The embedded-SCT extension's OID, 1.3.6.1.4.1.11129.2.4.2 (RFC 6962 §3.3), DER-encoded. */
const SCT_OID = new Uint8Array([
  0x06,
  0x0a,
  0x2b,
  0x06,
  0x01,
  0x04,
  0x01,
  0xd6,
  0x79,
  0x02,
  0x04,
  0x02,
]);

/** Asserts a Fulcio leaf: issued by our intermediate, for `san`, with (or without) our CT log's SCT. */
function assertLeaf(der: Uint8Array, san: string, sct = true): void {
  const cert = new X509Certificate(der);
  assert.equal(cert.issuer, "O=cosign-deno tests\nCN=local-fulcio-intermediate");
  assert.equal(cert.subjectAltName, san);
  assert.equal(contains(der, SCT_OID), sct, "embedded SCT extension");
  assert.equal(contains(der, ctLogId), sct, "SCT from the local CT log");
}

/** Asserts a failure with exactly this exit code and this cosign message on stderr. */
function expectRefused(result: RunResult, code: number, message: string): void {
  assert.equal(result.code, code, describe(result));
  assert.ok(result.stderr.includes(`Error: ${message}`), describe(result));
  assert.ok(!result.stderr.includes("Verified OK"), describe(result));
}

/** {@link expectRefused} for a table of `[case, result, exit code, message]`, reporting every failure. */
function expectAllRefused(cases: [string, RunResult, number, string][]): void {
  const failures: string[] = [];
  for (const [what, result, code, message] of cases) {
    try {
      expectRefused(result, code, message);
    } catch (e) {
      failures.push(`- ${what}: ${(e as Error).message}`);
    }
  }
  if (failures.length) throw new Error(failures.join("\n"));
}

const signBlob = async (token: string, extra: string[], what: string) =>
  expectSuccess(
    await runGo(["sign-blob", ...peers.signArgs(token), ...extra, "blob.txt"], opts),
    what,
  );

Deno.test("sign-blob keyless with an old bundle: Fulcio leaf with a real SCT, Rekor entry, verified with SIGSTORE_* trust", async () => {
  const token = await peers.oidc.emailToken(ALICE);
  const signed = await signBlob(token, [
    ...trustedRoot,
    "--bundle",
    "blob.bundle",
    "--output-signature",
    "blob.sig",
    "--output-certificate",
    "blob.crt",
  ], "sign-blob --bundle");
  // Fulcio's SCT was checked against the trusted root's CT log before signing.
  assert.ok(signed.stderr.includes("Successfully verified SCT...\n"), describe(signed));
  assert.match(signed.stderr, /tlog entry created with index: \d+\n/);

  const bundle = JSON.parse(await Deno.readTextFile(join(dir, "blob.bundle")));
  assert.deepEqual(Object.keys(bundle).sort(), ["base64Signature", "cert", "rekorBundle"]);
  assert.equal(bundle.rekorBundle.Payload.logID, rekorLogId.toHex());
  assert.equal(bundle.base64Signature, (await Deno.readTextFile(join(dir, "blob.sig"))).trim());
  // --output-certificate and the bundle's cert are both base64 of the PEM leaf (no chain).
  const pem = new TextDecoder().decode(Uint8Array.fromBase64(bundle.cert));
  assert.equal(bundle.cert, (await Deno.readTextFile(join(dir, "blob.crt"))).trim());
  const certs = pemBlocks(pem, "CERTIFICATE");
  assert.equal(certs.length, 1);
  assertLeaf(certs[0], `email:${ALICE}`);

  const verify = (
    extra: string[],
    options = envTrust,
    blob = "blob.txt",
    identity = ["--certificate-identity", ALICE],
  ) =>
    runGo([
      "verify-blob",
      "--bundle",
      "blob.bundle",
      ...identity,
      "--certificate-oidc-issuer",
      peers.emailIssuer,
      ...extra,
      blob,
    ], options);
  expectVerified(await verify([]), "verify-blob with SIGSTORE_* trust");
  expectVerified(
    await verify([], envTrust, "blob.txt", ["--certificate-identity-regexp", "^alice@"]),
    "identity by regexp",
  );
  // The same signature and certificate, without the bundle: found in Rekor online.
  expectVerified(
    await runGo([
      "verify-blob",
      "--signature",
      "blob.sig",
      "--certificate",
      "blob.crt",
      "--certificate-identity",
      ALICE,
      "--certificate-oidc-issuer",
      peers.emailIssuer,
      "--rekor-url",
      peers.rekor.url,
      "blob.txt",
    ], envTrust),
    "verify-blob --signature --certificate online",
  );

  const noIntermediate = suiteOptions(dir, {
    SIGSTORE_ROOT_FILE: peers.files.fulcioRoot,
    SIGSTORE_REKOR_PUBLIC_KEY: peers.files.rekorKey,
    SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: peers.files.ctLogKey!,
  });
  const wrong =
    `none of the expected identities matched what was in the certificate, got subjects [${ALICE}] with issuer ${peers.emailIssuer}`;
  const cases: [string, Promise<RunResult>, number, string][] = [
    ["another identity", verify(["--certificate-identity", "bob@example.com"]), 1, wrong],
    ["another issuer", verify(["--certificate-oidc-issuer", peers.githubIssuer]), 1, wrong],
    [
      "another blob",
      verify([], envTrust, "other.txt"),
      1,
      `error verifying bundle: matching bundle to payload: bundle="${
        (await sha256(new TextEncoder().encode(blobText))).toHex()
      }", payload="${(await sha256(new TextEncoder().encode("another blob\n"))).toHex()}"`,
    ],
    [
      "the root without the intermediate",
      verify([], noIntermediate),
      1,
      "cert verification failed: x509: certificate signed by unknown authority",
    ],
    [
      "--trusted-root with an old bundle",
      verify(trustedRoot, opts),
      1,
      "--trusted-root only supported with --new-bundle-format",
    ],
  ];
  expectAllRefused(
    await Promise.all(cases.map(async ([what, r, code, msg]) => [what, await r, code, msg])),
  );
});

Deno.test("sign-blob keyless --new-bundle-format: a v0.3 bundle verified with --trusted-root; identity, CA and CT log all checked", async () => {
  const token = await peers.oidc.emailToken(ALICE);
  await signBlob(
    token,
    [...trustedRoot, "--new-bundle-format", "--bundle", "blob.sigstore.json"],
    "sign-blob v0.3",
  );
  const bundle = JSON.parse(await Deno.readTextFile(join(dir, "blob.sigstore.json")));
  assert.equal(bundle.mediaType, "application/vnd.dev.sigstore.bundle.v0.3+json");
  const [entry] = bundle.verificationMaterial.tlogEntries;
  assert.equal(entry.logId.keyId, rekorLogId.toBase64());
  assert.deepEqual(entry.kindVersion, { kind: "hashedrekord", version: "0.0.1" });
  assert.match(entry.inclusionProof.checkpoint.envelope, /^rekor\.local - \d+\n/);
  assertLeaf(
    Uint8Array.fromBase64(bundle.verificationMaterial.certificate.rawBytes),
    `email:${ALICE}`,
  );

  // Trusted roots lacking one part each, to see that each part is needed.
  const input = peers.trustedRootInput;
  const variant = async (name: string, patch: object) => {
    await writeTrustedRootFile(join(dir, name), { ...input, ...patch });
    return ["--trusted-root", join(dir, name)];
  };
  const noCa = await variant("no-ca.json", { certificateAuthorities: [] });
  const noCt = await variant("no-ct.json", { ctlogs: [] });
  const noRekor = await variant("no-rekor.json", { tlogs: [] });
  const verify = (extra: string[], identity = ALICE) =>
    runGo([
      "verify-blob",
      "--new-bundle-format",
      "--bundle",
      "blob.sigstore.json",
      "--certificate-identity",
      identity,
      "--certificate-oidc-issuer",
      peers.emailIssuer,
      ...extra,
      "blob.txt",
    ], opts);
  expectVerified(await verify(trustedRoot), "verify-blob v0.3 --trusted-root");
  expectVerified(await verify([...noCt, "--insecure-ignore-sct"]), "no CT log, SCT ignored");
  expectAllRefused([
    [
      "another identity",
      await verify(trustedRoot, "bob@example.com"),
      1,
      `failed to verify certificate identity: no matching CertificateIdentity found, last error: expected SAN value "bob@example.com", got "${ALICE}"`,
    ],
    [
      "no CA",
      await verify(noCa),
      1,
      "failed to verify leaf certificate: leaf certificate verification failed",
    ],
    [
      "no CT log",
      await verify(noCt),
      1,
      "failed to verify signed certificate timestamp: only able to verify 0 SCT entries; unable to meet threshold of 1",
    ],
    [
      "no Rekor",
      await verify(noRekor),
      1,
      "failed to verify log inclusion: not enough verified log entries from transparency log: 0 < 1",
    ],
  ]);
});

Deno.test("a GitHub-Actions-shaped token: Fulcio's github-workflow identity and extensions, checked by verify-blob's --certificate-github-workflow-* flags", async () => {
  const token = await peers.oidc.githubToken();
  await signBlob(
    token,
    [...trustedRoot, "--new-bundle-format", "--bundle", "gh.sigstore.json"],
    "sign-blob as a workflow",
  );
  const bundle = JSON.parse(await Deno.readTextFile(join(dir, "gh.sigstore.json")));
  const der = Uint8Array.fromBase64(bundle.verificationMaterial.certificate.rawBytes);
  assertLeaf(der, `URI:${WORKFLOW}`);
  const verify = (extra: string[]) =>
    runGo([
      "verify-blob",
      "--new-bundle-format",
      "--bundle",
      "gh.sigstore.json",
      "--certificate-identity",
      WORKFLOW,
      "--certificate-oidc-issuer",
      peers.githubIssuer,
      ...trustedRoot,
      ...extra,
      "blob.txt",
    ], opts);
  expectVerified(
    await verify([
      "--certificate-github-workflow-repository",
      "octo-org/octo-repo",
      "--certificate-github-workflow-trigger",
      "push",
      "--certificate-github-workflow-sha",
      "0123456789abcdef0123456789abcdef01234567",
      "--certificate-github-workflow-ref",
      "refs/heads/main",
      "--certificate-github-workflow-name",
      "Release",
    ]),
    "verify-blob with every GitHub workflow flag",
  );
  expectRefused(
    await verify(["--certificate-github-workflow-repository", "octo-org/other"]),
    1,
    'failed to verify certificate identity: no matching CertificateIdentity found, last error: expected GithubWorkflowRepository to be "octo-org/other", got "octo-org/octo-repo"',
  );
});

let n = 0;
async function image(): Promise<{ ref: string; repo: string; digest: string }> {
  const repo = `keyless/app${++n}`;
  const { digest } = await pushImage(client, { registry: registry.host, repository: repo }, "v1");
  return { ref: `${registry.host}/${repo}@${digest}`, repo, digest };
}

Deno.test("sign an image keylessly: certificate, chain and bundle annotations on the .sig layer; verify --trusted-root; another identity exits 12", async () => {
  const { ref, repo, digest } = await image();
  const token = await peers.oidc.emailToken(ALICE);
  expectSuccess(await runGo(["sign", ...peers.signArgs(token), ...trustedRoot, ref], opts), "sign");

  const sig = await client.getManifest(
    { registry: registry.host, repository: repo },
    `${digest.replace(":", "-")}.sig`,
  );
  const [layer] = (sig.manifest as { layers: { annotations: Record<string, string> }[] }).layers;
  const a = layer.annotations;
  assert.deepEqual(Object.keys(a).sort(), [
    "dev.cosignproject.cosign/signature",
    "dev.sigstore.cosign/bundle",
    "dev.sigstore.cosign/certificate",
    "dev.sigstore.cosign/chain",
  ]);
  assertLeaf(pemBlocks(a["dev.sigstore.cosign/certificate"], "CERTIFICATE")[0], `email:${ALICE}`);
  // Fulcio's chain: the intermediate, then the root, exactly as our CA made them.
  assert.deepEqual(
    pemBlocks(a["dev.sigstore.cosign/chain"], "CERTIFICATE").map((c) => c.toHex()),
    pemBlocks(peers.fulcio.ca.chainPem, "CERTIFICATE").map((c) => c.toHex()),
  );
  assert.equal(JSON.parse(a["dev.sigstore.cosign/bundle"]).Payload.logID, rekorLogId.toHex());

  const verify = (identity: string) =>
    runGo([
      "verify",
      "--certificate-identity",
      identity,
      "--certificate-oidc-issuer",
      peers.emailIssuer,
      ...trustedRoot,
      ref,
    ], opts);
  const ok = expectSuccess(await verify(ALICE), "verify --trusted-root");
  assert.ok(
    ok.stderr.includes(
      "  - The code-signing certificate was verified using trusted certificate authority certificates\n",
    ),
    describe(ok),
  );
  const [payload] = JSON.parse(ok.stdout);
  assert.equal(payload.critical.image["docker-manifest-digest"], digest);
  assert.equal(payload.optional.Subject, ALICE);
  assert.equal(payload.optional.Issuer, peers.emailIssuer);
  expectRefused(
    await verify("bob@example.com"),
    12,
    `no matching signatures: none of the expected identities matched what was in the certificate, got subjects [${ALICE}] with issuer ${peers.emailIssuer}`,
  );
});

Deno.test("attest an image keylessly (old format and --new-bundle-format); verify-attestation needs SIGSTORE_* trust for the old format", async () => {
  const { ref } = await image();
  const token = await peers.oidc.emailToken(ALICE);
  const attest = (extra: string[]) =>
    runGo([
      "attest",
      ...peers.signArgs(token),
      ...trustedRoot,
      "--predicate",
      "predicate.json",
      "--type",
      "slsaprovenance",
      ...extra,
      ref,
    ], opts);
  expectSuccess(await attest([]), "attest");
  const verify = (extra: string[], options = envTrust, identity = ALICE) =>
    runGo([
      "verify-attestation",
      "--type",
      "slsaprovenance",
      "--certificate-identity",
      identity,
      "--certificate-oidc-issuer",
      peers.emailIssuer,
      ...extra,
      ref,
    ], options);
  const ok = expectSuccess(await verify([]), "verify-attestation with SIGSTORE_* trust");
  assert.ok(ok.stderr.includes(`Certificate subject: ${ALICE}\n`), describe(ok));
  const envelope = JSON.parse(ok.stdout);
  assert.equal(envelope.payloadType, "application/vnd.in-toto+json");
  const statement = JSON.parse(new TextDecoder().decode(Uint8Array.fromBase64(envelope.payload)));
  assert.equal(statement.predicateType, "https://slsa.dev/provenance/v0.2");
  expectRefused(
    await verify([], envTrust, "bob@example.com"),
    1,
    `no matching attestations: none of the expected identities matched what was in the certificate, got subjects [${ALICE}] with issuer ${peers.emailIssuer}`,
  );
  expectRefused(
    await verify(trustedRoot, opts),
    1,
    "unsupported: trusted root path currently only supported with --new-bundle-format",
  );

  expectSuccess(await attest(["--new-bundle-format"]), "attest --new-bundle-format");
  expectSuccess(
    await verify(["--new-bundle-format", ...trustedRoot], opts),
    "verify-attestation --new-bundle-format --trusted-root",
  );
});

Deno.test("Fulcio refuses a token signed by a key outside the issuer's JWKS: cosign exits 1", async () => {
  const token = await peers.oidc.emailToken(ALICE, { untrusted: true });
  const result = await runGo(
    ["sign-blob", ...peers.signArgs(token), ...trustedRoot, "--bundle", "x.json", "blob.txt"],
    opts,
  );
  expectRefused(
    result,
    1,
    `signing blob.txt: getting Fulcio signer: getting key from Fulcio: retrieving cert: POST ${peers.fulcio.url}/api/v1/signingCert returned 400 Bad Request: "{\\"code\\":3, \\"message\\":\\"There was an error processing the identity token\\", \\"details\\":[]}"`,
  );
});

Deno.test("Fulcio without a CT log: no SCT, so signing needs --insecure-skip-verify and verifying --insecure-ignore-sct", async () => {
  const plain = await startFulcio({
    ca: peers.fulcio.ca,
    issuers: [{ url: peers.emailIssuer, type: "email" }],
  });
  try {
    const token = await peers.oidc.emailToken(ALICE);
    const base = ["sign-blob", "--fulcio-url", plain.url, "--rekor-url", peers.rekor.url];
    const args = ["--identity-token", token, "--yes", "--new-bundle-format", "--bundle"];
    expectRefused(
      await runGo([...base, ...args, "n.json", ...trustedRoot, "blob.txt"], opts),
      1,
      "signing blob.txt: getting Fulcio signer: getting key from Fulcio: verifying SCT using trusted root: only able to verify 0 SCT entries; unable to meet threshold of 1",
    );
    expectSuccess(
      await runGo([...base, ...args, "n.json", "--insecure-skip-verify", "blob.txt"], opts),
      "sign-blob --insecure-skip-verify",
    );
    const bundle = JSON.parse(await Deno.readTextFile(join(dir, "n.json")));
    assertLeaf(
      Uint8Array.fromBase64(bundle.verificationMaterial.certificate.rawBytes),
      `email:${ALICE}`,
      false,
    );
    const verify = (extra: string[]) =>
      runGo([
        "verify-blob",
        "--new-bundle-format",
        "--bundle",
        "n.json",
        "--certificate-identity",
        ALICE,
        "--certificate-oidc-issuer",
        peers.emailIssuer,
        ...trustedRoot,
        ...extra,
        "blob.txt",
      ], opts);
    expectRefused(
      await verify([]),
      1,
      "failed to verify signed certificate timestamp: only able to verify 0 SCT entries; unable to meet threshold of 1",
    );
    expectVerified(await verify(["--insecure-ignore-sct"]), "--insecure-ignore-sct");
  } finally {
    await plain.stop();
  }
});

Deno.test("an ES256 issuer, its token given through SIGSTORE_ID_TOKEN: Fulcio accepts it and the certificate names that issuer", async () => {
  const es = await startOidcIssuer({ algorithm: "ES256" });
  const fulcio = await startFulcio({
    ca: peers.fulcio.ca,
    issuers: [{ url: es.issuerUrl(), type: "email" }],
  });
  try {
    assert.equal(es.jwks.keys[0].kty, "EC");
    const token = await es.emailToken(ALICE);
    const signed = await runGo([
      "sign-blob",
      "--fulcio-url",
      fulcio.url,
      "--rekor-url",
      peers.rekor.url,
      "--insecure-skip-verify",
      "--yes",
      "--new-bundle-format",
      "--bundle",
      "es.json",
      "blob.txt",
    ], suiteOptions(dir, { SIGSTORE_ID_TOKEN: token }));
    expectSuccess(signed, "sign-blob with SIGSTORE_ID_TOKEN");
    // Fulcio fetched discovery and the key set of this issuer.
    assert.deepEqual([...new Set(es.requests)].sort(), [
      "/.well-known/openid-configuration",
      "/keys",
    ]);
    expectVerified(
      await runGo([
        "verify-blob",
        "--new-bundle-format",
        "--bundle",
        "es.json",
        "--certificate-identity",
        ALICE,
        "--certificate-oidc-issuer",
        es.issuerUrl(),
        "--insecure-ignore-sct",
        ...trustedRoot,
        "blob.txt",
      ], opts),
      "verify-blob against the ES256 issuer",
    );
  } finally {
    await fulcio.stop();
    await es.stop();
  }
});

Deno.test("the committed keyless fixtures verify offline with the Go cosign and their own trust material", async () => {
  const fx = join(FIXTURES, "keyless-local");
  const expected = JSON.parse(await Deno.readTextFile(join(fx, "expected.json")));
  const fixtureTrust = suiteOptions(dir, {
    SIGSTORE_ROOT_FILE: join(fx, "fulcio_chain.pem"),
    SIGSTORE_REKOR_PUBLIC_KEY: join(fx, "rekor.pub"),
    SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: join(fx, "ctlog.pub"),
  });
  const id = (who: { identity: string; issuer: string }) => [
    "--certificate-identity",
    who.identity,
    "--certificate-oidc-issuer",
    who.issuer,
  ];
  const root = ["--trusted-root", join(fx, "trusted_root.json")];
  const blob = join(fx, "blob.txt");
  for (
    const [what, args, options] of [
      ["old bundle", ["--bundle", join(fx, "blob.bundle"), ...id(expected.email)], fixtureTrust],
      [
        "signature and certificate, offline with the old bundle's entry",
        [
          "--signature",
          join(fx, "blob.sig"),
          "--certificate",
          join(fx, "blob.crt"),
          "--bundle",
          join(fx, "blob.bundle"),
          "--offline",
          ...id(expected.email),
        ],
        fixtureTrust,
      ],
      [
        "v0.3 bundle",
        [
          "--new-bundle-format",
          "--bundle",
          join(fx, "blob.sigstore.json"),
          ...root,
          ...id(expected.email),
        ],
        opts,
      ],
      [
        "v0.3 bundle of a GitHub workflow",
        [
          "--new-bundle-format",
          "--bundle",
          join(fx, "blob-github.sigstore.json"),
          ...root,
          ...id(expected.github),
          "--certificate-github-workflow-repository",
          "octo-org/octo-repo",
        ],
        opts,
      ],
    ] as [string, string[], typeof opts][]
  ) {
    expectVerified(await runGo(["verify-blob", ...args, blob], options), what);
  }
  const attestation = await runGo([
    "verify-blob-attestation",
    "--new-bundle-format",
    "--bundle",
    join(fx, "attestation.sigstore.json"),
    "--type",
    "slsaprovenance",
    ...root,
    ...id(expected.email),
    blob,
  ], opts);
  expectVerified(attestation, "verify-blob-attestation v0.3");
  expectVerified(
    await runGo([
      "verify-blob-attestation",
      "--bundle",
      join(fx, "attestation.bundle"),
      "--type",
      "slsaprovenance",
      ...id(expected.email),
      blob,
    ], fixtureTrust),
    "verify-blob-attestation with the old bundle",
  );
  // The image set: the .sig and .att layers are the ones their manifests name, about the image.
  for (const kind of ["sig", "att"]) {
    const manifest = JSON.parse(
      await Deno.readTextFile(join(fx, "image", `${kind}.manifest.json`)),
    );
    const layer = await Deno.readFile(join(fx, "image", `${kind}.layer.json`));
    assert.equal(manifest.layers[0].digest, `sha256:${(await sha256(layer)).toHex()}`);
  }
  const image = await Deno.readFile(join(fx, "image", "manifest.json"));
  assert.equal(expected.image.digest, `sha256:${(await sha256(image)).toHex()}`);
  const simpleSigning = JSON.parse(await Deno.readTextFile(join(fx, "image", "sig.layer.json")));
  assert.equal(simpleSigning.critical.image["docker-manifest-digest"], expected.image.digest);
  expectRefused(
    await runGo([
      "verify-blob",
      "--new-bundle-format",
      "--bundle",
      join(fx, "blob.sigstore.json"),
      ...root,
      "--certificate-identity",
      "bob@example.com",
      "--certificate-oidc-issuer",
      expected.email.issuer,
      blob,
    ], opts),
    1,
    `failed to verify certificate identity: no matching CertificateIdentity found, last error: expected SAN value "bob@example.com", got "${expected.email.identity}"`,
  );
});
