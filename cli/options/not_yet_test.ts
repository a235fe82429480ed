/**
 * Every flag the verify and sign commands declare (cosign has it) but do not implement is
 * refused with one `error: cannot use --FLAG yet: …` line and the usage exit code — with an
 * existing file and with a missing one — instead of being ignored: Go cosign would make the check
 * (or fail on the missing file), so ignoring it would claim a check never made.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cosign } from "../_test_io.ts";
import { exitCodeFor, UsageError } from "../exit_codes.ts";
import { FIXTURES } from "../../tests/interop/_run.ts";
import { SIGN_FLAGS_NOT_YET } from "./sign_options.ts";
import { VERIFY_FLAGS_NOT_YET } from "./verify_options.ts";
import { cosignCommand as lazyTree } from "../commands/mod.ts";

// The table entries are lazy; the flags live in the loaded modules.
const cosignCommand = await loadCommandTree(lazyTree);
import { type Command, loadCommandTree } from "../command.ts";

const F = join(FIXTURES, "attest");
const KEY = join(F, "cosign.key");
const PUB = join(F, "cosign.pub");
const BLOB = join(F, "blob");
const ENV = { COSIGN_PASSWORD: "" };
/** A registry nothing listens on: an ignored flag would end in a connection error, not a refusal. */
const IMAGE = "127.0.0.1:1/app@sha256:" + "0".repeat(64);

const dir = await Deno.makeTempDir({ prefix: "cosign-not-yet-test-" });
addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const MISSING = join(dir, "missing.file");
const SIG = join(dir, "blob.sig");

// Whatever the exit-code table gives usage errors (cosign: 1).
const USAGE = exitCodeFor(new UsageError("x"));

function command(name: string): Command {
  const c = cosignCommand.subcommands!.find((c) => c.name === name);
  if (!c) throw new Error(`no command ${name}`);
  return c;
}

/** The arguments with which each command succeeds (blobs) or gets to the registry (images). */
const BASE: Record<string, string[]> = {
  "verify-blob": ["--key", PUB, "--signature", SIG, "--insecure-ignore-tlog", BLOB],
  "verify-blob-attestation": [
    "--key",
    PUB,
    "--signature",
    join(F, "go-link.intoto.json"),
    "--type",
    "link",
    "--insecure-ignore-tlog",
    BLOB,
  ],
  // --private-infrastructure: the log is skipped without cosign's warning.
  "verify": ["--key", PUB, "--private-infrastructure", IMAGE],
  "verify-attestation": ["--key", PUB, "--private-infrastructure", IMAGE],
  "sign-blob": ["--key", KEY, "--tlog-upload=false", BLOB],
  "attest-blob": [
    "--key",
    KEY,
    "--predicate",
    join(F, "link.json"),
    "--type",
    "link",
    "--tlog-upload=false",
    BLOB,
  ],
  "sign": ["--key", KEY, "--tlog-upload=false", IMAGE],
  "attest": ["--key", KEY, "--predicate", join(F, "link.json"), "--tlog-upload=false", IMAGE],
};

/** The refused flags each command declares: pinned, so a refusal cannot silently disappear. */
const REFUSED: Record<string, string[]> = {
  "verify-blob": ["slot", "experimental-oci11"],
  // The Fulcio and OIDC flags are keyless signing's (tests/interop/keyless_sign_test.ts).
  "sign-blob": [],
};
REFUSED["verify-blob-attestation"] = REFUSED["verify-blob"];
// verify implements --experimental-oci11 (tests/interop/oci11_signatures_test.ts).
REFUSED["verify"] = ["slot"];
/** Flags of a refusal table that a command implements all the same. */
const IMPLEMENTED: Record<string, string[]> = { verify: ["experimental-oci11"] };
REFUSED["verify-attestation"] = REFUSED["verify-blob"];
REFUSED["sign"] = REFUSED["sign-blob"];
// The timestamp flags are implemented (tests/interop/tsa_sign_test.ts).
REFUSED["attest"] = REFUSED["sign-blob"];
REFUSED["attest-blob"] = REFUSED["attest"];

const WHY = new Map([...VERIFY_FLAGS_NOT_YET, ...SIGN_FLAGS_NOT_YET].map((n) => [n.flag, n.why]));

Deno.test("the refused flags are exactly the declared flags of the refusal tables", () => {
  for (const [name, refused] of Object.entries(REFUSED)) {
    const table = name.startsWith("verify") ? VERIFY_FLAGS_NOT_YET : SIGN_FLAGS_NOT_YET;
    const implemented = new Set(IMPLEMENTED[name] ?? []);
    const declared = new Set(
      command(name).flags!.map((f) => f.name).filter((f) => !implemented.has(f)),
    );
    assert.deepEqual(
      table.map((n) => n.flag).filter((f) => declared.has(f)).sort(),
      [...refused].sort(),
      name,
    );
  }
});

