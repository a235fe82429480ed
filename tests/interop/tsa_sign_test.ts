/**
 * RFC 3161 timestamps when signing (`--timestamp-server-url`), against a real timestamp authority
 * (sigstore timestamp-authority v2.1.3, tests/peers/tsa.ts), a real Rekor, Fulcio and CT log
 * (tests/peers/keyless.ts) and a registry on loopback:
 *
 * - ours signs blobs, attestations and images with a timestamp — key-based and keyless, with and
 *   without a log entry, old bundles with `--rfc3161-timestamp` / `--rfc3161-timestamp-bundle`
 *   files, Sigstore bundles, image layer annotations — and the real Go cosign v2.6.4 verifies
 *   with `--timestamp-certificate-chain`, `--use-signed-timestamps` and `--trusted-root` (ours
 *   too); a timestamp of another signature, or another authority's chain, fails in both;
 * - the Go cosign signs with a timestamp and ours verifies;
 * - an authority that answers for another message, or with another nonce (a fake in this
 *   process, forwarding altered requests to the real authority): our command fails with one
 *   `error: cannot get timestamp: …` line, exit 1, and writes, logs and pushes nothing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createRegistry } from "../../lib/registry/client.ts";
import { createTimestampRequest } from "../../lib/timestamp/create_timestamp_request.ts";
import { parseRfc3161Timestamp } from "../../lib/timestamp/rfc3161_timestamp.ts";
import { parseTimestampResponse } from "../../lib/timestamp/parse_timestamp_response.ts";
import { sha256 } from "../../lib/digest.ts";
import { startKeylessPeers } from "../peers/keyless.ts";
import { startRegistry } from "../peers/registry.ts";
import { startTsa } from "../peers/tsa.ts";
import { pushImage } from "../registry/_helpers.ts";
import { opensslCa, opensslIssue } from "../helpers/openssl_ca.ts";
import {
  type BothCase,
  describe,
  expectSuccess,
  FIXTURES,
  run,
  runCasesWithBoth,
  runGo,
  runOurs,
  type RunResult,
  suiteDir,
  suiteOptions,
  TOOLS,
} from "./_run.ts";

const F = join(FIXTURES, "attest");
const KEY = join(F, "cosign.key");
const PUB = join(F, "cosign.pub");
const LINK = join(F, "link.json");

const tsa = await startTsa();
const otherTsa = await startTsa();
const peers = await startKeylessPeers({
  timestampAuthorities: [{
    uri: tsa.url,
    chainPem: tsa.certChainPem,
    subject: { organization: "local", commonName: "tsa" },
    validFor: { start: "2020-01-01T00:00:00Z" },
  }],
});
const registry = await startRegistry({ mode: "http" });
const client = createRegistry({});
const dir = await suiteDir("cosign-interop-tsa-sign-");
addEventListener("unload", () => client.close());
globalThis.addEventListener(
  "unload",
  () => void Promise.all([peers.stop(), registry.stop(), tsa.stop(), otherTsa.stop()]),
);

const opts = suiteOptions(dir);
/** Old bundles and image signatures: the log's key from SIGSTORE_REKOR_PUBLIC_KEY. */
const logEnv = suiteOptions(dir, { SIGSTORE_REKOR_PUBLIC_KEY: peers.files.rekorKey });
const keylessEnv = suiteOptions(dir, {
  SIGSTORE_ROOT_FILE: peers.files.fulcioChain,
  SIGSTORE_REKOR_PUBLIC_KEY: peers.files.rekorKey,
  SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: peers.files.ctLogKey!,
});
const root = ["--trusted-root", peers.trustedRootPath];
const chain = ["--timestamp-certificate-chain", tsa.certChainPath];
const otherChain = ["--timestamp-certificate-chain", otherTsa.certChainPath];
const ts = ["--timestamp-server-url", tsa.timestampUrl];
const log = ["--rekor-url", peers.rekor.url, "--yes"];
const noLog = ["--tlog-upload=false"];
const file = (name: string) => join(dir, name);
const BLOB = file("blob.txt");
await Deno.writeTextFile(BLOB, `timestamped ${crypto.randomUUID()}\n`);

