import assert from "node:assert/strict";
import { join } from "node:path";
import { createTrustedRoot } from "./create_trusted_root.ts";
import { parseTrustedRoot } from "./trusted_root.ts";
import { formatProtoTime, parseRfc3339 } from "./_proto_time.ts";
import { parseKeyValues } from "./_service_spec.ts";

const F = join(import.meta.dirname!, "..", "..", "tests", "fixtures");
const PUBLIC_GOOD = await Deno.readFile(
  join(F, "vectors", "roots", "public-good_trusted_root.json"),
);

Deno.test("createTrustedRoot() with defaults keeps the default services, minus those omitted", async () => {
  const root = parseTrustedRoot(PUBLIC_GOOD);
  const all = parseTrustedRoot(
    new TextEncoder().encode(
      await createTrustedRoot({ defaults: { root }, readFile: Deno.readFile }),
    ),
  );
  assert.equal(all.tlogs.length, root.tlogs.length);
  assert.equal(all.ctlogs.length, root.ctlogs.length);
  assert.equal(all.certificateAuthorities.length, root.certificateAuthorities.length);
  assert.equal(all.timestampAuthorities.length, root.timestampAuthorities.length);
  assert.deepEqual(
    all.tlogs.map((l) => l.keyId.toHex()).sort(),
    root.tlogs.map((l) => l.keyId.toHex()).sort(),
  );
  const some = JSON.parse(
    await createTrustedRoot({
      defaults: { root, omit: ["fulcio", "tsa", "ctfe"] },
      rekor: [
        `url=https://mine.example,public-key=${
          join(F, "trust-create", "rekor.pub")
        },start-time=1999-01-01T00:00:00Z`,
      ],
      readFile: Deno.readFile,
    }),
  );
  assert.deepEqual(Object.keys(some), ["mediaType", "tlogs"]);
  // Sorted by start: the 1999 log comes first.
  assert.equal(some.tlogs[0].baseUrl, "https://mine.example");
  assert.equal(some.tlogs.length, root.tlogs.length + 1);
});

const TIMES: [string, string | undefined][] = [
  ["2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z"],
  ["2025-01-01T00:00:00.5Z", "2025-01-01T00:00:00.500Z"],
  ["2025-01-01T00:00:00.1234Z", "2025-01-01T00:00:00.123400Z"],
  ["2025-01-01T00:00:00.123456789123Z", "2025-01-01T00:00:00.123456789Z"],
  ["2025-01-01T01:30:00+01:30", "2025-01-01T00:00:00Z"],
  ["1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"],
  ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"],
  ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"],
  ["2023-02-29T00:00:00Z", undefined],
  ["2025-01-01t00:00:00Z", undefined],
  ["2025-01-01T00:00:00z", undefined],
  ["2025-01-01T24:00:00Z", undefined],
  ["2025-01-01T00:00:00+24:00", undefined],
  ["2025-01-01T00:00:00", undefined],
  ["2025-01-01", undefined],
];

for (const [input, output] of TIMES) {
  Deno.test(`parseRfc3339() + formatProtoTime(): ${input}`, () => {
    const t = parseRfc3339(input);
    assert.equal(t && formatProtoTime(t), output);
  });
}

Deno.test("parseKeyValues() splits on commas and the first =, trims, later keys win", () => {
  assert.deepEqual(
    [...parseKeyValues(" url = a=b ,url=c,\tk=\u00a0v\u00a0").entries()],
    [["url", "c"], ["k", "v"]],
  );
  assert.throws(
    () => parseKeyValues("a=b,"),
    (e: unknown) => e instanceof TypeError && e.message === "invalid key-value pair: ",
  );
});
