/**
 * `pkcs11:` URIs (RFC 7512) as cosign reads and writes them (cosign pkg/cosign/pkcs11key/util.go):
 * path attributes `token`, `slot-id`, `object`, `id` separated by `;` or `&`, query attributes
 * `module-path` and `pin-value`, each percent-decoded as Go's `url.ParseQuery` does (`+` is a
 * space). We also read RFC 7512's `pin-source` (a `file:` URI or an absolute path), which cosign
 * ignores.
 *
 * @module
 */

/** A parsed `pkcs11:` URI, with the module path resolved. */
export interface Pkcs11Uri {
  /** Absolute path of the PKCS#11 module (`module-path`, else `COSIGN_PKCS11_MODULE_PATH`). */
  modulePath: string;
  /** `slot-id`: wins over `token` when both are given (cosign). */
  slotId?: number;
  /** `token`: the token label. */
  tokenLabel?: string;
  /** `object`: the key's `CKA_LABEL`. */
  keyLabel?: Uint8Array;
  /** `id`: the key's `CKA_ID`; wins over `object` when both are given (cosign). */
  keyId?: Uint8Array;
  /** `pin-value`. */
  pin?: string;
  /** `pin-source`: where to read the PIN from (a file). */
  pinSource?: string;
}

/** The scheme prefix cosign dispatches on (case-sensitive, like its `strings.HasPrefix`). */
export const PKCS11_SCHEME = "pkcs11:";

const HEX = /^[0-9a-fA-F]{2}$/;

function fail(detail: string): TypeError {
  return new TypeError(`Cannot parse PKCS#11 URI: ${detail}`);
}

