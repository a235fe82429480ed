/**
 * `--signing-config` and `--use-signing-config` of the sign family (`sign`, `sign-blob`,
 * `attest`, `attest-blob`), as cosign v2.6.4 declares them (cmd/cosign/cli/options/sign.go …)
 * and checks them (cmd/cosign/cli/sign.go …; the `--tlog-upload=false` refusal is cosign 3's
 * signcommon.LoadTrustedMaterialAndSigningConfig, where v2.6.4 silently uploads anyway): the
 * config's services replace `--fulcio-url`, `--rekor-url` and `--oidc-issuer`.
 *
 * @module
 */
import type { Context } from "../command.ts";
import type { Flag } from "../flags/parse.ts";
import { UsageError } from "../exit_codes.ts";
import { DEFAULT_FULCIO_URL, DEFAULT_OIDC_ISSUER, DEFAULT_REKOR_URL } from "../flags/groups.ts";
import type { ErrorCode } from "../../lib/errors.ts";
import type { SigningServices } from "../../lib/trust/select_signing_services.ts";

/**
 * The two flags, with cosign's help for the command's output: `bundle` for the blob commands
 * (`--bundle`), `new-bundle-format` for the image commands.
 *
 * @param output what the command must be given with a signing config
 * @returns the flag declarations
 */
export function signingConfigFlags(output: "bundle" | "new-bundle-format"): Flag[] {
  const must = output === "bundle"
    ? "Must provide --bundle, which will output verification material in the new format"
    : "Must set --new-bundle-format, which will store verification material in the new format";
  const mustPath = output === "bundle"
    ? must
    : "Must provide --new-bundle-format, which will store verification material in the new format";
  return [
    {
      name: "use-signing-config",
      type: "bool",
      help: `whether to use a TUF-provided signing config for the service URLs. ${must}`,
    },
    {
      name: "signing-config",
      type: "string",
      help: `path to a signing config file. ${mustPath}`,
    },
  ];
}

/** Whether the command was asked to sign with a signing config. */
export function usesSigningConfig(ctx: Context): boolean {
  return ctx.flags["use-signing-config"] === true || (ctx.flags["signing-config"] ?? "") !== "";
}

/**
 * Reads the signing config (the file of `--signing-config`, or the TUF repository's
 * `signing_config.v0.2.json` for `--use-signing-config`), picks its services
 * (lib/trust selectSigningServices) and puts them where the signing options read them:
 * `fulcio-url`, `oidc-issuer`, `rekor-url`, and `tlog-upload` (true when the config names a
 * log, as cosign uploads to the config's logs) and `timestamp-server-url` (its one authority).
 *
 * @param output `bundle` (sign-blob, attest-blob) or `new-bundle-format` (sign, attest)
 * @returns the selected services, or undefined when no signing config is used
 * @throws {UsageError} with cosign's messages: both flags; a service URL flag given too
 *   ("cannot specify service URLs and use signing config"); `--tlog-upload=false`; no
 *   `--bundle` / `--new-bundle-format`; "no fulcio URLs provided in signing config" when signing
 *   keyless; more than one log selected (we upload to one)
 * @throws {IoError | TypeError | SyntaxError} when the config cannot be read ("error reading
 *   signing config from file: …", "error getting signing config from TUF: …")
 * @throws {SigstoreError} `SIGNING_SERVICE_NOT_FOUND`, `SIGNING_SERVICE_UNSUPPORTED`
 */
