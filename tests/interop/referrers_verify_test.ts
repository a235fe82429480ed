/**
 * Sigstore bundles attached as OCI 1.1 referrers, against the real Go cosign v2.6.4, a real local
 * Rekor and two real registries (go-containerregistry's with the referrers API; distribution
 * without it, where the `sha256-<hex>` index tag lists the referrers):
 *
 * - `attest --new-bundle-format`: both tools push the same artifact manifest (the predicate type
 *   annotation), and each tool's `verify-attestation --new-bundle-format` verifies both tools'
 *   bundles with equal output; ours also without the flag (cosign v3's auto-detection);
 * - auto-detection without `--new-bundle-format` (which Go v2.6.4 does too): bundles first (ours
 *   says so in one more stderr line), the `.sig` tag otherwise (then output byte for byte as Go's);
 *   with both, only the bundles are verified, by both; on the registry without the referrers API
 *   too;
 * - `verify --recursive` of an index signed by Go's `sign --recursive`: every manifest verified,
 *   one line each; a platform whose signature was replaced or never made fails, named.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createRegistry } from "../../lib/registry/client.ts";
import type { ImageManifest } from "../../lib/registry/types.ts";
import { parsePublicKeyPem } from "../../lib/keys/public_key.ts";
import { startRegistry } from "../peers/registry.ts";
import { startRekor } from "../peers/rekor.ts";
import { pushImage } from "../registry/_helpers.ts";
import { IMAGES, pushTestImages } from "../helpers/oci_images.ts";
import {
  describe,
  expectSameFailure,
  expectSuccess,
  run,
  suiteDir,
  suiteOptions,
  type Tool,
  TOOLS,
  writeTrustedRoot,
} from "./_run.ts";

const registry = await startRegistry({ mode: "referrers" });
const plain = await startRegistry({ mode: "http" });
const rekor = await startRekor();
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-referrers-verify-");
addEventListener("unload", () => client.close());
globalThis.addEventListener(
  "unload",
  () => void rekor.stop().then(() => registry.stop()).then(() => plain.stop()),
);

const opts = suiteOptions(dir);
await writeTrustedRoot(join(dir, "trusted_root.json"), {
  baseUrl: rekor.url,
  spki: parsePublicKeyPem(rekor.publicKeyPem).spki,
});
await Deno.writeTextFile(join(dir, "predicate.json"), '{"builder":{"id":"interop"}}');
expectSuccess(await run("go", ["generate-key-pair"], opts), "keys");
expectSuccess(
  await run("go", ["generate-key-pair", "--output-key-prefix", "other"], opts),
  "other keys",
);

const BUNDLE_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";
const CUSTOM = "https://cosign.sigstore.dev/attestation/v1";
const NOTE = /^Verified the Sigstore bundles attached to \S+ as OCI referrers/m;
/** Our one extra stderr line on the auto-detected bundle path. */
const NOTE_LINE = /^Verified the Sigstore bundles attached to [^\n]*\n/m;
const TLOG_LINE = "Existence of the claims in the transparency log was verified offline";

let n = 0;
async function image(host = registry.host): Promise<{ ref: string; repo: string; digest: string }> {
  const repo = `rv/app${++n}`;
  const { digest } = await pushImage(client, { registry: host, repository: repo }, "v1");
  return { ref: `${host}/${repo}@${digest}`, repo, digest };
}

const attestArgs = (ref: string, extra: string[] = ["--rekor-url", rekor.url]) => [
  "attest",
  "--key",
  "cosign.key",
  "--predicate",
  "predicate.json",
  "--yes",
  ...extra,
  "--new-bundle-format",
  ref,
];
const signArgs = (ref: string, extra: string[] = ["--rekor-url", rekor.url]) => [
  "sign",
  "--key",
  "cosign.key",
  "--yes",
  ...extra,
  ref,
];
const ROOT = ["--trusted-root", "trusted_root.json"];

