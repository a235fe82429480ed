/**
 * Versions: ours, and the cosign release whose behaviour this implementation matches.
 *
 * @module
 */

/** The version of this cosign implementation (deno.json's `version`). */
export const VERSION = "0.1.0";

/**
 * The Go cosign release this implementation matches flag for flag and byte for byte, and runs
 * its interop tests against (tests/peers/cosign.ts).
 */
export const COSIGN_COMPAT = "2.6.4";

/**
 * What `version` prints as GitVersion: the cosign release we match, with our own version as
 * SemVer build metadata, e.g. `v2.6.4+deno.0.1.0`. Build metadata does not count for precedence
 * (SemVer 2.0.0 §10), so a script's "cosign ≥ 2" or "≥ 2.4" check compares the cosign behaviour
 * it gets, while the text still says honestly that this is not Go's build.
 */
export const GIT_VERSION = `v${COSIGN_COMPAT}+deno.${VERSION}`;