/** A case: what, the arguments, the environment, whether it verifies. */
type Case = BothCase;
const both = runCasesWithBoth;

/** Signs with our cosign; fails the test otherwise. */
async function ours(args: string[], what: string, options = opts): Promise<RunResult> {
  return expectSuccess(await runOurs(args, { ...options, password: "" }), what);
}

/** The DER TimeStampResp of cosign's `{"SignedRFC3161Timestamp":…}` file. */
async function stampOf(path: string): Promise<Uint8Array> {
  return parseRfc3161Timestamp(await Deno.readTextFile(path));
}

/** Asserts a TimeStampResp is granted and its imprint is the SHA-256 of `bytes`. */
function assertImprint(response: Uint8Array, bytes: Uint8Array, what: string): void {
  const info = parseTimestampResponse(response).token!.tstInfo;
  assert.equal(info.hash, "sha256", what);
  assert.deepEqual(info.hashedMessage, sha256(bytes), what);
  assert.ok(info.nonce !== undefined, `${what}: no nonce`);
}

Deno.test("blobs signed by ours with a timestamp (key): --rfc3161-timestamp files, old and Sigstore bundles, with and without a log entry, verified by Go and ours", async () => {
  const sb = (extra: string[], what: string) =>
    ours(["sign-blob", "--key", KEY, ...ts, ...extra, BLOB], what);
  const signed = await sb(
    [...noLog, "--rfc3161-timestamp", file("a.ts.json"), "--output-signature", file("a.sig")],
    "no log, timestamp file",
  );
  assert.match(signed.stderr, /^Timestamp fetched with time: {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/m);
  assert.match(signed.stderr, /RFC3161 timestamp written to file .*a\.ts\.json\n/);
  await sb(
    [...log, "--bundle", file("b.bundle"), "--rfc3161-timestamp", file("b.ts.json")],
    "log, old bundle, timestamp file",
  );
  await sb([...noLog, "--new-bundle-format", "--bundle", file("c.sigstore.json")], "no log, v0.3");
  // Another blob's timestamp (ECDSA signing here is deterministic: the same blob gives the same
  // signature, so its timestamps would all fit).
  await Deno.writeTextFile(file("other.txt"), `other ${crypto.randomUUID()}\n`);
  await ours(
    [
      "sign-blob",
      "--key",
      KEY,
      ...ts,
      ...noLog,
      "--rfc3161-timestamp",
      file("other.ts.json"),
      file("other.txt"),
    ],
    "another blob",
  );
  await sb([...log, "--new-bundle-format", "--bundle", file("d.sigstore.json")], "log, v0.3");

  // The timestamps are over the raw signatures, as cosign's.
  const sigA = Uint8Array.fromBase64(await Deno.readTextFile(file("a.sig")));
  assertImprint(await stampOf(file("a.ts.json")), sigA, "a");
  const b = JSON.parse(await Deno.readTextFile(file("b.bundle")));
  assert.deepEqual(Object.keys(b), ["base64Signature", "rekorBundle"]);
  assertImprint(await stampOf(file("b.ts.json")), Uint8Array.fromBase64(b.base64Signature), "b");
  const c = JSON.parse(await Deno.readTextFile(file("c.sigstore.json")));
  assert.equal(c.verificationMaterial.tlogEntries, undefined);
  const [stampC] = c.verificationMaterial.timestampVerificationData.rfc3161Timestamps;
  assert.deepEqual(Object.keys(stampC), ["signedTimestamp"]);
  assertImprint(
    Uint8Array.fromBase64(stampC.signedTimestamp),
    Uint8Array.fromBase64(c.messageSignature.signature),
    "c",
  );
  const d = JSON.parse(await Deno.readTextFile(file("d.sigstore.json")));
  assert.equal(d.verificationMaterial.tlogEntries.length, 1);
  assert.equal(d.verificationMaterial.timestampVerificationData.rfc3161Timestamps.length, 1);

  const vb = (args: string[]) => ["verify-blob", "--key", PUB, ...args, BLOB];
  const oldA = ["--signature", file("a.sig"), "--rfc3161-timestamp", file("a.ts.json")];
  await both([
    ["timestamp file, no log", vb([...oldA, ...chain, "--insecure-ignore-tlog"]), opts, true],
    [
      "timestamp file, no log, another authority's chain",
      vb([...oldA, ...otherChain, "--insecure-ignore-tlog"]),
      opts,
      false,
    ],
    [
      "the timestamp of another blob's signature",
      vb([
        "--signature",
        file("a.sig"),
        "--rfc3161-timestamp",
        file("other.ts.json"),
        ...chain,
        "--insecure-ignore-tlog",
      ]),
      opts,
      false,
    ],
    [
      "old bundle with log entry and timestamp file",
      vb(["--bundle", file("b.bundle"), "--rfc3161-timestamp", file("b.ts.json"), ...chain]),
      logEnv,
      true,
    ],
    [
      "v0.3 without log entry: the timestamp alone",
      vb([
        "--new-bundle-format",
        "--bundle",
        file("c.sigstore.json"),
        ...root,
        "--use-signed-timestamps",
        "--insecure-ignore-tlog",
      ]),
      opts,
      true,
    ],
    [
      "v0.3 with log entry and timestamp",
      vb([
        "--new-bundle-format",
        "--bundle",
        file("d.sigstore.json"),
        ...root,
        "--use-signed-timestamps",
      ]),
      opts,
      true,
    ],
  ]);
});

Deno.test("attest-blob by ours with a timestamp (key): the envelope JSON for --rfc3161-timestamp-bundle, its signature in Sigstore bundles; Go and ours verify", async () => {
  const ab = (extra: string[], what: string) =>
    ours([
      "attest-blob",
      "--key",
      KEY,
      "--predicate",
      LINK,
      "--type",
      "link",
      ...ts,
      ...extra,
      BLOB,
    ], what);
  const plain = await ab(
    [
      ...noLog,
      "--rfc3161-timestamp-bundle",
      file("e.ts.json"),
      "--bundle",
      file("e.bundle"),
      "--output-signature",
      file("e.intoto.json"),
    ],
    "no log, timestamp file",
  );
  assert.match(plain.stderr, /RFC3161 timestamp bundle written to file {2}.*e\.ts\.json\n/);
  await ab([...log, "--new-bundle-format", "--bundle", file("f.sigstore.json")], "log, v0.3");

  const envelope = await Deno.readFile(file("e.intoto.json"));
  assertImprint(await stampOf(file("e.ts.json")), envelope, "old: the whole envelope");
  const f = JSON.parse(await Deno.readTextFile(file("f.sigstore.json")));
  assertImprint(
    Uint8Array.fromBase64(
      f.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp,
    ),
    Uint8Array.fromBase64(f.dsseEnvelope.signatures[0].sig),
    "v0.3: the envelope's signature",
  );

  const vba = (args: string[]) => [
    "verify-blob-attestation",
    "--key",
    PUB,
    "--type",
    "link",
    ...args,
    BLOB,
  ];
  await both([
    [
      "old bundle, timestamp file, no log",
      vba([
        "--bundle",
        file("e.bundle"),
        "--rfc3161-timestamp",
        file("e.ts.json"),
        ...chain,
        "--insecure-ignore-tlog",
      ]),
      opts,
      true,
    ],
    [
      "old bundle, another authority's chain",
      vba([
        "--bundle",
        file("e.bundle"),
        "--rfc3161-timestamp",
        file("e.ts.json"),
        ...otherChain,
        "--insecure-ignore-tlog",
      ]),
      opts,
      false,
    ],
    [
      "v0.3 with log entry and timestamp",
      vba([
        "--new-bundle-format",
        "--bundle",
        file("f.sigstore.json"),
        ...root,
        "--use-signed-timestamps",
      ]),
      opts,
      true,
    ],
  ]);
});

/** Pushes a fresh image and returns its digest reference. */
async function image(repository: string): Promise<string> {
  const { digest } = await pushImage(client, { registry: registry.host, repository }, "v1");
  return `${registry.host}/${repository}@${digest}`;
}

/** The annotations of the layers of the `sha256-<hex>.<suffix>` image of `ref`. */
async function layerAnnotations(ref: string, suffix: "sig" | "att") {
  const [name, digest] = ref.split("@");
  const repository = name.slice(registry.host.length + 1);
  const m = await client.getManifest(
    { registry: registry.host, repository },
    `${digest.replace(":", "-")}.${suffix}`,
  );
  const manifest = JSON.parse(new TextDecoder().decode(m.bytes));
  return manifest.layers.map((l: { annotations: Record<string, string> }) => l.annotations);
}

Deno.test("images signed and attested by ours with a timestamp (key): layer annotations and Sigstore bundles, with and without a log entry; Go and ours verify", async () => {
  const noLogImage = await image("tsa/sign-nolog");
  const logImage = await image("tsa/sign-log");
  const bundleImage = await image("tsa/sign-bundle");
  const attImage = await image("tsa/attest");
  const attLogImage = await image("tsa/attest-log");
  const bundleLogImage = await image("tsa/sign-bundle-log");
  const attBundleImage = await image("tsa/attest-bundle");
  await ours(["sign", "--key", KEY, ...ts, ...noLog, noLogImage], "sign, no log");
  await ours(
    [
      "attest",
      "--key",
      KEY,
      "--predicate",
      LINK,
      "--type",
      "link",
      ...ts,
      ...noLog,
      "--new-bundle-format",
      attBundleImage,
    ],
    "attest, no log, v0.3",
  );
  await ours(["sign", "--key", KEY, ...ts, ...log, logImage], "sign, log");
  await ours(
    ["sign", "--key", KEY, ...ts, ...noLog, "--new-bundle-format", bundleImage],
    "sign, v0.3",
  );
  await ours(
    ["attest", "--key", KEY, "--predicate", LINK, "--type", "link", ...ts, ...noLog, attImage],
    "attest, no log",
  );
  await ours(
    ["attest", "--key", KEY, "--predicate", LINK, "--type", "link", ...ts, ...log, attLogImage],
    "attest, log",
  );
  await ours(
    ["sign", "--key", KEY, ...ts, ...log, "--new-bundle-format", bundleLogImage],
    "sign, log, v0.3",
  );

  const [sig] = await layerAnnotations(noLogImage, "sig");
  const stamp = parseRfc3161Timestamp(sig["dev.sigstore.cosign/rfc3161timestamp"]);
  assertImprint(
    stamp,
    Uint8Array.fromBase64(sig["dev.cosignproject.cosign/signature"]),
    "sign: the raw signature",
  );
  const [logged] = await layerAnnotations(logImage, "sig");
  assert.ok(logged["dev.sigstore.cosign/bundle"]);
  assert.ok(logged["dev.sigstore.cosign/rfc3161timestamp"]);
  const [att] = await layerAnnotations(attImage, "att");
  assert.deepEqual(Object.keys(att), [
    "dev.cosignproject.cosign/signature",
    "dev.sigstore.cosign/rfc3161timestamp",
    "predicateType",
  ]);

  await both([
    [
      "signature, no log",
      ["verify", "--key", PUB, ...chain, "--insecure-ignore-tlog", noLogImage],
      opts,
      true,
    ],
    [
      "signature, no log, another authority's chain",
      ["verify", "--key", PUB, ...otherChain, "--insecure-ignore-tlog", noLogImage],
      opts,
      false,
    ],
    ["signature with log entry", ["verify", "--key", PUB, ...chain, logImage], logEnv, true],
    [
      "Sigstore bundle, no log",
      [
        "verify",
        "--key",
        PUB,
        "--new-bundle-format",
        ...root,
        "--use-signed-timestamps",
        "--insecure-ignore-tlog",
        bundleImage,
      ],
      opts,
      true,
    ],
    [
      "attestation, no log",
      [
        "verify-attestation",
        "--key",
        PUB,
        "--type",
        "link",
        ...chain,
        "--insecure-ignore-tlog",
        attImage,
      ],
      opts,
      true,
    ],
    [
      "attestation with log entry",
      ["verify-attestation", "--key", PUB, "--type", "link", ...chain, attLogImage],
      logEnv,
      true,
    ],
    [
      "Sigstore bundle with log entry",
      [
        "verify",
        "--key",
        PUB,
        "--new-bundle-format",
        ...root,
        "--use-signed-timestamps",
        bundleLogImage,
      ],
      opts,
      true,
    ],
    [
      // Without a log entry, the bundle's only signed time is the timestamp.
      "attestation Sigstore bundle, no log",
      [
        "verify-attestation",
        "--key",
        PUB,
        "--type",
        "link",
        "--new-bundle-format",
        ...root,
        "--use-signed-timestamps",
        "--insecure-ignore-tlog",
        attBundleImage,
      ],
      opts,
      true,
    ],
  ], "");
});

Deno.test("keyless signing by ours with a timestamp: Sigstore bundle and image, verified by Go and ours with the trusted root", async () => {
  const token = await peers.oidc.emailToken("alice@example.com");
  const who = [
    "--certificate-identity",
    "alice@example.com",
    "--certificate-oidc-issuer",
    peers.emailIssuer,
  ];
  await ours(
    [
      "sign-blob",
      ...peers.signArgs(token),
      ...root,
      ...ts,
      "--new-bundle-format",
      "--bundle",
      file("k.sigstore.json"),
      BLOB,
    ],
    "keyless sign-blob",
  );
  const ref = await image("tsa/keyless");
  await ours(["sign", ...peers.signArgs(token), ...root, ...ts, ref], "keyless sign");
  await both([
    [
      "keyless v0.3 bundle, --use-signed-timestamps",
      [
        "verify-blob",
        ...who,
        "--new-bundle-format",
        "--bundle",
        file("k.sigstore.json"),
        ...root,
        "--use-signed-timestamps",
        BLOB,
      ],
      opts,
      true,
    ],
    [
      "keyless image, --use-signed-timestamps",
      ["verify", ...who, ...root, "--use-signed-timestamps", ref],
      opts,
      true,
    ],
    [
      "keyless image, SIGSTORE_* trust and --timestamp-certificate-chain",
      ["verify", ...who, ...chain, ref],
      keylessEnv,
      true,
    ],
  ], "");
});

Deno.test("Go signs with a timestamp (key), ours verifies as Go does", async () => {
  const go = (args: string[], what: string) =>
    runGo(args, { ...opts, password: "" }).then((r) => expectSuccess(r, what));
  await go(
    [
      "sign-blob",
      "--key",
      KEY,
      ...ts,
      ...noLog,
      "--rfc3161-timestamp",
      file("go.ts.json"),
      "--output-signature",
      file("go.sig"),
      BLOB,
    ],
    "go sign-blob",
  );
  await go(
    [
      "attest-blob",
      "--key",
      KEY,
      "--predicate",
      LINK,
      "--type",
      "link",
      ...ts,
      ...noLog,
      "--new-bundle-format",
      "--bundle",
      file("go-att.sigstore.json"),
      BLOB,
    ],
    "go attest-blob",
  );
  const ref = await image("tsa/go-attest");
  await go(
    ["attest", "--key", KEY, "--predicate", LINK, "--type", "link", ...ts, ...noLog, ref],
    "go attest",
  );
  await both([
    [
      "go sign-blob timestamp file",
      [
        "verify-blob",
        "--key",
        PUB,
        "--signature",
        file("go.sig"),
        "--rfc3161-timestamp",
        file("go.ts.json"),
        ...chain,
        "--insecure-ignore-tlog",
        BLOB,
      ],
      opts,
      true,
    ],
    [
      "go attest-blob v0.3",
      [
        "verify-blob-attestation",
        "--key",
        PUB,
        "--type",
        "link",
        "--new-bundle-format",
        "--bundle",
        file("go-att.sigstore.json"),
        ...root,
        "--use-signed-timestamps",
        "--insecure-ignore-tlog",
        BLOB,
      ],
      opts,
      true,
    ],
    [
      "go attest image",
      [
        "verify-attestation",
        "--key",
        PUB,
        "--type",
        "link",
        ...chain,
        "--insecure-ignore-tlog",
        ref,
      ],
      opts,
      true,
    ],
  ], "");
});

/**
 * A lying authority: forwards each request to the real one after altering it — `imprint`: asks
 * for a timestamp of other bytes; `nonce`: the same imprint with another nonce — and returns the
 * real answer. Counts the requests.
 */
function lyingTsa(kind: "imprint" | "nonce") {
  let requests = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      requests++;
      let body: Uint8Array = new Uint8Array(await req.arrayBuffer());
      if (kind === "imprint") {
        body = createTimestampRequest({ signature: crypto.getRandomValues(new Uint8Array(64)) })
          .der;
      } else {
        // The nonce INTEGER ends just before certReq (01 01 FF): change its last byte.
        body = body.slice();
        body[body.length - 4] ^= 0x01;
      }
      const res = await fetch(tsa.timestampUrl, {
        method: "POST",
        headers: { "content-type": "application/timestamp-query" },
        body: body as Uint8Array<ArrayBuffer>,
      });
      return new Response(await res.arrayBuffer(), { status: res.status });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/api/v1/timestamp`,
    requests: () => requests,
    stop: () => server.shutdown(),
  };
}

Deno.test("an authority answering for another message or with another nonce: ours fails with one line and writes, logs and pushes nothing", async () => {
  const messages = {
    imprint: "error: cannot get timestamp: the response is for another message imprint\n",
    nonce: "error: cannot get timestamp: the response's nonce differs from the request's\n",
  };
  for (const kind of ["imprint", "nonce"] as const) {
    const liar = lyingTsa(kind);
    try {
      const out = (name: string) => file(`liar-${kind}-${name}`);
      const lying = ["--timestamp-server-url", liar.url];
      const ref = await image(`tsa/liar-${kind}`);
      const cases: [string, string[], string[]][] = [
        [
          "sign-blob",
          [
            "sign-blob",
            "--key",
            KEY,
            ...lying,
            ...log,
            "--bundle",
            out("bundle"),
            "--rfc3161-timestamp",
            out("ts.json"),
            "--output-signature",
            out("sig"),
            BLOB,
          ],
          ["bundle", "ts.json", "sig"],
        ],
        [
          "sign-blob v0.3",
          [
            "sign-blob",
            "--key",
            KEY,
            ...lying,
            ...noLog,
            "--new-bundle-format",
            "--bundle",
            out("v3.json"),
            BLOB,
          ],
          ["v3.json"],
        ],
        [
          "attest-blob",
          [
            "attest-blob",
            "--key",
            KEY,
            "--predicate",
            LINK,
            "--type",
            "link",
            ...lying,
            ...log,
            "--rfc3161-timestamp-bundle",
            out("att.ts.json"),
            "--output-signature",
            out("att.json"),
            BLOB,
          ],
          ["att.ts.json", "att.json"],
        ],
        ["sign", ["sign", "--key", KEY, ...lying, ...log, ref], []],
        [
          "sign v0.3",
          ["sign", "--key", KEY, ...lying, ...noLog, "--new-bundle-format", ref],
          [],
        ],
        [
          "attest",
          ["attest", "--key", KEY, "--predicate", LINK, "--type", "link", ...lying, ...log, ref],
          [],
        ],
      ];
      const before = await logSize();
      for (const [what, args, files] of cases) {
        const seen = liar.requests();
        const r = await runOurs(args, { ...opts, password: "" });
        assert.equal(
          r.stderr.split("\n").filter((l) => l.startsWith("error:")).join("\n") + "\n",
          messages[kind],
          `${kind} ${what}\n${describe(r)}`,
        );
        assert.equal(r.code, 1, `${kind} ${what}`);
        assert.equal(r.stdout, "", `${kind} ${what}`);
        assert.equal(liar.requests(), seen + 1, `${kind} ${what}: one request`);
        for (const f of files) {
          await assert.rejects(Deno.stat(out(f)), Deno.errors.NotFound, `${kind} ${what}: ${f}`);
        }
      }
      // Nothing was logged, nothing pushed: no signature, attestation or referrer.
      assert.equal(await logSize(), before, `${kind}: the log grew`);
      const [name, digest] = ref.split("@");
      const repo = { registry: registry.host, repository: name.slice(registry.host.length + 1) };
      assert.deepEqual(
        (await client.listTags(repo)).sort(),
        ["v1"],
        `${kind}: something was pushed`,
      );
      void digest;
    } finally {
      await liar.stop();
    }
  }
});

/** The log's tree size. */
async function logSize(): Promise<number> {
  const res = await fetch(`${peers.rekor.url}/api/v1/log`);
  return (await res.json()).treeSize;
}

/**
 * A CA, a server certificate for `san` (default: the DNS name `tsa.test` only, not 127.0.0.1)
 * and a client certificate, all ECDSA P-256, made with openssl.
 */
async function tlsMaterial(at: string, san = "DNS:tsa.test") {
  await Deno.mkdir(at, { recursive: true });
  await opensslCa(at, "/CN=cosign-deno tests TSA TLS CA", { days: 2 });
  for (
    const [name, ext] of [
      ["server", `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`],
      ["client", "extendedKeyUsage=clientAuth\n"],
    ]
  ) {
    await opensslIssue(at, name, `/CN=${name}`, `basicConstraints=CA:FALSE\n${ext}`, { days: 2 });
  }
  const p = (n: string) => join(at, n);
  return {
    ca: p("ca.pem"),
    cert: p("server.pem"),
    key: p("server.key"),
    clientCert: p("client.pem"),
    clientKey: p("client.key"),
  };
}

/** The TSA's host:port. */
function tsaAddress(): { hostname: string; port: number } {
  const u = new URL(tsa.url);
  return { hostname: u.hostname, port: Number(u.port) };
}

Deno.test("--timestamp-server-name and --timestamp-client-cacert: a TLS front whose certificate names tsa.test only; ours and Go sign through it, and fail without the name", async () => {
  const m = await tlsMaterial(file("tls-name"));
  const front = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(m.cert),
    key: await Deno.readTextFile(m.key),
    onListen: () => {},
  }, async (req) => {
    const res = await fetch(tsa.timestampUrl, {
      method: "POST",
      headers: { "content-type": req.headers.get("content-type") ?? "" },
      body: await req.arrayBuffer(),
    });
    return new Response(await res.arrayBuffer(), { status: res.status });
  });
  try {
    const url = `https://127.0.0.1:${front.addr.port}/api/v1/timestamp`;
    const sign = (tool: "go" | "ours", extra: string[], out: string) =>
      run(tool, [
        "sign-blob",
        "--key",
        KEY,
        ...noLog,
        "--timestamp-server-url",
        url,
        "--timestamp-client-cacert",
        m.ca,
        ...extra,
        "--rfc3161-timestamp",
        file(out),
        "--output-signature",
        file(`${out}.sig`),
        BLOB,
      ], { ...opts, password: "" });
    for (const tool of TOOLS) {
      const ok = await sign(tool, ["--timestamp-server-name", "tsa.test"], `${tool}-name.ts.json`);
      expectSuccess(ok, `${tool} with --timestamp-server-name`);
      const bad = await sign(tool, [], `${tool}-noname.ts.json`);
      assert.equal(bad.code, 1, describe(bad));
      await assert.rejects(Deno.stat(file(`${tool}-noname.ts.json`)), Deno.errors.NotFound);
      const wrong = await sign(
        tool,
        ["--timestamp-server-name", "other.test"],
        `${tool}-wrong.ts.json`,
      );
      assert.equal(wrong.code, 1, describe(wrong));
    }
    await both([[
      "ours through the TLS front",
      [
        "verify-blob",
        "--key",
        PUB,
        "--signature",
        file("ours-name.ts.json.sig"),
        "--rfc3161-timestamp",
        file("ours-name.ts.json"),
        ...chain,
        "--insecure-ignore-tlog",
        BLOB,
      ],
      opts,
      true,
    ]]);
  } finally {
    await front.shutdown();
  }
});

