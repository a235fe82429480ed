/**
 * Online transparency-log verification and Rekor uploads (ours, in-process) against a real local
 * Rekor behind a fault proxy: each failed check gives one exact error line and exit code; a log
 * that is down, slow, failing or lying never lets a signature through; a failed upload leaves no
 * signature, bundle or `.sig` tag behind. Lying answers are real entries of this log, changed in
 * one field; only an entry integrated "in the future" needs a log key of our own (a fake log).
 */
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign as nodeSign } from "node:crypto";
import { join } from "node:path";
import { cosign } from "../../cli/_test_io.ts";
import { createRegistry } from "../../lib/registry/client.ts";
import { canonicalJson } from "../../lib/rekor/canonical_json.ts";
import { hashLeaf } from "../../lib/rekor/merkle.ts";
import { RekorClient } from "../../lib/rekor/client.ts";
import type { RekorEntry } from "../../lib/rekor/verify_entry.ts";
import { parsePublicKeyPem } from "../../lib/keys/public_key.ts";
import { v1KeyHint } from "../../lib/rekor/checkpoint.ts";
import { startFaultProxy } from "../peers/fault_proxy.ts";
import { startRegistry } from "../peers/registry.ts";
import { startRekor } from "../peers/rekor.ts";
import { pushImage } from "../registry/_helpers.ts";

const rekor = await startRekor();
const registry = await startRegistry({ mode: "http" });
const proxy = startFaultProxy(rekor.url);
const oci = createRegistry({});
const dir = await Deno.makeTempDir({ prefix: "cosign-rekor-faults-" });
addEventListener("unload", () => {
  oci.close();
  Deno.removeSync(dir, { recursive: true });
});
globalThis.addEventListener(
  "unload",
  () => void proxy.stop().then(() => rekor.stop()).then(() => registry.stop()),
);

const ENV = { COSIGN_PASSWORD: "", SIGSTORE_REKOR_PUBLIC_KEY: rekor.publicKeyPath };
const key = join(dir, "k");
assert.equal(
  (await cosign(["generate-key-pair", "--output-key-prefix", key], { env: ENV })).code,
  0,
);
const p = (name: string) => join(dir, name);

