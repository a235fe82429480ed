/**
 * `attest --new-bundle-format` keylessly, on loopback: a certificate from a real Fulcio v1.8.8 (our
 * OIDC issuer's token), a real Rekor entry, the bundle pushed as a referrer on go-containerregistry's
 * registry; the real Go cosign v2.6.4 `verify-attestation --new-bundle-format --trusted-root`
 * accepts it for the right identity and refuses another, and ours verifies it without the flag.
 * Go's keyless attestation bundle is verified by ours the other way round.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createRegistry } from "../../lib/registry/client.ts";
import type { ImageManifest } from "../../lib/registry/types.ts";
import { startKeylessPeers } from "../peers/keyless.ts";
import { startRegistry } from "../peers/registry.ts";
import { pushImage } from "../registry/_helpers.ts";
import {
  describe,
  expectSameFailure,
  expectSuccess,
  run,
  suiteDir,
  suiteOptions,
  TOOLS,
} from "./_run.ts";

const peers = await startKeylessPeers();
const registry = await startRegistry({ mode: "referrers" });
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-keyless-attest-bundle-");
addEventListener("unload", () => client.close());
globalThis.addEventListener("unload", () => void Promise.all([peers.stop(), registry.stop()]));

const ALICE = "alice@example.com";
const opts = suiteOptions(dir);
const trustedRoot = ["--trusted-root", peers.trustedRootPath];
await Deno.writeTextFile(
  join(dir, "predicate.json"),
  '{"builder":{"id":"keyless"},"buildType":"https://example.com/build/v1"}',
);

let n = 0;
async function image() {
  const repo = `kab/app${++n}`;
  const { digest } = await pushImage(client, { registry: registry.host, repository: repo }, "v1");
  return { ref: `${registry.host}/${repo}@${digest}`, repo, digest };
}

const verifyArgs = (ref: string, identity = ALICE, extra: string[] = ["--new-bundle-format"]) => [
  "verify-attestation",
  "--certificate-identity",
  identity,
  "--certificate-oidc-issuer",
  peers.emailIssuer,
  ...trustedRoot,
  "--type",
  "slsaprovenance",
  ...extra,
  ref,
];

Deno.test("attest --new-bundle-format keylessly: each tool verifies the other's bundle", async () => {
  for (const signer of TOOLS) {
    const { ref, repo, digest } = await image();
    const token = await peers.oidc.emailToken(ALICE);
    expectSuccess(
      await run(signer, [
        "attest",
        ...peers.signArgs(token),
        ...trustedRoot,
        "--predicate",
        "predicate.json",
        "--type",
        "slsaprovenance",
        "--new-bundle-format",
        ref,
      ], opts),
      `${signer} attests keylessly into a bundle`,
    );
    const r = { registry: registry.host, repository: repo };
    const [d] = await client.referrers(r, digest);
    const m = (await client.getManifest(r, d.digest)).manifest as ImageManifest;
    assert.equal(
      m.annotations?.["dev.sigstore.bundle.predicateType"],
      "https://slsa.dev/provenance/v0.2",
    );
    const bundle = JSON.parse(
      new TextDecoder().decode(await client.getBlobBytes(r, m.layers[0].digest, 1 << 20)),
    );
    // MakeNewBundle with a certificate: the leaf instead of a key hint.
    assert.ok(bundle.verificationMaterial.certificate?.rawBytes, JSON.stringify(bundle));
    assert.equal(bundle.verificationMaterial.publicKey, undefined);
    const runs = [];
    for (const verifier of TOOLS) {
      const v = await run(verifier, verifyArgs(ref), opts);
      expectSuccess(v, `${verifier} verifies ${signer}'s keyless bundle`);
      runs.push(v);
    }
    assert.equal(runs[1].stdout, runs[0].stdout, describe(runs[1]));
    expectSuccess(await run("ours", verifyArgs(ref, ALICE, []), opts), "ours without the flag");
    const other = [];
    for (const verifier of TOOLS) {
      other.push(await run(verifier, verifyArgs(ref, "mallory@example.com"), opts));
    }
    expectSameFailure(other, `another identity on ${signer}'s bundle`);
  }
});
