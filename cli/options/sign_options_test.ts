/**
 * The timestamp flags of the sign family, in process: cosign's checks of where a timestamp goes,
 * our checks of the TLS flags, and Go's time format of the "Timestamp fetched" line. Timestamps
 * from a live authority: tests/interop/tsa_sign_test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cosign } from "../_test_io.ts";
import { FIXTURES } from "../../tests/interop/_run.ts";
import { goUtcTimeString } from "./sign_options.ts";

const F = join(FIXTURES, "attest");
const KEY = join(F, "cosign.key");
const BLOB = join(F, "blob");
const ENV = { COSIGN_PASSWORD: "" };
const dir = await Deno.makeTempDir({ prefix: "cosign-sign-options-test-" });
addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const NOT_PEM = join(dir, "not.pem");
await Deno.writeTextFile(NOT_PEM, "no certificate here\n");
const OUT = join(dir, "out");
/** Nothing listens there: a check that passed would end in a connection error instead. */
const TSA = "http://127.0.0.1:1/api/v1/timestamp";

const signBlob = ["sign-blob", "--key", KEY, "--tlog-upload=false"];
const attestBlob = [
  "attest-blob",
  "--key",
  KEY,
  "--predicate",
  join(F, "link.json"),
  "--type",
  "link",
  "--tlog-upload=false",
];

Deno.test("the timestamp flags are checked before anything is asked of the authority or written", async () => {
  const cases: [string, string[], string][] = [
    [
      "sign-blob: a timestamp with nowhere to go (sign_blob.go)",
      [...signBlob, "--timestamp-server-url", TSA, "--output-signature", OUT, BLOB],
      "error: must use protobuf bundle or set timestamp output path\n",
    ],
    [
      "attest-blob: a timestamp with nowhere to go (attest_blob.go)",
      [...attestBlob, "--timestamp-server-url", TSA, "--output-signature", OUT, BLOB],
      "error: expected either new bundle or an rfc3161-timestamp path when using a TSA server\n",
    ],
    [
      "a URL that is not http(s)",
      [...signBlob, "--timestamp-server-url", "ftp://tsa", "--rfc3161-timestamp", OUT, BLOB],
      'error: invalid --timestamp-server-url "ftp://tsa": expected an http or https URL\n',
    ],
    [
      "a client certificate without its key",
      [
        ...signBlob,
        "--timestamp-server-url",
        TSA,
        "--rfc3161-timestamp",
        OUT,
        "--timestamp-client-cert",
        NOT_PEM,
        BLOB,
      ],
      "error: --timestamp-client-cert and --timestamp-client-key must be given together\n",
    ],
    [
      "a key without its certificate",
      [...attestBlob, "--timestamp-client-key", NOT_PEM, BLOB],
      "error: --timestamp-client-cert and --timestamp-client-key must be given together\n",
    ],
    [
      "a CA file without certificates (client.go's message)",
      [
        ...signBlob,
        "--timestamp-server-url",
        TSA,
        "--rfc3161-timestamp",
        OUT,
        "--timestamp-client-cacert",
        NOT_PEM,
        BLOB,
      ],
      `error: no valid CA certs found in ${NOT_PEM}\n`,
    ],
    [
      "a client certificate Deno cannot use",
      [
        ...attestBlob,
        "--timestamp-server-url",
        TSA,
        "--rfc3161-timestamp-bundle",
        OUT,
        "--timestamp-client-cert",
        NOT_PEM,
        "--timestamp-client-key",
        NOT_PEM,
        BLOB,
      ],
      `error: unable to read client certs from cert ${NOT_PEM}, key ${NOT_PEM}: `,
    ],
  ];
  for (const [what, argv, err] of cases) {
    const { code, io } = await cosign(argv, { env: ENV });
    const errors = io.err().split("\n").filter((l) => l.startsWith("error:"));
    assert.equal(errors.length, 1, `${what}: ${io.err()}`);
    assert.ok((errors[0] + "\n").startsWith(err), `${what}: ${io.err()}`);
    assert.equal(code, 1, what);
    assert.equal(io.out(), "", what);
    await assert.rejects(Deno.stat(OUT), Deno.errors.NotFound, what);
  }
});

Deno.test("an unreachable authority fails the command with one line and writes nothing", async () => {
  const { code, io } = await cosign(
    [...signBlob, "--timestamp-server-url", TSA, "--rfc3161-timestamp", OUT, BLOB],
    { env: ENV },
  );
  assert.match(io.err(), /^Using payload from: .*\nerror: cannot reach .*127\.0\.0\.1:1/);
  assert.equal(code, 1);
  assert.equal(io.out(), "");
  await assert.rejects(Deno.stat(OUT), Deno.errors.NotFound);
});

Deno.test("goUtcTimeString() is Go's time.Time.String() of a UTC time", () => {
  const cases: [string, string][] = [
    ["2026-12-04T15:53:10.000Z", "2026-12-04 15:53:10 +0000 UTC"],
    ["2026-12-04T15:53:10.500Z", "2026-12-04 15:53:10.5 +0000 UTC"],
    ["2026-01-02T03:04:05.123Z", "2026-01-02 03:04:05.123 +0000 UTC"],
    ["2026-01-02T03:04:05.120Z", "2026-01-02 03:04:05.12 +0000 UTC"],
  ];
  for (const [iso, want] of cases) assert.equal(goUtcTimeString(new Date(iso)), want, iso);
});
