/**
 * Files named on the command line are read up to a cap even when they have no size to check
 * first (a device such as /dev/zero, a FIFO): issue 17's "every read is bounded".
 */
import assert from "node:assert/strict";
import { cosign } from "../_test_io.ts";

const lastLine = (text: string) => text.trimEnd().split("\n").at(-1);

Deno.test("files given as flags are read up to their cap: /dev/zero ends in a size error", async () => {
  const cases: Array<[string[], string]> = [
    [
      ["import-key-pair", "--key", "/dev/zero", "--output-key-prefix", "/nonexistent/x"],
      "error: cannot read key file /dev/zero: larger than 1048576 bytes",
    ],
    [
      [
        "attach",
        "signature",
        "--signature",
        "/dev/zero",
        "127.0.0.1:1/app@sha256:" + "0".repeat(64),
      ],
      "error: cannot read signature /dev/zero: larger than 134217728 bytes",
    ],
    [
      [
        "download",
        "signature",
        "--registry-cacert",
        "/dev/zero",
        "127.0.0.1:1/app@sha256:" + "0".repeat(64),
      ],
      "error: cannot read --registry-cacert /dev/zero: larger than 4194304 bytes",
    ],
  ];
  for (const [argv, expected] of cases) {
    const { code, io } = await cosign(argv, { env: { COSIGN_PASSWORD: "" } });
    assert.equal(code, 1, `${argv.join(" ")}: ${io.err()}`);
    assert.equal(lastLine(io.err()), expected, argv.join(" "));
  }
});
