/**
 * Online transparency-log lookups of attestations against one real local Rekor and registry, both
 * directions: an attestation logged by either tool (as a dsse or an intoto entry) but carried
 * without a bundle — re-attached to the image with `attach attestation`, or a blob envelope
 * written with `attest-blob --output-signature` — is looked up in the log by both tools (cosign
 * proposes a dsse and an intoto entry for the envelope in one search), and both agree when there is
 * nothing to find, when `--offline` forbids looking, and when the envelope was changed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createRegistry } from "../../lib/registry/client.ts";
import { parsePublicKeyPem } from "../../lib/keys/public_key.ts";
import { envelopeProposal, RekorClient } from "../../lib/rekor/client.ts";
import { startFaultProxy } from "../peers/fault_proxy.ts";
import { startRegistry } from "../peers/registry.ts";
import { startRekor } from "../peers/rekor.ts";
import { pushImage } from "../registry/_helpers.ts";
import {
  describe,
  expectSameFailure,
  expectSuccess,
  expectVerified,
  other,
  run,
  type RunResult,
  suiteDir,
  suiteOptions,
  type Tool,
  TOOLS,
} from "./_run.ts";

const registry = await startRegistry({ mode: "http" });
const rekor = await startRekor();
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-rekor-online-att-");
addEventListener("unload", () => client.close());
globalThis.addEventListener("unload", () => void rekor.stop().then(() => registry.stop()));

const opts = suiteOptions(dir, { SIGSTORE_REKOR_PUBLIC_KEY: rekor.publicKeyPath });
expectSuccess(await run("go", ["generate-key-pair"], opts), "keys");
await Deno.writeTextFile(join(dir, "predicate.json"), '{"builder":{"id":"https://example.com"}}');
await Deno.writeTextFile(join(dir, "blob.txt"), "some blob\n");

/** Every result's stderr carries cosign's reason (ours says it inside its own sentence). */
function expectReason(results: RunResult[], reason: string): void {
  for (const r of results) assert.ok(r.stderr.includes(reason), describe(r));
}

type Manifest = { layers: { annotations?: Record<string, string> }[] };
let n = 0;

/**
 * The same image in two repositories: `signer` attests the first (`attest` with the given extra
 * flags), its envelope is downloaded, and `attacher` attaches it to the second with
 * `attach attestation`, which writes no bundle.
 *
 * @returns the second image's reference
 */
async function reattached(signer: Tool, attacher: Tool, extra: string[]): Promise<string> {
  const i = ++n;
  const content = `online attestations ${i} ${crypto.randomUUID()}`;
  const refs: string[] = [];
  for (const repo of [`att-src/app${i}`, `att-dst/app${i}`]) {
    const { digest } = await pushImage(
      client,
      { registry: registry.host, repository: repo },
      "v1",
      { content },
    );
    refs.push(`${registry.host}/${repo}@${digest}`);
  }
  const [source, target] = refs;
  assert.equal(source.split("@")[1], target.split("@")[1]);
  expectSuccess(
    await run(signer, [
      "attest",
      "--key",
      "cosign.key",
      "--predicate",
      "predicate.json",
      "--rekor-url",
      rekor.url,
      "--yes",
      ...extra,
      source,
    ], opts),
    `${signer} attests ${source} ${extra.join(" ")}`,
  );
  const envelope = expectSuccess(
    await run("go", ["download", "attestation", source], opts),
    "download the envelope",
  ).stdout;
  await Deno.writeTextFile(join(dir, `envelope${i}.json`), envelope);
  expectSuccess(
    await run(attacher, [
      "attach",
      "attestation",
      "--attestation",
      `envelope${i}.json`,
      target,
    ], opts),
    `${attacher} attaches the envelope`,
  );
  const digest = target.split("@")[1];
  const m = await client.getManifest(
    { registry: registry.host, repository: `att-dst/app${i}` },
    `${digest.replace(":", "-")}.att`,
  );
  const layers = (m.manifest as Manifest).layers;
  assert.equal(layers.length, 1);
  assert.equal(layers[0].annotations?.["dev.sigstore.cosign/bundle"], undefined);
  return target;
}

