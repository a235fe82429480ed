/**
 * Our keyless signing for real, on loopback: our cosign gets a certificate from a real Fulcio
 * v1.8.8 (with our OIDC issuer's token, `--identity-token`), checks its SCT against the real CT
 * log's key, logs to a real Rekor with the certificate as the entry's verifier, and the real Go
 * cosign v2.6.4 verifies the result with `--certificate-identity` / `--certificate-oidc-issuer`
 * (SIGSTORE_* trust for the old bundle, `--trusted-root` for the Sigstore bundle; what Go needs is
 * learnt in tests/interop/keyless_go_test.ts). Refusals (a token for another audience, an expired
 * token) fail with one line, exit 1, and write nothing.
 */
import assert from "node:assert/strict";
import { createSign, generateKeyPairSync, X509Certificate } from "node:crypto";
import { join } from "node:path";
import { createRegistry } from "../../lib/registry/client.ts";
import { startKeylessPeers } from "../peers/keyless.ts";
import { startRegistry } from "../peers/registry.ts";
import { pushImage } from "../registry/_helpers.ts";
import { pemBlocks } from "../peers/trusted_root.ts";
import {
  describe,
  expectSuccess,
  expectVerified,
  runGo,
  runOurs,
  suiteDir,
  suiteOptions,
} from "./_run.ts";

const peers = await startKeylessPeers();
const registry = await startRegistry({ mode: "http" });
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-keyless-sign-");
addEventListener("unload", () => client.close());
globalThis.addEventListener("unload", () => void Promise.all([peers.stop(), registry.stop()]));

const ALICE = "alice@example.com";
const opts = suiteOptions(dir);
const envTrust = suiteOptions(dir, {
  SIGSTORE_ROOT_FILE: peers.files.fulcioChain,
  SIGSTORE_REKOR_PUBLIC_KEY: peers.files.rekorKey,
  SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: peers.files.ctLogKey!,
});
const trustedRoot = ["--trusted-root", peers.trustedRootPath];
const blobText = `keyless ${crypto.randomUUID()}\n`;
await Deno.writeTextFile(join(dir, "blob.txt"), blobText);

const exists = (name: string) => Deno.stat(join(dir, name)).then(() => true, () => false);

/** Asserts a leaf issued by the local Fulcio's intermediate for `san`. */
function assertLeaf(der: Uint8Array, san: string): void {
  const cert = new X509Certificate(der);
  assert.equal(cert.issuer, "O=cosign-deno tests\nCN=local-fulcio-intermediate");
  assert.equal(cert.subjectAltName, san);
}

const goVerifyBlob = (bundle: string, extra: string[], options = envTrust) =>
  runGo([
    "verify-blob",
    "--bundle",
    bundle,
    "--certificate-identity",
    ALICE,
    "--certificate-oidc-issuer",
    peers.emailIssuer,
    ...extra,
    "blob.txt",
  ], options);

Deno.test("sign-blob keyless (old bundle, SCT checked with SIGSTORE_CT_LOG_PUBLIC_KEY_FILE): Go verify-blob accepts it", async () => {
  const token = await peers.oidc.emailToken(ALICE);
  const signed = expectSuccess(
    await runOurs([
      "sign-blob",
      ...peers.signArgs(token),
      "--bundle",
      "blob.bundle",
      "--output-signature",
      "blob.sig",
      "--output-certificate",
      "blob.crt",
      "blob.txt",
    ], envTrust),
    "our sign-blob keyless",
  );
  assert.ok(signed.stderr.includes("Generating ephemeral keys...\n"), describe(signed));
  assert.ok(signed.stderr.includes("Successfully verified SCT...\n"), describe(signed));
  assert.match(signed.stderr, /tlog entry created with index: \d+\n/);

  const bundle = JSON.parse(await Deno.readTextFile(join(dir, "blob.bundle")));
  assert.deepEqual(Object.keys(bundle), ["base64Signature", "cert", "rekorBundle"]);
  assert.equal(bundle.base64Signature, (await Deno.readTextFile(join(dir, "blob.sig"))).trim());
  // As Go writes them: --output-certificate and the bundle's cert are base64 of the PEM leaf.
  assert.equal(bundle.cert, (await Deno.readTextFile(join(dir, "blob.crt"))).trim());
  const pem = new TextDecoder().decode(Uint8Array.fromBase64(bundle.cert));
  const certs = pemBlocks(pem, "CERTIFICATE");
  assert.equal(certs.length, 1);
  assertLeaf(certs[0], `email:${ALICE}`);
  // The Rekor entry records the certificate (hashedrekord with the certificate, as cosign).
  const body = JSON.parse(atob(bundle.rekorBundle.Payload.body));
  assert.equal(body.kind, "hashedrekord");
  assert.equal(atob(body.spec.signature.publicKey.content), pem);

  expectVerified(await goVerifyBlob("blob.bundle", []), "Go verify-blob of our keyless bundle");
  // Go refuses it for another identity: the certificate really binds alice.
  const other = await runGo([
    "verify-blob",
    "--bundle",
    "blob.bundle",
    "--certificate-identity",
    "bob@example.com",
    "--certificate-oidc-issuer",
    peers.emailIssuer,
    "blob.txt",
  ], envTrust);
  assert.equal(other.code, 1, describe(other));
});