/** A port nothing listens on. */
function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function lastLine(text: string): string {
  const lines = text.trimEnd().split("\n");
  return lines[lines.length - 1];
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Signs `name` (a fresh blob) with ours; logged in the real Rekor unless `log` is false. */
async function signedBlob(name: string, log = true): Promise<void> {
  await Deno.writeTextFile(p(name), `blob ${name} ${crypto.randomUUID()}\n`);
  const r = await cosign([
    "sign-blob",
    "--key",
    `${key}.key`,
    `--tlog-upload=${log}`,
    "--rekor-url",
    rekor.url,
    "--yes",
    "--output-signature",
    p(`${name}.sig`),
    p(name),
  ], { env: ENV });
  assert.equal(r.code, 0, r.io.err());
}

await signedBlob("a");
await signedBlob("b");
await signedBlob("unlogged", false);

function verifyBlob(name: string, extra: string[] = [], env: Record<string, string> = ENV) {
  return cosign([
    "verify-blob",
    "--key",
    `${key}.pub`,
    "--signature",
    p(`${name}.sig`),
    "--rekor-url",
    proxy.url,
    ...extra,
    p(name),
  ], { env });
}

/** A log entry as the API serves it, keyed by UUID. */
type Served = Record<string, RekorEntry>;

/** The real log's answer to the lookup of blob `name`'s signature (what ours proposes). */
async function realEntry(name: string): Promise<{ uuid: string; entry: RekorEntry }> {
  const blob = await Deno.readFile(p(name));
  const found = await new RekorClient(rekor.url).searchEntries({
    algorithm: "sha256",
    digest: new Uint8Array(createHash("sha256").update(blob).digest()),
    signature: Uint8Array.fromBase64((await Deno.readTextFile(p(`${name}.sig`))).trim()),
    publicKeyPem: await Deno.readFile(`${key}.pub`),
  });
  assert.equal(found.length, 1);
  const { uuid, ...entry } = found[0];
  return { uuid, entry: structuredClone(entry) };
}

/** Makes the proxy answer every retrieve with `served`. */
function serve(served: Served[]): void {
  proxy.rules.splice(0, proxy.rules.length, {
    method: "POST",
    path: /^\/api\/v1\/log\/entries\/retrieve$/,
    action: {
      status: 200,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(served),
    },
  });
}

function resetProxy(): void {
  proxy.rules.splice(0);
  proxy.requests.splice(0);
}

/** Another P-256 key, e.g. a log key nobody trusts. */
function otherKey() {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { privateKey, pem: publicKey.export({ type: "spki", format: "pem" }) as string };
}

/** A SET over `entry` by `privateKey` (canonical JSON of body, integratedTime, logID, logIndex). */
function setBy(entry: RekorEntry, privateKey: ReturnType<typeof otherKey>["privateKey"]): string {
  const payload = canonicalJson({
    body: entry.body,
    integratedTime: entry.integratedTime,
    logID: entry.logID,
    logIndex: entry.logIndex,
  });
  return new Uint8Array(nodeSign("sha256", new TextEncoder().encode(payload), privateKey))
    .toBase64();
}

/**
 * A one-entry log of our own holding `body` at `integratedTime`: its key (PEM file) and the
 * entry with SET, inclusion proof and checkpoint all signed by that key.
 */
async function fakeLog(
  body: string,
  integratedTime: number,
): Promise<{ keyPath: string; served: Served }> {
  const k = otherKey();
  const logKey = parsePublicKeyPem(k.pem);
  const keyPath = p(`fake-log-${crypto.randomUUID()}.pub`);
  await Deno.writeTextFile(keyPath, k.pem);
  const leaf = hashLeaf(Uint8Array.fromBase64(body));
  const note = `fake.log - 1\n1\n${leaf.toBase64()}\n`;
  const noteSig = new Uint8Array(nodeSign("sha256", new TextEncoder().encode(note), k.privateKey));
  const hinted = new Uint8Array([...v1KeyHint(logKey), ...noteSig]);
  const entry: RekorEntry = {
    body,
    integratedTime,
    logID: createHash("sha256").update(logKey.spki).digest("hex"),
    logIndex: 0,
  };
  entry.verification = {
    signedEntryTimestamp: setBy(entry, k.privateKey),
    inclusionProof: {
      logIndex: 0,
      treeSize: 1,
      rootHash: leaf.toHex(),
      hashes: [],
      checkpoint: `${note}\n\u2014 fake.log ${hinted.toBase64()}\n`,
    },
  };
  return { keyPath, served: { [leaf.toHex()]: entry } };
}

Deno.test("verify-blob looks a signature without bundle up in the log, with one request", async () => {
  resetProxy();
  const r = await verifyBlob("a");
  assert.equal(r.code, 0, r.io.err());
  assert.equal(r.io.err(), "Verified OK\n");
  assert.deepEqual(proxy.requests.map((x) => `${x.method} ${x.path}`), [
    "POST /api/v1/log/entries/retrieve",
  ]);
});

Deno.test("verify-blob --offline without a bundle fails without any request", async () => {
  resetProxy();
  const r = await verifyBlob("a", ["--offline"]);
  assert.equal(r.code, 1);
  assert.equal(
    lastLine(r.io.err()),
    "error: cannot verify the transparency log entry: offline verification failed (the signature has no bundle, and --offline forbids looking it up in the log)",
  );
  assert.equal(proxy.requests.length, 0);
});

Deno.test("verify-blob checks the signature before asking the log, and needs the log key", async () => {
  resetProxy();
  await Deno.writeTextFile(p("b.txt"), await Deno.readTextFile(p("b")));
  await Deno.copyFile(p("a.sig"), p("b.txt.sig"));
  const bad = await verifyBlob("b.txt");
  assert.equal(bad.code, 1);
  assert.equal(
    bad.io.err(),
    "error: cannot verify signature: invalid signature when validating ASN.1 encoded signature\n",
  );
  const noKey = await verifyBlob("a", [], { COSIGN_PASSWORD: "" });
  assert.equal(noKey.code, 1);
  assert.equal(
    noKey.io.err(),
    "error: cannot verify the transparency log entries: set SIGSTORE_REKOR_PUBLIC_KEY to the " +
      "log's public key, or pass --insecure-ignore-tlog=true to verify without the log\n",
  );
  assert.equal(proxy.requests.length, 0);
});

Deno.test("verify-blob: a log that answers 503 once is retried", async () => {
  resetProxy();
  proxy.rules.push({ path: /retrieve$/, times: 1, action: { status: 503 } });
  const r = await verifyBlob("a");
  assert.equal(r.code, 0, r.io.err());
  assert.equal(proxy.requests.length, 2);
});

Deno.test("verify-blob: a good entry is found among bad ones", async () => {
  const { uuid, entry } = await realEntry("a");
  const bad = structuredClone(entry);
  bad.verification!.signedEntryTimestamp = setBy(bad, otherKey().privateKey);
  serve([{ [uuid]: bad }, { [uuid]: entry }]);
  const r = await verifyBlob("a");
  resetProxy();
  assert.equal(r.code, 0, r.io.err());
});

// Each failed check: the exact error line and cosign's exit code for verify-blob (1).
const FAILURES: {
  name: string;
  /** Sets the fault up; returns extra flags and environment. */
  setup: () =>
    | Promise<{ flags?: string[]; env?: Record<string, string>; blob?: string } | void>
    | { flags?: string[]; env?: Record<string, string>; blob?: string }
    | void;
  error: string | RegExp;
  requests?: number;
}[] = [
  {
    name: "entry not found (a signature never logged)",
    setup: () => ({ blob: "unlogged" }),
    error: "error: cannot find the transparency log entry: signature not found in transparency log",
  },
  {
    name: "log unreachable (connection refused), after bounded retries",
    setup: () => ({ flags: ["--rekor-url", `http://127.0.0.1:${closedPort()}`] }),
    error:
      /^error: cannot search the transparency log http:\/\/127\.0\.0\.1:\d+: .*Connection refused/,
  },
  {
    name: "log failing (HTTP 503 on every attempt, 4 attempts)",
    setup: () => {
      proxy.rules.push({
        path: /retrieve$/,
        action: { status: 503, body: '{"code":503,"message":"overloaded"}' },
      });
    },
    error: "error: cannot search the log: the transparency log answered HTTP 503: overloaded",
    requests: 4,
  },
  {
    name: "log slow (longer than --timeout)",
    setup: () => {
      proxy.rules.push({ path: /retrieve$/, action: { kind: "delay", ms: 5000 } });
      return { flags: ["--timeout", "1s"] };
    },
    error: /^error: cannot search the transparency log http:\/\/127\.0\.0\.1:\d+: .*timeout/,
  },
  {
    name: "inclusion proof that does not lead to the root",
    setup: async () => {
      const { uuid, entry } = await realEntry("a");
      entry.verification!.inclusionProof!.rootHash = "ab".repeat(32);
      serve([{ [uuid]: entry }]);
    },
    error:
      /^error: cannot verify inclusion proof: calculated root [0-9a-f]{64} does not match expected root (ab){32}$/,
  },
  {
    name: "checkpoint not signed by the log key",
    setup: async () => {
      const { uuid, entry } = await realEntry("a");
      const proof = entry.verification!.inclusionProof!;
      const k = otherKey();
      const note = proof.checkpoint!.slice(0, proof.checkpoint!.lastIndexOf("\n\n") + 1);
      const sig = new Uint8Array(nodeSign("sha256", new TextEncoder().encode(note), k.privateKey));
      const hint = v1KeyHint(parsePublicKeyPem(await Deno.readTextFile(rekor.publicKeyPath)));
      proof.checkpoint = `${note}\n\u2014 rekor.local ${
        new Uint8Array([...hint, ...sig]).toBase64()
      }\n`;
      serve([{ [uuid]: entry }]);
    },
    error: "error: cannot verify checkpoint: no signature by the log key verifies",
  },
  {
    name: "SET signed by another key",
    setup: async () => {
      const { uuid, entry } = await realEntry("a");
      entry.verification!.signedEntryTimestamp = setBy(entry, otherKey().privateKey);
      serve([{ [uuid]: entry }]);
    },
    error: "error: cannot verify signed entry timestamp: unable to verify SET",
  },
  {
    name: "log key not trusted (SIGSTORE_REKOR_PUBLIC_KEY is another log's)",
    setup: async () => {
      const path = p("untrusted-log.pub");
      await Deno.writeTextFile(path, otherKey().pem);
      return { env: { ...ENV, SIGSTORE_REKOR_PUBLIC_KEY: path } };
    },
    error:
      /^error: cannot verify transparency log entry: rekor log public key not found for payload \(log ID [0-9a-f]{64} is not the trusted log key's [0-9a-f]{64}\)$/,
  },
  {
    name: "entry for another artifact",
    setup: async () => {
      const { uuid, entry } = await realEntry("b");
      serve([{ [uuid]: entry }]);
    },
    error:
      "error: cannot verify transparency log entry: the log returned an entry for another signature, key or artifact (signature in bundle does not match signature being verified)",
  },
  {
    name: "entry whose UUID is not the hash of its body",
    setup: async () => {
      const { entry } = await realEntry("a");
      serve([{ ["cd".repeat(32)]: entry }]);
    },
    error: `error: cannot verify transparency log entry: computed leaf hash did not match UUID ${
      "cd".repeat(32)
    }`,
  },
  {
    name: "entry integrated in the future (a log whose key we trust, lying about time)",
    setup: async () => {
      const { entry } = await realEntry("a");
      const fake = await fakeLog(entry.body, Math.floor(Date.now() / 1000) + 86_400);
      serve([fake.served]);
      return { env: { ...ENV, SIGSTORE_REKOR_PUBLIC_KEY: fake.keyPath } };
    },
    error: /^error: cannot verify transparency log entry: integrated time \d+ is in the future$/,
  },
];

for (const c of FAILURES) {
  Deno.test(`verify-blob fails on ${c.name}`, async () => {
    resetProxy();
    const extra = (await c.setup()) ?? {};
    const r = await verifyBlob(extra.blob ?? "a", extra.flags, extra.env);
    const requests = proxy.requests.length;
    resetProxy();
    assert.equal(r.code, 1, r.io.err());
    if (typeof c.error === "string") assert.equal(lastLine(r.io.err()), c.error);
    else assert.match(lastLine(r.io.err()), c.error);
    assert.doesNotMatch(r.io.err(), /Verified OK/);
    if (c.requests !== undefined) assert.equal(requests, c.requests);
  });
}

Deno.test("the fake log's entry verifies when its time is honest (the future-time case is real)", async () => {
  const { entry } = await realEntry("a");
  const fake = await fakeLog(entry.body, Math.floor(Date.now() / 1000) - 60);
  serve([fake.served]);
  const r = await verifyBlob("a", [], { ...ENV, SIGSTORE_REKOR_PUBLIC_KEY: fake.keyPath });
  resetProxy();
  assert.equal(r.code, 0, r.io.err());
});

// Images: ours signs with a Rekor entry, then the bundle annotation is removed so that verify
// has to look the signature up (as for a signature attached without a bundle).
let imageCount = 0;
async function unbundledImage(log = true): Promise<{ ref: string; repo: string; digest: string }> {
  const repo = `faults/img${++imageCount}`;
  const { digest } = await pushImage(oci, { registry: registry.host, repository: repo }, "v1");
  const ref = `${registry.host}/${repo}@${digest}`;
  const s = await cosign([
    "sign",
    "--key",
    `${key}.key`,
    `--tlog-upload=${log}`,
    "--rekor-url",
    rekor.url,
    "--yes",
    ref,
  ], { env: ENV });
  assert.equal(s.code, 0, s.io.err());
  const where = { registry: registry.host, repository: repo };
  const tag = `${digest.replace(":", "-")}.sig`;
  const m = await oci.getManifest(where, tag);
  const manifest = structuredClone(m.manifest) as {
    layers: { annotations: Record<string, string> }[];
  };
  assert.equal("dev.sigstore.cosign/bundle" in manifest.layers[0].annotations, log);
  delete manifest.layers[0].annotations["dev.sigstore.cosign/bundle"];
  await oci.putManifest(
    where,
    tag,
    new TextEncoder().encode(JSON.stringify(manifest)),
    m.mediaType,
  );
  return { ref, repo, digest };
}

function verifyImage(ref: string, extra: string[] = [], env: Record<string, string> = ENV) {
  return cosign(["verify", "--key", `${key}.pub`, "--rekor-url", proxy.url, ...extra, ref], {
    env,
  });
}

Deno.test("verify looks an image signature without bundle up in the log", async () => {
  const { ref } = await unbundledImage();
  resetProxy();
  const r = await verifyImage(ref);
  assert.equal(r.code, 0, r.io.err());
  // cosign sets bundleVerified after a successful online lookup too (verifyInternal), so its
  // header says "verified offline".
  assert.equal(
    r.io.err(),
    `\nVerification for ${ref} --\n` +
      "The following checks were performed on each of these signatures:\n" +
      "  - The cosign claims were validated\n" +
      "  - Existence of the claims in the transparency log was verified offline\n" +
      "  - The signatures were verified against the specified public key\n",
  );
  assert.deepEqual(proxy.requests.map((x) => `${x.method} ${x.path}`), [
    "POST /api/v1/log/entries/retrieve",
  ]);
});

/** The real log's entry for an image's (first) signature, looked up as ours proposes it. */
async function realImageEntry(repo: string, digest: string): Promise<Served> {
  const where = { registry: registry.host, repository: repo };
  const m = await oci.getManifest(where, `${digest.replace(":", "-")}.sig`);
  const layer = (m.manifest as {
    layers: { digest: string; annotations: Record<string, string> }[];
  }).layers[0];
  const payload = await oci.getBlobBytes(where, layer.digest, 1 << 20);
  const found = await new RekorClient(rekor.url).searchEntries({
    algorithm: "sha256",
    digest: new Uint8Array(createHash("sha256").update(payload).digest()),
    signature: Uint8Array.fromBase64(layer.annotations["dev.cosignproject.cosign/signature"]),
    publicKeyPem: await Deno.readFile(`${key}.pub`),
  });
  assert.equal(found.length, 1);
  const { uuid, ...entry } = found[0];
  return { [uuid]: structuredClone(entry) };
}

Deno.test("verify: each failed log check is the reason of 'no matching signatures' (exit 12)", async () => {
  const { ref, repo, digest } = await unbundledImage();
  const { ref: unlogged } = await unbundledImage(false);
  const cases: [
    string,
    () => Promise<{ ref?: string; flags?: string[] } | void> | { ref?: string; flags?: string[] },
    string | RegExp,
  ][] = [
    [
      "offline",
      () => ({ flags: ["--offline"] }),
      "error: no matching signatures: Cannot verify the transparency log entry: offline verification failed (the signature has no bundle, and --offline forbids looking it up in the log)",
    ],
    [
      "not found",
      () => ({ ref: unlogged }),
      "error: no matching signatures: Cannot find the transparency log entry: signature not found in transparency log",
    ],
    [
      "unreachable",
      () => ({ flags: ["--rekor-url", `http://127.0.0.1:${closedPort()}`] }),
      /^error: no matching signatures: Cannot search the transparency log http:\/\/127\.0\.0\.1:\d+: .*Connection refused/,
    ],
    [
      "SET by another key",
      async () => {
        const served = await realImageEntry(repo, digest);
        const entry = Object.values(served)[0];
        entry.verification!.signedEntryTimestamp = setBy(entry, otherKey().privateKey);
        serve([served]);
      },
      "error: no matching signatures: Cannot verify signed entry timestamp: unable to verify SET",
    ],
  ];
  for (const [name, setup, error] of cases) {
    resetProxy();
    const extra = (await setup()) ?? {};
    const r = await verifyImage(extra.ref ?? ref, extra.flags);
    const requests = proxy.requests.length;
    resetProxy();
    assert.equal(r.code, 12, `${name}: ${r.io.err()}`);
    if (typeof error === "string") assert.equal(lastLine(r.io.err()), error, name);
    else assert.match(lastLine(r.io.err()), error, name);
    if (name === "offline") assert.equal(requests, 0, "offline makes no request");
  }
});

Deno.test("verify: a bundle that fails never falls back to a lookup", async () => {
  // Two images signed with bundles; the second gets the first one's bundle (a failed offline
  // check) while its own entry is in the log: verify must fail without asking the log.
  const repos = [];
  for (let i = 0; i < 2; i++) {
    const repo = `faults/bundled${i}`;
    const { digest } = await pushImage(oci, { registry: registry.host, repository: repo }, "v1");
    const ref = `${registry.host}/${repo}@${digest}`;
    const s = await cosign(
      ["sign", "--key", `${key}.key`, "--rekor-url", rekor.url, "--yes", ref],
      { env: ENV },
    );
    assert.equal(s.code, 0, s.io.err());
    repos.push({ where: { registry: registry.host, repository: repo }, ref, digest });
  }
  const tagOf = (d: string) => `${d.replace(":", "-")}.sig`;
  type M = { layers: { annotations: Record<string, string> }[] };
  const a = await oci.getManifest(repos[0].where, tagOf(repos[0].digest));
  const b = await oci.getManifest(repos[1].where, tagOf(repos[1].digest));
  const manB = structuredClone(b.manifest) as M;
  manB.layers[0].annotations["dev.sigstore.cosign/bundle"] =
    (a.manifest as M).layers[0].annotations["dev.sigstore.cosign/bundle"];
  await oci.putManifest(
    repos[1].where,
    tagOf(repos[1].digest),
    new TextEncoder().encode(JSON.stringify(manB)),
    b.mediaType,
  );
  resetProxy();
  const r = await verifyImage(repos[1].ref);
  assert.equal(r.code, 12);
  assert.equal(
    lastLine(r.io.err()),
    "error: no matching signatures: Cannot verify transparency log entry: signature in bundle does not match signature being verified",
  );
  assert.equal(proxy.requests.length, 0);
});

// Uploads that fail leave nothing behind.
Deno.test("sign-blob: a log that is down or failing writes no signature and no bundle", async () => {
  await Deno.writeTextFile(p("up"), `upload ${crypto.randomUUID()}\n`);
  const cases: [string, string, () => void, RegExp][] = [
    [
      "down",
      `http://127.0.0.1:${closedPort()}`,
      () => {},
      /^error: cannot upload to the transparency log http:\/\/127\.0\.0\.1:\d+: Cannot reach .*Connection refused/,
    ],
    [
      "500",
      proxy.url,
      () => proxy.rules.push({ path: /entries$/, action: { status: 500 } }),
      /^error: cannot upload the entry: the transparency log answered HTTP 500$/,
    ],
    [
      "slow",
      proxy.url,
      () => proxy.rules.push({ path: /entries$/, action: { kind: "delay", ms: 5000 } }),
      /^error: cannot upload to the transparency log http:\/\/127\.0\.0\.1:\d+: .*timeout$/,
    ],
  ];
  for (const [name, url, setup, error] of cases) {
    resetProxy();
    setup();
    const r = await cosign([
      "sign-blob",
      "--key",
      `${key}.key`,
      "--rekor-url",
      url,
      "--yes",
      // Long enough for the bounded retries of "down", short for "slow".
      "--timeout",
      name === "slow" ? "1s" : "30s",
      "--output-signature",
      p(`up-${name}.sig`),
      "--bundle",
      p(`up-${name}.bundle`),
      p("up"),
    ], { env: ENV });
    resetProxy();
    assert.equal(r.code, 1, name);
    assert.match(lastLine(r.io.err()), error, `${name}: ${lastLine(r.io.err())}`);
    assert.equal(await exists(p(`up-${name}.sig`)), false, name);
    assert.equal(await exists(p(`up-${name}.bundle`)), false, name);
  }
});

Deno.test("sign-blob: an upload whose answer was lost is retried, and the 409 entry is used", async () => {
  resetProxy();
  await Deno.writeTextFile(p("lost"), `lost ${crypto.randomUUID()}\n`);
  // The first POST reaches the log, but its 201 is replaced by a 503; the retry gets a real 409.
  proxy.rules.push({
    method: "POST",
    path: /entries$/,
    times: 1,
    action: { kind: "lose", status: 503 },
  });
  const r = await cosign([
    "sign-blob",
    "--key",
    `${key}.key`,
    "--rekor-url",
    proxy.url,
    "--yes",
    "--output-signature",
    p("lost.sig"),
    "--bundle",
    p("lost.bundle"),
    p("lost"),
  ], { env: ENV });
  const seen = proxy.requests.map((x) => `${x.method} ${x.path.replace(/[0-9a-f]{80}$/, "UUID")}`);
  resetProxy();
  assert.equal(r.code, 0, r.io.err());
  assert.deepEqual(seen, [
    "POST /api/v1/log/entries",
    "POST /api/v1/log/entries",
    "GET /api/v1/log/entries/UUID",
  ]);
  // The bundle holds the entry that exists, and it verifies offline and online.
  const offline = await cosign(
    ["verify-blob", "--key", `${key}.pub`, "--bundle", p("lost.bundle"), "--offline", p("lost")],
    { env: ENV },
  );
  assert.equal(offline.code, 0, offline.io.err());
  const online = await verifyBlob("lost");
  assert.equal(online.code, 0, online.io.err());
});

Deno.test("sign: a log that is down or slow pushes no signature to the registry", async () => {
  for (
    const [name, url, setup] of [
      ["down", `http://127.0.0.1:${closedPort()}`, () => {}],
      [
        "slow",
        proxy.url,
        () => proxy.rules.push({ path: /entries$/, action: { kind: "delay", ms: 5000 } }),
      ],
    ] as const
  ) {
    resetProxy();
    setup();
    const repo = `faults/unsigned-${name}`;
    const { digest } = await pushImage(oci, { registry: registry.host, repository: repo }, "v1");
    const r = await cosign([
      "sign",
      "--key",
      `${key}.key`,
      "--rekor-url",
      url,
      "--yes",
      "--timeout",
      name === "slow" ? "1s" : "30s",
      `${registry.host}/${repo}@${digest}`,
    ], { env: ENV });
    resetProxy();
    assert.equal(r.code, 1, name);
    assert.match(lastLine(r.io.err()), /^error: cannot upload to the transparency log /, name);
    const tags = await oci.listTags({ registry: registry.host, repository: repo });
    assert.deepEqual(tags.filter((t) => t.endsWith(".sig")), [], name);
  }
});
