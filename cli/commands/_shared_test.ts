import assert from "node:assert/strict";
import { cosign } from "../_test_io.ts";

Deno.test("rejectKeyAndSk(): sign, sign-blob, attest and attest-blob refuse --key with --sk", async () => {
  for (
    const argv of [
      ["sign", "--key", "k.key", "--sk", "img"],
      ["sign-blob", "--key", "k.key", "--sk", "blob"],
      ["attest", "--key", "k.key", "--sk", "--predicate", "p.json", "img"],
      ["attest-blob", "--key", "k.key", "--sk", "--predicate", "p.json", "blob"],
    ]
  ) {
    const { code, io } = await cosign(argv);
    assert.equal(
      io.err(),
      "error: exactly one of: key reference (--key), or hardware token (--sk) must be provided\n",
      argv[0],
    );
    assert.equal(code, 1, argv[0]);
  }
});

Deno.test("rekorEntryType(): attest and attest-blob refuse an entry type other than dsse or intoto", async () => {
  for (
    const argv of [
      ["attest", "--key", "k.key", "--predicate", "p.json", "--rekor-entry-type", "x", "img"],
      ["attest-blob", "--key", "k.key", "--predicate", "p.json", "--rekor-entry-type", "x", "b"],
    ]
  ) {
    const { code, io } = await cosign(argv);
    assert.equal(io.err(), "error: unknown value for rekor-entry-type\n", argv[0]);
    assert.equal(code, 1, argv[0]);
  }
});
