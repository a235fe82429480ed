/**
 * In-process tests of the registry commands (generate, triangulate, download signature, attach
 * signature, upload blob/wasm, clean, copy, tree) against the real distribution registry, with
 * exact output, messages and exit codes. Expected digests and texts were produced by cosign
 * v2.6.4 against the same inputs (tests/interop/registry_commands_test.ts re-checks them live).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Command } from "../command.ts";
import { fakeIo, type FakeIoOptions } from "../_test_io.ts";
import { run } from "../run.ts";
import { cosignCommand } from "./mod.ts";
import { attachCommand } from "./attach.ts";
import { cleanCommand } from "./clean.ts";
import { copyCommand } from "./copy.ts";
import { downloadCommand } from "./download.ts";
import { generateCommand } from "./generate.ts";
import { treeCommand } from "./tree.ts";
import { triangulateCommand } from "./triangulate.ts";
import { uploadCommand } from "./upload.ts";
import { createRegistry } from "../../lib/registry/client.ts";
import { SIMPLE_SIGNING_MEDIA_TYPE, writeSignatureImage } from "../../lib/oci/cosign_signatures.ts";
import { startRegistry } from "../../tests/peers/registry.ts";
import { IMAGES, pushTestImages } from "../../tests/helpers/oci_images.ts";

const mine = [
  attachCommand,
  cleanCommand,
  copyCommand,
  downloadCommand,
  generateCommand,
  treeCommand,
  triangulateCommand,
  uploadCommand,
];
const root: Command = {
  ...cosignCommand,
  subcommands: [
    ...(cosignCommand.subcommands ?? []).filter((c) => !mine.some((m) => m.name === c.name)),
    ...mine,
  ],
};

async function cosign(argv: string[], options: FakeIoOptions = {}) {
  const io = fakeIo(options);
  const code = await run(root, argv, io, { normalize: true });
  return { code, out: io.out(), err: io.err() };
}

const registry = await startRegistry({ mode: "http" });
const R = registry.host;
const client = createRegistry({});
const dir = await Deno.makeTempDir({ prefix: "cosign-registry-commands-" });
globalThis.addEventListener("unload", () => {
  client.close();
  Deno.removeSync(dir, { recursive: true });
  void registry.stop();
});
const path = (name: string) => join(dir, name);
const { amd64, arm64, index } = IMAGES;
const hex = (d: string) => d.slice("sha256:".length);

let repoCounter = 0;
/** A fresh repository with the test images (tags amd64, arm64, multi). */
async function freshRepo(): Promise<string> {
  const name = `cmd/r${++repoCounter}`;
  await pushTestImages(client, { registry: R, repository: name });
  return `${R}/${name}`;
}

const env = { COSIGN_PASSWORD: "" };
{
  const r = await cosign(["generate-key-pair", "--output-key-prefix", path("k")], { env });
  assert.equal(r.code, 0, r.err);
}
const sign = async (image: string, extra: string[] = [], e: Record<string, string> = {}) => {
  const r = await cosign(
    ["sign", "--key", path("k.key"), "--tlog-upload=false", "-y", ...extra, image],
    { env: { ...env, ...e } },
  );
  assert.equal(r.code, 0, r.err);
};

const payloadOf = (repo: string, digest: string, optional = "null") =>
  `{"critical":{"identity":{"docker-reference":"${repo}"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":${optional}}`;

Deno.test("generate prints cosign's payload for a tag, a digest and with annotations", async () => {
  const repo = await freshRepo();
  let r = await cosign(["generate", `${repo}:amd64`]);
  assert.deepEqual([r.code, r.out, r.err], [0, payloadOf(repo, amd64), ""]);
  r = await cosign(["generate", "-a", "b=2", "-a", "a=1", "-a", "=x", `${repo}@${arm64}`]);
  assert.equal(r.out, payloadOf(repo, arm64, '{"":"x","a":"1","b":"2"}'));
});

