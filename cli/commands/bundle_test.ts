/**
 * `cosign bundle create` and `cosign bundle inspect`, in-process: the bundle Go cosign v2.6.4
 * wrote for a key signature and timestamp (tests/fixtures/bundle-inspect/go-bundle-create_*),
 * what inspect prints and warns on stderr, and bad input with its one-line error and exit code.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cosign } from "../_test_io.ts";

const F = join(import.meta.dirname!, "..", "..", "tests", "fixtures");
const TSA = join(F, "timestamp", "tsa-v2.1.3");
const K = join(F, "keyless-local");

Deno.test("bundle create --ignore-tlog writes the bundle Go cosign wrote for the same files", async () => {
  const { code, io } = await cosign([
    "bundle",
    "create",
    "--artifact",
    join(TSA, "blob.txt"),
    "--signature",
    join(TSA, "blob.sig"),
    "--key",
    join(TSA, "cosign.pub"),
    "--rfc3161-timestamp",
    join(TSA, "blob.timestamp.json"),
    "--ignore-tlog",
  ]);
  assert.equal(code, 0, io.err());
  const go = await Deno.readTextFile(
    join(F, "bundle-inspect", "go-bundle-create_key_timestamp.sigstore.json"),
  );
  assert.equal(io.out(), JSON.stringify(JSON.parse(go)) + "\n");
});

Deno.test("bundle inspect prints the tree on stdout and cosign's notice on stderr", async () => {
  const bundle = join(F, "bundle-inspect", "go-bundle-create_key_timestamp.sigstore.json");
  const { code, io } = await cosign(["bundle", "inspect", bundle], {
    env: { TUF_ROOT: "/nonexistent/tuf", TUF_MIRROR: "http://127.0.0.1:1" },
  });
  assert.equal(code, 0, io.err());
  assert.equal(
    io.out(),
    await Deno.readTextFile(
      join(F, "bundle-inspect", "go-bundle-create_key_timestamp.sigstore.txt"),
    ),
  );
  const err = io.err().split("\n");
  assert.deepEqual(err.slice(0, 3), [
    "WARNING: This command only inspects the contents of the bundle.",
    "It does not perform cryptographic verification or verify log inclusion.",
    "",
  ]);
  assert.ok(
    err[3].startsWith("Local TUF environment not initialized, some details will be omitted: "),
  );
});

const sig = join(K, "blob.sig");
const blob = join(K, "blob.txt");
const BAD: [string, string[], string, number][] = [
  ["no --artifact", ["create", "--signature", sig], "must supply --artifact", 1],
  [
    "no signature",
    ["create", "--artifact", blob],
    "must at least supply signature via --bundle or --signature",
    1,
  ],
  [
    "--bundle with --signature",
    ["create", "--artifact", blob, "--bundle", join(K, "blob.bundle"), "--signature", sig],
    "if any flags in the group [bundle signature] are set none of the others can be; [bundle signature] were all set",
    1,
  ],
  [
    "--ignore-tlog with an old bundle holding a SET (cosign 3)",
    ["create", "--artifact", blob, "--bundle", join(K, "blob.bundle"), "--ignore-tlog"],
    "cannot ignore transparency log when the provided bundle contains a Signed Entry Timestamp",
    1,
  ],
  [
    "a certificate file holding PEM rather than base64",
    [
      "create",
      "--artifact",
      blob,
      "--signature",
      sig,
      "--certificate",
      join(K, "fulcio_root.pem"),
      "--ignore-tlog",
    ],
    "illegal base64 data at input byte 0",
    1,
  ],
  [
    "a signature file that is not base64",
    [
      "create",
      "--artifact",
      blob,
      "--signature",
      blob,
      "--key",
      join(TSA, "cosign.pub"),
      "--ignore-tlog",
    ],
    "illegal base64 data at input byte 1",
    1,
  ],
  [
    "neither certificate nor key",
    ["create", "--artifact", blob, "--signature", sig, "--ignore-tlog"],
    "invalid bundle: validation error: missing verification material",
    1,
  ],
  [
    "a missing artifact",
    [
      "create",
      "--artifact",
      "/nonexistent/blob",
      "--signature",
      sig,
      "--key",
      join(TSA, "cosign.pub"),
      "--ignore-tlog",
    ],
    "cannot read blob /nonexistent/blob: no such file or directory",
    1,
  ],
  [
    "a key that is not a key",
    ["create", "--artifact", blob, "--signature", sig, "--key", blob, "--ignore-tlog"],
    "loading public key: Cannot load public key: PEM decoding failed",
    1,
  ],
  ["inspect without a bundle", ["inspect"], "accepts 1 arg(s), received 0", 1],
  [
    "inspect of a missing file",
    ["inspect", "/nonexistent/b.json"],
    "opening bundle file: open /nonexistent/b.json: no such file or directory",
    1,
  ],
  [
    "inspect of a file with an unknown field",
    ["inspect", join(F, "trust-create", "go", "A.json")],
    'unmarshaling bundle: unknown field "tlogs"',
    1,
  ],
];

for (const [name, args, message, exit] of BAD) {
  Deno.test(`bundle ${args[0]} refuses ${name}`, async () => {
    const { code, io } = await cosign(["bundle", ...args], {
      env: { TUF_ROOT: "/nonexistent/tuf", TUF_MIRROR: "http://127.0.0.1:1" },
    });
    const lines = io.err().trimEnd().split("\n");
    assert.equal(lines[lines.length - 1], `error: ${message}`);
    assert.equal(code, exit);
    assert.equal(io.out(), "");
  });
}
