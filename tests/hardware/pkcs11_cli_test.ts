/**
 * `--key pkcs11:…` end to end, with our real entry point (`deno run` with the cosign task's
 * permissions, `--allow-ffi` included) against a SoftHSM2 token whose keys `pkcs11-tool` made:
 * `pkcs11-tool list-tokens`/`list-keys-uris` output, `public-key`, `sign-blob`, `sign`,
 * `attest-blob`, `attest` and our verify commands with the token's key, and the real Go cosign
 * v2.6.4 (built without PKCS#11) verifying what we signed with the exported public key.
 * Failures (wrong PIN, missing object, missing module, no FFI permission) end in one clean line.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createRegistry } from "../../lib/registry/client.ts";
import {
  createSoftHsmToken,
  readPublicKeyWithPkcs11Tool,
  SOFTHSM_MODULE,
} from "../helpers/softhsm.ts";
import { marshalPublicKeyPem, parsePublicKeyDer } from "../../lib/keys/public_key.ts";
import { startRegistry } from "../peers/registry.ts";
import { pushImage } from "../registry/_helpers.ts";
import { OURS_ENTRY, REPO_ROOT } from "../peers/run.ts";
import {
  describe,
  expectSuccess,
  expectVerified,
  run,
  suiteDir,
  suiteOptions,
} from "../interop/_run.ts";

const token = await createSoftHsmToken({
  label: "cosign token",
  keys: [
    { label: "k1", id: "01", type: "EC:prime256v1" },
    { label: "k384", id: "02", type: "EC:secp384r1" },
    { label: "r1", id: "03", type: "rsa:2048" },
  ],
});
const dir = await suiteDir("cosign-pkcs11-cli-");
addEventListener("unload", () => Deno.removeSync(token.dir, { recursive: true }));
const registry = await startRegistry({ mode: "http" });
const client = createRegistry({});
addEventListener("unload", () => {
  client.close();
  void registry.stop();
});

const opts = (env: Record<string, string> = {}) => suiteOptions(dir, { ...token.env, ...env });
const uri = (object: string, query = "&pin-value=1234") =>
  `pkcs11:token=cosign%20token;object=${object}?module-path=${SOFTHSM_MODULE}${query}`;

await Deno.writeTextFile(join(dir, "blob"), "a blob signed with a key on a token\n");
await Deno.copyFile(
  join(REPO_ROOT, "tests/fixtures/attest/predicate.json"),
  join(dir, "predicate.json"),
);

Deno.test("pkcs11-tool list-tokens prints the module's tokens as cosign does", async () => {
  const r = expectSuccess(
    await run("ours", ["pkcs11-tool", "list-tokens", "--module-path", SOFTHSM_MODULE], opts()),
    "list-tokens",
  );
  const serial = /S\/N: ([0-9a-f]{16})/.exec(r.stdout)?.[1];
  assert.equal(
    r.stdout,
    `\nListing tokens of PKCS11 module '${SOFTHSM_MODULE}'\n` +
      `Token in slot ${token.slot}\n\tLabel: cosign token\n\tManufacturer: SoftHSM project\n` +
      `\tModel: SoftHSM v2\n\tS/N: ${serial}\n\n` +
      `Token in slot 1\n\tLabel: \n\tManufacturer: SoftHSM project\n\tModel: SoftHSM v2\n\tS/N: \n\n`,
  );
  assert.equal(r.stderr, "");
  // COSIGN_PKCS11_MODULE_PATH is the flag's default.
  const env = await run(
    "ours",
    ["pkcs11-tool", "list-tokens"],
    opts({
      COSIGN_PKCS11_MODULE_PATH: SOFTHSM_MODULE,
    }),
  );
  assert.equal(env.stdout, r.stdout, describe(env));
});

Deno.test("pkcs11-tool list-keys-uris prints every key and a URI that signs", async () => {
  const r = expectSuccess(
    await run("ours", [
      "pkcs11-tool",
      "list-keys-uris",
      "--module-path",
      SOFTHSM_MODULE,
      "--slot-id",
      String(token.slot),
    ], opts({ COSIGN_PKCS11_PIN: "1234" })),
    "list-keys-uris",
  );
  const line = (label: string, id: string) =>
    `\tLabel: ${label}\n\tID: ${id}\n\tURI: pkcs11:token=cosign%20token;slot-id=${token.slot};` +
    `id=%${id};object=${label}?module-path=${SOFTHSM_MODULE}&pin-value=1234\n`;
  const header =
    `\nListing URIs of keys in slot '${token.slot}' of PKCS11 module '${SOFTHSM_MODULE}'\n`;
  assert.ok(r.stdout.startsWith(header), r.stdout);
  // Objects come in the module's order, numbered from 0.
  const blocks = r.stdout.slice(header.length).split(/^Object \d+\n/m);
  assert.equal(blocks.shift(), "");
  assert.deepEqual(blocks.sort(), [line("k1", "01"), line("k384", "02"), line("r1", "03")]);
  assert.deepEqual([...r.stdout.matchAll(/^Object (\d+)$/gm)].map((m) => m[1]), ["0", "1", "2"]);
  // The printed URI is usable as it is.
  const printed = /URI: (\S+)/.exec(r.stdout)![1];
  expectSuccess(
    await run("ours", ["public-key", "--key", printed], opts()),
    "public-key with a listed URI",
  );
});

for (
  const [label, id, kind] of [["k1", "01", "P-256"], ["k384", "02", "P-384"], [
    "r1",
    "03",
    "RSA-2048",
  ]]
) {
  Deno.test(`sign-blob --key pkcs11: (${kind}): Go cosign verifies with the exported public key`, async () => {
    const pub = expectSuccess(
      await run("ours", ["public-key", "--key", uri(label)], opts()),
      "public-key",
    );
    if (kind !== "P-384") {
      // The same key pkcs11-tool exports (its P-384 export is broken in OpenSC 0.23).
      const reference = parsePublicKeyDer(await readPublicKeyWithPkcs11Tool(token, id));
      assert.equal(pub.stdout, marshalPublicKeyPem(reference));
    }
    await Deno.writeTextFile(join(dir, `${label}.pub`), pub.stdout);
    const sig = `blob.${label}.sig`;
    expectSuccess(
      await run("ours", [
        "sign-blob",
        "--key",
        uri(label),
        "--tlog-upload=false",
        "--output-signature",
        sig,
        "blob",
      ], opts()),
      "sign-blob",
    );
    for (const key of [`${label}.pub`, uri(label, "")]) {
      for (const tool of ["go", "ours"] as const) {
        // Go cosign v2.6.4 has no PKCS#11 in its default build: it gets the exported key only.
        if (tool === "go" && key.startsWith("pkcs11:")) continue;
        expectVerified(
          await run(tool, [
            "verify-blob",
            "--key",
            key,
            "--signature",
            sig,
            "--insecure-ignore-tlog=true",
            "blob",
          ], opts()),
          `${tool} verify-blob --key ${key}`,
        );
      }
    }
    await Deno.writeTextFile(join(dir, "tampered"), "another blob\n");
    const bad = await run("ours", [
      "verify-blob",
      "--key",
      uri(label, ""),
      "--signature",
      sig,
      "--insecure-ignore-tlog=true",
      "tampered",
    ], opts());
    assert.equal(bad.code, 1, describe(bad));
  });
}

Deno.test("sign and attest an image with --key pkcs11:; Go cosign verifies both with the exported key", async () => {
  const { digest } = await pushImage(
    client,
    { registry: registry.host, repository: "hw/app" },
    "v1",
  );
  const image = `${registry.host}/hw/app@${digest}`;
  const pem = expectSuccess(await run("ours", ["public-key", "--key", uri("k1")], opts()), "pub");
  await Deno.writeTextFile(join(dir, "image.pub"), pem.stdout);
  expectSuccess(
    await run("ours", ["sign", "--key", uri("k1"), "--tlog-upload=false", "--yes", image], opts()),
    "sign",
  );
  expectSuccess(
    await run("ours", [
      "attest",
      "--key",
      uri("k1"),
      "--tlog-upload=false",
      "--yes",
      "--type",
      "custom",
      "--predicate",
      "predicate.json",
      image,
    ], opts()),
    "attest",
  );
  for (
    const [tool, key] of [["go", "image.pub"], ["ours", "image.pub"], [
      "ours",
      uri("k1", ""),
    ]] as const
  ) {
    expectSuccess(
      await run(tool, ["verify", "--key", key, "--insecure-ignore-tlog=true", image], opts()),
      `${tool} verify --key ${key}`,
    );
    expectSuccess(
      await run(tool, [
        "verify-attestation",
        "--key",
        key,
        "--insecure-ignore-tlog=true",
        "--type",
        "custom",
        image,
      ], opts()),
      `${tool} verify-attestation --key ${key}`,
    );
  }
});

Deno.test("attest-blob --key pkcs11: with COSIGN_PKCS11_MODULE_PATH and COSIGN_PKCS11_PIN; Go cosign verifies", async () => {
  const env = { COSIGN_PKCS11_MODULE_PATH: SOFTHSM_MODULE, COSIGN_PKCS11_PIN: "1234" };
  const key = "pkcs11:token=cosign%20token;id=%03";
  const pem = expectSuccess(await run("ours", ["public-key", "--key", key], opts(env)), "pub");
  await Deno.writeTextFile(join(dir, "rsa.pub"), pem.stdout);
  expectSuccess(
    await run("ours", [
      "attest-blob",
      "--key",
      key,
      "--type",
      "custom",
      "--predicate",
      "predicate.json",
      "--tlog-upload=false",
      "--yes",
      "--output-signature",
      "blob.att",
      "blob",
    ], opts(env)),
    "attest-blob",
  );
  for (const [tool, k] of [["go", "rsa.pub"], ["ours", key]] as const) {
    expectVerified(
      await run(tool, [
        "verify-blob-attestation",
        "--key",
        k,
        "--type",
        "custom",
        "--signature",
        "blob.att",
        "--insecure-ignore-tlog=true",
        "blob",
      ], opts(env)),
      `${tool} verify-blob-attestation`,
    );
  }
});

Deno.test("token failures end in one line and exit 1; missing flags exit 1 (usage errors, as Go)", async () => {
  const cases: [string[], Record<string, string>, number, string][] = [
    [
      ["sign-blob", "--key", uri("k1", "&pin-value=0000"), "--tlog-upload=false", "blob"],
      {},
      1,
      "error: cannot log in to PKCS#11 token 'cosign token': CKR_PIN_INCORRECT\n",
    ],
    [
      ["sign-blob", "--key", uri("k1", ""), "--tlog-upload=false", "blob"],
      {},
      1,
      "error: cannot log in to PKCS#11 token 'cosign token': no PIN given (pin-value in the URI or COSIGN_PKCS11_PIN)\n",
    ],
    [
      ["public-key", "--key", uri("missing")],
      {},
      1,
      "error: cannot find key in PKCS#11 token 'cosign token': no private key with label 'missing'\n",
    ],
    [
      [
        "verify-blob",
        "--key",
        uri("missing", ""),
        "--signature",
        "blob.k1.sig",
        "--insecure-ignore-tlog=true",
        "blob",
      ],
      {},
      1,
      "error: cannot find key in PKCS#11 token 'cosign token': no public key or certificate with label 'missing'\n",
    ],
    [
      [
        "sign-blob",
        "--key",
        "pkcs11:token=t;object=k1?module-path=/usr/lib/nonexistent/p11.so",
        "--tlog-upload=false",
        "blob",
      ],
      {},
      1,
      "error: cannot load PKCS#11 module /usr/lib/nonexistent/p11.so: no such file\n",
    ],
    [
      ["sign-blob", "--key", "pkcs11:token=t;object=k1", "--tlog-upload=false", "blob"],
      {},
      1,
      "error: cannot parse PKCS#11 URI: invalid uri: module-path or COSIGN_PKCS11_MODULE_PATH must be set to the absolute path of the PKCS11 module\n",
    ],
    [
      ["pkcs11-tool", "list-tokens", "--module-path", "/usr/lib/nonexistent/p11.so"],
      {},
      1,
      "error: cannot load PKCS#11 module /usr/lib/nonexistent/p11.so: no such file\n",
    ],
    [
      [
        "pkcs11-tool",
        "list-keys-uris",
        "--module-path",
        SOFTHSM_MODULE,
        "--slot-id",
        String(token.slot),
        "--pin",
        "9",
      ],
      {},
      1,
      "error: cannot log in to PKCS#11 token 'cosign token': CKR_PIN_INCORRECT\n",
    ],
    [
      ["pkcs11-tool", "list-tokens"],
      {},
      1,
      "error: please specify --module-path or set COSIGN_PKCS11_MODULE_PATH\n",
    ],
  ];
  for (const [args, env, code, stderr] of cases) {
    const r = await run("ours", args, opts(env));
    assert.equal(r.code, code, describe(r));
    assert.equal(r.stderr.replace(/^WARNING: .*\n/gm, ""), stderr, describe(r));
  }
});

Deno.test("without --allow-ffi a pkcs11: key fails cleanly; other commands do not need it", async () => {
  const perms = [
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-net",
    "--allow-run",
    "--allow-sys",
  ];
  const runNoFfi = async (args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...perms, OURS_ENTRY, ...args],
      cwd: dir,
      env: { ...token.env, NO_COLOR: "1" },
      stdin: "null",
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  };
  const r = await runNoFfi(["public-key", "--key", uri("k1")]);
  assert.deepEqual(r, {
    code: 1,
    stderr:
      `error: cannot load PKCS#11 module ${SOFTHSM_MODULE}: FFI is not permitted (run deno with --allow-ffi)\n`,
  });
  const ok = await runNoFfi([
    "verify-blob",
    "--key",
    "k1.pub",
    "--signature",
    "blob.k1.sig",
    "--insecure-ignore-tlog=true",
    "blob",
  ]);
  assert.equal(ok.code, 0, ok.stderr);
});
