import assert from "node:assert/strict";
import { type ErrorCode, SigstoreError, VerificationError } from "../lib/errors.ts";
import { ExitCode, exitCodeFor, UsageError } from "./exit_codes.ts";

// cosign exits 1 for every transparency-log failure of verify-blob (VerifyBlobSignature returns
// the error unwrapped), and 12 for verify, where a failed log check is one reason of
// ErrNoMatchingSignatures (checked against the Go cosign in tests/interop/rekor_online_test.ts).
const TLOG: ErrorCode[] = [
  "TLOG_UNAVAILABLE",
  "TLOG_ENTRY_INVALID",
  "TLOG_ENTRY_NOT_FOUND",
  "TLOG_ENTRY_MISMATCH",
  "TLOG_SET_INVALID",
  "TLOG_INCLUSION_INVALID",
  "TLOG_CHECKPOINT_INVALID",
  "TLOG_LOG_KEY_UNKNOWN",
  "TLOG_TIME_INVALID",
  "TLOG_REQUEST_FAILED",
];

for (const code of TLOG) {
  Deno.test(`exitCodeFor() maps ${code} to 1, and to 12 inside no matching signatures`, () => {
    assert.equal(exitCodeFor(new VerificationError(code, "x")), 1);
    assert.equal(exitCodeFor(new SigstoreError(code, "x")), 1);
    const wrapped = new VerificationError("NO_MATCHING_SIGNATURE", "no matching signatures: x", {
      cause: new AggregateError([new VerificationError(code, "x")]),
    });
    assert.equal(exitCodeFor(wrapped), 12);
  });
}

Deno.test("exitCodeFor() maps usage errors to 1, as cosign does", () => {
  assert.equal(ExitCode.usage, 1);
  assert.equal(exitCodeFor(new UsageError("unknown flag: --nope")), 1);
  assert.equal(exitCodeFor(new Error("anything")), 1);
  assert.equal(exitCodeFor(new VerificationError("NO_SIGNATURES", "x")), 10);
  assert.equal(exitCodeFor(new VerificationError("TAG_NOT_FOUND", "x")), 11);
  assert.equal(exitCodeFor(new VerificationError("NO_MATCHING_SIGNATURE", "x")), 12);
  assert.equal(exitCodeFor(new VerificationError("NO_CERTIFICATE", "x")), 13);
});