export async function applySigningConfig(
  ctx: Context,
  output: "bundle" | "new-bundle-format",
): Promise<SigningServices | undefined> {
  const f = ctx.flags;
  if (f["use-signing-config"] === true && f["signing-config"] !== "") {
    // cobra's MarkFlagsMutuallyExclusive message.
    throw new UsageError(
      "if any flags in the group [use-signing-config signing-config] are set none of the others can be; [signing-config use-signing-config] were all set",
    );
  }
  if (!usesSigningConfig(ctx)) return undefined;
  const differs = (flag: string, dflt: string) =>
    typeof f[flag] === "string" && f[flag] !== "" && f[flag] !== dflt;
  if (
    differs("rekor-url", DEFAULT_REKOR_URL) || differs("fulcio-url", DEFAULT_FULCIO_URL) ||
    differs("oidc-issuer", DEFAULT_OIDC_ISSUER) || differs("timestamp-server-url", "")
  ) {
    throw new UsageError("cannot specify service URLs and use signing config");
  }
  if (f["tlog-upload"] === false || f["no-upload"] === true) {
    throw new UsageError(
      "--tlog-upload=false is not supported with --signing-config or --use-signing-config. Provide a signing config with --signing-config without a transparency log service, which can be created with `cosign signing-config create`",
    );
  }
  if (output === "bundle" && f.bundle === "") {
    throw new UsageError("must provide --bundle with --signing-config or --use-signing-config");
  }
  if (output === "new-bundle-format" && f["new-bundle-format"] !== true) {
    throw new UsageError(
      "must provide --new-bundle-format with --signing-config or --use-signing-config",
    );
  }
  const { parseSigningConfig } = await import("../../lib/trust/signing_config.ts");
  let bytes: Uint8Array;
  let what: string;
  if (f["use-signing-config"] === true) {
    what = "error getting signing config from TUF";
    const { trustedRootFromTuf } = await import("./tuf_options.ts");
    const { SIGNING_CONFIG_TARGET } = await import("../../lib/tuf/tuf_cache.ts");
    bytes = await rewrapped(what, () => trustedRootFromTuf(ctx, SIGNING_CONFIG_TARGET));
  } else {
    what = "error reading signing config from file";
    const path = f["signing-config"] as string;
    const { readAllBounded } = await import("../../lib/stream.ts");
    const { MAX_SIGNING_CONFIG_BYTES } = await import("../../lib/trust/signing_config.ts");
    bytes = await rewrapped(what, async () => {
      using file = await Deno.open(path);
      return await readAllBounded(file, MAX_SIGNING_CONFIG_BYTES + 1, path);
    });
  }
  const sc = await rewrapped(what, () => Promise.resolve(parseSigningConfig(bytes)));
  const { selectSigningServices } = await import("../../lib/trust/select_signing_services.ts");
  const services = selectSigningServices(sc, new Date());
  const keyless = (f.key ?? "") === "" && f.sk !== true || f["issue-certificate"] === true;
  if (keyless && services.fulcioUrl === undefined) {
    throw new UsageError("no fulcio URLs provided in signing config");
  }
  if (services.rekorUrls.length > 1) {
    throw new UsageError(
      `cannot upload to ${services.rekorUrls.length} transparency logs yet: the signing config selects ${
        services.rekorUrls.join(", ")
      } and one log per signature is supported`,
    );
  }
  if (services.fulcioUrl !== undefined) f["fulcio-url"] = services.fulcioUrl;
  if (services.oidcUrl !== undefined) f["oidc-issuer"] = services.oidcUrl;
  f["tlog-upload"] = services.rekorUrls.length === 1;
  if (services.rekorUrls.length === 1) f["rekor-url"] = services.rekorUrls[0];
  if (services.tsaUrls.length > 1) {
    throw new UsageError(
      `cannot request timestamps from ${services.tsaUrls.length} timestamp authorities yet: the signing config selects ${
        services.tsaUrls.join(", ")
      } and one timestamp per signature is supported`,
    );
  }
  // The config's authority signs the timestamp as --timestamp-server-url would (cosign: the
  // signing config's TSA in sign.Bundle); the --timestamp-client-* flags still apply.
  if (services.tsaUrls.length === 1 && "timestamp-server-url" in f) {
    f["timestamp-server-url"] = services.tsaUrls[0];
  }
  return services;
}

/** Runs `step`, prefixing its error's message with `prefix` (same class and code). */
async function rewrapped<T>(prefix: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    const message = `${prefix}: ${(e as Error)?.message ?? String(e)}`;
    const { SigstoreError } = await import("../../lib/errors.ts");
    if (e instanceof SigstoreError) {
      const Ctor = e.constructor as new (
        code: ErrorCode,
        message: string,
        options?: ErrorOptions,
      ) => Error;
      throw new Ctor(e.code, message, { cause: e });
    }
    if (e instanceof SyntaxError) throw new SyntaxError(message, { cause: e });
    if (e instanceof TypeError) throw new TypeError(message, { cause: e });
    throw new Error(message, { cause: e });
  }
}
