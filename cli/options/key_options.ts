/**
 * Key references as every command reads them: the dependencies lib/ needs from the process to
 * read `--key` (environment, network, PKCS#11 settings, a PIN prompt), and the signing commands'
 * `--key`/`--sk` choice.
 *
 * @module
 */
import type { Context } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { readSecret } from "../io.ts";
import type { KeyRefDeps } from "../../lib/keys/key_ref.ts";

/**
 * The process-side dependencies for reading key references: environment, network, cosign's
 * `COSIGN_PKCS11_*` settings, a PIN prompt when stdin is a terminal, and the resolver that gives
 * verification paths the public key of a token or KMS key (its code loaded only when used).
 */
export function keyRefDeps(ctx: Context): KeyRefDeps {
  const env = ctx.io.getEnv;
  const deps: KeyRefDeps = {
    getEnv: env,
    fetch: (input, init) => fetch(input, { ...init, signal: ctx.signal }),
    pkcs11: {
      modulePath: env("COSIGN_PKCS11_MODULE_PATH") || undefined,
      pin: env("COSIGN_PKCS11_PIN") || undefined,
      ignoreCertificate: env("COSIGN_PKCS11_IGNORE_CERTIFICATE") === "1",
      promptPin: ctx.io.isTerminal.stdin ? (prompt) => readSecret(ctx.io, prompt) : undefined,
    },
  };
  deps.resolveProviderKey = async (ref) => {
    const { providerPublicKeyPem } = await import("../../lib/verify/load_public_key.ts");
    return await providerPublicKeyPem(ref, deps);
  };
  return deps;
}

/**
 * The key reference of a signing command: `--key`, or for `--sk` the PIV slot `--slot` names,
 * as `piv:<slot>` (lib/sign/load_signer.ts opens it through `libykcs11`).
 *
 * @returns the reference to hand to `loadSigner`
 */
export function signingKeyRef(ctx: Context): string {
  if (ctx.flags.sk === true) return `piv:${(ctx.flags.slot as string | undefined) ?? ""}`;
  return ctx.flags.key as string;
}

/**
 * The signing commands' check that `--key` and `--sk` are not both given (cosign's
 * "exactly one of" error).
 *
 * @throws {UsageError} when both are given
 */
export function rejectKeyAndSk(ctx: Context): void {
  if (ctx.flags.key !== "" && ctx.flags.sk === true) {
    throw new UsageError(
      "exactly one of: key reference (--key), or hardware token (--sk) must be provided",
    );
  }
}