Deno.test("generate, triangulate, download, attach, upload, clean, copy, tree refuse bad input", async () => {
  const repo = await freshRepo();
  const cases: Array<[string[], number, string]> = [
    [["generate", "-a", "a=b=c", `${repo}:amd64`], 1, "error: unable to parse annotation: a=b=c\n"],
    [["generate", "Bad Ref"], 1, "error: could not parse reference: Bad Ref\n"],
    [["triangulate"], 1, "error: flag: help requested\n"],
    [["triangulate", "a", "b"], 1, "error: flag: help requested\n"],
    [
      ["triangulate", "--type", "bogus", `${repo}:amd64`],
      1,
      "error: unknown attachment type bogus\n",
    ],
    [["download", "signature", "::"], 1, "error: could not parse reference: ::\n"],
    [
      ["download", "signature", `${repo}:amd64`],
      1,
      `error: ${repo}:amd64: no signatures associated\n`,
    ],
    [
      ["attach", "signature", "--signature", path("missing.sig"), `${repo}:amd64`],
      1,
      `error: open ${path("missing.sig")}: no such file or directory\n`,
    ],
    [
      ["attach", "signature", "--signature", "", `${repo}:amd64`],
      1,
      "error: read .: is a directory\n",
    ],
    [["upload", "blob", `${repo}:blob`], 1, "error: flag: help requested\n"],
    [
      ["upload", "blob", "-f", "a:linux", "-f", "b", `${repo}:blob`],
      1,
      "error: each file must include a unique platform, b had no platform\n",
    ],
    [
      ["upload", "blob", "-a", "novalue", "-f", "a", `${repo}:blob`],
      1,
      `error: invalid argument "novalue" for "-a, --annotation" flag: novalue must be formatted as key=value\n`,
    ],
    [["upload", "wasm", `${repo}:wasm`], 1, `error: required flag(s) "file" not set\n`],
    [
      ["clean", "--type", "bogus", `${repo}:amd64`],
      1,
      `error: invalid argument "bogus" for "--type" flag: must be one of "signature", "attestation", "sbom", or "all"\n`,
    ],
    [
      ["copy", "--only", "sig,bogus", `${repo}:amd64`, `${repo}-dst`],
      1,
      "error: invalid value for --only: bogus, only the following values are supported: [sig sbom att]\n",
    ],
    [["copy", `${repo}:amd64`], 1, "error: accepts 2 arg(s), received 1\n"],
    [["tree", `${repo}:a`, `${repo}:b`], 1, "error: accepts 1 arg(s), received 2\n"],
  ];
  for (const [argv, code, err] of cases) {
    const r = await cosign(argv);
    assert.deepEqual([r.code, r.err], [code, err], argv.join(" "));
  }
  // A missing tag is a registry error (exit 1), as in cosign: only verify uses exit 11.
  for (const argv of [["generate"], ["download", "signature"], ["tree"], ["triangulate"]]) {
    const r = await cosign([...argv, `${repo}:nope`]);
    assert.equal(r.code, 1, argv.join(" "));
    assert.match(r.err, /MANIFEST_UNKNOWN/);
  }
  const r = await cosign(["download", "signature", `${repo}:nope`]);
  assert.match(r.err, /^error: entity not found in registry, error: /);
});

Deno.test("triangulate names every attachment as cosign prints it", async () => {
  const repo = await freshRepo();
  const h = hex(amd64);
  const cases: Array<[string[], Record<string, string>, string]> = [
    [[], {}, `${repo}:sha256-${h}.sig`],
    [["--type", "attestation"], {}, `${repo}:sha256-${h}.att`],
    [["--type", "sbom"], {}, `${repo}:sha256-${h}.sbom`],
    [["--type", "digest"], {}, `${repo}@sha256:${h}`],
    [["--type", "digest", "--attachment-tag-prefix", "p-"], {}, `${repo}@p-sha256:${h}`],
    [
      ["--attachment-tag-prefix", "p-"],
      { COSIGN_REPOSITORY: `${R}/sigs` },
      `${R}/sigs:p-sha256-${h}.sig`,
    ],
  ];
  for (const [flags, e, want] of cases) {
    const r = await cosign(["triangulate", ...flags, `${repo}:amd64`], { env: e });
    assert.deepEqual([r.code, r.out], [0, `${want}\n`], flags.join(" "));
  }
  const r = await cosign(["triangulate", "--type", "sbom", `${repo}@${amd64}`]);
  assert.match(r.err, /^WARNING: SBOM attachments are deprecated/);
  const docker = await cosign(["triangulate", `ubuntu@${amd64}`]);
  assert.equal(docker.out, `index.docker.io/library/ubuntu:sha256-${h}.sig\n`);
});