Deno.test("mutual TLS to the authority (--timestamp-client-cert/-key): socat requiring a client certificate in front of the TSA; ours and Go sign with it, fail without", async () => {
  // The server certificate names both, so that Deno's own client (no server name) and the
  // server-name path are both tried.
  const m = await tlsMaterial(file("tls-mutual"), "DNS:tsa.test,IP:127.0.0.1");
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const { hostname, port: tsaPort } = tsaAddress();
  const socat = new Deno.Command("socat", {
    args: [
      `OPENSSL-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork,cert=${m.cert},key=${m.key},cafile=${m.ca},verify=1`,
      `TCP:${hostname}:${tsaPort}`,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    for (let i = 0; i < 50; i++) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const url = `https://127.0.0.1:${port}/api/v1/timestamp`;
    const client = ["--timestamp-client-cert", m.clientCert, "--timestamp-client-key", m.clientKey];
    for (
      const [tool, tlsFlags] of [
        ["ours", ["--timestamp-client-cacert", m.ca]],
        ["go", ["--timestamp-client-cacert", m.ca, "--timestamp-server-name", "tsa.test"]],
        ["ours", ["--timestamp-client-cacert", m.ca, "--timestamp-server-name", "tsa.test"]],
      ] as const
    ) {
      const attest = (extra: string[], out: string) =>
        run(tool, [
          "attest-blob",
          "--key",
          KEY,
          "--predicate",
          LINK,
          "--type",
          "link",
          ...noLog,
          "--timestamp-server-url",
          url,
          ...tlsFlags,
          ...extra,
          "--rfc3161-timestamp-bundle",
          file(out),
          "--bundle",
          file(`${out}.bundle`),
          BLOB,
        ], { ...opts, password: "" });
      expectSuccess(
        await attest(client, `${tool}-${tlsFlags.length}-mtls.ts.json`),
        `${tool} ${tlsFlags.join(" ")} with a client certificate`,
      );
      const refused = await attest([], `${tool}-${tlsFlags.length}-nocert.ts.json`);
      assert.equal(refused.code, 1, describe(refused));
      await assert.rejects(
        Deno.stat(file(`${tool}-${tlsFlags.length}-nocert.ts.json`)),
        Deno.errors.NotFound,
      );
    }
    await both(
      ["ours-2", "ours-4"].map((name): Case => [
        `${name}: ours over mutual TLS`,
        [
          "verify-blob-attestation",
          "--key",
          PUB,
          "--type",
          "link",
          "--bundle",
          file(`${name}-mtls.ts.json.bundle`),
          "--rfc3161-timestamp",
          file(`${name}-mtls.ts.json`),
          ...chain,
          "--insecure-ignore-tlog",
          BLOB,
        ],
        opts,
        true,
      ]),
    );
  } finally {
    socat.kill("SIGTERM");
    await socat.status;
  }
});