Deno.test("the base command lines succeed (blobs), so a refusal is not an accident", async () => {
  const signed = await cosign(
    ["sign-blob", "--key", KEY, "--tlog-upload=false", "--output-signature", SIG, BLOB],
    { env: ENV },
  );
  assert.equal(signed.code, 0, signed.io.err());
  for (const name of ["verify-blob", "verify-blob-attestation", "sign-blob", "attest-blob"]) {
    const { code, io } = await cosign([name, ...BASE[name]], { env: ENV });
    assert.equal(code, 0, `${name}: ${io.err()}`);
  }
});

for (const [name, refused] of Object.entries(REFUSED)) {
  Deno.test(`${name} refuses every flag it does not implement, the file present or not`, async () => {
    for (const flag of refused) {
      const def = command(name).flags!.find((f) => f.name === flag)!;
      const values = def.type === "bool"
        ? [`--${flag}`]
        : [`--${flag}=${PUB}`, `--${flag}=${MISSING}`];
      for (const given of values) {
        const { code, io } = await cosign([name, given, ...BASE[name]], { env: ENV });
        assert.equal(io.err(), `error: cannot use --${flag} yet: ${WHY.get(flag)}\n`, given);
        assert.equal(code, USAGE, given);
        assert.equal(io.out(), "", given);
      }
    }
  });
}

Deno.test("a refused flag bound from COSIGN_<FLAG> is refused too", async () => {
  const { code, io } = await cosign(["verify-blob", ...BASE["verify-blob"]], {
    env: { ...ENV, COSIGN_SLOT: "9a" },
  });
  assert.equal(
    io.err(),
    "error: cannot use --slot yet: hardware security keys (--sk) are not supported\n",
  );
  assert.equal(code, USAGE);
});

Deno.test("a flag bound from COSIGN_<FLAG> is read: --rfc3161-timestamp without --use-signed-timestamps is cosign's usage error", async () => {
  const { code, io } = await cosign(["verify-blob", ...BASE["verify-blob"]], {
    env: { ...ENV, COSIGN_RFC3161_TIMESTAMP: MISSING },
  });
  assert.equal(
    io.err(),
    "error: when specifying --rfc3161-timestamp-path, you must also specify --use-signed-timestamps or --timestamp-certificate-chain\n",
  );
  assert.equal(code, USAGE);
});

Deno.test("an explicit false or empty value asks for nothing and is not refused", async () => {
  for (
    const extra of [["--use-signed-timestamps=false"], ["--sct="], ["--insecure-ignore-sct=false"]]
  ) {
    const { code, io } = await cosign(["verify-blob", ...extra, ...BASE["verify-blob"]], {
      env: ENV,
    });
    assert.equal(code, 0, `${extra}: ${io.err()}`);
  }
});

const KEY_AND_IDENTITY =
  "error: exactly one of: key reference (--key) or certificate identity (--certificate-identity " +
  "or --certificate-identity-regexp), must be provided. To determine which to use, inspect the " +
  "bundle's 'verificationMaterial' field: if 'publicKey' is present, use key reference; if " +
  "'certificate' or 'x509CertificateChain' is present, use certificate identity\n";

for (const name of ["verify", "verify-attestation", "verify-blob", "verify-blob-attestation"]) {
  Deno.test(`${name}: --key with a certificate identity or issuer is a usage error (cosign 3)`, async () => {
    for (
      const flag of [
        "--certificate-identity=a@example.com",
        "--certificate-identity-regexp=.*",
        "--certificate-oidc-issuer=https://issuer.example",
        "--certificate-oidc-issuer-regexp=.*",
      ]
    ) {
      const { code, io } = await cosign([name, flag, ...BASE[name]], { env: ENV });
      assert.equal(io.err(), KEY_AND_IDENTITY, flag);
      assert.equal(code, USAGE, flag);
    }
  });
}

for (const name of ["verify", "verify-attestation", "sign", "attest"]) {
  Deno.test(`${name} refuses --registry-server-name instead of ignoring it`, async () => {
    const { code, io } = await cosign(
      [name, "--registry-server-name=registry.example", ...BASE[name]],
      { env: ENV },
    );
    assert.equal(
      io.err(),
      "error: cannot use --registry-server-name: Deno's TLS client always verifies the registry's " +
        "certificate against the host name in the image reference; use that name in the reference\n",
    );
    assert.equal(code, USAGE);
  });
}
