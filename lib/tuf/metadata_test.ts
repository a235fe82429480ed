import assert from "node:assert/strict";
import { parseMetadata } from "./metadata.ts";

const fixture = (name: string) =>
  Deno.readFile(new URL(`../../tests/fixtures/tuf/${name}`, import.meta.url));
const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));

const timestamp = {
  _type: "timestamp",
  spec_version: "1.0.31",
  version: 3,
  expires: "2030-01-01T00:00:00Z",
  meta: { "snapshot.json": { version: 2, length: 10, hashes: { sha256: "AB" } } },
};

Deno.test("parseMetadata() reads the real public-good root 15", async () => {
  const m = parseMetadata(await fixture("15.root.json"), "root");
  assert.equal(m.signed.version, 15);
  assert.equal(m.signed.expires, Date.parse("2026-11-20T13:58:18Z"));
  assert.equal(m.signed.consistentSnapshot, true);
  assert.equal(m.signed.specVersion, "1.0");
  assert.equal(m.signed.roles.root.threshold, 3);
  assert.equal(m.signed.roles.timestamp.keyids[0].slice(0, 8), "0c87432c");
  const k = m.signed.keys[m.signed.roles.timestamp.keyids[0]];
  assert.equal(k.keytype, "ecdsa");
  assert.equal(k.scheme, "ecdsa-sha2-nistp256");
  assert.match(k.public, /^-----BEGIN PUBLIC KEY-----\n/);
  assert.equal(m.signatures.length, 5);
  // unknown fields stay in signedJson: signatures cover them
  const keyJson = (m.signedJson.keys as Record<string, Record<string, unknown>>)[
    m.signed.roles.timestamp.keyids[0]
  ];
  assert.equal(typeof keyJson["x-tuf-on-ci-online-uri"], "string");
});

Deno.test("parseMetadata() reads timestamp, snapshot and targets", () => {
  const t = parseMetadata(enc({ signed: timestamp, signatures: [] }), "timestamp");
  assert.deepEqual(t.signed.snapshotMeta, { version: 2, length: 10, hashes: { sha256: "ab" } });
  const s = parseMetadata(
    enc({
      signed: { ...timestamp, _type: "snapshot", meta: { "targets.json": { version: 7 } } },
      signatures: [{ keyid: "k", sig: "00" }],
    }),
    "snapshot",
  );
  assert.deepEqual(s.signed.meta, { "targets.json": { version: 7 } });
  const g = parseMetadata(
    enc({
      signed: {
        ...timestamp,
        _type: "targets",
        meta: undefined,
        targets: { "a/b.txt": { length: 3, hashes: { sha512: "ff" }, custom: { x: 1 } } },
        delegations: {
          keys: {},
          roles: [{ name: "d", keyids: [], threshold: 1, terminating: true, paths: ["a/*"] }],
        },
      },
      signatures: [],
    }),
    "targets",
  );
  assert.deepEqual(g.signed.targets["a/b.txt"], {
    path: "a/b.txt",
    length: 3,
    hashes: { sha512: "ff" },
    custom: { x: 1 },
  });
  assert.deepEqual(g.signed.delegations?.roles, [
    { name: "d", keyids: [], threshold: 1, terminating: true, paths: ["a/*"] },
  ]);
});