Deno.test("download signature prints one Go JSON line per signature, in layer order", async () => {
  const repo = await freshRepo();
  await sign(`${repo}@${amd64}`, ["-a", "n=1"]);
  await sign(`${repo}@${amd64}`, ["-a", "n=2"]);
  const r = await cosign(["download", "signature", `${repo}:amd64`]);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split("\n");
  assert.equal(lines.pop(), "");
  assert.equal(lines.length, 2);
  lines.forEach((line, i) => {
    const v = JSON.parse(line);
    assert.deepEqual(Object.keys(v), [
      "Base64Signature",
      "Payload",
      "Cert",
      "Chain",
      "Bundle",
      "RFC3161Timestamp",
    ]);
    assert.equal(
      new TextDecoder().decode(Uint8Array.fromBase64(v.Payload)),
      payloadOf(repo, amd64, `{"n":"${i + 1}"}`),
    );
    assert.deepEqual([v.Cert, v.Chain, v.Bundle, v.RFC3161Timestamp], [null, null, null, null]);
  });
  const small = await cosign(["download", "signature", `${repo}:amd64`], {
    env: { COSIGN_MAX_ATTACHMENT_SIZE: "10" },
  });
  assert.equal(small.code, 1);
  assert.match(small.err, /^error: .*:amd64: size of layer \(\d+\) exceeded the limit \(10\)\n$/);
});

Deno.test("download signature honours COSIGN_REPOSITORY, the tag prefix and the 100 limit", async () => {
  const repo = await freshRepo();
  const sigs = `${R}/cmd/sigstore${repoCounter}`;
  await sign(`${repo}@${arm64}`, ["--attachment-tag-prefix", "p-"], { COSIGN_REPOSITORY: sigs });
  let r = await cosign(["download", "signature", `${repo}:arm64`], {
    env: { COSIGN_REPOSITORY: sigs },
  });
  assert.equal(r.code, 1); // no prefix given: nothing there
  r = await cosign(["download", "signature", "--attachment-tag-prefix", "p-", `${repo}:arm64`], {
    env: { COSIGN_REPOSITORY: sigs },
  });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.split("\n").length, 2);
  // 101 layers
  const payload = new TextEncoder().encode("{}");
  const add = [];
  for (let i = 0; i < 101; i++) {
    add.push({
      descriptor: {
        mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
        size: 2,
        digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        annotations: { "dev.cosignproject.cosign/signature": `s${i}` },
      },
      payload,
    });
  }
  const name = repo.slice(R.length + 1);
  await writeSignatureImage(client, { registry: R, repository: name }, `sha256-${hex(index)}.sig`, {
    add,
  });
  r = await cosign(["download", "signature", `${repo}:multi`]);
  assert.deepEqual(
    [r.code, r.err],
    [1, `error: ${repo}:multi: maximum number of signatures on an image is 100, found 101\n`],
  );
});

Deno.test("attach signature stores what download signature prints back", async () => {
  const repo = await freshRepo();
  const payload = payloadOf(repo, amd64, '{"by":"attach"}');
  await Deno.writeTextFile(path("p.json"), payload);
  await Deno.writeTextFile(path("p.sig"), "c2lnbmF0dXJl");
  let r = await cosign([
    "attach",
    "signature",
    "--payload",
    path("p.json"),
    "--signature",
    path("p.sig"),
    `${repo}:amd64`,
  ]);
  assert.deepEqual([r.code, r.out, r.err], [0, "", ""]);
  // From standard input, with the implied payload.
  r = await cosign(["attach", "signature", "--signature", "-", `${repo}@${amd64}`], {
    stdin: "b3RoZXI=",
  });
  assert.equal(r.code, 0, r.err);
  assert.equal(
    r.err,
    `WARNING: using obsolete implied signature payload data (with digested reference ${repo}@${amd64}); specify it explicitly with --payload instead\n`,
  );
  r = await cosign(["download", "signature", `${repo}:amd64`]);
  const b64 = (s: string) => new TextEncoder().encode(s).toBase64();
  assert.equal(
    r.out,
    `{"Base64Signature":"c2lnbmF0dXJl","Payload":"${
      b64(payload)
    }","Cert":null,"Chain":null,"Bundle":null,"RFC3161Timestamp":null}\n` +
      `{"Base64Signature":"b3RoZXI=","Payload":"${
        b64(payloadOf(repo, amd64))
      }","Cert":null,"Chain":null,"Bundle":null,"RFC3161Timestamp":null}\n`,
  );
  await Deno.writeTextFile(path("empty.sig"), "");
  r = await cosign(["attach", "signature", "--signature", path("empty.sig"), `${repo}:amd64`]);
  assert.deepEqual([r.code, r.err], [1, "error: empty signature\n"]);
  await Deno.writeTextFile(path("bad.pem"), "not a certificate");
  r = await cosign([
    "attach",
    "signature",
    "--payload",
    path("p.json"),
    "--signature",
    path("p.sig"),
    "--certificate",
    path("bad.pem"),
    `${repo}:amd64`,
  ]);
  assert.deepEqual([r.code, r.err], [1, "error: error during PEM decoding\n"]);
  r = await cosign([
    "attach",
    "signature",
    "--signature",
    path("p.sig"),
    `${repo}@${"sha256:" + "0".repeat(64)}`,
  ]);
  assert.equal(r.code, 1);
  assert.match(r.err, /entity not found in registry/);
});

