/**
 * Online transparency-log verification against one real local Rekor and registry, both
 * directions: signatures logged by either tool but carried without a bundle (a blob signature
 * file; an image signature attached with `cosign attach signature`, which writes no bundle) are
 * looked up in the log by both tools, and both agree when there is nothing to find or `--offline`
 * forbids looking.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createRegistry } from "../../lib/registry/client.ts";
import { RekorClient } from "../../lib/rekor/client.ts";
import { parsePublicKeyPem } from "../../lib/keys/public_key.ts";
import { startFaultProxy } from "../peers/fault_proxy.ts";
import { startRegistry } from "../peers/registry.ts";
import { startRekor } from "../peers/rekor.ts";
import { pushImage } from "../registry/_helpers.ts";
import {
  describe,
  expectSameFailure,
  expectSuccess,
  expectVerified,
  run,
  type RunResult,
  suiteDir,
  suiteOptions,
  TOOLS,
} from "./_run.ts";

const registry = await startRegistry({ mode: "http" });
const rekor = await startRekor();
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-rekor-online-");
addEventListener("unload", () => client.close());
globalThis.addEventListener("unload", () => void rekor.stop().then(() => registry.stop()));

const opts = suiteOptions(dir, { SIGSTORE_REKOR_PUBLIC_KEY: rekor.publicKeyPath });
expectSuccess(await run("go", ["generate-key-pair"], opts), "keys");

const verifyBlob = (tool: "go" | "ours", name: string, extra: string[] = []) =>
  run(tool, [
    "verify-blob",
    "--key",
    "cosign.pub",
    "--signature",
    `${name}.sig`,
    "--rekor-url",
    rekor.url,
    ...extra,
    name,
  ], opts);

async function signBlob(tool: "go" | "ours", name: string, log = true): Promise<void> {
  await Deno.writeTextFile(`${dir}/${name}`, `${name} ${crypto.randomUUID()}\n`);
  expectSuccess(
    await run(tool, [
      "sign-blob",
      "--key",
      "cosign.key",
      `--tlog-upload=${log}`,
      "--rekor-url",
      rekor.url,
      "--yes",
      "--output-signature",
      `${name}.sig`,
      name,
    ], opts),
    `${tool} signs ${name}`,
  );
}

Deno.test("blob signatures logged by either tool, without a bundle, verify online in both", async () => {
  for (const signer of TOOLS) {
    const name = `blob-${signer}.txt`;
    await signBlob(signer, name);
    for (const verifier of TOOLS) {
      expectVerified(await verifyBlob(verifier, name), `${verifier} verifies ${signer}'s blob`);
    }
  }
});

Deno.test("a blob signature that was never logged, or --offline without a bundle, fails in both", async () => {
  await signBlob("go", "unlogged.txt", false);
  const notFound = await Promise.all(TOOLS.map((t) => verifyBlob(t, "unlogged.txt")));
  expectSameFailure(notFound, "entry not found");
  expectReason(notFound, "signature not found in transparency log");
  await signBlob("go", "logged.txt");
  const offline = await Promise.all(TOOLS.map((t) => verifyBlob(t, "logged.txt", ["--offline"])));
  expectSameFailure(offline, "--offline without a bundle");
  expectReason(offline, "offline verification failed");
});

/** Every result's stderr carries cosign's reason (ours says it inside its own sentence). */
function expectReason(results: RunResult[], reason: string): void {
  for (const r of results) assert.ok(r.stderr.includes(reason), describe(r));
}

let n = 0;
/**
 * An image signed by `signer` (logged in Rekor unless `log` is false) whose signature is then
 * attached by `attacher` with `cosign attach signature`, so it carries no bundle.
 */
async function unbundledImage(
  signer: "go" | "ours",
  attacher: "go" | "ours",
  log = true,
): Promise<string> {
  const repo = `online/app${++n}`;
  const { digest } = await pushImage(client, { registry: registry.host, repository: repo }, "v1");
  const ref = `${registry.host}/${repo}@${digest}`;
  expectSuccess(
    await run(signer, [
      "sign",
      "--key",
      "cosign.key",
      `--tlog-upload=${log}`,
      "--rekor-url",
      rekor.url,
      "--yes",
      "--upload=false",
      "--output-signature",
      `img${n}.sig`,
      "--output-payload",
      `img${n}.json`,
      ref,
    ], opts),
    `${signer} signs ${ref} without pushing`,
  );
  expectSuccess(
    await run(attacher, [
      "attach",
      "signature",
      "--payload",
      `img${n}.json`,
      "--signature",
      `img${n}.sig`,
      ref,
    ], opts),
    `${attacher} attaches the signature`,
  );
  const m = await client.getManifest(
    { registry: registry.host, repository: repo },
    `${digest.replace(":", "-")}.sig`,
  );
  const layers = (m.manifest as { layers: { annotations?: Record<string, string> }[] }).layers;
  assert.equal(layers.length, 1);
  assert.equal(layers[0].annotations?.["dev.sigstore.cosign/bundle"], undefined);
  return ref;
}

