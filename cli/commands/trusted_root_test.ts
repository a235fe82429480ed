/**
 * `cosign trusted-root create`, in-process: the trusted roots the real Go cosign v2.6.4 wrote
 * for the same flags (tests/fixtures/trust-create/go, compared as parsed JSON, since protojson
 * may put a space after a comma), the result loading in our parser, `--out`, help, and bad input
 * with its one-line error and exit code.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cosign } from "../_test_io.ts";
import { parseTrustedRoot } from "../../lib/trust/trusted_root.ts";

const F = join(import.meta.dirname!, "..", "..", "tests", "fixtures", "trust-create");
const f = (name: string) => join(F, name);

/** The flags of each case; tests/fixtures/trust-create/go/<case>.json is Go's output. */
export const TRUSTED_ROOT_CASES: Record<string, string[]> = {
  A: [
    `--fulcio=url=https://fulcio.example,certificate-chain=${f("fulcio_chain.pem")}`,
    `--rekor=url=https://rekor.example,public-key=${
      f("rekor.pub")
    },start-time=2025-01-01T00:00:00.5+02:00`,
    `--ctfe=url=https://ct.example,public-key=${
      f("ctlog.pub")
    },start-time=2024-01-01T00:00:00Z,end-time=2030-01-01T00:00:00.123456Z`,
    `--tsa=url=https://tsa.example,certificate-chain=${f("tsa-chain.pem")}`,
  ],
  B: [
    `--rekor=url=https://rekor2.example,public-key=${
      f("ed25519.pub")
    },start-time=2025-09-23T00:00:00Z,origin=rekor2.example`,
    `--rekor=url=https://rekor1.example,public-key=${
      f("rekor.pub")
    },start-time=2021-01-12T11:53:27.000000001Z,end-time=2025-09-23T00:00:00Z`,
  ],
  C: [
    `--rekor=url=https://rsa.example,public-key=${
      f("rsa3072.pub")
    },start-time=2023-05-05T05:05:05Z`,
    `--rekor=url=https://rsa2.example,public-key=${
      f("rsa3072.pub")
    },start-time=2022-05-05T05:05:05Z,origin=rsa.example`,
    `--ctfe=url=https://ct.example,public-key=${
      f("ctlog.pub")
    },start-time=2020-02-29T23:59:59-01:30`,
  ],
  D: [
    `--certificate-chain=${f("fulcio_chain.pem")}`,
    "--fulcio-uri=https://f.example",
    `--rekor-key=${f("ed25519.pub")},rekor.example.test`,
    "--rekor-url=https://rekor.example.test",
    "--rekor-start-time=2025-02-02T02:02:02Z",
    `--rekor-key=${f("rekor.pub")}`,
    `--ctfe-key=${f("ctlog.pub")}`,
    "--ctfe-end-time=2031-01-01T00:00:00Z",
    `--timestamp-certificate-chain=${f("tsa-chain.pem")}`,
    "--timestamp-uri=https://tsa.example",
  ],
  E: [
    `--fulcio=url=https://f2.example,certificate-chain=${
      f("fulcio_chain.pem")
    },start-time=2020-01-01T00:00:00Z,end-time=2021-01-01T00:00:00Z`,
    `--fulcio=url=https://f1.example,certificate-chain=${
      f("tsa-chain.pem")
    },start-time=2019-01-01T00:00:00Z`,
    `--tsa=url=https://tsa1.example,certificate-chain=${
      f("tsa-leaf.pem")
    },start-time=2024-06-01T12:00:00Z,end-time=2024-06-02T12:00:00.000001Z`,
  ],
  F: [],
};

async function goOutput(name: string): Promise<string> {
  return JSON.stringify(JSON.parse(await Deno.readTextFile(join(F, "go", `${name}.json`))));
}

for (const [name, args] of Object.entries(TRUSTED_ROOT_CASES)) {
  Deno.test(`trusted-root create: case ${name} matches Go cosign's trusted root`, async () => {
    const { code, io } = await cosign(["trusted-root", "create", ...args]);
    assert.equal(code, 0, io.err());
    assert.equal(io.out(), (await goOutput(name)) + "\n");
    const root = parseTrustedRoot(io.outBytes());
    assert.equal(root.mediaType, "application/vnd.dev.sigstore.trustedroot+json;version=0.1");
  });
}

Deno.test("trusted-root create: deprecated flags print pflag's notice per use", async () => {
  const { io } = await cosign(["trusted-root", "create", ...TRUSTED_ROOT_CASES.D]);
  assert.deepEqual(io.err().trimEnd().split("\n"), [
    "Flag --certificate-chain has been deprecated, use --fulcio instead",
    "Flag --fulcio-uri has been deprecated, use --fulcio instead",
    "Flag --rekor-key has been deprecated, use --rekor instead",
    "Flag --rekor-key has been deprecated, use --rekor instead",
    "Flag --rekor-url has been deprecated, use --rekor instead",
    "Flag --rekor-start-time has been deprecated, use --rekor instead",
    "Flag --ctfe-key has been deprecated, use --ctfe instead",
    "Flag --ctfe-end-time has been deprecated, use --ctfe instead",
    "Flag --timestamp-certificate-chain has been deprecated, use --tsa instead",
    "Flag --timestamp-uri has been deprecated, use --tsa instead",
  ]);
});