Deno.test("attach signature writes the rekor bundle and timestamp annotations as cosign", async () => {
  const repo = await freshRepo();
  await Deno.writeTextFile(path("p2.json"), "{}");
  await Deno.writeTextFile(path("p2.sig"), "c2ln");
  await Deno.writeFile(path("p2.tsr"), new Uint8Array([1, 2, 3]));
  await Deno.writeTextFile(
    path("bundle.json"),
    '{"base64Signature":"c2ln","rekorBundle":{"SignedEntryTimestamp":"AQID","Payload":{"body":"Ym9keQ==","integratedTime":5,"logIndex":6,"logID":"id"}}}',
  );
  const r = await cosign([
    "attach",
    "signature",
    "--payload",
    path("p2.json"),
    "--signature",
    path("p2.sig"),
    "--tsr",
    path("p2.tsr"),
    "--rekor-response",
    path("bundle.json"),
    `${repo}:arm64`,
  ]);
  assert.equal(r.code, 0, r.err);
  const d = await cosign(["download", "signature", `${repo}:arm64`]);
  assert.equal(
    d.out,
    '{"Base64Signature":"c2ln","Payload":"e30=","Cert":null,"Chain":null,' +
      '"Bundle":{"SignedEntryTimestamp":"AQID","Payload":{"body":"Ym9keQ==","integratedTime":5,"logIndex":6,"logID":"id"}},' +
      '"RFC3161Timestamp":{"SignedRFC3161Timestamp":"AQID"}}\n',
  );
});

