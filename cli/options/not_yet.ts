/**
 * Refusing flags cosign has and we do not implement yet: a command must never ignore a flag
 * that asks for a check or an output it will not make (an ignored `--rfc3161-timestamp` would let
 * `verify-blob` print "Verified OK" for a timestamp it never read).
 *
 * @module
 */
import type { Context } from "../command.ts";
import { UsageError } from "../exit_codes.ts";

/** A flag that is declared (cosign has it) but not implemented, and why it is refused. */
export interface NotYet {
  flag: string;
  why: string;
}

/**
 * Whether a flag was given (on the command line or as `COSIGN_<FLAG>`) a value that asks for
 * something: a non-empty string or list, or true. A flag left at its default is not given.
 */
export function flagGiven(ctx: Context, name: string): boolean {
  if (!ctx.changed.has(name)) return false;
  const v = ctx.flags[name];
  return (typeof v === "string" && v !== "") || v === true || (Array.isArray(v) && v.length > 0);
}

/**
 * Refuses the first flag of `table` that the command declares and was given.
 *
 * @throws {UsageError} "cannot use --FLAG yet: WHY"
 */
export function refuseNotYet(ctx: Context, table: readonly NotYet[]): void {
  for (const { flag, why } of table) {
    if (flag in ctx.flags && flagGiven(ctx, flag)) {
      throw new UsageError(`cannot use --${flag} yet: ${why}`);
    }
  }
}