/** The one referrer of an image: its manifest bytes and the bundle. */
async function referrer(host: string, repo: string, digest: string) {
  const r = { registry: host, repository: repo };
  const refs = await client.referrers(r, digest);
  assert.equal(refs.length, 1, JSON.stringify(refs));
  const m = await client.getManifest(r, refs[0].digest);
  const manifest = m.manifest as ImageManifest;
  const bundle = JSON.parse(
    new TextDecoder().decode(await client.getBlobBytes(r, manifest.layers[0].digest, 1 << 20)),
  );
  return { manifest, bytes: new TextDecoder().decode(m.bytes), bundle };
}

/** The manifest with its timestamp, layer digest and subject blanked, for comparing shapes. */
function shape(text: string, subject: string): string {
  return text
    .replace(/"org\.opencontainers\.image\.created":"[^"]*"/, '"created":"T"')
    .replace(/"layers":\[\{"mediaType":"[^"]*","size":\d+,"digest":"[^"]*"/, '"layers":[{"L"')
    .replace(subject, "SUBJECT");
}

Deno.test("attest --new-bundle-format: the same referrer from both tools; both verify both", async () => {
  const shapes: string[] = [];
  for (const signer of TOOLS) {
    const img = await image();
    const a = await run(signer, attestArgs(img.ref), opts);
    expectSuccess(a, `${signer} attests into a bundle`);
    assert.match(a.stderr, /tlog entry created with index: \d+/, describe(a));
    const got = await referrer(registry.host, img.repo, img.digest);
    shapes.push(shape(got.bytes, img.digest));
    assert.equal(got.manifest.artifactType, BUNDLE_TYPE);
    assert.deepEqual(
      { ...got.manifest.annotations, "org.opencontainers.image.created": "T" },
      {
        "dev.sigstore.bundle.content": "dsse-envelope",
        "dev.sigstore.bundle.predicateType": CUSTOM,
        "org.opencontainers.image.created": "T",
      },
    );
    assert.equal(got.manifest.subject?.digest, img.digest);
    const statement = JSON.parse(atob(got.bundle.dsseEnvelope.payload));
    assert.equal(statement.predicateType, CUSTOM);
    assert.deepEqual(statement.subject, [{
      name: `${registry.host}/${img.repo}`,
      digest: { sha256: img.digest.slice("sha256:".length) },
    }]);
    assert.equal(got.bundle.verificationMaterial.tlogEntries[0].kindVersion.kind, "dsse");
    // Nothing in the .att tag: the tag-scheme path of both finds no attestation.
    const tags = await client.listTags({ registry: registry.host, repository: img.repo });
    assert.deepEqual(tags, ["v1"]);

    const verify = ["verify-attestation", "--key", "cosign.pub", ...ROOT];
    const runs = [];
    for (const verifier of TOOLS) {
      const v = await run(verifier, [...verify, "--new-bundle-format", img.ref], opts);
      expectSuccess(v, `${verifier} verifies ${signer}'s attestation bundle`);
      runs.push(v);
    }
    assert.equal(runs[1].stdout, runs[0].stdout, describe(runs[1]));
    assert.equal(runs[1].stderr, runs[0].stderr, describe(runs[1]));
    assert.equal(JSON.parse(runs[0].stdout).payloadType, "application/vnd.in-toto+json");
    // Without the flag both find the bundle first (cosign's GetBundles); ours says so.
    const auto = [];
    for (const t of TOOLS) auto.push(await run(t, [...verify, img.ref], opts));
    for (const v of auto) expectSuccess(v, `${v.tool} auto-detects ${signer}'s bundle`);
    assert.equal(auto[0].stdout, runs[0].stdout);
    assert.equal(auto[1].stdout, runs[0].stdout);
    assert.match(auto[1].stderr, NOTE, describe(auto[1]));
    assert.equal(auto[1].stderr.replace(NOTE_LINE, ""), auto[0].stderr, describe(auto[1]));
    // Another predicate type: the bundle verifies but does not match, in both.
    const wrongType = [];
    for (const t of TOOLS) {
      wrongType.push(
        await run(t, [...verify, "--new-bundle-format", "--type", "spdx", img.ref], opts),
      );
    }
    expectSameFailure(wrongType, "another predicate type");
    assert.match(wrongType[1].stderr, /none of the attestations matched the predicate type: spdx/);
  }
  assert.equal(shapes[1], shapes[0]);
});

Deno.test("attest --new-bundle-format with an intoto entry (which neither verifies) and without the log", async () => {
  for (
    const [extra, kind] of [
      [["--rekor-url", rekor.url, "--rekor-entry-type", "intoto"], "intoto"],
      [["--tlog-upload=false"], undefined],
    ] as const
  ) {
    for (const signer of TOOLS) {
      const img = await image();
      expectSuccess(await run(signer, attestArgs(img.ref, [...extra]), opts), `${signer} attests`);
      const got = await referrer(registry.host, img.repo, img.digest);
      assert.equal(got.bundle.verificationMaterial.tlogEntries?.[0]?.kindVersion.kind, kind);
      const ignore = kind ? [] : ["--insecure-ignore-tlog"];
      const runs = [];
      for (const verifier of TOOLS) {
        const v = await run(verifier, [
          "verify-attestation",
          "--key",
          "cosign.pub",
          ...ROOT,
          ...ignore,
          "--new-bundle-format",
          img.ref,
        ], opts);
        runs.push(v);
        // sigstore-go verifies the inclusion of dsse entries only: an intoto entry fails both.
        if (kind === "intoto") continue;
        expectSuccess(v, `${verifier} verifies ${signer}'s bundle (${extra.join(" ")})`);
        // Go claims the log was checked even when it was not; ours says only what it checked.
        if (verifier === "ours") assert.ok(!v.stderr.includes(TLOG_LINE), describe(v));
      }
      if (kind === "intoto") {
        expectSameFailure(runs, `${signer}'s bundle with an intoto entry`);
        assert.match(runs[0].stderr, /unsupported entry type: \*intoto\.V001Entry/);
      }
    }
  }
});

/** `verify --key K` with the trusted root, and more. */
const verifyArgs = (ref: string, extra: string[] = [], key = "cosign.pub") => [
  "verify",
  "--key",
  key,
  ...ROOT,
  ...extra,
  ref,
];

Deno.test("verify without --new-bundle-format: bundles first, the .sig tag otherwise", async () => {
  // Bundles only (Go sign --new-bundle-format).
  const b = await image();
  expectSuccess(
    await run("go", signArgs(b.ref, ["--rekor-url", rekor.url, "--new-bundle-format"]), opts),
    "go signs b",
  );
  const explicit = await run("go", verifyArgs(b.ref, ["--new-bundle-format"]), opts);
  expectSuccess(explicit, "go verifies b's bundle");
  const auto = await run("ours", verifyArgs(b.ref), opts);
  expectSuccess(auto, "ours auto-detects b's bundle");
  assert.equal(auto.stdout, explicit.stdout);
  assert.match(auto.stderr, NOTE);
  assert.match(auto.stderr, /predicate types: https:\/\/sigstore\.dev\/cosign\/sign\/v1\)/);
  assert.ok(auto.stderr.endsWith(explicit.stderr), describe(auto));
  // Go 2.6.4 auto-detects too (with --new-bundle-format=false as well: it is the default).
  for (const extra of [[], ["--new-bundle-format=false"]]) {
    const go = await run("go", verifyArgs(b.ref, extra), opts);
    expectSuccess(go, `go auto-detects b's bundle ${extra}`);
    assert.equal(go.stdout, explicit.stdout);
    assert.equal(go.stderr, explicit.stderr);
    const ours = await run("ours", verifyArgs(b.ref, extra), opts);
    expectSuccess(ours, `ours auto-detects b's bundle ${extra}`);
    assert.equal(ours.stderr.replace(NOTE_LINE, ""), go.stderr);
  }

  // The .sig tag only: ours falls back, and prints exactly what Go prints.
  const t = await image();
  expectSuccess(await run("go", signArgs(t.ref), opts), "go signs t");
  const runs = [];
  for (const tool of TOOLS) {
    const v = await run(tool, verifyArgs(t.ref), opts);
    expectSuccess(v, `${tool} verifies t's .sig tag`);
    runs.push(v);
  }
  assert.equal(runs[1].stdout, runs[0].stdout, describe(runs[1]));
  assert.equal(runs[1].stderr, runs[0].stderr, describe(runs[1]));
  assert.doesNotMatch(runs[1].stderr, NOTE);
  // Neither: both fail alike (no signatures, exit 10).
  const none = await image();
  const nothing = [];
  for (const tool of TOOLS) nothing.push(await run(tool, verifyArgs(none.ref), opts));
  expectSameFailure(nothing, "an image with neither");
  assert.equal(nothing[0].code, 10);

  // Both: a .sig signature by other.key, a bundle by cosign.key. As cosign v3, the bundles are
  // verified and the tag is not read: cosign.pub verifies, other.pub does not.
  const both = await image();
  expectSuccess(
    await run(
      "go",
      ["sign", "--key", "other.key", "--yes", "--rekor-url", rekor.url, both.ref],
      opts,
    ),
    "go signs the tag with other.key",
  );
  expectSuccess(
    await run("ours", signArgs(both.ref, ["--rekor-url", rekor.url, "--new-bundle-format"]), opts),
    "ours signs a bundle",
  );
  const viaBundle = await run("ours", verifyArgs(both.ref), opts);
  expectSuccess(viaBundle, "cosign.pub verifies the bundle");
  assert.match(viaBundle.stderr, /signatures in its \.sig tag, if any, were not read/);
  const other = await run("ours", verifyArgs(both.ref, [], "other.pub"), opts);
  assert.equal(other.code, 1, describe(other));
  assert.match(other.stderr, /no matching attestations/);
  // Go does the same: only the bundle is read.
  expectSameFailure([
    await run("go", verifyArgs(both.ref, [], "other.pub"), opts),
    other,
  ], "other.pub on an image with both");
  expectSuccess(await run("go", verifyArgs(both.ref), opts), "go verifies the bundle");
});

Deno.test("auto-detection on a registry without the referrers API (the sha256-<hex> index tag)", async () => {
  const b = await image(plain.host);
  expectSuccess(
    await run("go", signArgs(b.ref, ["--tlog-upload=false", "--new-bundle-format"]), opts),
    "go signs into a bundle",
  );
  const tags = await client.listTags({ registry: plain.host, repository: b.repo });
  assert.deepEqual(tags.sort(), [b.digest.replace(":", "-"), "v1"].sort());
  const explicit = await run(
    "go",
    verifyArgs(b.ref, ["--new-bundle-format", "--insecure-ignore-tlog"]),
    opts,
  );
  expectSuccess(explicit, "go verifies through the index tag");
  const auto = await run("ours", verifyArgs(b.ref, ["--insecure-ignore-tlog"]), opts);
  expectSuccess(auto, "ours auto-detects through the index tag");
  assert.equal(auto.stdout, explicit.stdout);
  assert.match(auto.stderr, NOTE);
  // The log was not checked, and ours does not say it was (Go does).
  assert.ok(explicit.stderr.includes(TLOG_LINE), describe(explicit));
  assert.ok(!auto.stderr.includes(TLOG_LINE), describe(auto));
  assert.equal(
    auto.stderr.replace(NOTE_LINE, ""),
    explicit.stderr.replace(`  - ${TLOG_LINE}\n`, ""),
    describe(auto),
  );

  // The tag scheme on the same registry: ours falls back, as Go prints.
  const t = await image(plain.host);
  expectSuccess(await run("go", signArgs(t.ref, ["--tlog-upload=false"]), opts), "go signs t");
  const runs = [];
  for (const tool of TOOLS) {
    const v = await run(tool, verifyArgs(t.ref, ["--insecure-ignore-tlog"]), opts);
    expectSuccess(v, `${tool} verifies t`);
    runs.push(v);
  }
  assert.equal(runs[1].stdout, runs[0].stdout);
  assert.equal(runs[1].stderr, runs[0].stderr);
});

/** The stderr result lines of `--recursive`. */
function resultLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => /^ {2}(index|linux\/\w+) sha256:/.test(l));
}

