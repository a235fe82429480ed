/**
 * The `key=value,key=value` service specifications of cosign's `trusted-root create` and
 * `signing-config create` flags (`--fulcio`, `--rekor`, `--ctfe`, `--tsa`, `--oidc-provider`),
 * split as cosign's parseKVs does (cmd/cosign/cli/trustedroot/trustedroot.go).
 *
 * @module
 */
import { parseRfc3339, type ProtoTime } from "./_proto_time.ts";
import { goTrimSpace } from "../go_strings.ts";

/** Most pairs in one specification. */
const MAX_PAIRS = 64;

/**
 * Splits a specification into its pairs: on every `,`, each pair at its first `=`, keys and
 * values trimmed; a later key replaces an earlier one.
 *
 * @param spec the flag value
 * @returns the pairs
 * @throws {TypeError} "invalid key-value pair: <pair>" for a pair without `=`
 */
export function parseKeyValues(spec: string): Map<string, string> {
  const out = new Map<string, string>();
  const pairs = spec.split(",");
  if (pairs.length > MAX_PAIRS) throw new TypeError(`more than ${MAX_PAIRS} key-value pairs`);
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq < 0) throw new TypeError(`invalid key-value pair: ${pair}`);
    out.set(goTrimSpace(pair.slice(0, eq)), goTrimSpace(pair.slice(eq + 1)));
  }
  return out;
}

/**
 * Requires non-empty values for `keys`, in order.
 *
 * @throws {TypeError} "<prefix> '<key>' in <what>" for the first missing or empty one
 */
export function requireKeys(
  kvs: Map<string, string>,
  keys: string[],
  prefix: string,
  what: string,
): void {
  for (const k of keys) {
    if (!kvs.get(k)) throw new TypeError(`${prefix} '${k}' in ${what}`);
  }
}

/**
 * Parses a time flag value as Go's `time.Parse(time.RFC3339, …)`.
 *
 * @param text the value
 * @param name the key, for the message ("start-time")
 * @returns the time
 * @throws {TypeError} "parsing <name>: cannot parse "<text>" as an RFC 3339 time"
 */
export function specTime(text: string, name: string): ProtoTime {
  const t = parseRfc3339(text);
  if (!t) throw new TypeError(`parsing ${name}: cannot parse "${text}" as an RFC 3339 time`);
  return t;
}
