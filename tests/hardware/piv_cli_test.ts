/**
 * `cosign piv-tool` and `--sk` with Yubico's real `libykcs11` and no YubiKey (the machine has
 * none): every command opens the card first and fails in one line, exit 1, without asking
 * anything. The signing path itself is tested on SoftHSM2 in lib/pkcs11/piv_token_test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, run, suiteDir, suiteOptions } from "../interop/_run.ts";

const dir = await suiteDir("cosign-piv-cli-");
await Deno.writeTextFile(join(dir, "blob"), "blob\n");
await Deno.writeTextFile(join(dir, "predicate.json"), "{}\n");

// attest-blob names its inputs first ("Using payload from: …"), as cosign does.
const NO_CARD =
  /^(Using payload from: blob\nUsing payload from: predicate.json\n)?error: cannot open PIV token: no cards found( \(C_GetSlotList: CKR_\w+\))?\n$/;

Deno.test("every piv-tool subcommand and --sk say there is no card, in one line", async () => {
  const commands = [
    ["piv-tool", "set-management-key"],
    ["piv-tool", "set-management-key", "--random-management-key"],
    ["piv-tool", "set-pin", "--old-pin", "123456", "--new-pin", "654321"],
    ["piv-tool", "set-puk"],
    ["piv-tool", "unblock", "--puk", "12345678", "--new-PIN", "123456"],
    ["piv-tool", "attestation", "--slot", "signature"],
    ["piv-tool", "attestation", "-o", "json"],
    ["piv-tool", "generate-key", "--slot", "authentication", "--pin-policy", "once"],
    ["piv-tool", "reset"],
    ["public-key", "--sk"],
    ["sign-blob", "--sk", "--tlog-upload=false", "blob"],
    ["sign-blob", "--sk", "--slot", "key-management", "--tlog-upload=false", "blob"],
    [
      "attest-blob",
      "--sk",
      "--tlog-upload=false",
      "--predicate",
      "predicate.json",
      "--type",
      "custom",
      "blob",
    ],
    [
      "verify-blob",
      "--key",
      "piv:signature",
      "--signature",
      "blob",
      "--insecure-ignore-tlog=true",
      "blob",
    ],
  ];
  for (const args of commands) {
    const r = await run("ours", args, suiteOptions(dir));
    assert.equal(r.code, 1, describe(r));
    assert.match(r.stderr.replace(/^WARNING: .*\n/gm, ""), NO_CARD, describe(r));
    assert.equal(r.stdout, "", describe(r));
  }
});

Deno.test("piv-tool and --sk check their flags before looking for a card", async () => {
  const cases: [string[], string][] = [
    [
      ["piv-tool", "generate-key", "--slot", "9c"],
      'error: cannot use PIV slot "9c": expected authentication, signature, card-authentication or key-management\n',
    ],
    [
      ["piv-tool", "generate-key", "--touch-policy", "sometimes"],
      'error: invalid --touch-policy "sometimes": never, always or cached\n',
    ],
    [
      ["sign-blob", "--sk", "--key", "cosign.key", "--tlog-upload=false", "blob"],
      "error: exactly one of: key reference (--key), or hardware token (--sk) must be provided\n",
    ],
  ];
  for (const [args, stderr] of cases) {
    const r = await run("ours", args, suiteOptions(dir));
    assert.equal(r.code, 1, describe(r)); // usage errors exit 1, as in Go
    assert.equal(r.stderr, stderr, describe(r));
  }
});
