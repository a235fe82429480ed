/**
 * The non-interactive sources of an identity token, in cosign's order (cosign internal/auth
 * `ReadIDToken`): `--identity-token` (a token, or the path of a file holding one), then, when it
 * gave nothing, the ambient providers (`SIGSTORE_ID_TOKEN`, a token file, GitHub Actions,
 * Buildkite, SPIFFE, Google), unless they are disabled.
 *
 * @module
 */
import { readError } from "../atomic_file.ts";
import { IdentityError } from "../errors.ts";
import { JWS_ALGORITHMS, parseCompactJws } from "./_jws.ts";
import type { AmbientContext, AmbientProviderName } from "./ambient_provider.ts";
import { anyAmbientProviderEnabled, provideAmbientToken } from "./ambient_providers.ts";
import { readContextFile } from "./ambient_provider.ts";

/** The audience cosign asks ambient providers for. */
export const SIGSTORE_AUDIENCE = "sigstore";

/** What {@link readIdentityToken} reads. */
export interface ReadIdentityTokenOptions extends AmbientContext {
  /** `--identity-token`: the token itself, or the path of a file holding it. */
  identityToken?: string;
  /** `--oidc-disable-ambient-providers`. */
  disableAmbientProviders?: boolean;
  /** `--oidc-provider`: ask only this ambient provider (see `AMBIENT_PROVIDER_NAMES`). */
  provider?: string;
}

/** Where a token came from. */
export type IdentityTokenSource = "flag" | "file" | AmbientProviderName;

/** A token read without user interaction. */
export interface ReadIdentityToken {
  token: string;
  source: IdentityTokenSource;
}

/**
 * Whether `--identity-token`'s value is a token rather than a path. cosign (internal/auth
 * `idToken`) takes it as a token when go-jose parses it as a compact JWS signed RS256 and reads a
 * file otherwise; here any algorithm sigstore accepts for ID tokens counts (a token signed ES256
 * would otherwise be opened as a file and fail).
 */
function isToken(value: string): boolean {
  try {
    return JWS_ALGORITHMS.includes(String(parseCompactJws(value.trim()).header.alg));
  } catch {
    return false;
  }
}

/**
 * Reads an identity token from the flag, a file or an ambient provider.
 *
 * @param options the flag values and what providers need
 * @returns the token and its source, or undefined when none of these gave one (the caller then
 *   runs an interactive flow)
 * @throws {IoError} `INPUT_NOT_FOUND` / `INPUT_UNREADABLE` "Cannot read identity token file <path>:
 *   …" when the flag names a file that cannot be read
 * @throws {IdentityError} `OIDC_TOKEN_INVALID` when the value looks like a JWT but is not one
 *   (it is not echoed); `OIDC_PROVIDER_FAILED` when the enabled providers all fail
 */
export async function readIdentityToken(
  options: ReadIdentityTokenOptions,
): Promise<ReadIdentityToken | undefined> {
  const value = options.identityToken ?? "";
  let token = "";
  let source: IdentityTokenSource = "flag";
  if (value !== "") {
    if (isToken(value)) token = value.trim();
    else {
      if (/^eyJ[A-Za-z0-9_-]*=*\.[A-Za-z0-9_-]+=*\.[A-Za-z0-9_-]*=*$/.test(value.trim())) {
        // A token-shaped value (its header starts with `{"`) that does not parse: never print it,
        // it may be a real token.
        throw new IdentityError(
          "OIDC_TOKEN_INVALID",
          "Cannot read identity token: the --identity-token value looks like a JWT but is not a valid one",
        );
      }
      let bytes: Uint8Array;
      try {
        bytes = await readContextFile(options, value);
      } catch (e) {
        if (e instanceof RangeError) throw e;
        throw readError(e, `identity token file ${value}`);
      }
      // cosign keeps the bytes as they are; a trailing newline would make an invalid
      // Authorization header, so surrounding white space goes.
      token = new TextDecoder().decode(bytes).trim();
      source = "file";
    }
  }
  if (token !== "") return { token, source };
  if (options.disableAmbientProviders || !await anyAmbientProviderEnabled(options)) {
    return undefined;
  }
  const got = await provideAmbientToken(options, {
    audience: SIGSTORE_AUDIENCE,
    provider: options.provider || undefined,
  });
  // An enabled provider that gives an empty token (SIGSTORE_ID_TOKEN set to "") ends the search
  // with nothing, as in cosign: the interactive flow follows.
  return got.token === "" ? undefined : { token: got.token.trim(), source: got.provider };
}
