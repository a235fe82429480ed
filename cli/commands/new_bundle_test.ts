/**
 * In-process CLI tests for Sigstore bundles: `sign-blob --new-bundle-format` without a log entry,
 * and `verify-blob` on a Go-made bundle with its trusted root (tests/fixtures/new_bundle), with
 * cosign's messages and our exit codes for the flag combinations.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FIXTURES } from "../../tests/interop/_run.ts";
import { cosign } from "../_test_io.ts";

const DIR = join(FIXTURES, "new_bundle");
const f = (name: string) => join(DIR, name);
const verifyArgs = ["verify-blob", "--key", f("cosign.pub"), "--bundle", f("a.sigstore.json")];
/** A TUF setup that never reaches the network: an empty cache and a mirror nothing serves. */
const NO_TUF = { TUF_ROOT: join(DIR, "no-such-tuf-cache"), TUF_MIRROR: "http://127.0.0.1:1" };
/** Without --trusted-root cosign fetches the trusted root with TUF; a failure is a warning. */
const NO_ROOT = new RegExp(
  "^WARNING: Could not fetch trusted_root\\.json from the TUF repository\\. Continuing with " +
    "individual targets\\. Error from TUF: Cannot load the TUF root of http://127\\.0\\.0\\.1:1: " +
    "could not find cached root\\.json in .*\\n" +
    "error: trusted root is required when using new bundle format\\n$",
);

Deno.test("verify-blob verifies a Go cosign Sigstore bundle with its trusted root", async () => {
  const { code, io } = await cosign([
    ...verifyArgs,
    "--trusted-root",
    f("trusted_root.json"),
    f("a.txt"),
  ]);
  assert.equal(code, 0, io.err());
  assert.equal(io.err(), "Verified OK\n");
});

Deno.test("verify-blob on a Sigstore bundle: cosign's messages for what is missing or extra", async () => {
  const table: [string[], Record<string, string>, number, string | RegExp][] = [
    [[f("a.txt")], NO_TUF, 1, NO_ROOT],
    [
      [f("a.txt")],
      { SIGSTORE_REKOR_PUBLIC_KEY: f("rekor.pub") },
      1,
      "error: trusted root is required when using new bundle format\n",
    ],
    [
      ["--trusted-root", f("trusted_root.json"), "--signature", "AAAA", f("a.txt")],
      {},
      1,
      "error: when using --new-bundle-format, please supply signed content with --bundle and verification content with --trusted-root\n",
    ],
    [["--trusted-root", f("rekor.pub"), f("a.txt")], {}, 1, ""],
    [
      ["--trusted-root", f("trusted_root.json"), f("cosign.pub")],
      {},
      1,
      "error: cannot verify signature: invalid signature when validating ASN.1 encoded signature\n",
    ],
  ];
  for (const [args, env, want, message] of table) {
    const { code, io } = await cosign([...verifyArgs, ...args], { env });
    assert.equal(code, want, `${args.join(" ")}: ${io.err()}`);
    if (message instanceof RegExp) assert.match(io.err(), message);
    else if (message) assert.equal(io.err(), message);
  }
});

Deno.test("sign-blob --new-bundle-format without upload writes cosign's bundle that verify-blob reads", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cosign-cli-new-bundle-" });
  try {
    const env = { COSIGN_PASSWORD: "" };
    const key = join(dir, "k");
    assert.equal(
      (await cosign(["generate-key-pair", "--output-key-prefix", key], { env })).code,
      0,
    );
    const bundle = join(dir, "b.json");
    const signed = await cosign([
      "sign-blob",
      "--key",
      `${key}.key`,
      "--tlog-upload=false",
      "--new-bundle-format",
      "--bundle",
      bundle,
      f("a.txt"),
    ], { env });
    assert.equal(signed.code, 0, signed.io.err());
    assert.equal(
      signed.io.err(),
      `Using payload from: ${f("a.txt")}\nWrote bundle to file ${bundle}\n`,
    );
    const b = JSON.parse(await Deno.readTextFile(bundle));
    assert.deepEqual(Object.keys(b), ["mediaType", "verificationMaterial", "messageSignature"]);
    assert.deepEqual(Object.keys(b.verificationMaterial), ["publicKey"]);
    assert.equal(b.messageSignature.signature, signed.io.out().trim());
    assert.equal((await Deno.stat(bundle)).mode! & 0o777, 0o600);
    const verify = (extra: string[]) =>
      cosign([
        "verify-blob",
        "--key",
        `${key}.pub`,
        "--bundle",
        bundle,
        "--trusted-root",
        f("trusted_root.json"),
        ...extra,
        f("a.txt"),
      ]);
    const ok = await verify(["--insecure-ignore-tlog=true"]);
    assert.equal(ok.code, 0, ok.io.err());
    const noLog = await verify([]);
    assert.equal(noLog.code, 1);
    assert.equal(
      noLog.io.err(),
      "error: cannot verify transparency log entry: the bundle has no transparency log entry\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const ATT = join(FIXTURES, "new_bundle_attest");
const att = (name: string) => join(ATT, name);
const attArgs = [
  "verify-blob-attestation",
  "--key",
  att("cosign.pub"),
  "--bundle",
  att("a.sigstore.json"),
];

Deno.test("verify-blob-attestation verifies a Go cosign attestation bundle with its trusted root", async () => {
  const { code, io } = await cosign([
    ...attArgs,
    "--trusted-root",
    att("trusted_root.json"),
    att("a.txt"),
  ]);
  assert.equal(code, 0, io.err());
  assert.equal(io.err(), "Verified OK\n");
});

Deno.test("verify-blob-attestation on a Sigstore bundle: cosign's messages, claims and exit codes", async () => {
  const table: [string[], Record<string, string>, number, string | RegExp][] = [
    [[att("a.txt")], NO_TUF, 1, NO_ROOT],
    [
      ["--trusted-root", att("trusted_root.json"), "--certificate", "c.pem", att("a.txt")],
      {},
      1,
      "error: when using --new-bundle-format, please supply signed content with --bundle and verification content with --trusted-root\n",
    ],
    [
      ["--trusted-root", att("trusted_root.json"), f("cosign.pub")],
      {},
      1,
      "error: cannot verify attestation: provided artifact digest does not match any digest in statement\n",
    ],
    [
      ["--trusted-root", att("trusted_root.json"), "--check-claims=false", f("cosign.pub")],
      {},
      0,
      "Verified OK\n",
    ],
    [
      ["--trusted-root", att("trusted_root.json"), "--type", "spdx", att("a.txt")],
      {},
      1,
      "error: cannot verify attestation: invalid predicate type, expected spdx got https://cosign.sigstore.dev/attestation/v1\n",
    ],
  ];
  for (const [args, env, want, message] of table) {
    const { code, io } = await cosign([...attArgs, ...args], { env });
    assert.equal(code, want, `${args.join(" ")}: ${io.err()}`);
    if (message instanceof RegExp) assert.match(io.err(), message);
    else if (message) assert.equal(io.err(), message);
  }
});

Deno.test("verify-blob-attestation: --trusted-root with cosign's old bundle is refused as cosign does", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const old = join(dir, "old.json");
    await Deno.writeTextFile(old, '{"base64Signature":"","cert":""}');
    const { code, io } = await cosign([
      "verify-blob-attestation",
      "--key",
      att("cosign.pub"),
      "--bundle",
      old,
      "--trusted-root",
      att("trusted_root.json"),
      att("a.txt"),
    ]);
    assert.equal(code, 1);
    assert.equal(io.err(), "error: --trusted-root only supported with --new-bundle-format\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
