/**
 * Go's whitespace rules for the text formats cosign reads with the Go standard library
 * (Dockerfiles, service specifications): `unicode.IsSpace`, `strings.TrimSpace`,
 * `strings.Fields`. JavaScript's `\s` differs (it has U+FEFF and lacks U+0085).
 *
 * @module
 */

/** Go's unicode.IsSpace set, as the inside of a regular expression character class. */
export const GO_SPACE =
  "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

const TRIM = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, "g");
const SPLIT = new RegExp(`[${GO_SPACE}]+`);

/**
 * Go's `strings.TrimSpace`.
 *
 * @param s the text
 * @returns `s` without leading and trailing Go whitespace
 */
export function goTrimSpace(s: string): string {
  return s.replace(TRIM, "");
}

/**
 * Go's `strings.Fields`: the runs of non-whitespace.
 *
 * @param s the text
 * @returns the fields, none empty
 */
export function goFields(s: string): string[] {
  return s.split(SPLIT).filter((f) => f !== "");
}