Deno.test("verify --recursive: every manifest of an index Go signed with sign --recursive", async () => {
  const { amd64, arm64, index } = IMAGES;
  const repo = { registry: plain.host, repository: "rv/multi" };
  await pushTestImages(client, repo);
  const multi = `${plain.host}/rv/multi:multi`;
  const sign = (tool: Tool, ref: string, extra: string[] = []) =>
    run(tool, signArgs(ref, ["--tlog-upload=false", ...extra]), opts);
  expectSuccess(await sign("go", multi, ["--recursive"]), "go signs recursively");
  const args = ["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--recursive", multi];
  const ok = await run("ours", args, opts);
  expectSuccess(ok, "ours verifies every manifest");
  assert.deepEqual(resultLines(ok.stderr), [
    `  index ${index}: verified (signatures in its tag)`,
    `  linux/amd64 ${amd64}: verified (signatures in its tag)`,
    `  linux/arm64 ${arm64}: verified (signatures in its tag)`,
  ]);
  assert.match(ok.stderr, /Recursive verification of \S+: 3 of 3 manifests verified/);
  // cosign's header for each manifest, named by digest.
  for (const d of [index, amd64, arm64]) {
    assert.ok(ok.stderr.includes(`\nVerification for ${plain.host}/rv/multi@${d} --\n`), d);
  }
  const doc = JSON.parse(ok.stdout);
  assert.deepEqual(
    doc.map((r: Record<string, unknown>) => [r.digest, r.platform, r.verified, r.format]),
    [
      [index, undefined, true, "tag"],
      [amd64, "linux/amd64", true, "tag"],
      [arm64, "linux/arm64", true, "tag"],
    ],
  );
  assert.equal(
    doc[1].signatures[0].critical.image["docker-manifest-digest"],
    amd64,
  );
  // Each platform as Go verifies it alone.
  for (const d of [index, amd64, arm64]) {
    expectSuccess(
      await run("go", [
        "verify",
        "--key",
        "cosign.pub",
        "--insecure-ignore-tlog",
        `${plain.host}/rv/multi@${d}`,
      ], opts),
      `go verifies ${d}`,
    );
  }

  // Tampered: arm64's .sig tag now holds amd64's signature image (a signature of another image).
  const amdSig = await client.getManifest(repo, amd64.replace(":", "-") + ".sig");
  await client.putManifest(repo, arm64.replace(":", "-") + ".sig", amdSig.bytes, amdSig.mediaType);
  const bad = await run("ours", args, opts);
  const go = await run("go", [
    "verify",
    "--key",
    "cosign.pub",
    "--insecure-ignore-tlog",
    `${plain.host}/rv/multi@${arm64}`,
  ], opts);
  expectSameFailure([go, bad], "a platform with another image's signature");
  assert.equal(bad.code, 12, describe(bad));
  const lines = resultLines(bad.stderr);
  assert.equal(lines[0], `  index ${index}: verified (signatures in its tag)`);
  assert.equal(lines[1], `  linux/amd64 ${amd64}: verified (signatures in its tag)`);
  assert.match(lines[2], new RegExp(`^  linux/arm64 ${arm64}: FAILED: no matching signatures`));
  assert.match(
    bad.stderr,
    new RegExp(`annot verify \\S+ recursively: 1 of 3 manifests failed: linux/arm64 ${arm64}`),
  );
  const badDoc = JSON.parse(bad.stdout);
  assert.deepEqual(badDoc.map((r: { verified: boolean }) => r.verified), [true, true, false]);
  assert.match(badDoc[2].error, /^no matching signatures/);

  // Removed: a copy of the index where only the index and amd64 were signed.
  const repo2 = { registry: plain.host, repository: "rv/multi2" };
  await pushTestImages(client, repo2);
  expectSuccess(await sign("go", `${plain.host}/rv/multi2@${index}`), "go signs the index");
  expectSuccess(await sign("go", `${plain.host}/rv/multi2@${amd64}`), "go signs amd64");
  const missing = await run("ours", [...args.slice(0, -1), `${plain.host}/rv/multi2:multi`], opts);
  assert.equal(missing.code, 10, describe(missing));
  assert.equal(
    resultLines(missing.stderr)[2],
    `  linux/arm64 ${arm64}: FAILED: no signatures found`,
  );
  // Without --recursive, the index alone verifies (as Go).
  expectSuccess(
    await run(
      "ours",
      args.filter((a) => a !== "--recursive").slice(0, -1).concat(`${plain.host}/rv/multi2:multi`),
      opts,
    ),
    "the index alone",
  );
});

