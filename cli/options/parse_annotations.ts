/**
 * `-a key=value` annotations (cosign options/annotations.go), shared by `sign` (added to the
 * payload) and `verify` (required of the payload).
 *
 * @module
 */
import type { Context } from "../command.ts";
import { UsageError } from "../exit_codes.ts";

/**
 * Parses `-a key=value` annotations.
 *
 * @returns the annotations, or undefined when none were given
 * @throws {UsageError} for an entry without exactly one "=" (cosign options/annotations.go)
 */
export function parseAnnotations(ctx: Context): Record<string, string> | undefined {
  const list = (ctx.flags.annotations as string[] | undefined) ?? [];
  if (list.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const a of list) {
    // options/annotations.go splits on every "=": "a=b=c" is refused, "=v" is the key "".
    const kv = a.split("=");
    if (kv.length !== 2) throw new UsageError(`unable to parse annotation: ${a}`);
    out[kv[0]] = kv[1];
  }
  return out;
}
