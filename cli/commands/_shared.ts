/**
 * Small pieces several commands share: the overwrite confirmation for key files and flag checks
 * of the signing commands (key references: ../options/key_options.ts).
 *
 * @module
 */
import type { Context } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { confirmContinue, writeAll } from "../io.ts";
import { PromptDeclinedError } from "../../lib/errors.ts";
import { keyPairExists, keyPairPaths } from "../../lib/keys/write_key_pair.ts";

/** How {@link confirmOverwrite} may get its answer. */
export interface OverwriteOptions {
  /** `--yes` was given (import-key-pair only: cosign's generate-key-pair has no `--yes`). */
  yes?: boolean;
  /**
   * Standard input carries the key's password (piped, no `COSIGN_PASSWORD`), so it cannot also
   * carry the answer. cosign reads the password first and then finds standard input at its end,
   * which declines; we decline without reading.
   */
  stdinIsPassword?: boolean;
  /** Appended to the refusal, e.g. "(pass --yes to overwrite)". */
  hint?: string;
}

/**
 * Decides whether an existing key pair may be replaced: not when there is none, yes with
 * `--yes` (import-key-pair), otherwise only on an explicit "y" read from standard input
 * (cosign: "WARNING: File cosign.key already exists. Overwrite?" then ui.ConfirmContinue).
 * A key is never replaced because of the environment alone.
 *
 * @returns whether to overwrite
 * @throws {PromptDeclinedError} when the user does not answer "y"
 */
export async function confirmOverwrite(
  ctx: Context,
  prefix: string,
  options: OverwriteOptions = {},
): Promise<boolean> {
  if (!(await keyPairExists(prefix))) return false;
  const { privatePath } = keyPairPaths(prefix);
  await ctx.warn(`File ${privatePath} already exists. Overwrite?`);
  if (options.yes === true) return true;
  const declined = () =>
    new PromptDeclinedError(
      `Cannot write ${privatePath}: file exists and overwriting was declined` +
        (options.hint ? ` ${options.hint}` : ""),
    );
  if (options.stdinIsPassword === true) {
    await writeAll(ctx.io.stderr, "Are you sure you would like to continue? [y/N] \n");
    throw declined();
  }
  try {
    await confirmContinue(ctx.io);
  } catch (e) {
    if (!(e instanceof PromptDeclinedError)) throw e;
    throw declined();
  }
  return true;
}

/** Requires a flag to be non-empty. */
export function requireFlag(ctx: Context, name: string, why?: string): string {
  const v = ctx.flags[name];
  if (typeof v !== "string" || v === "") {
    throw new UsageError(why ?? `required flag "${name}" not set`);
  }
  return v;
}

/**
 * `--rekor-entry-type` must be `dsse` or `intoto` (attest, attest-blob).
 *
 * @returns the entry type
 * @throws {UsageError} "unknown value for rekor-entry-type"
 */
export function rekorEntryType(ctx: Context): "dsse" | "intoto" {
  const v = ctx.flags["rekor-entry-type"];
  if (v !== "dsse" && v !== "intoto") throw new UsageError("unknown value for rekor-entry-type");
  return v;
}
