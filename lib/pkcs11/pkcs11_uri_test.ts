import assert from "node:assert/strict";
import { formatPkcs11Uri, parsePkcs11Uri, type Pkcs11Uri } from "./pkcs11_uri.ts";

const enc = (s: string) => new TextEncoder().encode(s);

// The URI of cosign v2.6.4's test/pkcs11_test.go TestParsePKCS11URI: every RFC 7512 attribute,
// the ones cosign does not use ignored.
const COSIGN_PARSE_VECTOR = "pkcs11:" +
  "library-manufacturer=manufacturer;library-description=description;library-version=1;" +
  "slot-manufacturer=manufacturer;slot-description=description;slot-id=1;" +
  "manufacturer=manufacturer;model=model;serial=12345678;token=token%20label;" +
  "type=private;object=key%20label;id=%6b%65%79%5f%69%64" +
  "?module-path=/path/to/some%20folder/libmodule.so&module-name=libmodule.so&" +
  "pin-value=1234&pin-source=/path/to/pinfile";

Deno.test("parsePkcs11Uri() reads cosign's test URI as cosign does", () => {
  assert.deepEqual(
    parsePkcs11Uri(COSIGN_PARSE_VECTOR),
    {
      modulePath: "/path/to/some folder/libmodule.so",
      slotId: 1,
      tokenLabel: "token label",
      keyLabel: enc("key label"),
      keyId: enc("key_id"),
      pin: "1234",
      pinSource: "/path/to/pinfile",
    } satisfies Pkcs11Uri,
  );
});

Deno.test("formatPkcs11Uri() writes cosign's test URI byte for byte", () => {
  // cosign v2.6.4 test/pkcs11_test.go TestConstructPKCS11URI
  assert.equal(
    formatPkcs11Uri({
      modulePath: "/path/to/some folder/libmodule.so",
      slotId: 1,
      tokenLabel: "token label",
      keyLabel: enc("key label"),
      keyId: enc("key_id"),
      pin: "1234",
    }),
    "pkcs11:token=token%20label;slot-id=1;id=%6b%65%79%5f%69%64;object=key%20label" +
      "?module-path=/path/to/some%20folder/libmodule.so&pin-value=1234",
  );
});

Deno.test("parsePkcs11Uri() takes the module path from COSIGN_PKCS11_MODULE_PATH when the URI has none", () => {
  assert.deepEqual(parsePkcs11Uri("pkcs11:token=t;id=%01", { modulePath: "/m.so" }), {
    modulePath: "/m.so",
    tokenLabel: "t",
    keyId: Uint8Array.of(1),
  });
  // The URI's own module-path wins.
  assert.equal(
    parsePkcs11Uri("pkcs11:token=t;id=%01?module-path=/u.so", { modulePath: "/m.so" }).modulePath,
    "/u.so",
  );
});

Deno.test("parsePkcs11Uri() accepts & and ; as separators, + as a space, and ignores a fragment", () => {
  assert.deepEqual(
    parsePkcs11Uri("pkcs11:token=my+token&object=k%2F1?module-path=/m.so;pin-value=a+b#frag"),
    { modulePath: "/m.so", tokenLabel: "my token", keyLabel: enc("k/1"), pin: "a b" },
  );
});

Deno.test("parsePkcs11Uri() rejects URIs cosign rejects, with cosign's reason", () => {
  const cases: [string, string][] = [
    ["pkcs12:token=t;id=%01?module-path=/m.so", "invalid uri: not a PKCS11 uri"],
    ["pkcs11:object=k?module-path=/m.so", "invalid uri: one of token and slot-id must be set"],
    [
      "pkcs11:slot-id=x;object=k?module-path=/m.so",
      "invalid uri: slot-id 'x' is not a valid number",
    ],
    [
      "pkcs11:token=t;object=k",
      "invalid uri: module-path or COSIGN_PKCS11_MODULE_PATH must be set to the absolute path of the PKCS11 module",
    ],
    ["pkcs11:token=t?module-path=/m.so", "invalid uri: one of object and id must be set"],
    ["pkcs11:token=t;id=%zz?module-path=/m.so", 'parse uri path: invalid URL escape "%zz"'],
    ["pkcs11:token=t;id=%0?module-path=/m.so", 'parse uri path: invalid URL escape "%0"'],
    ["pkcs11:token=t;id=%01?module-path=/m%.so", 'parse uri query: invalid URL escape "%.s"'],
    ["pkcs11:token=t;id=%01\n?module-path=/m.so", "net/url: invalid control character in URL"],
  ];
  for (const [uri, reason] of cases) {
    assert.throws(() => parsePkcs11Uri(uri), {
      name: "TypeError",
      message: `Cannot parse PKCS#11 URI: ${reason}`,
    }, uri);
  }
});

Deno.test("formatPkcs11Uri() percent-encodes what cosign encodes and needs its required parts", () => {
  assert.equal(
    formatPkcs11Uri({
      modulePath: "/usr/lib/my module.so",
      tokenLabel: "a;b/c",
      keyLabel: enc("é"),
      pin: "p&q",
    }),
    "pkcs11:token=a%3bb%2fc;object=%c3%a9?module-path=/usr/lib/my%20module.so&pin-value=p%26q",
  );
  assert.throws(() => formatPkcs11Uri({ modulePath: "", tokenLabel: "t", keyLabel: enc("k") }), {
    name: "TypeError",
    message: "module path must be set to the absolute path of the PKCS11 module",
  });
  assert.throws(() => formatPkcs11Uri({ modulePath: "/m", tokenLabel: "t" }), {
    message: "one of keyLabel and keyID must be set",
  });
  assert.throws(() => formatPkcs11Uri({ modulePath: "/m", keyLabel: enc("k") }), {
    message: "one of tokenLabel and slotID must be set",
  });
});

Deno.test("formatPkcs11Uri() output parses back to the same key", () => {
  const parts = {
    modulePath: "/usr/lib/softhsm/libsofthsm2.so",
    slotId: 1259082400,
    tokenLabel: "My Token",
    keyLabel: enc("k1"),
    keyId: Uint8Array.of(0, 0xff, 0x10),
    pin: "12 34",
  };
  assert.deepEqual(parsePkcs11Uri(formatPkcs11Uri(parts)), parts);
});