Deno.test("verify --recursive with bundles: Go sign --recursive --new-bundle-format", async () => {
  const { amd64, arm64, index } = IMAGES;
  const repo = { registry: registry.host, repository: "rv/multi-bundles" };
  await pushTestImages(client, repo);
  const multi = `${registry.host}/rv/multi-bundles:multi`;
  expectSuccess(
    await run(
      "go",
      signArgs(multi, ["--rekor-url", rekor.url, "--new-bundle-format", "--recursive"]),
      opts,
    ),
    "go signs recursively into bundles",
  );
  const v = await run(
    "ours",
    ["verify", "--key", "cosign.pub", ...ROOT, "--recursive", multi],
    opts,
  );
  expectSuccess(v, "ours verifies every manifest's bundle");
  assert.deepEqual(resultLines(v.stderr), [
    `  index ${index}: verified (Sigstore bundles (referrers))`,
    `  linux/amd64 ${amd64}: verified (Sigstore bundles (referrers))`,
    `  linux/arm64 ${arm64}: verified (Sigstore bundles (referrers))`,
  ]);
  assert.equal(resultLines(v.stderr).length, 3);
  assert.equal(JSON.parse(v.stdout)[2].format, "sigstore-bundle");
});

Deno.test("verify-attestation --recursive: a platform without an attestation is named", async () => {
  const { amd64, arm64, index } = IMAGES;
  const repo = { registry: plain.host, repository: "rv/multi-att" };
  await pushTestImages(client, repo);
  const at = (d: string) => `${plain.host}/rv/multi-att@${d}`;
  // Go's attest has no --recursive: each manifest is attested on its own (old format, .att tag).
  const attest = (d: string) =>
    run("go", [
      "attest",
      "--key",
      "cosign.key",
      "--predicate",
      "predicate.json",
      "--yes",
      "--tlog-upload=false",
      at(d),
    ], opts);
  for (const d of [index, amd64]) expectSuccess(await attest(d), `go attests ${d}`);
  const args = [
    "verify-attestation",
    "--key",
    "cosign.pub",
    "--insecure-ignore-tlog",
    "--recursive",
    `${plain.host}/rv/multi-att:multi`,
  ];
  const bad = await run("ours", args, opts);
  const alone = await run(
    "ours",
    args.filter((a) => a !== "--recursive").slice(0, -1).concat(at(arm64)),
    opts,
  );
  const go = await run(
    "go",
    args.filter((a) => a !== "--recursive").slice(0, -1).concat(at(arm64)),
    opts,
  );
  expectSameFailure([go, alone, bad], "a platform without an attestation");
  assert.deepEqual(resultLines(bad.stderr).map((l) => l.replace(/: FAILED: .*/, ": FAILED")), [
    `  index ${index}: verified (signatures in its tag)`,
    `  linux/amd64 ${amd64}: verified (signatures in its tag)`,
    `  linux/arm64 ${arm64}: FAILED`,
  ]);
  expectSuccess(await attest(arm64), "go attests arm64");
  const ok = await run("ours", args, opts);
  expectSuccess(ok, "every manifest attested");
  const doc = JSON.parse(ok.stdout);
  assert.deepEqual(doc.map((r: { verified: boolean }) => r.verified), [true, true, true]);
  assert.equal(doc[2].signatures[0].payloadType, "application/vnd.in-toto+json");
});