Deno.test("parseMetadata() refuses malformed metadata", () => {
  const bad = (signed: unknown, signatures: unknown = []) => enc({ signed, signatures });
  const cases: [Uint8Array, string, string][] = [
    [
      enc("{"),
      "timestamp",
      "Cannot parse TUF timestamp metadata: Expected property name or '}' in JSON at position 1 (line 1 column 2)",
    ],
    [
      new Uint8Array([0x7b, 0xff, 0x7d]),
      "timestamp",
      "Cannot parse TUF timestamp metadata: The encoded data is not valid",
    ],
    [enc([]), "timestamp", 'Cannot parse TUF timestamp metadata: "(document)" must be an object'],
    [
      bad(timestamp, {}),
      "timestamp",
      'Cannot parse TUF timestamp metadata: "signatures" must be a list',
    ],
    [
      bad(timestamp, [{ keyid: "a", sig: "" }, { keyid: "a", sig: "00" }]),
      "timestamp",
      "Cannot parse TUF timestamp metadata: multiple signatures by one key ID",
    ],
    [
      bad(timestamp),
      "snapshot",
      'Cannot parse TUF snapshot metadata: expected _type "snapshot", got "timestamp"',
    ],
    [
      bad({ ...timestamp, spec_version: "2.0.0" }),
      "timestamp",
      'Cannot parse TUF timestamp metadata: unsupported spec_version "2.0.0"',
    ],
    [
      bad({ ...timestamp, version: 0 }),
      "timestamp",
      'Cannot parse TUF timestamp metadata: "version" must be an integer of at least 1',
    ],
    [
      bad({ ...timestamp, version: 1.5 }),
      "timestamp",
      'Cannot parse TUF timestamp metadata: "version" must be an integer of at least 1',
    ],
    [
      bad({ ...timestamp, expires: "2030-01-01" }),
      "timestamp",
      'Cannot parse TUF timestamp metadata: "expires" must be a UTC time like 2030-01-01T00:00:00Z',
    ],
    [
      bad({ ...timestamp, expires: "2030-01-01T00:00:00+01:00" }),
      "timestamp",
      'Cannot parse TUF timestamp metadata: "expires" must be a UTC time like 2030-01-01T00:00:00Z',
    ],
    [
      bad({ ...timestamp, meta: {} }),
      "timestamp",
      'Cannot parse TUF timestamp metadata: "meta" must hold exactly "snapshot.json"',
    ],
    [
      bad({ ...timestamp, meta: { "snapshot.json": { version: 1, hashes: { sha256: "xyz" } } } }),
      "timestamp",
      'Cannot parse TUF timestamp metadata: "meta.snapshot.json.hashes.sha256" must be hex',
    ],
    [
      bad({ ...timestamp, meta: { "snapshot.json": { version: 1, length: -1 } } }),
      "timestamp",
      'Cannot parse TUF timestamp metadata: "meta.snapshot.json.length" must be an integer of at least 0',
    ],
    [
      bad({ ...timestamp, _type: "root", keys: {}, roles: {} }),
      "root",
      'Cannot parse TUF root metadata: "roles.root" is missing',
    ],
    [
      bad({
        ...timestamp,
        _type: "root",
        keys: {},
        roles: { root: { keyids: ["a", "a"], threshold: 1 } },
      }),
      "root",
      'Cannot parse TUF root metadata: "roles.root.keyids" has duplicates',
    ],
    [
      bad({ ...timestamp, _type: "root", keys: {}, roles: { root: { keyids: [], threshold: 0 } } }),
      "root",
      'Cannot parse TUF root metadata: "roles.root.threshold" must be an integer of at least 1',
    ],
    [
      bad({ ...timestamp, _type: "root", consistent_snapshot: "yes", keys: {}, roles: {} }),
      "root",
      'Cannot parse TUF root metadata: "consistent_snapshot" must be a boolean',
    ],
    [
      bad({ ...timestamp, _type: "targets", targets: { a: { length: 1, hashes: {} } } }),
      "targets",
      'Cannot parse TUF targets metadata: "targets.a.hashes" is empty',
    ],
    [
      bad({
        ...timestamp,
        _type: "targets",
        targets: {},
        delegations: { keys: {}, succinct_roles: {} },
      }),
      "targets",
      'Cannot parse TUF targets metadata: "delegations.succinct_roles" is not supported',
    ],
    [
      bad({
        ...timestamp,
        _type: "targets",
        targets: {},
        delegations: {
          keys: {},
          roles: [{ name: "targets", keyids: [], threshold: 1, terminating: false }],
        },
      }),
      "targets",
      'Cannot parse TUF targets metadata: "delegations.roles[0].name" must not be empty or a top-level role name',
    ],
    [
      bad({
        ...timestamp,
        _type: "targets",
        targets: {},
        delegations: {
          keys: {},
          roles: [{
            name: "d",
            keyids: [],
            threshold: 1,
            terminating: false,
            paths: [],
            path_hash_prefixes: [],
          }],
        },
      }),
      "targets",
      'Cannot parse TUF targets metadata: "delegations.roles[0]" must not have both "paths" and "path_hash_prefixes"',
    ],
  ];
  for (const [bytes, type, message] of cases) {
    assert.throws(() => parseMetadata(bytes, type as "timestamp"), {
      name: "SyntaxError",
      message,
    });
  }
});
