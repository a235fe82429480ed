/**
 * `cosign bundle create`: ours and the real Go cosign v2.6.4 build the same Sigstore bundle from
 * the same material — offline (`--ignore-tlog`: certificate, key + RFC 3161 timestamp, DSSE
 * envelope) and with the entry looked up in a real local Rekor (signature + key, cosign's old
 * `--bundle`, an attestation) — and the Go cosign verifies our bundles with a trusted root made by
 * our `trusted-root create`. Bad input fails alike.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startRekor } from "../peers/rekor.ts";
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

const F = join(import.meta.dirname!, "..", "fixtures");
const dir = await suiteDir("cosign-interop-bundle-create-");
const opts = suiteOptions(dir);

/**
 * Both tools' bundles for the same flags, as parsed JSON (protojson may add spaces). Rekor signs
 * the SET and the checkpoint anew for every request (ECDSA signatures are randomized), so with a
 * log those two signatures are set aside; each bundle is verified whole by Go below.
 */
const raw: string[] = [];
async function bothCreate(args: string[], env: Record<string, string> = {}) {
  raw.length = 0;
  const out = [];
  for (const tool of TOOLS) {
    const r = expectSuccess(
      await run(tool, ["bundle", "create", ...args], suiteOptions(dir, env)),
      `${tool} bundle create`,
    );
    const b = JSON.parse(r.stdout);
    for (const e of b.verificationMaterial.tlogEntries ?? []) {
      e.inclusionPromise.signedEntryTimestamp = "(per request)";
      e.inclusionProof.checkpoint.envelope = e.inclusionProof.checkpoint.envelope.replace(
        /\n\n.*$/s,
        "\n\n(per request)",
      );
    }
    out.push(JSON.stringify(b));
    raw.push(r.stdout);
  }
  return out;
}

const OFFLINE: [string, string[]][] = [
  ["a keyless signature and its certificate", [
    "--artifact",
    join(F, "keyless-local", "blob.txt"),
    "--signature",
    join(F, "keyless-local", "blob.sig"),
    "--certificate",
    join(F, "keyless-local", "blob.crt"),
  ]],
  ["a key signature with an RFC 3161 timestamp", [
    "--artifact",
    join(F, "timestamp", "tsa-v2.1.3", "blob.txt"),
    "--signature",
    join(F, "timestamp", "tsa-v2.1.3", "blob.sig"),
    "--key",
    join(F, "timestamp", "tsa-v2.1.3", "cosign.pub"),
    "--rfc3161-timestamp",
    join(F, "timestamp", "tsa-v2.1.3", "blob.timestamp.json"),
  ]],
  ["a DSSE envelope (the signature flag is required but unused)", [
    "--artifact",
    join(F, "attest", "blob"),
    "--signature",
    join(F, "timestamp", "tsa-v2.1.3", "blob.sig"),
    "--attestation",
    join(F, "attest", "go-link.intoto.json"),
    "--key",
    join(F, "attest", "cosign.pub"),
  ]],
];

for (const [name, args] of OFFLINE) {
  Deno.test(`bundle create --ignore-tlog: Go cosign and ours write the same bundle: ${name}`, async () => {
    const [go, ours] = await bothCreate([...args, "--ignore-tlog"]);
    assert.equal(ours, go);
  });
}

Deno.test("bundle create: bad input fails in both tools", async () => {
  const blob = join(F, "keyless-local", "blob.txt");
  for (
    const [what, args] of [
      ["a certificate file that is PEM, not base64 of PEM", [
        "--artifact",
        blob,
        "--signature",
        join(F, "keyless-local", "blob.sig"),
        "--certificate",
        join(F, "keyless-local", "fulcio_root.pem"),
        "--ignore-tlog",
      ]],
      ["no certificate or key", [
        "--artifact",
        blob,
        "--signature",
        join(F, "keyless-local", "blob.sig"),
        "--ignore-tlog",
      ]],
      ["an artifact that does not exist", [
        "--artifact",
        join(dir, "missing"),
        "--signature",
        join(F, "keyless-local", "blob.sig"),
        "--certificate",
        join(F, "keyless-local", "blob.crt"),
        "--ignore-tlog",
      ]],
    ] as [string, string[]][]
  ) {
    const results = [];
    for (const tool of TOOLS) results.push(await run(tool, ["bundle", "create", ...args], opts));
    assert.notEqual(results[0].code, 0, describe(results[0]));
    assert.notEqual(results[1].code, 0, describe(results[1]));
    assert.equal(results[1].stdout, "", what);
  }
  // cosign 3's check (2.6.4 drops the log entry silently).
  const r = await run("ours", [
    "bundle",
    "create",
    "--artifact",
    blob,
    "--bundle",
    join(F, "keyless-local", "blob.bundle"),
    "--ignore-tlog",
  ], opts);
  assert.equal(r.code, 1, describe(r));
  assert.equal(
    r.stderr,
    "error: cannot ignore transparency log when the provided bundle contains a Signed Entry Timestamp\n",
  );
});