const verifyImage = (tool: Tool, ref: string, extra: string[] = []) =>
  run(tool, [
    "verify-attestation",
    "--key",
    "cosign.pub",
    "--rekor-url",
    rekor.url,
    ...extra,
    ref,
  ], opts);

Deno.test("image attestations logged by either tool (dsse, intoto), re-attached without a bundle, verify online in both", async () => {
  for (const signer of TOOLS) {
    for (const type of ["dsse", "intoto"]) {
      const ref = await reattached(signer, other(signer), ["--rekor-entry-type", type]);
      const results = [];
      for (const verifier of TOOLS) {
        const v = expectSuccess(
          await verifyImage(verifier, ref),
          `${verifier} verifies ${signer}'s ${type} attestation online`,
        );
        // cosign sets bundleVerified after an online lookup too (verifyInternal).
        assert.ok(
          v.stderr.includes(
            "\n  - Existence of the claims in the transparency log was verified offline\n",
          ),
          describe(v),
        );
        results.push(v);
      }
      const header = (s: string) => s.slice(s.indexOf("\nVerification for"));
      assert.equal(header(results[1].stderr), header(results[0].stderr), describe(results[1]));
      assert.equal(results[1].stdout, results[0].stdout);
    }
  }
});

Deno.test("an image attestation never logged, or --offline without a bundle, fails in both alike", async () => {
  const unlogged = await reattached("ours", "go", ["--tlog-upload=false"]);
  const notFound = await Promise.all(TOOLS.map((t) => verifyImage(t, unlogged)));
  expectSameFailure(notFound, "attestation entry not found");
  assert.equal(notFound[0].code, 1);
  expectReason(notFound, "no matching attestations: ");
  expectReason(notFound, "signature not found in transparency log");
  const logged = await reattached("go", "ours", []);
  const offline = await Promise.all(TOOLS.map((t) => verifyImage(t, logged, ["--offline"])));
  expectSameFailure(offline, "attestation --offline without a bundle");
  expectReason(offline, "offline verification failed");
});

async function attestBlob(signer: Tool, sig: string, extra: string[]): Promise<void> {
  expectSuccess(
    await run(signer, [
      "attest-blob",
      "--key",
      "cosign.key",
      "--predicate",
      "predicate.json",
      "--rekor-url",
      rekor.url,
      "--yes",
      "--output-signature",
      sig,
      ...extra,
      "blob.txt",
    ], opts),
    `${signer} attest-blob ${extra.join(" ")}`,
  );
}

const verifyBlob = (tool: Tool, sig: string, extra: string[] = []) =>
  run(tool, [
    "verify-blob-attestation",
    "--key",
    "cosign.pub",
    "--signature",
    sig,
    "--rekor-url",
    rekor.url,
    ...extra,
    "blob.txt",
  ], opts);

Deno.test("blob attestations logged by either tool (dsse, intoto) verify online from --signature in both", async () => {
  for (const signer of TOOLS) {
    for (const type of ["dsse", "intoto"]) {
      const sig = `${signer}-${type}.sig`;
      await attestBlob(signer, sig, ["--rekor-entry-type", type]);
      for (const verifier of TOOLS) {
        expectVerified(
          await verifyBlob(verifier, sig),
          `${verifier} verifies ${signer}'s ${type} blob attestation online`,
        );
      }
    }
  }
});

Deno.test("a blob attestation never logged, --offline, or a changed envelope fails in both alike", async () => {
  await attestBlob("go", "unlogged.sig", ["--tlog-upload=false"]);
  const notFound = await Promise.all(TOOLS.map((t) => verifyBlob(t, "unlogged.sig")));
  expectSameFailure(notFound, "blob attestation entry not found");
  assert.equal(notFound[0].code, 1);
  expectReason(notFound, "signature not found in transparency log");
  await attestBlob("ours", "logged.sig", []);
  const offline = await Promise.all(TOOLS.map((t) => verifyBlob(t, "logged.sig", ["--offline"])));
  expectSameFailure(offline, "blob attestation --offline");
  expectReason(offline, "offline verification failed");
  // Another statement under the logged signature: refused before any request in both (cosign's
  // proposal builder verifies the envelope with the key).
  const env = JSON.parse(await Deno.readTextFile(join(dir, "logged.sig")));
  const statement = JSON.parse(atob(env.payload));
  statement.predicate = { changed: true };
  env.payload = btoa(JSON.stringify(statement));
  await Deno.writeTextFile(join(dir, "changed.sig"), JSON.stringify(env));
  const changed = await Promise.all(TOOLS.map((t) => verifyBlob(t, "changed.sig")));
  expectSameFailure(changed, "changed envelope");
  expectReason(
    changed,
    "could not verify envelope: accepted signatures do not match threshold, Found: 0, Expected 1",
  );
});

