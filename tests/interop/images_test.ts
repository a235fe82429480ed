/**
 * Image signatures in a real registry (Debian's distribution), both directions: what one cosign
 * signs the other verifies, with several signers mixing both tools, `-a` annotations,
 * `COSIGN_REPOSITORY`, `COSIGN_DOCKER_MEDIA_TYPES`, the exit codes 10/11/12, and 20 concurrent
 * signers of ours losing no signature.
 */
import assert from "node:assert/strict";
import { createRegistry } from "../../lib/registry/client.ts";
import { startRegistry } from "../peers/registry.ts";
import { pushImage } from "../registry/_helpers.ts";
import {
  describe,
  expectSameFailure,
  expectSuccess,
  run,
  suiteDir,
  suiteOptions,
  type Tool,
  TOOLS,
} from "./_run.ts";

const registry = await startRegistry({ mode: "http" });
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-images-");
addEventListener("unload", () => client.close());
globalThis.addEventListener("unload", () => void registry.stop());

const opts = (env: Record<string, string> = {}) => suiteOptions(dir, env);

// Two key pairs made by the Go cosign (keys interoperate; see keys_test.ts).
for (const name of ["a", "b"]) {
  expectSuccess(
    await run("go", ["generate-key-pair", "--output-key-prefix", name], opts()),
    `keys ${name}`,
  );
}

let counter = 0;
async function newImage(repo = "interop/app"): Promise<string> {
  const tag = `t${++counter}`;
  const { digest } = await pushImage(client, { registry: registry.host, repository: repo }, tag);
  return `${registry.host}/${repo}@${digest}`;
}

function sign(
  tool: Tool,
  key: string,
  image: string,
  extra: string[] = [],
  env: Record<string, string> = {},
) {
  return run(
    tool,
    ["sign", "--key", `${key}.key`, "--tlog-upload=false", "--yes", ...extra, image],
    opts(env),
  );
}

function verify(
  tool: Tool,
  key: string,
  image: string,
  extra: string[] = [],
  env: Record<string, string> = {},
) {
  return run(tool, [
    "verify",
    "--key",
    `${key}.pub`,
    "--insecure-ignore-tlog=true",
    ...extra,
    image,
  ], opts(env));
}

/** The payloads a successful `verify` printed (its stdout is a JSON array). */
function payloads(
  stdout: string,
): {
  critical: { image: { "docker-manifest-digest": string } };
  optional: Record<string, string> | null;
}[] {
  return JSON.parse(stdout.trim());
}

Deno.test("image signatures made by each cosign verify with the other, annotations included", async () => {
  const image = await newImage();
  expectSuccess(await sign("ours", "a", image, ["-a", "signer=ours"]), "ours signs");
  expectSuccess(await sign("go", "b", image, ["-a", "signer=go"]), "go signs");
  for (const tool of TOOLS) {
    const byA = expectSuccess(
      await verify(tool, "a", image, ["-a", "signer=ours"]),
      `${tool} verifies ours`,
    );
    assert.deepEqual(
      payloads(byA.stdout).map((p) => p.optional),
      [{ signer: "ours" }],
      describe(byA),
    );
    const byB = expectSuccess(
      await verify(tool, "b", image, ["-a", "signer=go"]),
      `${tool} verifies go's`,
    );
    assert.deepEqual(
      payloads(byB.stdout).map((p) => p.optional),
      [{ signer: "go" }],
      describe(byB),
    );
    assert.match(byA.stderr, /The signatures were verified against the specified public key/);
  }
  // An annotation the signature does not carry: both refuse, with the same exit code.
  expectSameFailure(
    await Promise.all(TOOLS.map((t) => verify(t, "a", image, ["-a", "signer=go"]))),
    "annotation mismatch",
  );
});

Deno.test("several signers mixing both tools keep every signature, counted by both tools", async () => {
  const image = await newImage();
  expectSuccess(await sign("ours", "a", image, ["-a", "n=1"]), "ours 1");
  expectSuccess(await sign("go", "a", image, ["-a", "n=2"]), "go 2");
  expectSuccess(await sign("ours", "a", image, ["-a", "n=3"]), "ours 3");
  expectSuccess(await sign("go", "b", image, ["-a", "n=4"]), "go 4");
  for (const tool of TOOLS) {
    const a = expectSuccess(await verify(tool, "a", image), `${tool} verify a`);
    assert.deepEqual(
      payloads(a.stdout).map((p) => p.optional!.n).sort(),
      ["1", "2", "3"],
      describe(a),
    );
    const b = expectSuccess(await verify(tool, "b", image), `${tool} verify b`);
    assert.deepEqual(payloads(b.stdout).map((p) => p.optional!.n), ["4"], describe(b));
  }
});

Deno.test("COSIGN_REPOSITORY stores and finds signatures in another repository, in both tools", async () => {
  const image = await newImage("interop/alt-src");
  const env = { COSIGN_REPOSITORY: `${registry.host}/interop/signatures` };
  expectSuccess(
    await sign("ours", "a", image, [], env),
    "ours signs into the alternate repository",
  );
  expectSuccess(await sign("go", "b", image, [], env), "go signs into the alternate repository");
  for (const tool of TOOLS) {
    expectSuccess(await verify(tool, "a", image, [], env), `${tool} verifies ours there`);
    expectSuccess(await verify(tool, "b", image, [], env), `${tool} verifies go's there`);
  }
  // Nothing beside the image: both report "no signatures" (exit 10).
  const results = await Promise.all(TOOLS.map((t) => verify(t, "a", image)));
  expectSameFailure(results, "no signatures beside the image");
  assert.equal(results[0].code, 10, describe(results[0]));
  const tags = await client.listTags({ registry: registry.host, repository: "interop/signatures" });
  assert.equal(tags.filter((t) => t.endsWith(".sig")).length, 1);
});

