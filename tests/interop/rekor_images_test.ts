/**
 * Image signatures logged in a real local Rekor, both directions: each tool signs with an upload,
 * and both verify the `dev.sigstore.cosign/bundle` annotations offline with the log's key.
 */
import assert from "node:assert/strict";
import { createRegistry } from "../../lib/registry/client.ts";
import { startRegistry } from "../peers/registry.ts";
import { startRekor } from "../peers/rekor.ts";
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

const registry = await startRegistry({ mode: "http" });
const rekor = await startRekor();
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-rekor-img-");
addEventListener("unload", () => client.close());
globalThis.addEventListener("unload", () => void rekor.stop().then(() => registry.stop()));

const opts = suiteOptions(dir, { SIGSTORE_REKOR_PUBLIC_KEY: rekor.publicKeyPath });
expectSuccess(await run("go", ["generate-key-pair"], opts), "keys");

let n = 0;
async function image(): Promise<string> {
  const repo = `rekor/app${++n}`;
  const { digest } = await pushImage(client, { registry: registry.host, repository: repo }, "v1");
  return `${registry.host}/${repo}@${digest}`;
}

Deno.test("image signatures logged by either tool verify offline in both", async () => {
  for (const signer of TOOLS) {
    const ref = await image();
    expectSuccess(
      await run(
        signer,
        ["sign", "--key", "cosign.key", "--rekor-url", rekor.url, "--yes", ref],
        opts,
      ),
      `${signer} signs with a Rekor entry`,
    );
    for (const verifier of TOOLS) {
      const v = await run(verifier, [
        "verify",
        "--key",
        "cosign.pub",
        "--rekor-url",
        rekor.url,
        ref,
      ], opts);
      expectSuccess(v, `${verifier} verifies ${signer}'s logged signature`);
      assert.match(
        v.stderr,
        /Existence of the claims in the transparency log was verified offline/,
        describe(v),
      );
    }
  }
});

Deno.test("a bundle annotation spliced from another image's signature is rejected by both", async () => {
  // Two images signed by ours; the second image's signature layer gets the first one's bundle.
  const first = await image();
  const second = await image();
  for (const ref of [first, second]) {
    expectSuccess(
      await run(
        "ours",
        ["sign", "--key", "cosign.key", "--rekor-url", rekor.url, "--yes", ref],
        opts,
      ),
      "ours signs",
    );
  }
  const repoOf = (ref: string) => ({
    registry: registry.host,
    repository: ref.slice(registry.host.length + 1).split("@")[0],
  });
  const tagOf = (ref: string) => `${ref.split("@")[1].replace(":", "-")}.sig`;
  const a = await client.getManifest(repoOf(first), tagOf(first));
  const b = await client.getManifest(repoOf(second), tagOf(second));
  const bundleA = (a.manifest as { layers: { annotations: Record<string, string> }[] }).layers[0]
    .annotations["dev.sigstore.cosign/bundle"];
  const manB = structuredClone(b.manifest) as { layers: { annotations: Record<string, string> }[] };
  manB.layers[0].annotations["dev.sigstore.cosign/bundle"] = bundleA;
  await client.putManifest(
    repoOf(second),
    tagOf(second),
    new TextEncoder().encode(JSON.stringify(manB)),
    b.mediaType,
  );
  const results = await Promise.all(
    TOOLS.map((t) =>
      run(t, ["verify", "--key", "cosign.pub", "--rekor-url", rekor.url, second], opts)
    ),
  );
  expectSameFailure(results, "spliced bundle annotation");
});

Deno.test("an image bundle annotation with one field changed is rejected by both", async () => {
  const ref = await image();
  expectSuccess(
    await run("go", ["sign", "--key", "cosign.key", "--rekor-url", rekor.url, "--yes", ref], opts),
    "go signs",
  );
  const repo = {
    registry: registry.host,
    repository: ref.slice(registry.host.length + 1).split("@")[0],
  };
  const tag = `${ref.split("@")[1].replace(":", "-")}.sig`;
  const original = await client.getManifest(repo, tag);
  type Manifest = { layers: { annotations: Record<string, string> }[] };
  const bundleText = (original.manifest as Manifest).layers[0]
    .annotations["dev.sigstore.cosign/bundle"];
  const flip = (b64: string) => {
    const bytes = Uint8Array.fromBase64(b64);
    bytes[Math.floor(bytes.length / 2)] ^= 1;
    return bytes.toBase64();
  };
  // deno-lint-ignore no-explicit-any
  const cases: [string, (b: any) => void][] = [
    ["SET", (b) => (b.SignedEntryTimestamp = flip(b.SignedEntryTimestamp))],
    ["body", (b) => (b.Payload.body = flip(b.Payload.body))],
    ["integrated time", (b) => (b.Payload.integratedTime += 1)],
    ["log index", (b) => (b.Payload.logIndex += 1)],
    ["log ID", (b) => (b.Payload.logID = "00" + b.Payload.logID.slice(2))],
  ];
  try {
    for (const [field, change] of cases) {
      const bundle = JSON.parse(bundleText);
      change(bundle);
      const manifest = structuredClone(original.manifest) as Manifest;
      manifest.layers[0].annotations["dev.sigstore.cosign/bundle"] = JSON.stringify(bundle);
      await client.putManifest(
        repo,
        tag,
        new TextEncoder().encode(JSON.stringify(manifest)),
        original.mediaType,
      );
      const results = [];
      for (const tool of TOOLS) {
        results.push(
          await run(tool, ["verify", "--key", "cosign.pub", "--rekor-url", rekor.url, ref], opts),
        );
      }
      expectSameFailure(results, `bundle with its ${field} changed`);
    }
  } finally {
    await client.putManifest(repo, tag, original.bytes, original.mediaType);
  }
});
