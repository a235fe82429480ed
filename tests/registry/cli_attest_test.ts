/**
 * `cosign attest` and `cosign verify-attestation` (ours, in-process) against the real
 * distribution registry: round trips, and a table of bad inputs pinned to their message and exit
 * code. cosign exits 1 for every verify-attestation failure (none attached, missing tag, other key:
 * `ErrNoMatchingAttestations` has no exit code of its own), and so do we.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Command } from "../../cli/command.ts";
import { fakeIo } from "../../cli/_test_io.ts";
import { run } from "../../cli/run.ts";
import { attestCommand } from "../../cli/commands/attest.ts";
import { verifyAttestationCommand } from "../../cli/commands/verify_attestation.ts";
import { createRegistry } from "../../lib/registry/client.ts";
import { startRegistry } from "../peers/registry.ts";
import { FIXTURES } from "../interop/_run.ts";
import { pushImage } from "./_helpers.ts";

const registry = await startRegistry({ mode: "http" });
const direct = createRegistry({});
addEventListener("unload", () => direct.close());
globalThis.addEventListener("unload", () => void registry.stop());

const ROOT: Command = {
  name: "cosign",
  short: "",
  subcommands: [attestCommand, verifyAttestationCommand],
};
const A = join(FIXTURES, "attest");
const KEY = join(A, "cosign.key");
const PUB = join(A, "cosign.pub");
const OTHER_PUB = join(FIXTURES, "attest", "ed25519.pub");
const ENV = { COSIGN_PASSWORD: "" };

async function cosign(argv: string[], env: Record<string, string> = {}) {
  const io = fakeIo({ env: { ...ENV, ...env } });
  const code = await run(ROOT, argv, io, { normalize: true });
  return { code, io };
}

let n = 0;
async function image(): Promise<{ ref: string; digest: string; repo: string }> {
  const repo = `cli-attest/app${++n}`;
  const { digest } = await pushImage(direct, { registry: registry.host, repository: repo }, "v1");
  return { ref: `${registry.host}/${repo}@${digest}`, digest, repo };
}

const attest = (ref: string, type: string, predicate: string, extra: string[] = []) =>
  cosign([
    "attest",
    "--key",
    KEY,
    "--tlog-upload=false",
    "--type",
    type,
    "--predicate",
    join(A, predicate),
    ...extra,
    ref,
  ]);
const verify = (ref: string, extra: string[] = [], key = PUB) =>
  cosign(["verify-attestation", "--key", key, "--insecure-ignore-tlog=true", ...extra, ref]);

/** Whether the image has an attestation image (`sha256-<hex>.att`). */
async function hasAttestations(repo: string, digest: string): Promise<boolean> {
  try {
    await direct.getManifest(
      { registry: registry.host, repository: repo },
      `${digest.replace(":", "-")}.att`,
    );
    return true;
  } catch {
    return false;
  }
}

Deno.test("attest writes nothing to the registry when the transparency log is declined or fails", async () => {
  const { ref, digest, repo } = await image();
  const argv = ["attest", "--key", KEY, "--predicate", join(A, "link.json"), "--type", "link"];
  const declined = await cosign([...argv, ref]);
  assert.equal(declined.code, 1, declined.io.err());
  assert.match(declined.io.err(), /By typing 'y', you attest that/);
  const down = await cosign([...argv, "--yes", "--rekor-url", "http://127.0.0.1:9", ref]);
  assert.equal(down.code, 1, down.io.err());
  assert.match(
    lastLine(down.io.err()),
    /^error: cannot upload to the transparency log http:\/\/127\.0\.0\.1:9: /,
  );
  assert.equal(await hasAttestations(repo, digest), false);
  // --no-upload never asks the log.
  const printed = await cosign([...argv, "--no-upload", ref]);
  assert.equal(printed.code, 0, printed.io.err());
  assert.doesNotMatch(printed.io.err(), /By typing/);
});

function lastLine(text: string): string {
  const lines = text.trimEnd().split("\n");
  return lines[lines.length - 1];
}

Deno.test("attest then verify-attestation prints the envelope and cosign's header", async () => {
  const { ref } = await image();
  const a = await attest(ref, "slsaprovenance", "slsaprovenance.json");
  assert.equal(a.code, 0, a.io.err());
  assert.equal(a.io.err(), `Using payload from: ${join(A, "slsaprovenance.json")}\n`);
  assert.equal(a.io.out(), "");
  const v = await verify(ref, ["--type", "slsaprovenance"]);
  assert.equal(v.code, 0, v.io.err());
  assert.equal(
    v.io.err(),
    "WARNING: Skipping tlog verification is an insecure practice that lacks transparency and " +
      `auditability verification for the attestation.\n\nVerification for ${ref} --\n` +
      "The following checks were performed on each of these signatures:\n" +
      "  - The cosign claims were validated\n" +
      "  - The signatures were verified against the specified public key\n",
  );
  const lines = v.io.out().split("\n");
  assert.equal(lines.length, 2);
  assert.equal(lines[1], "");
  const env = JSON.parse(lines[0]);
  assert.equal(env.payloadType, "application/vnd.in-toto+json");
  // -o json changes nothing: cosign prints attestations as text.
  const j = await verify(ref, ["--type", "slsaprovenance", "-o", "json"]);
  assert.equal(j.io.out(), v.io.out());
});