/** Go's `url.QueryUnescape`, to bytes. */
function queryUnescape(s: string, what: string): Uint8Array {
  const out: number[] = [];
  const bytes = new TextEncoder().encode(s);
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === 0x25) {
      const hex = s.slice(i + 1, i + 3);
      if (i + 2 >= bytes.length || !HEX.test(hex)) {
        throw fail(`parse uri ${what}: invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      }
      out.push(parseInt(hex, 16));
      i += 2;
    } else out.push(c === 0x2b ? 0x20 : c);
  }
  return Uint8Array.from(out);
}

/** Go's `url.ParseQuery`: first value of each key wins in `get`. */
function parseQuery(s: string, what: string): Map<string, Uint8Array> {
  const values = new Map<string, Uint8Array>();
  for (const part of s.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? "" : part.slice(eq + 1);
    const key = new TextDecoder().decode(queryUnescape(rawKey, what));
    const value = queryUnescape(rawValue, what);
    if (key !== "" && !values.has(key)) values.set(key, value);
  }
  return values;
}

const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : "");

/**
 * Parses a `pkcs11:` URI with cosign's rules and error order.
 *
 * @param uri e.g. `pkcs11:token=test;object=k1?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234`
 * @param options `modulePath`: the fallback when the URI has no `module-path`
 *   (`COSIGN_PKCS11_MODULE_PATH`)
 * @returns the parsed URI
 * @throws {TypeError} "Cannot parse PKCS#11 URI: …" with cosign's reasons: not a PKCS11 uri, one of
 *   token and slot-id must be set, slot-id 'x' is not a valid number, module-path or
 *   COSIGN_PKCS11_MODULE_PATH must be set …, one of object and id must be set, invalid URL escape
 */
export function parsePkcs11Uri(uri: string, options: { modulePath?: string } = {}): Pkcs11Uri {
  // Go's url.Parse refuses ASCII control characters anywhere.
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(uri)) throw fail("net/url: invalid control character in URL");
  const colon = uri.indexOf(":");
  if (colon < 0 || uri.slice(0, colon).toLowerCase() !== "pkcs11") {
    throw fail("invalid uri: not a PKCS11 uri");
  }
  let rest = uri.slice(colon + 1);
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf("?");
  const rawQuery = q < 0 ? "" : rest.slice(q + 1);
  // Go parses `pkcs11:/…` as a path, not an opaque part: no path attributes then.
  const opaque = q < 0 ? rest : rest.slice(0, q);
  const pathAttrs = parseQuery(opaque.startsWith("/") ? "" : opaque.replaceAll(";", "&"), "path");
  const queryAttrs = parseQuery(rawQuery.replaceAll(";", "&"), "query");

  const tokenLabel = text(pathAttrs.get("token"));
  const slotIdText = text(pathAttrs.get("slot-id"));
  if (tokenLabel === "" && slotIdText === "") {
    throw fail("invalid uri: one of token and slot-id must be set");
  }
  let slotId: number | undefined;
  if (slotIdText !== "") {
    // strconv.Atoi: optional sign, decimal digits, within int64.
    if (!/^[+-]?\d+$/.test(slotIdText) || !Number.isSafeInteger(Number(slotIdText))) {
      throw fail(`invalid uri: slot-id '${slotIdText}' is not a valid number`);
    }
    slotId = Number(slotIdText);
  }
  const modulePath = text(queryAttrs.get("module-path")) || options.modulePath || "";
  if (modulePath === "") {
    throw fail(
      "invalid uri: module-path or COSIGN_PKCS11_MODULE_PATH must be set to the absolute path of the PKCS11 module",
    );
  }
  const keyLabel = pathAttrs.get("object");
  const keyId = pathAttrs.get("id");
  if (!keyLabel?.length && !keyId?.length) {
    throw fail("invalid uri: one of object and id must be set");
  }
  const out: Pkcs11Uri = { modulePath };
  if (slotId !== undefined) out.slotId = slotId;
  if (tokenLabel !== "") out.tokenLabel = tokenLabel;
  if (keyLabel?.length) out.keyLabel = keyLabel;
  if (keyId?.length) out.keyId = keyId;
  const pin = text(queryAttrs.get("pin-value"));
  if (pin !== "") out.pin = pin;
  const pinSource = text(queryAttrs.get("pin-source"));
  if (pinSource !== "") out.pinSource = pinSource;
  return out;
}

const PATH_CHARS = new Set(
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:[]@!$'()*+,=&",
);
const QUERY_CHARS = new Set(
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:[]@!$'()*+,=/?|",
);

/** cosign's `EncodeURIComponent` with percent-encoding: byte-wise, lower-case hex. */
function encodeComponent(value: string | Uint8Array, allowed: Set<string>): string {
  const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
  let out = "";
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    out += b < 0x80 && allowed.has(c) ? c : "%" + b.toString(16).padStart(2, "0");
  }
  return out;
}

/**
 * Writes a `pkcs11:` URI exactly as cosign's `Pkcs11UriConfig.Construct` does (what
 * `cosign pkcs11-tool list-keys-uris` prints): `token`, `slot-id`, `id` (every byte
 * percent-encoded), `object`, then `?module-path=` and `&pin-value=` when a PIN is given.
 *
 * @param uri the parts; `modulePath` and one of `keyLabel`/`keyId` and of `tokenLabel`/`slotId`
 *   are required
 * @returns the URI
 * @throws {TypeError} when a required part is missing
 */
export function formatPkcs11Uri(uri: Omit<Pkcs11Uri, "pinSource">): string {
  if (!uri.modulePath) {
    throw new TypeError("module path must be set to the absolute path of the PKCS11 module");
  }
  if (!uri.keyLabel?.length && !uri.keyId?.length) {
    throw new TypeError("one of keyLabel and keyID must be set");
  }
  if (!uri.tokenLabel && uri.slotId === undefined) {
    throw new TypeError("one of tokenLabel and slotID must be set");
  }
  let s = "pkcs11:";
  if (uri.tokenLabel) s += "token=" + encodeComponent(uri.tokenLabel, PATH_CHARS);
  if (uri.slotId !== undefined) s += ";slot-id=" + uri.slotId;
  if (uri.keyId?.length) {
    s += ";id=" + [...uri.keyId].map((b) => "%" + b.toString(16).padStart(2, "0")).join("");
  }
  if (uri.keyLabel?.length) s += ";object=" + encodeComponent(uri.keyLabel, PATH_CHARS);
  s += "?module-path=" + encodeComponent(uri.modulePath, QUERY_CHARS);
  if (uri.pin) s += "&pin-value=" + encodeComponent(uri.pin, QUERY_CHARS);
  return s;
}