Deno.test("--trusted-root instead of SIGSTORE_REKOR_PUBLIC_KEY: both look an image attestation up online", async () => {
  const spki = parsePublicKeyPem(rekor.publicKeyPem).spki;
  const logId = new Uint8Array(await crypto.subtle.digest("SHA-256", spki as BufferSource));
  await Deno.writeTextFile(
    join(dir, "root.json"),
    JSON.stringify({
      mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
      tlogs: [{
        baseUrl: rekor.url,
        hashAlgorithm: "SHA2_256",
        publicKey: {
          rawBytes: spki.toBase64(),
          keyDetails: "PKIX_ECDSA_P256_SHA_256",
          validFor: { start: "2020-01-01T00:00:00Z" },
        },
        logId: { keyId: logId.toBase64() },
      }],
      certificateAuthorities: [],
      ctlogs: [],
      timestampAuthorities: [],
    }),
  );
  const ref = await reattached("go", "ours", ["--rekor-entry-type", "intoto"]);
  const env = { ...opts.env };
  delete env.SIGSTORE_REKOR_PUBLIC_KEY;
  for (const tool of TOOLS) {
    expectSuccess(
      await run(tool, [
        "verify-attestation",
        "--key",
        "cosign.pub",
        "--trusted-root",
        "root.json",
        "--rekor-url",
        rekor.url,
        ref,
      ], { ...opts, env }),
      `${tool} verifies the attestation online with --trusted-root`,
    );
  }
});

Deno.test("a lying log's entry for another attestation: the Go cosign accepts it, ours does not", async () => {
  // cosign's online path (FindTlogEntry + VerifyTLogEntryOffline) checks the entry's UUID, proof
  // and SET but never that the body is about this envelope; ours checks the binding (a deviation).
  await attestBlob("go", "mine.sig", []);
  await Deno.writeTextFile(join(dir, "predicate-other.json"), '{"other":true}');
  expectSuccess(
    await run("go", [
      "attest-blob",
      "--key",
      "cosign.key",
      "--predicate",
      "predicate-other.json",
      "--rekor-url",
      rekor.url,
      "--yes",
      "--output-signature",
      "other.sig",
      "blob.txt",
    ], opts),
    "go attests another statement",
  );
  const [found] = await new RekorClient(rekor.url).searchProposedEntries([
    envelopeProposal(
      "dsse",
      await Deno.readFile(join(dir, "other.sig")),
      await Deno.readFile(join(dir, "cosign.pub")),
    ),
  ]);
  assert.ok(found, "the other attestation's entry");
  const { uuid, ...entry } = found;
  const proxy = startFaultProxy(rekor.url, {
    rules: [{
      path: /retrieve$/,
      action: {
        status: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify([{ [uuid]: entry }]),
      },
    }],
  });
  try {
    const [go, ours] = await Promise.all(
      TOOLS.map((t) =>
        run(t, [
          "verify-blob-attestation",
          "--key",
          "cosign.pub",
          "--signature",
          "mine.sig",
          "--rekor-url",
          proxy.url,
          "blob.txt",
        ], opts)
      ),
    );
    expectVerified(go, "go accepts the other attestation's entry");
    assert.equal(ours.code, 1, describe(ours));
    assert.match(
      ours.stderr,
      /^error: cannot verify transparency log entry: the log returned an entry for another attestation or key \(matching bundle to payload: /,
    );
  } finally {
    await proxy.stop();
  }
});