const verifyImage = (tool: "go" | "ours", ref: string, extra: string[] = []) =>
  run(tool, ["verify", "--key", "cosign.pub", "--rekor-url", rekor.url, ...extra, ref], opts);

Deno.test("image signatures without a bundle are looked up online by both, with the same header", async () => {
  for (const signer of TOOLS) {
    const ref = await unbundledImage(signer, signer === "go" ? "ours" : "go");
    const results = [];
    for (const verifier of TOOLS) {
      const v = await verifyImage(verifier, ref);
      expectSuccess(v, `${verifier} verifies ${signer}'s unbundled signature online`);
      results.push(v);
    }
    const header = (s: string) => s.slice(s.indexOf("\nVerification for"));
    assert.equal(header(results[1].stderr), header(results[0].stderr), describe(results[1]));
    // cosign marks a signature found online as bundleVerified too (verifyInternal), so the
    // header says "offline" after an online lookup.
    assert.ok(
      results[0].stderr.includes(
        "\n  - Existence of the claims in the transparency log was verified offline\n",
      ),
      describe(results[0]),
    );
  }
});

Deno.test("an image signature never logged, or --offline without a bundle, fails in both alike", async () => {
  const unlogged = await unbundledImage("go", "go", false);
  const notFound = await Promise.all(TOOLS.map((t) => verifyImage(t, unlogged)));
  expectSameFailure(notFound, "image entry not found");
  assert.equal(notFound[0].code, 12);
  expectReason(notFound, "no matching signatures: ");
  expectReason(notFound, "signature not found in transparency log");
  const logged = await unbundledImage("ours", "ours");
  const offline = await Promise.all(TOOLS.map((t) => verifyImage(t, logged, ["--offline"])));
  expectSameFailure(offline, "image --offline without a bundle");
  expectReason(offline, "offline verification failed");
});

Deno.test("a blob changed after signing fails in both (the log refuses the proposed entry)", async () => {
  await signBlob("ours", "tampered.txt");
  await Deno.writeTextFile(`${dir}/tampered.txt`, "changed\n", { append: true });
  const results = await Promise.all(TOOLS.map((t) => verifyBlob(t, "tampered.txt")));
  expectSameFailure(results, "tampered blob");
  assert.match(results[0].stderr, /\[400\] searchLogQueryBadRequest.*verifying signature/);
  // Ours checks the signature before asking the log (which would refuse it the same way).
  assert.equal(
    results[1].stderr,
    "error: cannot verify signature: invalid signature when validating ASN.1 encoded signature\n",
  );
});

Deno.test("a lying log's entry for another artifact: the Go cosign accepts it, ours does not", async () => {
  // cosign's online path (FindTlogEntry + VerifyTLogEntryOffline) checks the entry's UUID, proof
  // and SET but never that the body is the proposed entry; ours checks the binding (a deviation).
  await signBlob("go", "mine.txt");
  await signBlob("go", "other.txt");
  const blob = await Deno.readFile(`${dir}/other.txt`);
  const [found] = await new RekorClient(rekor.url).searchEntries({
    algorithm: "sha256",
    digest: new Uint8Array(createHash("sha256").update(blob).digest()),
    signature: Uint8Array.fromBase64((await Deno.readTextFile(`${dir}/other.txt.sig`)).trim()),
    publicKeyPem: await Deno.readFile(`${dir}/cosign.pub`),
  });
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
          "verify-blob",
          "--key",
          "cosign.pub",
          "--signature",
          "mine.txt.sig",
          "--rekor-url",
          proxy.url,
          "mine.txt",
        ], opts)
      ),
    );
    expectVerified(go, "go accepts the other artifact's entry");
    assert.equal(ours.code, 1, describe(ours));
    assert.equal(
      ours.stderr,
      "error: cannot verify transparency log entry: the log returned an entry for another signature, key or artifact (signature in bundle does not match signature being verified)\n",
    );
  } finally {
    await proxy.stop();
  }
});

Deno.test("--trusted-root instead of SIGSTORE_REKOR_PUBLIC_KEY: both look the entry up online", async () => {
  const spki = parsePublicKeyPem(rekor.publicKeyPem).spki;
  const logId = new Uint8Array(await crypto.subtle.digest("SHA-256", spki as BufferSource));
  await Deno.writeTextFile(
    `${dir}/root.json`,
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
  const ref = await unbundledImage("go", "ours");
  const env = { ...opts.env };
  delete env.SIGSTORE_REKOR_PUBLIC_KEY;
  for (const tool of TOOLS) {
    expectSuccess(
      await run(tool, [
        "verify",
        "--key",
        "cosign.pub",
        "--trusted-root",
        "root.json",
        "--rekor-url",
        rekor.url,
        ref,
      ], { ...opts, env }),
      `${tool} verifies online with --trusted-root`,
    );
  }
});