Deno.test("bundle create with a real Rekor: the same bundles, and Go verifies ours with our trusted root", async () => {
  const rekor = await startRekor();
  try {
    const env = { SIGSTORE_REKOR_PUBLIC_KEY: rekor.publicKeyPath };
    const o = suiteOptions(dir, env);
    expectSuccess(await run("go", ["generate-key-pair"], o), "keys");
    await Deno.writeTextFile(join(dir, "a.txt"), "artifact a\n");
    expectSuccess(
      await run("go", [
        "sign-blob",
        "--key",
        "cosign.key",
        "--rekor-url",
        rekor.url,
        "--yes",
        "--bundle",
        "a.bundle",
        "--output-signature",
        "a.sig",
        "a.txt",
      ], o),
      "sign-blob with Rekor",
    );
    expectSuccess(
      await run("go", [
        "attest-blob",
        "--key",
        "cosign.key",
        "--rekor-url",
        rekor.url,
        "--yes",
        "--type",
        "link",
        "--predicate",
        join(F, "attest", "link.json"),
        "--output-signature",
        "a.intoto.json",
        "a.txt",
      ], o),
      "attest-blob with Rekor",
    );
    // Our trusted root naming the local Rekor, for Go's --trusted-root.
    expectSuccess(
      await run("ours", [
        "trusted-root",
        "create",
        `--rekor=url=${rekor.url},public-key=${rekor.publicKeyPath},start-time=2020-01-01T00:00:00Z`,
        "--out",
        "tr.json",
      ], o),
      "trusted-root create",
    );
    const rekorFlags = ["--key", "cosign.pub", "--rekor-url", rekor.url, "--artifact", "a.txt"];
    const cases: [string, string[]][] = [
      ["signature", ["--signature", "a.sig"]],
      ["old bundle", ["--bundle", "a.bundle"]],
      ["attestation", ["--signature", "a.sig", "--attestation", "a.intoto.json"]],
    ];
    for (const [name, extra] of cases) {
      const [go, ours] = await bothCreate([...rekorFlags, ...extra], env);
      assert.equal(ours, go, name);
      const entries = JSON.parse(ours).verificationMaterial.tlogEntries;
      assert.equal(entries.length, 1, name);
      assert.ok(entries[0].inclusionProof && entries[0].inclusionPromise, name);
      if (name === "attestation") continue;
      await Deno.writeTextFile(join(dir, `${name}.sigstore.json`), raw[1]);
      expectVerified(
        await run("go", [
          "verify-blob",
          "--new-bundle-format",
          "--bundle",
          `${name}.sigstore.json`,
          "--key",
          "cosign.pub",
          "--trusted-root",
          "tr.json",
          "a.txt",
        ], o),
        `Go verifies our ${name} bundle with our trusted root`,
      );
    }
    const missing: RunResult[] = [];
    await Deno.writeTextFile(join(dir, "b.txt"), "never signed\n");
    for (const tool of TOOLS) {
      missing.push(
        await run(tool, [
          "bundle",
          "create",
          ...rekorFlags.slice(0, 4),
          "--artifact",
          "b.txt",
          "--signature",
          "a.sig",
        ], o),
      );
    }
    // Rekor refuses the proposal itself (the signature is not over b.txt): both say so.
    expectSameFailure(missing, "a signature over another artifact");
    assert.ok(missing[0].stderr.startsWith("Error: searching log query: "), describe(missing[0]));
    assert.ok(missing[1].stderr.startsWith("error: searching log query: "), describe(missing[1]));
  } finally {
    await rekor.stop();
  }
});
