/**
 * The trusted root a signer checks Fulcio's SCT and the log's answer with when neither
 * `--trusted-root` nor the SIGSTORE_* key variables are given: the Sigstore TUF repository's
 * (`cosign initialize`), as cosign v2.6.4's sign commands fetch it (`cosign.TrustedRoot()` when
 * signing keyless without SIGSTORE_CT_LOG_PUBLIC_KEY_FILE, or with a signing config).
 *
 * @module
 */
import type { Context } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import type { TrustedRoot } from "../../lib/trust/trusted_root.ts";

/** One fetch per command run (the SCT check and each upload share it). */
const fetched = new WeakMap<Context, Promise<TrustedRoot>>();

/**
 * The TUF repository's trusted root, fetched once per command run.
 *
 * @param ctx the command context (TUF_ROOT, TUF_MIRROR, TUF_ROOT_JSON)
 * @param need what it is needed for, to start the error message ("cannot verify Fulcio's SCT
 *   without CT log keys")
 * @param alternatives what the user can pass instead, for the message
 * @returns the trusted root
 * @throws {UsageError} "<need>: the TUF trusted root is unavailable (<why>); <alternatives>, or run
 *   cosign initialize"
 */
export function tufTrustedRootForSigning(
  ctx: Context,
  need: string,
  alternatives: string,
): Promise<TrustedRoot> {
  let p = fetched.get(ctx);
  if (!p) {
    p = (async () => {
      const { trustedRootFromTuf } = await import("./tuf_options.ts");
      const { parseTrustedRoot } = await import("../../lib/trust/trusted_root.ts");
      return parseTrustedRoot(await trustedRootFromTuf(ctx));
    })();
    fetched.set(ctx, p);
  }
  return p.catch((e) => {
    const err = new UsageError(
      `${need}: the TUF trusted root is unavailable (${
        (e as Error).message
      }); ${alternatives}, or run cosign initialize`,
    );
    err.cause = e;
    throw err;
  });
}