Deno.test("attest --no-upload prints the envelope and writes nothing", async () => {
  const { ref } = await image();
  const a = await attest(ref, "custom", "custom.txt", ["--no-upload"]);
  assert.equal(a.code, 0, a.io.err());
  assert.equal(JSON.parse(a.io.out()).payloadType, "application/vnd.in-toto+json");
  const v = await verify(ref);
  assert.equal(v.code, 1);
  assert.equal(lastLine(v.io.err()), "error: no matching attestations: none attached");
});

Deno.test("attest --replace prints cosign's lines and keeps other types", async () => {
  const { ref } = await image();
  assert.equal((await attest(ref, "link", "link.json")).code, 0);
  assert.equal((await attest(ref, "vuln", "vuln.json")).code, 0);
  const r = await attest(ref, "link", "link.json", ["--replace"]);
  assert.equal(r.code, 0, r.io.err());
  // The new link envelope is identical to the old one (deterministic ECDSA): replaced by itself.
  assert.equal(
    r.io.err(),
    `Using payload from: ${join(A, "link.json")}\n` +
      "Replacing attestation predicate: https://in-toto.io/Link/v1\n" +
      "Not replacing attestation predicate: https://cosign.sigstore.dev/attestation/vuln/v1\n",
  );
  assert.equal((await verify(ref, ["--type", "link"])).code, 0);
  assert.equal((await verify(ref, ["--type", "vuln"])).code, 0);
});

const bad: Array<{ name: string; argv: () => Promise<string[]>; code: number; err: string }> = [
  {
    name: "no --predicate nor --statement",
    argv: async () => ["attest", "--key", KEY, "--tlog-upload=false", (await image()).ref],
    code: 1,
    err: "error: at least one of the flags in the group [predicate statement] is required",
  },
  {
    name: "--statement only (cosign attest ignores it)",
    argv: async () => [
      "attest",
      "--key",
      KEY,
      "--tlog-upload=false",
      "--statement",
      join(A, "go-link.statement.json"),
      (await image()).ref,
    ],
    code: 1,
    err:
      "error: predicate cannot be empty: cosign attest does not use --statement; pass --predicate",
  },
  {
    name: "an invalid --type",
    argv: async () => [
      "attest",
      "--key",
      KEY,
      "--tlog-upload=false",
      "--type",
      "not a uri",
      "--predicate",
      join(A, "link.json"),
      (await image()).ref,
    ],
    code: 1,
    err: "error: invalid predicate type: not a uri",
  },
  {
    name: "a predicate that is not JSON for slsaprovenance",
    argv: async () => [
      "attest",
      "--key",
      KEY,
      "--tlog-upload=false",
      "--type",
      "slsaprovenance",
      "--predicate",
      join(A, "custom.txt"),
      (await image()).ref,
    ],
    code: 1,
    err: `error: cannot read predicate ${
      join(A, "custom.txt")
    }: provenance predicate: not valid JSON: invalid character 'r' in literal false (expecting 'a')`,
  },
  {
    name: "attest logs by default, and declining the privacy question stops it",
    argv: async () => [
      "attest",
      "--key",
      KEY,
      "--predicate",
      join(A, "link.json"),
      (await image()).ref,
    ],
    // The privacy question is declined (empty standard input): nothing is logged or written.
    code: 1,
    err: "error: user declined the prompt",
  },
  {
    name: "verify without --insecure-ignore-tlog",
    argv: async () => ["verify-attestation", "--key", PUB, (await image()).ref],
    code: 1,
    err:
      "error: cannot verify the transparency log entries: set SIGSTORE_REKOR_PUBLIC_KEY to the log's public key or pass --trusted-root, or pass --insecure-ignore-tlog=true to verify without the log",
  },
  {
    name: "keyless verify without an identity (cosign's Identities())",
    argv: async () => ["verify-attestation", "--insecure-ignore-tlog", (await image()).ref],
    code: 1,
    err:
      "error: --certificate-identity or --certificate-identity-regexp is required for verification in keyless mode",
  },
  {
    name: "an image without attestations (cosign: exit 1)",
    argv: async () => [
      "verify-attestation",
      "--key",
      PUB,
      "--insecure-ignore-tlog",
      (await image()).ref,
    ],
    code: 1,
    err: "error: no matching attestations: none attached",
  },
  {
    name: "a missing tag (cosign: exit 1)",
    argv: () =>
      Promise.resolve([
        "verify-attestation",
        "--key",
        PUB,
        "--insecure-ignore-tlog",
        `${registry.host}/cli-attest/app1:no-such-tag`,
      ]),
    code: 1,
    err: "MANIFEST_UNKNOWN",
  },
];

for (const c of bad) {
  Deno.test(`CLI refuses: ${c.name}`, async () => {
    const { code, io } = await cosign(await c.argv());
    assert.equal(code, c.code, io.err());
    if (c.err.startsWith("error: ")) assert.equal(lastLine(io.err()), c.err);
    else assert.match(lastLine(io.err()), new RegExp(c.err));
  });
}

Deno.test("verify-attestation: another key (exit 1) and a wrong --type (exit 1), as cosign", async () => {
  const { ref } = await image();
  assert.equal((await attest(ref, "link", "link.json")).code, 0);
  const wrongKey = await verify(ref, ["--type", "link"], OTHER_PUB);
  assert.equal(wrongKey.code, 1);
  assert.match(lastLine(wrongKey.io.err()), /^error: no matching attestations: /);
  const wrongType = await verify(ref, ["--type", "spdx"]);
  assert.equal(wrongType.code, 1);
  assert.equal(
    lastLine(wrongType.io.err()),
    "error: none of the attestations matched the predicate type: spdx, found: https://in-toto.io/Link/v1",
  );
  assert.equal(wrongType.io.out(), "");
});