Deno.test("COSIGN_DOCKER_MEDIA_TYPES=1 writes Docker schema 2 signature images that both tools read", async () => {
  for (const signer of TOOLS) {
    const image = await newImage(`interop/docker-${signer}`);
    expectSuccess(
      await sign(signer, "a", image, [], { COSIGN_DOCKER_MEDIA_TYPES: "1" }),
      `${signer} signs`,
    );
    const digest = image.split("@")[1];
    const sig = await client.getManifest(
      { registry: registry.host, repository: `interop/docker-${signer}` },
      `${digest.replace(":", "-")}.sig`,
    );
    assert.equal(sig.mediaType, "application/vnd.docker.distribution.manifest.v2+json", signer);
    for (const tool of TOOLS) {
      expectSuccess(await verify(tool, "a", image), `${tool} verifies ${signer}'s`);
    }
  }
});

Deno.test("unsigned (10), missing tag (11) and other-key-only (12) fail alike in both tools", async () => {
  const unsigned = await newImage();
  const r10 = await Promise.all(TOOLS.map((t) => verify(t, "a", unsigned)));
  expectSameFailure(r10, "unsigned image");
  assert.equal(r10[1].code, 10, describe(r10[1]));

  const missing = `${registry.host}/interop/app:no-such-tag`;
  const r11 = await Promise.all(TOOLS.map((t) => verify(t, "a", missing)));
  expectSameFailure(r11, "missing tag");
  assert.equal(r11[1].code, 11, describe(r11[1]));

  const signedByB = await newImage();
  expectSuccess(await sign("go", "b", signedByB), "go signs with b");
  const r12 = await Promise.all(TOOLS.map((t) => verify(t, "a", signedByB)));
  expectSameFailure(r12, "signed by another key only");
  assert.equal(r12[1].code, 12, describe(r12[1]));
});

Deno.test("20 concurrent `sign` processes of ours on one image leave 20 verifiable signatures", async () => {
  const image = await newImage();
  const signers = Array.from(
    { length: 20 },
    (_, i) => sign("ours", "a", image, ["-a", `signer=${i}`]),
  );
  for (const r of await Promise.all(signers)) expectSuccess(r, "a concurrent signer");
  for (const tool of TOOLS) {
    const v = expectSuccess(await verify(tool, "a", image), `${tool} verifies`);
    const seen = payloads(v.stdout).map((p) => Number(p.optional!.signer)).sort((x, y) => x - y);
    assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => i), `${tool} sees every signer`);
  }
});

Deno.test("a signature written by ours is byte-identical in layout to Go's (media types, annotations)", async () => {
  const oursImage = await newImage("interop/layout-ours");
  const goImage = await newImage("interop/layout-go");
  expectSuccess(await sign("ours", "a", oursImage), "ours");
  expectSuccess(await sign("go", "a", goImage), "go");
  const manifests = await Promise.all(
    [["interop/layout-ours", oursImage], ["interop/layout-go", goImage]].map(([repo, image]) =>
      client.getManifest(
        { registry: registry.host, repository: repo },
        `${image.split("@")[1].replace(":", "-")}.sig`,
      )
    ),
  );
  const shape = (m: (typeof manifests)[number]) => {
    const man = m.manifest as {
      config: { mediaType: string };
      layers: { mediaType: string; annotations?: Record<string, string> }[];
    };
    return {
      mediaType: m.mediaType,
      config: man.config.mediaType,
      layers: man.layers.map((l) => ({
        mediaType: l.mediaType,
        annotations: Object.keys(l.annotations ?? {}).sort(),
      })),
    };
  };
  assert.deepEqual(shape(manifests[0]), shape(manifests[1]));
});

Deno.test("counter-signing: a signature image signed by digest verifies in both tools", async () => {
  const image = await newImage("interop/counter");
  expectSuccess(await sign("go", "a", image), "go signs the image");
  const sigTag = `${image.split("@")[1].replace(":", "-")}.sig`;
  const sig = await client.headManifest(
    { registry: registry.host, repository: "interop/counter" },
    sigTag,
  );
  assert.ok(sig, "the signature image exists");
  const signatureImage = `${registry.host}/interop/counter@${sig.digest}`;
  expectSuccess(
    await sign("ours", "b", signatureImage, ["-a", "counter=ours"]),
    "ours counter-signs",
  );
  for (const tool of TOOLS) {
    const v = expectSuccess(
      await verify(tool, "b", signatureImage, ["-a", "counter=ours"]),
      `${tool} verifies the counter-signature`,
    );
    assert.equal(payloads(v.stdout)[0].critical.image["docker-manifest-digest"], sig.digest);
    expectSuccess(await verify(tool, "a", image), `${tool} still verifies the original`);
  }
});