Deno.test("sign-blob keyless --new-bundle-format (SCT checked with --trusted-root): Go verify-blob --trusted-root accepts it", async () => {
  const token = await peers.oidc.emailToken(ALICE);
  expectSuccess(
    await runOurs([
      "sign-blob",
      ...peers.signArgs(token),
      ...trustedRoot,
      "--new-bundle-format",
      "--bundle",
      "blob.sigstore.json",
      "blob.txt",
    ], opts),
    "our sign-blob keyless --new-bundle-format",
  );
  const bundle = JSON.parse(await Deno.readTextFile(join(dir, "blob.sigstore.json")));
  assert.deepEqual(Object.keys(bundle.verificationMaterial), ["certificate", "tlogEntries"]);
  assertLeaf(
    Uint8Array.fromBase64(bundle.verificationMaterial.certificate.rawBytes),
    `email:${ALICE}`,
  );
  expectVerified(
    await goVerifyBlob("blob.sigstore.json", [...trustedRoot, "--new-bundle-format"], opts),
    "Go verify-blob of our keyless Sigstore bundle",
  );
});

Deno.test("sign-blob keyless refuses bad tokens with one line, exit 1, nothing written", async () => {
  const cases: [string, string, string][] = [
    [
      "a token for another audience",
      await peers.oidc.emailToken(ALICE, { claims: { aud: "not-sigstore" } }),
      "audience is not-sigstore, expected sigstore",
    ],
    [
      "an expired token",
      await peers.oidc.emailToken(ALICE, {
        claims: { exp: Math.floor(Date.now() / 1000) - 600 },
      }),
      "expired",
    ],
  ];
  const failures: string[] = [];
  for (const [what, token, needle] of cases) {
    const out = `refused-${failures.length}-${crypto.randomUUID()}`;
    const r = await runOurs([
      "sign-blob",
      ...peers.signArgs(token),
      "--bundle",
      `${out}.bundle`,
      "--output-signature",
      `${out}.sig`,
      "blob.txt",
    ], envTrust);
    const lines = r.stderr.trim().split("\n");
    const last = lines[lines.length - 1];
    try {
      assert.equal(r.code, 1, describe(r));
      assert.ok(last.startsWith("error: "), describe(r));
      assert.ok(last.includes(needle), describe(r));
      assert.ok(!r.stderr.includes("tlog entry created"), describe(r));
      assert.equal(r.stdout, "");
      assert.equal(await exists(`${out}.bundle`), false);
      assert.equal(await exists(`${out}.sig`), false);
    } catch (e) {
      failures.push(`- ${what}: ${(e as Error).message}`);
    }
  }
  if (failures.length) throw new Error(failures.join("\n"));
});

let n = 0;
async function image(): Promise<{ ref: string; repo: string; digest: string }> {
  const repo = `keyless-ours/app${++n}`;
  const { digest } = await pushImage(client, { registry: registry.host, repository: repo }, "v1");
  return { ref: `${registry.host}/${repo}@${digest}`, repo, digest };
}

const goVerifyImage = (ref: string, identity: string) =>
  runGo([
    "verify",
    "--certificate-identity",
    identity,
    "--certificate-oidc-issuer",
    peers.emailIssuer,
    ...trustedRoot,
    ref,
  ], opts);

