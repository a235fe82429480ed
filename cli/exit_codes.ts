/**
 * The one table of exit codes, as cosign 2 defines them in cmd/cosign/errors/exit_codes.go.
 *
 * Usage errors (an unknown flag or command, a missing or extra argument, a bad flag value or
 * combination) exit 1, as in cosign, where cobra's errors reach main.go's `log.Fatalf`: scripts
 * written for cosign test `$? -ne 0` or `$? -eq 1`, and nothing in cosign ever exits 2. They keep
 * their own class, {@link UsageError}, so that the message stays one clear line.
 *
 * @module
 */
import type { ErrorCode } from "../lib/errors.ts";
import { SigstoreError } from "../lib/errors.ts";

/** Exit codes by meaning. */
export const ExitCode = {
  ok: 0,
  /** Any failure without a more specific code. */
  failure: 1,
  /** Bad flags, arguments or flag combinations: 1, as in cosign (cobra errors → log.Fatalf). */
  usage: 1,
  /** Error verifying image due to no signature (cosign ImageWithoutSignature). */
  imageWithoutSignature: 10,
  /** Error verifying image due to non-existent tag (cosign NonExistentTag). */
  nonExistentTag: 11,
  /** Error verifying image due to no matching signature (cosign NoMatchingSignature). */
  noMatchingSignature: 12,
  /** Error verifying image due to no certificate found on signature. */
  noCertificateFoundOnSignature: 13,
} as const;

const byCode: Partial<Record<ErrorCode, number>> = {
  NO_SIGNATURES: ExitCode.imageWithoutSignature,
  TAG_NOT_FOUND: ExitCode.nonExistentTag,
  NO_MATCHING_SIGNATURE: ExitCode.noMatchingSignature,
  NO_CERTIFICATE: ExitCode.noCertificateFoundOnSignature,
};

/** A usage error: wrong flags, arguments or combinations. Exit code 1, as in cosign. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * The exit code for an error thrown by a command.
 *
 * @param err anything thrown
 * @returns cosign's exit code for it
 */
export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return ExitCode.usage;
  if (err instanceof SigstoreError) return byCode[err.code as ErrorCode] ?? ExitCode.failure;
  return ExitCode.failure;
}