Deno.test("trusted-root create: --out writes the root alone with mode 0600", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "tr.json");
    const { code, io } = await cosign([
      "trusted-root",
      "create",
      ...TRUSTED_ROOT_CASES.A,
      "--out",
      out,
    ]);
    assert.equal(code, 0, io.err());
    assert.equal(io.out(), "");
    assert.equal(await Deno.readTextFile(out), await goOutput("A"));
    assert.equal((await Deno.stat(out)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trusted-root create: help lists the service flags, not the deprecated ones", async () => {
  const { code, io } = await cosign(["trusted-root", "create", "--help"]);
  assert.equal(code, 0);
  for (
    const flag of [
      "--fulcio stringArray",
      "--rekor stringArray",
      "--ctfe stringArray",
      "--tsa stringArray",
      "--with-default-services",
      "--no-default-rekor",
      "--out string",
    ]
  ) {
    assert.ok(io.out().includes(flag), flag);
  }
  assert.ok(!io.out().includes("--rekor-key"));
  assert.ok(io.out().startsWith("Create a Sigstore protobuf trusted root"));
});

const missing = f("missing.pem");
const BAD: [string, string[], string, number][] = [
  [
    "a pair without =",
    ["--fulcio=url=https://f.example,certificate-chain"],
    "parsing fulcio spec: invalid key-value pair: certificate-chain",
    1,
  ],
  [
    "a Fulcio spec without url",
    [`--fulcio=certificate-chain=${f("fulcio_chain.pem")}`],
    "parsing fulcio spec: missing or empty required key 'url' in fulcio spec",
    1,
  ],
  [
    "a Rekor spec without start-time",
    [`--rekor=url=https://r.example,public-key=${f("rekor.pub")}`],
    "parsing rekor spec: missing or empty required key 'start-time' in tlog spec",
    1,
  ],
  [
    "an empty value counts as missing",
    [`--ctfe=url=,public-key=${f("ctlog.pub")},start-time=2025-01-01T00:00:00Z`],
    "parsing ctfe spec: missing or empty required key 'url' in tlog spec",
    1,
  ],
  [
    "a start time that is not RFC 3339",
    [`--rekor=url=https://r.example,public-key=${f("rekor.pub")},start-time=2025-01-01`],
    'parsing rekor spec: parsing start-time: cannot parse "2025-01-01" as an RFC 3339 time',
    1,
  ],
  [
    "February 30th",
    [`--fulcio=url=https://f.example,certificate-chain=${
      f("fulcio_chain.pem")
    },end-time=2025-02-30T00:00:00Z`],
    'parsing fulcio spec: parsing end-time: cannot parse "2025-02-30T00:00:00Z" as an RFC 3339 time',
    1,
  ],
  [
    "a certificate as the log key",
    [`--rekor=url=https://r.example,public-key=${
      f("tsa-leaf.pem")
    },start-time=2025-01-01T00:00:00Z`],
    "parsing rekor spec: parsing public-key: unknown Public key PEM file type: CERTIFICATE. Are you passing the correct public key?",
    1,
  ],
  [
    "a key file that does not exist",
    [`--ctfe=url=https://c.example,public-key=${missing},start-time=2025-01-01T00:00:00Z`],
    `parsing ctfe spec: parsing public-key: open ${missing}: no such file or directory`,
    1,
  ],
  [
    "a chain file without PEM blocks",
    [`--fulcio=url=https://f.example,certificate-chain=${f("go/F.json")}`],
    `parsing fulcio spec: parsing Fulcio certificate-chain: no certificates in file ${
      f("go/F.json")
    }`,
    1,
  ],
  [
    "a chain file holding a public key",
    [`--fulcio=url=https://f.example,certificate-chain=${f("rekor.pub")}`],
    "parsing fulcio spec: parsing Fulcio certificate-chain: x509: certificate: expected 3 elements",
    1,
  ],
  [
    "a TSA chain that starts with a CA",
    [`--tsa=url=https://t.example,certificate-chain=${f("fulcio_chain.pem")}`],
    "parsing tsa spec: first certificate in chain must be a leaf certificate",
    1,
  ],
  [
    "an RSA log key of 1024 bits",
    [`--rekor=url=https://r.example,public-key=${
      f("rsa1024.pub")
    },start-time=2025-01-01T00:00:00Z`],
    "failed converting rekor log 55017402381eb7bc02e166b6ba2c598914f7e615e7e6a0ee5641a34dc37a4808 to protobuf: unsupported public modulus for RSA key: 128",
    1,
  ],
  [
    "--rekor with --rekor-key",
    [
      `--rekor=url=https://r.example,public-key=${f("rekor.pub")},start-time=2025-01-01T00:00:00Z`,
      `--rekor-key=${f("rekor.pub")}`,
    ],
    "cannot use --rekor and old rekor flags at the same time",
    1,
  ],
  [
    "--tsa with --timestamp-uri",
    [
      `--tsa=url=https://t.example,certificate-chain=${f("tsa-chain.pem")}`,
      "--timestamp-uri=https://t.example",
    ],
    "cannot use --tsa and old tsa flags at the same time",
    1,
  ],
  [
    "a TSA chain of one certificate given the old way",
    [`--timestamp-certificate-chain=${f("tsa-leaf.pem")}`],
    "certificate chain must have at least two certificates",
    1,
  ],
  ["an argument", ["extra"], 'unknown command "extra" for "cosign trusted-root create"', 1],
];

for (const [name, args, message, exit] of BAD) {
  Deno.test(`trusted-root create refuses ${name}`, async () => {
    const { code, io } = await cosign(["trusted-root", "create", ...args]);
    const lines = io.err().trimEnd().split("\n");
    assert.equal(lines[lines.length - 1], `error: ${message}`);
    assert.equal(code, exit);
    assert.equal(io.out(), "");
  });
}