Deno.test("sign an image keylessly: certificate, chain and bundle annotations; Go verify accepts it, another identity exits 12", async () => {
  const { ref, repo, digest } = await image();
  const token = await peers.oidc.emailToken(ALICE);
  expectSuccess(
    await runOurs(["sign", ...peers.signArgs(token), ...trustedRoot, ref], opts),
    "our sign keyless",
  );
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
  assert.deepEqual(
    pemBlocks(a["dev.sigstore.cosign/chain"], "CERTIFICATE").map((c) => c.toHex()),
    pemBlocks(peers.fulcio.ca.chainPem, "CERTIFICATE").map((c) => c.toHex()),
  );
  const ok = expectSuccess(
    await goVerifyImage(ref, ALICE),
    "Go verify of our keyless image signature",
  );
  assert.ok(
    ok.stderr.includes(
      "  - The code-signing certificate was verified using trusted certificate authority certificates\n",
    ),
    describe(ok),
  );
  const other = await goVerifyImage(ref, "bob@example.com");
  assert.equal(other.code, 12, describe(other));
});

await Deno.writeTextFile(
  join(dir, "predicate.json"),
  '{"builder":{"id":"https://example.com/b"},"buildType":"https://example.com/t"}',
);

Deno.test("attest-blob keyless (old bundle and --new-bundle-format): Go verify-blob-attestation accepts both; --output-certificate as Go writes it", async () => {
  const attestBlob = async (tool: "ours" | "go", extra: string[]) => {
    const token = await peers.oidc.emailToken(ALICE);
    const args = [
      "attest-blob",
      ...peers.signArgs(token),
      ...trustedRoot,
      "--predicate",
      "predicate.json",
      "--type",
      "slsaprovenance",
      ...extra,
      "blob.txt",
    ];
    return expectSuccess(
      await (tool === "ours" ? runOurs(args, opts) : runGo(args, opts)),
      `${tool} attest-blob ${extra.join(" ")}`,
    );
  };
  const ours = await attestBlob("ours", [
    "--bundle",
    "att.bundle",
    "--output-certificate",
    "att-ours.crt",
  ]);
  const go = await attestBlob("go", [
    "--bundle",
    "att-go.bundle",
    "--output-certificate",
    "att-go.crt",
  ]);
  // The same certificate file format and message as Go's.
  const oursCrt = await Deno.readTextFile(join(dir, "att-ours.crt"));
  const goCrt = await Deno.readTextFile(join(dir, "att-go.crt"));
  assert.equal(
    oursCrt.startsWith("-----BEGIN CERTIFICATE-----\n"),
    goCrt.startsWith("-----BEGIN CERTIFICATE-----\n"),
  );
  const line = (r: { stderr: string }, file: string) =>
    r.stderr.split("\n").find((l) => l.includes(file))?.replace(file, "F");
  assert.equal(line(ours, "att-ours.crt"), line(go, "att-go.crt"), describe(ours));
  const bundle = JSON.parse(await Deno.readTextFile(join(dir, "att.bundle")));
  assert.deepEqual(Object.keys(bundle), ["base64Signature", "cert", "rekorBundle"]);
  const pem = new TextDecoder().decode(Uint8Array.fromBase64(bundle.cert));
  assertLeaf(pemBlocks(pem, "CERTIFICATE")[0], `email:${ALICE}`);
  const verify = (b: string, extra: string[], options = envTrust) =>
    runGo([
      "verify-blob-attestation",
      "--bundle",
      b,
      "--type",
      "slsaprovenance",
      "--certificate-identity",
      ALICE,
      "--certificate-oidc-issuer",
      peers.emailIssuer,
      ...extra,
      "blob.txt",
    ], options);
  expectVerified(await verify("att.bundle", []), "Go verify-blob-attestation of our old bundle");

  await attestBlob("ours", ["--new-bundle-format", "--bundle", "att.sigstore.json"]);
  const nb = JSON.parse(await Deno.readTextFile(join(dir, "att.sigstore.json")));
  assert.ok(nb.verificationMaterial.certificate, "certificate in the Sigstore bundle");
  expectVerified(
    await verify("att.sigstore.json", ["--new-bundle-format", ...trustedRoot], opts),
    "Go verify-blob-attestation of our Sigstore bundle",
  );
});