Deno.test("upload blob and wasm push cosign's images (same digests as cosign v2.6.4)", async () => {
  const repo = await freshRepo();
  await Deno.writeTextFile(path("hello.txt"), "hello world\n");
  await Deno.writeFile(path("m.wasm"), new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  let r = await cosign(["upload", "blob", "-f", path("hello.txt"), `${repo}:v1`]);
  const single = "sha256:0c5834c5243e64acc398983b01bc6272f6fe2f2c2320c425edf00ed9fd8e489c";
  const layer = "sha256:a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447";
  assert.deepEqual([r.code, r.out], [0, `${repo}@${single}\n`]);
  assert.equal(
    r.err,
    `Uploading file from [${path("hello.txt")}] to [${repo}:v1] with media type [text/plain]\n` +
      `File [${path("hello.txt")}] is available directly at [${R}/v2/${
        repo.slice(R.length + 1)
      }/blobs/${layer}]\nUploaded image to:\n`,
  );
  r = await cosign([
    "upload",
    "blob",
    "-a",
    "k=v",
    "-a",
    "x=y,z=w",
    "-f",
    `${path("hello.txt")}:linux/amd64`,
    "-f",
    `${path("m.wasm")}:darwin`,
    `${repo}:multi2`,
  ]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, "");
  assert.match(
    r.err,
    new RegExp(
      `Uploading multi-platform index to ${repo}@sha256:fc3187c3a74a98eb82f02f6f82b119ca516f024bc3992423d0a5e7969a7d7b6d\n$`,
    ),
  );
  r = await cosign(["upload", "wasm", "-f", path("m.wasm"), `${repo}/wasm`]);
  assert.deepEqual([r.code, r.out, r.err], [
    0,
    "",
    `Uploading wasm file from [${path("m.wasm")}] to [${repo}/wasm:latest].\n`,
  ]);
  const head = await client.headManifest(
    { registry: R, repository: `${repo.slice(R.length + 1)}/wasm` },
    "latest",
  );
  assert.equal(
    head?.digest,
    "sha256:eb47c8a3dd1d463b74e605b11a9a8d1ed2889136c2631c2e7e8195a6f9221a17",
  );
  r = await cosign(["upload", "blob", "-f", path("nope.txt"), `${repo}:v2`]);
  assert.deepEqual([r.code, r.err], [
    1,
    `error: open ${path("nope.txt")}: no such file or directory\n`,
  ]);
});

Deno.test("clean asks first, deletes what exists and nothing else", async () => {
  const repo = await freshRepo();
  await sign(`${repo}@${amd64}`);
  let r = await cosign(["clean", `${repo}:amd64`], { stdin: "n\n" });
  assert.deepEqual([r.code, r.err], [
    1,
    "WARNING: this will remove all signatures, SBOMs and attestations from the image\n" +
    "Are you sure you would like to continue? [y/N] \nerror: user declined the prompt\n",
  ]);
  r = await cosign(["clean", "--type", "attestation", "-f", `${repo}:amd64`]);
  assert.deepEqual([r.code, r.err], [0, ""]);
  r = await cosign(["clean", `${repo}:amd64`], { stdin: "y\n" });
  assert.equal(r.code, 0);
  assert.match(
    r.err,
    new RegExp(`\nRemoved ${repo}:sha256-${hex(amd64)}\\.sig from ${repo}:amd64\n$`),
  );
  r = await cosign(["download", "signature", `${repo}:amd64`]);
  assert.equal(r.code, 1);
});

Deno.test("copy copies an index, its images and signatures; refuses to overwrite", async () => {
  const repo = await freshRepo();
  await sign(`${repo}:multi`, ["--recursive"]);
  const dst = `${repo}-copy`;
  let r = await cosign(["copy", `${repo}:multi`, `${dst}:v1`]);
  assert.equal(r.code, 0, r.err);
  const lines = r.err.trimEnd().split("\n");
  assert.equal(lines.length, 7);
  assert.equal(lines.at(-1), `Copying ${repo}@${index} to ${dst}:v1...`);
  const tags = await client.listTags({ registry: R, repository: dst.slice(R.length + 1) });
  assert.deepEqual(
    tags.sort(),
    [
      ...[amd64, arm64, index].flatMap((d) => [`sha256-${hex(d)}`, `sha256-${hex(d)}.sig`]),
      "v1",
    ].sort(),
  );
  r = await cosign(["verify", "--key", path("k.pub"), "--insecure-ignore-tlog", `${dst}:v1`]);
  assert.equal(r.code, 0, r.err);
  // Same content again: nothing to do.
  r = await cosign(["copy", `${repo}:multi`, `${dst}:v1`]);
  assert.deepEqual([r.code, r.err], [0, ""]);
  r = await cosign(["copy", `${repo}:amd64`, `${dst}:v1`]);
  assert.deepEqual([r.code, r.err], [
    1,
    `error: image "${dst}:v1" already exists. Use \`-f\` to overwrite\n`,
  ]);
  r = await cosign(["copy", "-f", `${repo}:amd64`, `${dst}:v1`]);
  assert.equal(r.code, 0, r.err);
  r = await cosign(["copy", "--platform", "linux/arm64", `${repo}:multi`, `${dst}2`]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err.trimEnd().split("\n").at(-1), `Copying ${repo}@${arm64} to ${dst}2...`);
  r = await cosign(["copy", "--platform", "linux/s390x", `${repo}:multi`, `${dst}3`]);
  assert.deepEqual([r.code, r.err], [1, "error: unable to find an entity for linux/s390x\n"]);
  r = await cosign(["copy", "--only", "sig", `${repo}:amd64`, `${dst}4`]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(
    await client.listTags({ registry: R, repository: `${dst.slice(R.length + 1)}4` }),
    [
      `sha256-${hex(amd64)}`,
      `sha256-${hex(amd64)}.sig`,
    ],
  );
});

Deno.test("tree prints cosign's tree", async () => {
  const repo = await freshRepo();
  let r = await cosign(["tree", `${repo}:amd64`]);
  assert.equal(
    r.out,
    `📦 Supply Chain Security Related artifacts for an image: ${repo}:amd64\n` +
      `No Supply Chain Security Related Artifacts found for image ${repo}:amd64,\n start creating one with simply running$ cosign sign <img>`,
  );
  await sign(`${repo}@${amd64}`, ["-a", "n=1"]);
  await sign(`${repo}@${amd64}`, ["-a", "n=2"]);
  r = await cosign(["tree", `${repo}:amd64`]);
  const sig = await client.getManifest(
    { registry: R, repository: repo.slice(R.length + 1) },
    `sha256-${hex(amd64)}.sig`,
  );
  const [l1, l2] = (sig.manifest as { layers: { digest: string }[] }).layers;
  assert.equal(
    r.out,
    `📦 Supply Chain Security Related artifacts for an image: ${repo}:amd64\n` +
      `└── 🔐 Signatures for an image tag: ${repo}:sha256-${hex(amd64)}.sig\n` +
      `   ├── 🍒 ${l1.digest}\n   └── 🍒 ${l2.digest}\n`,
  );
});