Deno.test("attest an image keylessly: certificate and chain annotations; Go verify-attestation accepts it", async () => {
  const { ref, repo, digest } = await image();
  const token = await peers.oidc.emailToken(ALICE);
  expectSuccess(
    await runOurs([
      "attest",
      ...peers.signArgs(token),
      ...trustedRoot,
      "--predicate",
      "predicate.json",
      "--type",
      "slsaprovenance",
      ref,
    ], opts),
    "our attest keyless",
  );
  const att = await client.getManifest(
    { registry: registry.host, repository: repo },
    `${digest.replace(":", "-")}.att`,
  );
  const [layer] = (att.manifest as { layers: { annotations: Record<string, string> }[] }).layers;
  const a = layer.annotations;
  assertLeaf(pemBlocks(a["dev.sigstore.cosign/certificate"], "CERTIFICATE")[0], `email:${ALICE}`);
  assert.deepEqual(
    pemBlocks(a["dev.sigstore.cosign/chain"], "CERTIFICATE").map((c) => c.toHex()),
    pemBlocks(peers.fulcio.ca.chainPem, "CERTIFICATE").map((c) => c.toHex()),
  );
  const ok = expectSuccess(
    await runGo([
      "verify-attestation",
      "--type",
      "slsaprovenance",
      "--certificate-identity",
      ALICE,
      "--certificate-oidc-issuer",
      peers.emailIssuer,
      ref,
    ], envTrust),
    "Go verify-attestation of our keyless attestation",
  );
  assert.ok(ok.stderr.includes(`Certificate subject: ${ALICE}\n`), describe(ok));
});

/**
 * A Fulcio in front of the real one that swaps the asker's key for its own (with a valid proof
 * of possession over the token's e-mail): the real Fulcio then certifies another key.
 */
function startKeySwappingFulcio(): { url: string; close(): Promise<void> } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const pem = publicKey.export({ type: "spki", format: "pem" }) as string;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    let body = await req.text();
    if (url.pathname === "/api/v1/signingCert") {
      const token = req.headers.get("authorization")!.replace(/^Bearer /, "");
      const claims = JSON.parse(
        new TextDecoder().decode(
          Uint8Array.fromBase64(token.split(".")[1], { alphabet: "base64url" }),
        ),
      );
      const proof = createSign("sha256").update(claims.email).sign(privateKey);
      body = JSON.stringify({
        publicKey: { content: new TextEncoder().encode(pem).toBase64() },
        signedEmailAddress: new Uint8Array(proof).toBase64(),
        certificateSigningRequest: null,
      });
    }
    const res = await fetch(`${peers.fulcio.url}${url.pathname}`, {
      method: req.method,
      headers: req.headers,
      body: req.method === "POST" ? body : undefined,
    });
    return new Response(await res.arrayBuffer(), { status: res.status, headers: res.headers });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

Deno.test("a Fulcio certifying another key is refused: one line, exit 1, nothing written, logged or pushed", async () => {
  const lying = startKeySwappingFulcio();
  try {
    const { ref, repo, digest } = await image();
    const args = async () => [
      ...peers.signArgs(await peers.oidc.emailToken(ALICE)),
      ...trustedRoot,
      "--fulcio-url",
      lying.url,
    ];
    const MESSAGE =
      "error: cannot use Fulcio certificate: it certifies another public key than the one that asked";
    const blob = await runOurs([
      "sign-blob",
      ...await args(),
      "--bundle",
      "swapped.bundle",
      "--output-signature",
      "swapped.sig",
      "blob.txt",
    ], opts);
    const img = await runOurs(["sign", ...await args(), ref], opts);
    const att = await runOurs([
      "attest",
      ...await args(),
      "--predicate",
      "predicate.json",
      ref,
    ], opts);
    for (const r of [blob, img, att]) {
      assert.equal(r.code, 1, describe(r));
      assert.equal(r.stderr.trimEnd().split("\n").at(-1), MESSAGE, describe(r));
      assert.ok(!r.stderr.includes("tlog entry created"), describe(r));
      assert.equal(r.stdout, "", describe(r));
    }
    assert.equal(await exists("swapped.bundle"), false);
    assert.equal(await exists("swapped.sig"), false);
    const tags = await client.listTags({ registry: registry.host, repository: repo });
    const suffix = digest.replace(":", "-");
    assert.ok(!tags.includes(`${suffix}.sig`) && !tags.includes(`${suffix}.att`), String(tags));
  } finally {
    await lying.close();
  }
});

Deno.test("sign-blob --issue-certificate --key: Fulcio certifies our key (SCT check skipped with --insecure-skip-verify); Go verify-blob accepts it", async () => {
  expectSuccess(
    await runOurs(["generate-key-pair", "--output-key-prefix", "issued"], opts),
    "generate-key-pair",
  );
  const token = await peers.oidc.emailToken(ALICE);
  const signed = expectSuccess(
    await runOurs([
      "sign-blob",
      ...peers.signArgs(token),
      "--insecure-skip-verify",
      "--key",
      "issued.key",
      "--issue-certificate",
      "--bundle",
      "issued.bundle",
      "blob.txt",
    ], opts),
    "our sign-blob --issue-certificate",
  );
  assert.ok(!signed.stderr.includes("Generating ephemeral keys..."), describe(signed));
  assert.ok(!signed.stderr.includes("Successfully verified SCT..."), describe(signed));
  const bundle = JSON.parse(await Deno.readTextFile(join(dir, "issued.bundle")));
  const leaf = new X509Certificate(
    pemBlocks(new TextDecoder().decode(Uint8Array.fromBase64(bundle.cert)), "CERTIFICATE")[0],
  );
  const pub = await Deno.readTextFile(join(dir, "issued.pub"));
  assert.equal(leaf.publicKey.export({ type: "spki", format: "pem" }), pub);
  expectVerified(await goVerifyBlob("issued.bundle", []), "Go verify-blob of --issue-certificate");
});

Deno.test("keyless signing without CT log keys (no --trusted-root, no SIGSTORE_CT_LOG_PUBLIC_KEY_FILE, no usable TUF cache) is refused before Fulcio is asked", async () => {
  const token = await peers.oidc.emailToken(ALICE);
  // An empty TUF cache and a mirror that refuses connections: no trusted root to fall back to.
  const tufRoot = join(dir, "empty-tuf");
  const r = await runOurs(
    ["sign-blob", ...peers.signArgs(token), "blob.txt"],
    suiteOptions(dir, { TUF_ROOT: tufRoot, TUF_MIRROR: "http://127.0.0.1:9" }),
  );
  assert.equal(r.code, 1, describe(r));
  assert.equal(
    r.stderr.trimEnd().split("\n").at(-1),
    `error: cannot verify Fulcio's SCT without CT log keys: the TUF trusted root is unavailable (Cannot load the TUF root of http://127.0.0.1:9: could not find cached root.json in ${tufRoot}/127.0.0.1-9 (run cosign initialize --mirror http://127.0.0.1:9 --root <root.json>, or set TUF_ROOT_JSON)); pass --trusted-root, set SIGSTORE_CT_LOG_PUBLIC_KEY_FILE, or --insecure-skip-verify, or run cosign initialize`,
  );
  assert.ok(!r.stderr.includes("Retrieving signed certificate..."), describe(r));
  assert.equal(r.stdout, "");
});

Deno.test("keyless sign-blob and attest-blob print what Go prints, in the same order", async () => {
  const cases = [
    ["sign-blob", "--bundle", "TOOL.order.bundle", "blob.txt"],
    ["attest-blob", "--predicate", "predicate.json", "--bundle", "TOOL.order.att", "blob.txt"],
  ];
  for (const [cmd, ...rest] of cases) {
    const stderr: Record<string, string> = {};
    for (const tool of ["go", "ours"] as const) {
      const token = await peers.oidc.emailToken(ALICE);
      const args = [
        cmd,
        ...peers.signArgs(token),
        ...trustedRoot,
        ...rest.map((a) => a.replace("TOOL", tool)),
      ];
      const r = expectSuccess(
        await (tool === "go" ? runGo(args, opts) : runOurs(args, opts)),
        `${tool} ${cmd}`,
      );
      stderr[tool] = r.stderr.replaceAll(`${tool}.order`, "TOOL.order").replace(
        /index: \d+/,
        "index: N",
      );
    }
    assert.equal(stderr.ours, stderr.go, cmd);
  }
});

Deno.test("sign an image keylessly with --new-bundle-format: Go verify --new-bundle-format --trusted-root accepts it", async () => {
  const { ref } = await image();
  const token = await peers.oidc.emailToken(ALICE);
  expectSuccess(
    await runOurs(
      ["sign", ...peers.signArgs(token), ...trustedRoot, "--new-bundle-format", ref],
      opts,
    ),
    "our sign keyless --new-bundle-format",
  );
  expectSuccess(
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
    "Go verify --new-bundle-format of our keyless bundle",
  );
});
